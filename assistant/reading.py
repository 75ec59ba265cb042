"""Per-article reading: does a sentence answer, which of its words, and does that phrase answer what was asked?

For each article, its best candidate sentences are judged one at a time (P("yes") from the model's
next-token distribution), so one article's answer never leaks into another's and every article can
stay silent. The best sentence of an article that clears an absolute bar is asked for its answering
words, under a schema that admits only a run of that sentence's words; code widens them to a whole
phrase (``phrases.py``). Then the answer check (``prompts/check_answer.yaml``): the model's yes/no/
premise probabilities on "does this phrase answer exactly what was asked?". Only a phrase that passes
becomes a finding. Every bar is absolute: an article is never silenced because another matched better.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass
from typing import Callable, Sequence

from . import language
from .backends.base import Backend
from .phrases import answer_phrase, locate
from .prompts import Prompt, load_prompt
from .question import STRICT_KINDS, Question
from .text import flatten
from .tokens import count_tokens
from .types import Evidence, Finding

__all__ = ["READING_PROMPTS", "ReadingSettings", "read_articles", "answer_schema", "substring_pattern", "shown_text", "check_claim",
           "check_premise"]

log = logging.getLogger(__name__)

# llama-cpp-python's regex-to-grammar converter unescapes only these; others go in a class.
_BACKSLASH_ESCAPED = set("[]()|{}*+?")
_CLASS_ESCAPED = set(".$/")
MAX_SENTENCE_TOKENS = 200  # counted with tiktoken; news sentences run 20-80
READING_PROMPTS = ("read_sentence", "check_answer", "check_premise")  # warmed before reading
_REPLY_PREFIX = '{"answers": "'
_VERDICT_PREFIX = '{"verdict": "'


@dataclass(frozen=True)
class ReadingSettings:
    candidates: int = 2  # sentences judged per article, strongest retrieval first
    candidate_floor: float = 0.7  # ...and only those scoring >= this x the article's best
    accept: float = 0.5  # an article answers when its best sentence's P(yes) reaches this...
    rescue: float = 0.25  # ...or this much, when its retrieval score is high too (>= rescue_score)
    rescue_score: float = 0.55
    retrieval_weight: float = 4.0  # ranks an article's candidates: logit(P(yes)) + this x retrieval score
    check: float = 0.5  # P(yes) the answer check must give the phrase
    premise: float = 0.5  # P(yes) from the premise check above which the answer says the premise is false
    max_answer_words: int = 10  # longest run of words the model may copy (a phrase, grown in code)
    max_claim_words: int = 24  # a phrase longer than this reads worse than its whole sentence


@dataclass(frozen=True)
class _Judged:
    evidence: Evidence
    p_yes: float
    rank: float


def _escape(word: str) -> str:
    out = []
    for ch in word:
        if ch in _BACKSLASH_ESCAPED:
            out.append("\\" + ch)
        elif ch == "\\":  # written as JSON's escaped backslash: two characters
            out.append("[\\\\][\\\\]")
        elif ch == '"':  # written as JSON's escaped quote: a backslash, then the quote
            out.append('[\\\\]"')
        elif ch == "^":
            out.append("[\\^]")
        elif ch in _CLASS_ESCAPED:
            out.append("[" + ch + "]")
        else:
            out.append(ch)
    return "".join(out)


_LEADING = "“‘\"'(["
_TRAILING = ",;:.!?”’\"')]"


def _split_word(word: str) -> tuple[str, str, str]:
    """(leading punctuation, core, trailing punctuation) of one whitespace-separated word."""
    i, j = 0, len(word)
    while i < j and word[i] in _LEADING:
        i += 1
    while j > i and word[j - 1] in _TRAILING:
        j -= 1
    if i == j:  # all punctuation: keep it whole as the core
        return "", word, ""
    return word[:i], word[i:j], word[j:]


def substring_pattern(sentence: str, max_words: int) -> str:
    """A regex matching exactly the runs of 1..max_words consecutive words of ``sentence``.

    Punctuation at the edges of a run is optional ("The Guardian" out of "The Guardian,"), so the
    model can stop where the meaning stops instead of being forced on by a comma. The result is
    JSON-escaped, for use as a string ``pattern`` in a schema.
    """
    parts = [_split_word(w) for w in sentence.split()]
    alternatives = []
    for i in range(len(parts)):
        run = parts[i : i + max_words]
        tail = ""
        for k in range(len(run) - 1, 0, -1):
            lead, core, trail = run[k]
            inner = _escape(lead + core)
            if trail:
                tail = f"( {inner}({_escape(trail)}{tail})?)?" if tail else f"( {inner}({_escape(trail)})?)?"
            else:
                tail = f"( {inner}{tail})?"
        lead, core, trail = run[0]
        head = (f"({_escape(lead)})?" if lead else "") + _escape(core)
        if trail:
            head += f"({_escape(trail)}{tail})?" if tail else f"({_escape(trail)})?"
        else:
            head += tail
        alternatives.append(head)
    return "^(" + "|".join(alternatives) + ")$"


def answer_schema(sentence: str, max_words: int) -> dict:
    return {
        "type": "object",
        "properties": {"answers": {"const": "yes"},
                       "words": {"type": "string", "pattern": substring_pattern(sentence, max_words)}},
        "required": ["answers", "words"],
    }


def verbatim_words(words: object, sentence: str) -> str:
    """The words if they are a run of the sentence's words; endpoints without grammars may paraphrase."""
    words = flatten(str(words)).strip(" ,;:.!?\"'“”‘’()[]—–-")
    return words if words and words in flatten(sentence) else ""


def shown_text(evidence: Evidence, budget: int = MAX_SENTENCE_TOKENS) -> str:
    """The sentence as the model sees it: whitespace flattened, and cut to a token budget so that a
    runaway "sentence" (a table, a list without full stops) can never overflow the context."""
    words = evidence.text.split()
    text = " ".join(words)
    while len(words) > 8 and count_tokens(text) > budget:
        words = words[: int(len(words) * 0.8)]
        text = " ".join(words)
    return text


def _judge(backend: Backend, prompt: Prompt, question: str, evidence: Evidence, settings: ReadingSettings) -> _Judged:
    messages = prompt.messages(question=question, sentence=shown_text(evidence))
    probs = backend.probabilities(messages, ["yes", "no"], reply_prefix=_REPLY_PREFIX)
    p = min(max(probs.get("yes", 0.0), 1e-4), 1 - 1e-4)
    return _Judged(evidence, p, math.log(p / (1 - p)) + settings.retrieval_weight * evidence.score)


def _extract(backend: Backend, prompt: Prompt, question: str, evidence: Evidence, settings: ReadingSettings) -> str:
    sentence = shown_text(evidence)
    reply = backend.generate(prompt.messages(question=question, sentence=sentence),
                             answer_schema(sentence, settings.max_answer_words), max_tokens=settings.max_answer_words * 4)
    return verbatim_words(reply.get("words", ""), evidence.text) if isinstance(reply, dict) else ""


def check_claim(backend: Backend, question: Question, claim: str) -> float:
    """The answer check: P("yes") that ``claim`` gives what ``question`` asks for (or corrects its premise)."""
    prompt = load_prompt("check_answer")
    messages = prompt.messages(question=question.ask, answer=flatten(claim))
    return backend.probabilities(messages, ["yes", "no"], reply_prefix=_VERDICT_PREFIX).get("yes", 0.0)


def check_premise(backend: Backend, question: Question, claim: str) -> float:
    """P("yes") that ``claim`` shows the question took something false for granted."""
    prompt = load_prompt("check_premise")
    messages = prompt.messages(question=question.ask, fact=flatten(claim))
    return backend.probabilities(messages, ["yes", "no"], reply_prefix=_VERDICT_PREFIX).get("yes", 0.0)


def _claim(words: str, evidence: Evidence, question: Question, settings: ReadingSettings) -> str:
    """The phrase the answer shows; for a question that needs a value ("how many"), the phrase around one."""
    sentence = evidence.text
    needed = STRICT_KINDS.get(question.kind or "")
    if not needed:
        return answer_phrase(words, sentence, max_words=settings.max_claim_words)
    values = [e for e in language.parse(sentence).ents if e.label_ in needed]
    if not values:
        return ""  # the sentence holds no value of the asked-for sort: it cannot answer
    at = locate(words, sentence) or (0, 0)
    # The value inside the model's words, else the one nearest to them.
    value = min(values, key=lambda e: 0 if e.start_char < at[1] and e.end_char > at[0] else abs(e.start_char - at[0]))
    return answer_phrase(value.text, sentence, max_words=settings.max_claim_words,
                         where=(value.start_char, value.end_char))


def _labels(text: str) -> set[str]:
    return {label for _, label, _, _ in language.entities(text)}


def _has_digit(text: str) -> bool:
    return any(ch.isdigit() for ch in text)


def _candidates(passages: Sequence[Evidence], settings: ReadingSettings) -> list[Evidence]:
    best = max(ev.score for ev in passages)
    ranked = sorted(passages, key=lambda ev: -ev.score)
    return [ev for ev in ranked[: settings.candidates] if ev.score >= settings.candidate_floor * best or ev is ranked[0]]


def _passes(judged: _Judged, settings: ReadingSettings) -> bool:
    return judged.p_yes >= settings.accept or (judged.p_yes >= settings.rescue
                                               and judged.evidence.score >= settings.rescue_score)


@dataclass(frozen=True)
class _Draft:
    judged: _Judged
    words: str = ""
    claim: str = ""


def _draft(backend: Backend, prompt: Prompt, question: Question, passages: Sequence[Evidence],
           settings: ReadingSettings) -> _Draft:
    """One article's best sentence and, when it clears the bar, the phrase it answers with."""
    # Weakest first: the strongest candidate, the likeliest winner, is judged last, so its prompt is
    # still in the model's KV cache for the extraction call.
    judged = [_judge(backend, prompt, question.ask, ev, settings) for ev in reversed(_candidates(passages, settings))]
    best = max(judged, key=lambda j: j.rank)
    log.debug("%s: %s", passages[0].doc_id, [(j.evidence.id, round(j.p_yes, 2), round(j.rank, 2)) for j in judged])
    if not _passes(best, settings):
        return _Draft(best)
    words = _extract(backend, prompt, question.ask, best.evidence, settings)
    return _Draft(best, words, _claim(words, best.evidence, question, settings))


def _finding(backend: Backend, question: Question, draft: _Draft, settings: ReadingSettings) -> Finding:
    judged = draft.judged
    silent = Finding(judged.evidence.doc_id, judged.evidence, p_yes=judged.p_yes, words=draft.words)
    if not draft.claim:
        return silent
    p_check = check_claim(backend, question, draft.claim)
    log.debug("%s: words %r claim %r check %.2f", judged.evidence.doc_id, draft.words, draft.claim, p_check)
    if p_check < settings.check:
        return Finding(judged.evidence.doc_id, judged.evidence, p_yes=judged.p_yes, p_check=p_check, words=draft.words)
    return Finding(judged.evidence.doc_id, judged.evidence, draft.claim, judged.p_yes, p_check, words=draft.words)


def read_articles(
    backend: Backend,
    question: Question,
    groups: dict[str, list[Evidence]],
    settings: ReadingSettings | None = None,
    on_article: Callable[[int, int, str], None] | None = None,
) -> list[Finding]:
    """Every article's finding, in the order given (the most relevant article first).

    All articles are read first, then all answer checks run one after another: consecutive checks
    share the question's line in the model's cache, which interleaving them with reading would evict.
    """
    settings = settings or ReadingSettings()
    prompt = load_prompt("read_sentence")
    for name in READING_PROMPTS:
        backend.warm(load_prompt(name).prefix())
    drafts = []
    for n, (doc_id, passages) in enumerate(groups.items(), 1):
        if on_article:
            on_article(n, len(groups), doc_id)
        drafts.append(_draft(backend, prompt, question, passages, settings))
    return [_finding(backend, question, d, settings) for d in drafts]
