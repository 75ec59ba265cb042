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
from .phrases import answer_phrase, clause_of_argument, locate, quotations, role_argument
from .prompts import Prompt, load_prompt
from .question import ANCHORED_KINDS, STRICT_KINDS, Question
from .text import analyze, flatten
from .tokens import count_tokens
from .types import Evidence, Finding

__all__ = ["READING_PROMPTS", "ReadingSettings", "p_right", "read_articles", "answer_schema", "substring_pattern",
           "shown_text", "check_claim", "check_premise"]

log = logging.getLogger(__name__)

# llama-cpp-python's regex-to-grammar converter unescapes only these; others go in a class.
_BACKSLASH_ESCAPED = set("[]()|{}*+?")
_CLASS_ESCAPED = set(".$/")
MAX_SENTENCE_TOKENS = 200  # counted with tiktoken; news sentences run 20-80
READING_PROMPTS = ("read_sentence", "check_answer", "check_premise")  # warmed before reading
_REPLY_PREFIX = '{"answers": "'
_VERDICT_PREFIX = '{"verdict": "'
_WORDS_PREFIX = '{"answers": "yes", "words": "'


@dataclass(frozen=True)
class ReadingSettings:
    candidates: int = 3  # sentences an article may have judged, strongest retrieval first...
    second_look: float = 0.8  # ...the next one only while the best so far has P(yes) below this
    candidate_floor: float = 0.7  # ...and only those scoring >= this x the article's best
    retrieval_weight: float = 4.0  # ranks an article's candidates: logit(P(yes)) + this x retrieval score
    read_bar: float = 0.25  # P(yes) below which an article's best sentence is not read further (no words asked)
    max_answer_words: int = 10  # longest run of words the model may copy (a phrase, grown in code)
    max_claim_words: int = 24  # a phrase longer than this reads worse than its whole sentence
    # The answer rule: P(right) = sigmoid of these weights on logit P(sentence answers), retrieval score,
    # logit P(answer check) and "the phrase is the whole sentence", fit by bench/fit_reading.py on the
    # tune splits; a phrase is an answer when P(right) >= answer_bar.
    weight_sentence: float = 0.35
    weight_retrieval: float = 1.44
    weight_check: float = 0.51
    weight_whole: float = -0.29
    bias: float = -1.63
    answer_bar: float = 0.25  # near the F1-best bar on the tune splits (dev, readers, harbour, ramdocs)
    premise: float = 0.85  # P(yes) from the premise check above which the answer says the premise is false


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
    return _Judged(evidence, p, _logit(p) + settings.retrieval_weight * evidence.score)


def _extract(backend: Backend, prompt: Prompt, question: str, evidence: Evidence, settings: ReadingSettings) -> str:
    """The words of the sentence that answer: a run of its words, or "" (never a paraphrase)."""
    sentence = shown_text(evidence)
    messages = prompt.messages(question=question, sentence=sentence)
    if backend.supports_continuation:
        # Free decoding, then verified: as exact as the grammar and several times faster on a CPU.
        text = backend.continue_reply(messages, _WORDS_PREFIX, stop=['"}', '",'],
                                      max_tokens=settings.max_answer_words * 3)
        words = text.replace('\\"', '"').replace("\\\\", "\\")  # the JSON string escapes the model wrote
        return " ".join(verbatim_words(words, evidence.text).split()[: settings.max_answer_words * 2])
    reply = backend.generate(messages, answer_schema(sentence, settings.max_answer_words),
                             max_tokens=settings.max_answer_words * 4)
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
    """The phrase the answer shows, grown from the model's words to a whole constituent of the sentence.

    What kind of answer the question wants shapes it: a yes/no question is answered by the whole
    statement; "what did X say" by the quoted words; a question that needs a value ("how many",
    "when") or a place by the phrase around an entity of that sort (nearest to the model's words),
    or by nothing when the sentence holds none. A phrase that only repeats what the question already
    says (the name it asks about) answers nothing, so the whole sentence stands in for it.
    """
    sentence = evidence.text.strip()
    if question.kind == "polar":
        return sentence
    at = locate(words, sentence) or (0, 0)
    if question.kind == "statement":
        quoted = quotations(sentence)
        return max(quoted, key=len) if quoted else sentence
    needed = STRICT_KINDS.get(question.kind or "") or ANCHORED_KINDS.get(question.kind or "")
    if needed:
        asked = {n.lower() for n in question.names}
        values = [e for e in language.parse(sentence).ents
                  if e.label_ in needed and not any(e.text.lower() in n or n in e.text.lower() for n in asked)]
        if not values and question.kind in STRICT_KINDS:
            return ""  # the sentence holds no value of the asked-for sort: it cannot answer
        inside = [e for e in values if e.start_char < at[1] and e.end_char > at[0]]
        if values and (question.kind in STRICT_KINDS or not inside):
            value = inside[0] if inside else min(values, key=lambda e: abs(e.start_char - at[0]))
            words, at = value.text, (value.start_char, value.end_char)
    argument = role_argument(sentence, question.predicate, question.role)
    if argument is not None:
        # The parse knows who did what to whom: "who was accused" is the one accused, whatever words
        # the model copied (a small model often copies the accuser). The argument is a whole phrase.
        claim = sentence[argument[0] : argument[1]]
        return claim if _adds_to(claim, question) else sentence
    if question.kind not in ("actor", "place") and at != (0, 0):
        at = clause_of_argument(sentence, at)  # "how did X respond?" is answered by what X did, not by X
    claim = answer_phrase(words, sentence, max_words=settings.max_claim_words, where=at if words else None)
    return claim if _adds_to(claim, question) else sentence


def _adds_to(claim: str, question: Question) -> bool:
    """Does the phrase say something the question does not already say?"""
    asked = set(analyze(question.ask))
    return bool(set(analyze(claim)) - asked)


def _labels(text: str) -> set[str]:
    return {label for _, label, _, _ in language.entities(text)}


def _has_digit(text: str) -> bool:
    return any(ch.isdigit() for ch in text)


def _candidates(passages: Sequence[Evidence], settings: ReadingSettings) -> list[Evidence]:
    best = max(ev.score for ev in passages)
    ranked = sorted(passages, key=lambda ev: -ev.score)
    return [ev for ev in ranked[: settings.candidates]
            if ev.score >= settings.candidate_floor * best or ev is ranked[0]]


def _logit(p: float) -> float:
    p = min(max(p, 1e-4), 1 - 1e-4)
    return math.log(p / (1 - p))


def p_right(p_yes: float, score: float, p_check: float, whole: bool, settings: ReadingSettings) -> float:
    """The answer rule: how likely a phrase is a right answer, from the reading and checking signals."""
    s = settings
    z = (s.weight_sentence * _logit(p_yes) + s.weight_retrieval * score + s.weight_check * _logit(p_check)
         + s.weight_whole * float(whole) + s.bias)
    return 1.0 / (1.0 + math.exp(-z))


@dataclass(frozen=True)
class _Draft:
    judged: _Judged
    words: str = ""
    claim: str = ""


def _draft(backend: Backend, prompt: Prompt, question: Question, passages: Sequence[Evidence],
           settings: ReadingSettings) -> _Draft:
    """One article's best sentence and, when it clears the bar, the phrase it answers with."""
    # Strongest retrieval first; the next candidate is read only while no sentence convinces the model
    # (on the tune splits, judging three per article instead of one found the right sentence 1 time in 40).
    judged: list[_Judged] = []
    for ev in _candidates(passages, settings):
        if judged and max(j.p_yes for j in judged) >= settings.second_look:
            break
        judged.append(_judge(backend, prompt, question.ask, ev, settings))
    best = max(judged, key=lambda j: j.rank)
    log.debug("%s: %s", passages[0].doc_id, [(j.evidence.id, round(j.p_yes, 2), round(j.rank, 2)) for j in judged])
    if best.p_yes < settings.read_bar:
        return _Draft(best)
    words = _extract(backend, prompt, question.ask, best.evidence, settings)
    return _Draft(best, words, _claim(words, best.evidence, question, settings))


def _finding(backend: Backend, question: Question, draft: _Draft, settings: ReadingSettings) -> Finding:
    judged = draft.judged
    silent = Finding(judged.evidence.doc_id, judged.evidence, p_yes=judged.p_yes, words=draft.words)
    if not draft.claim:
        return silent
    p_check = check_claim(backend, question, draft.claim)
    whole = draft.claim.strip() == judged.evidence.text.strip()
    right = p_right(judged.p_yes, judged.evidence.score, p_check, whole, settings)
    log.debug("%s: words %r claim %r check %.2f right %.2f", judged.evidence.doc_id, draft.words, draft.claim,
              p_check, right)
    if right < settings.answer_bar:
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
