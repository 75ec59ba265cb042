"""Acceptance: is an article's reading an answer to the question, or only a related phrase it could copy?

The reader copies some words from nearly every article it is shown; P("yes") over a whole article alone does
not tell an answer from a neighbouring fact. Each reading is judged on clues that code reads off it, combined
by one logistic score whose weights were fitted on the tune splits (``bench/acceptance.py``; every weight and
the bar live in ``AcceptSettings``):

- ``p_yes``: the reader's P("yes") that the article answers, as a log-odds;
- ``fluency``: how readily the model writes the copied words unconstrained (their mean log-probability);
- ``rank``: where the cited sentence stands among its article's sentences by the question's retrieval score
  (an answer sits in a sentence retrieval already found relevant; a related phrase often does not). Only the
  article's own sentences are compared: against the best sentence of any article, the minority side of a
  real disagreement would always look weaker;
- ``echo``: the share of the copied words' content terms that the question itself holds (copying the
  question's own subject back answers nothing);
- ``typed``: whether the copied words hold a value of the kind the question asks for (a person or
  organisation for "who", a time for "when", an amount for "how many": spaCy's entity labels; a date or a
  duration also has that kind's shape, ``text.SENTENCE_SHAPES``), 0.5 when the question asks for no
  particular kind, 0 when the words are only a time and the question asks for anything but a time.

A reading under the bar keeps its P("yes") but loses its words: the article is silent on the question.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, replace
from typing import Sequence

from . import language
from .settings import AcceptSettings
from .text import analyze
from .types import Finding, Question, Retrieval

__all__ = ["Clues", "clues", "features", "score", "accept", "KINDS"]

# The entity labels of spaCy's English pipeline (OntoNotes) that carry each kind of value a question asks for.
KINDS: dict[str, frozenset[str]] = {
    "agent": frozenset({"PERSON", "ORG", "NORP", "GPE"}),
    "date": frozenset({"DATE", "TIME", "EVENT"}),
    "duration": frozenset({"DATE", "TIME"}),
    "quantity": frozenset({"CARDINAL", "QUANTITY", "MONEY", "PERCENT"}),
    "location": frozenset({"GPE", "LOC", "FAC", "ORG"}),
}


@dataclass(frozen=True)
class Clues:
    """What code reads off one reading (see the module's docstring)."""

    p_yes: float
    fluency: float
    rank: int
    echo: float
    typed: float

    def as_row(self) -> dict[str, float]:
        return asdict(self)


def _echo(phrase: str, question: Question) -> float:
    terms = analyze(phrase)
    if not terms:
        return 1.0
    own = set(question.terms)
    return sum(t in own for t in terms) / len(terms)


def _only_a_time(doc, lo: int, hi: int) -> bool:
    """Whether every content word of the copied words [lo, hi) of ``doc`` lies in a time expression."""
    words = [t for t in doc if lo <= t.idx < hi and not (t.is_stop or t.is_punct)]
    return bool(words) and all(t.ent_type_ in ("DATE", "TIME") for t in words)


def _typed(finding: Finding, question: Question) -> float:
    sentence = finding.sentence
    if sentence is None:
        return 0.5
    lo, hi = finding.start - sentence.start, finding.end - sentence.start
    doc = language.parse(sentence.text)
    if question.answer_type not in ("date", "duration") and _only_a_time(doc, lo, hi):
        return 0.0  # a time is no answer to a question that asks for something else ("how was it done?")
    kinds = KINDS.get(question.answer_type or "")
    if kinds is None:
        return 0.5
    labelled = any(e.label_ in kinds and e.start_char < hi and e.end_char > lo for e in doc.ents)
    if question.answer_type in ("date", "duration"):  # the recogniser calls both DATE: the shape tells them apart
        shape = question.sentence_shape
        return 1.0 if labelled and shape is not None and shape.search(finding.phrase) else 0.0
    if labelled:
        return 1.0
    # A proper name the recogniser did not label ("Northfield") still names someone or somewhere.
    if question.answer_type in ("agent", "location") and any(t.pos_ == "PROPN" and lo <= t.idx < hi for t in doc):
        return 1.0
    if question.answer_type == "quantity" and any(ch.isdigit() for ch in finding.phrase):
        return 1.0
    return 0.0


def _rank(finding: Finding, retrieval: Retrieval, sentences: Sequence) -> int:
    """The cited sentence's place among its article's sentences by retrieval score (last when never scored)."""
    own = retrieval.scores.get(finding.sentence.key) if finding.sentence else None
    if own is None:
        return len(sentences)
    return sum(retrieval.scores[s.key] > own for s in sentences if s.key in retrieval.scores)


def clues(finding: Finding, question: Question, retrieval: Retrieval, sentences: Sequence) -> Clues:
    """The clues of one answering reading; ``sentences`` are its article's sentences (``Span``s)."""
    fluency = finding.fluency if finding.fluency is not None else 0.0
    rank = _rank(finding, retrieval, sentences)
    return Clues(finding.p_yes, fluency, rank, _echo(finding.phrase, question), _typed(finding, question))


def _logit(p: float) -> float:
    p = min(max(p, 1e-4), 1 - 1e-4)
    return math.log(p / (1 - p))


def features(c: Clues, settings: AcceptSettings) -> dict[str, float]:
    """The clues as the logistic model reads them (``AcceptSettings.w_<name>`` weighs each): P("yes") as
    log-odds, fluency floored, rank capped, and ``mismatch``, 1 when the question asks for a kind of value and
    the copied words hold none (a count for "how many" that is a duration, a place for "who")."""
    return {
        "p_yes": _logit(c.p_yes),
        "fluency": max(c.fluency, -10.0),
        "rank": float(min(c.rank, settings.max_rank)),
        "echo": c.echo,
        "typed": c.typed,
        "mismatch": 1.0 if c.typed == 0.0 else 0.0,
    }


def score(c: Clues, settings: AcceptSettings) -> float:
    """The probability, by the fitted logistic model, that the reading answers the question."""
    z = settings.bias + sum(getattr(settings, f"w_{k}") * v for k, v in features(c, settings).items())
    return 1.0 / (1.0 + math.exp(-z))


def accept(
    findings: Sequence[Finding], question: Question, retrieval: Retrieval, sentences: dict, settings: AcceptSettings
) -> list[Finding]:
    """The findings, each answering one kept only when its score reaches ``settings.bar``; the others keep
    their P("yes") and lose their words (the article is silent). ``sentences``: doc id -> its sentences."""
    kept = []
    for f in findings:
        if f.answers and score(clues(f, question, retrieval, sentences[f.doc_id]), settings) < settings.bar:
            f = replace(f, phrase="", sentence=None)
        kept.append(f)
    return kept
