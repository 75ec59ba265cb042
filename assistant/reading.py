"""Per-article reading, one sentence at a time: does it answer, and in which of its words?

Each candidate sentence of each article is judged on its own (P("yes") read from the model's
next-token distribution, blended with the retrieval score), so one article's answer can never
leak into another's and every article can say "nothing here". Only the best sentence of an
article, if it clears the bar, is then asked for its answering words, under a schema that admits
nothing but a run of words copied from that sentence.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass
from typing import Generator, Sequence

from .backends.base import Backend
from .phrases import answer_phrase
from .prompts import Prompt, load_prompt
from .settings import ReadingSettings
from .text import clean_phrase
from .tokens import count_tokens
from .types import Event, Evidence, Finding, Question, Retrieval

__all__ = ["Judgement", "reading_steps", "answer_schema", "substring_pattern", "verbatim_phrase"]

log = logging.getLogger(__name__)

# llama-cpp-python's regex-to-grammar converter unescapes only these; others go in a class.
_BACKSLASH_ESCAPED = set("[]()|{}*+?")
_CLASS_ESCAPED = set(".$/")


@dataclass(frozen=True)
class Judgement:
    evidence: Evidence
    p_yes: float
    confidence: float  # logit(P(yes)) blended with the retrieval score


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
        "properties": {
            "answers": {"const": "yes"},
            "words": {"type": "string", "pattern": substring_pattern(sentence, max_words)},
        },
        "required": ["answers", "words"],
    }


def verbatim_phrase(phrase: str, sentence: str) -> str:
    """The phrase if it is a run of the sentence's words; endpoints without grammars may paraphrase."""
    phrase = clean_phrase(" ".join(str(phrase).split()))
    flat = " ".join(sentence.split())
    if phrase and phrase in flat:
        return phrase
    return ""


def shown_text(evidence: Evidence, budget: int = ReadingSettings.max_sentence_tokens) -> str:
    """The sentence as the model sees it: whitespace flattened, and cut to a token budget so that a
    runaway "sentence" (a table, a list without full stops) can never overflow the context."""
    words = evidence.text.split()
    text = " ".join(words)
    while len(words) > 8 and count_tokens(text) > budget:
        words = words[: int(len(words) * 0.8)]
        text = " ".join(words)
    return text


def _messages(prompt: Prompt, question: str, evidence: Evidence, settings: ReadingSettings) -> list[dict]:
    return prompt.messages(question=question, sentence=shown_text(evidence, settings.max_sentence_tokens))


def judge(backend: Backend, prompt: Prompt, question: str, evidence: Evidence, settings: ReadingSettings) -> Judgement:
    messages = _messages(prompt, question, evidence, settings)
    probs = backend.probabilities(messages, ["yes", "no"], reply_prefix=prompt.reply_prefix)
    p = min(max(probs.get("yes", 0.0), 1e-4), 1 - 1e-4)
    confidence = math.log(p / (1 - p)) + settings.retrieval_weight * evidence.score
    return Judgement(evidence, p, confidence)


def extract(backend: Backend, prompt: Prompt, question: str, evidence: Evidence, settings: ReadingSettings) -> str:
    reply = backend.generate(
        _messages(prompt, question, evidence, settings),
        answer_schema(shown_text(evidence, settings.max_sentence_tokens), settings.max_answer_words),
        max_tokens=settings.max_answer_words * 4,
    )
    if not isinstance(reply, dict):
        return ""
    return verbatim_phrase(reply.get("words", ""), evidence.text)


def _candidates(passages: Sequence[Evidence], settings: ReadingSettings) -> list[Evidence]:
    best = max(ev.score for ev in passages)
    ranked = sorted(passages, key=lambda ev: -ev.score)
    return [
        ev for ev in ranked[: settings.candidates] if ev.score >= settings.candidate_floor * best or ev is ranked[0]
    ]


def _judge_article(
    backend: Backend, prompt: Prompt, question: str, passages: Sequence[Evidence], settings: ReadingSettings
) -> list[Judgement]:
    """The article's candidates, judged, best first."""
    # Weakest first: the strongest candidate, the likeliest winner, is judged last, so when it wins
    # its prompt is still in the model's KV cache for the extraction call.
    judged = [judge(backend, prompt, question, ev, settings) for ev in reversed(_candidates(passages, settings))]
    log.debug(
        "%s: %s", passages[0].doc_id, [(j.evidence.id, round(j.p_yes, 2), round(j.confidence, 2)) for j in judged]
    )
    return sorted(judged, key=lambda j: -j.confidence)


def _runners_up(judged: list[Judgement], settings: ReadingSettings) -> tuple[Evidence, ...]:
    best = judged[0]
    close = [
        j.evidence
        for j in judged[1:]
        if j.p_yes >= settings.second_p and j.confidence >= best.confidence - settings.second_gap
    ]
    return tuple(close[:1])  # one more at most: completeness without burying the answer


def _passes(judgement: Judgement, top: float, settings: ReadingSettings) -> bool:
    return (
        judgement.p_yes >= settings.veto
        and judgement.confidence >= settings.accept
        and judgement.confidence >= top - settings.margin
    )


def reading_steps(
    backend: Backend, retrieval: Retrieval, settings: ReadingSettings
) -> Generator[Event, None, list[Finding]]:
    """Judge every article's candidates, then extract words only from the articles that clear the bar.
    Yields a ``reading`` event as each article is started; returns the findings.

    The bar is absolute (``accept``) and relative (within ``margin`` of the most confident article):
    when one article plainly answers and the rest only brush the topic, the rest stay silent.
    """
    prompt = load_prompt("read_sentence")
    backend.warm(prompt.prefix())
    question = retrieval.question
    groups = retrieval.by_article()
    best: dict[str, Judgement] = {}
    also: dict[str, tuple[Evidence, ...]] = {}
    words: dict[str, str] = {}
    top = float("-inf")
    for n, (doc_id, passages) in enumerate(groups.items(), 1):
        yield Event("reading", f"Reading article {n} of {len(groups)} ({doc_id})", n, len(groups), doc_id)
        judged = _judge_article(backend, prompt, question.text, passages, settings)
        judgement = best[doc_id] = judged[0]
        also[doc_id] = _runners_up(judged, settings)
        top = max(top, judgement.confidence)
        # Extract now while the sentence is still in the KV cache, if the article is in the running.
        if judgement.evidence is _candidates(passages, settings)[0] and _passes(judgement, top, settings):
            words[doc_id] = extract(backend, prompt, question.text, judgement.evidence, settings)
    return [_finding(backend, prompt, question, j, also[d], words.get(d), top, settings) for d, j in best.items()]


def _finding(
    backend: Backend,
    prompt: Prompt,
    question: Question,
    judgement: Judgement,
    also: tuple[Evidence, ...],
    words: str | None,
    top: float,
    settings: ReadingSettings,
) -> Finding:
    """One article's finding: silent unless its best sentence clears the bar; words extracted if not yet."""
    doc_id = judgement.evidence.doc_id
    if not _passes(judgement, top, settings):
        return Finding(doc_id, None, confidence=judgement.confidence)
    if words is None:
        words = extract(backend, prompt, question.text, judgement.evidence, settings)
    phrase = answer_phrase(
        words, judgement.evidence.text, question, statement=question.statement, max_words=settings.max_answer_words
    )
    return Finding(doc_id, judgement.evidence, phrase, judgement.confidence, words, also)
