"""Turn the model's copied words into a readable answer phrase, in code, inside the cited sentence.

A 1.5B model copies too little ("Dario Amodei" for what Amodei said, "Alibaba" for how Alibaba
responded). Every phrase here is still a run of the sentence's own characters; the question's
shape decides how far to widen it: to the quotation for "what did X say", to the duration/date/
amount expression for those questions, to the whole clause for how/why/what questions.
"""

from __future__ import annotations

import re

from .text import ANSWER_SHAPES, EDGE_PUNCT, analyze, is_abbreviation
from .types import Question

__all__ = ["answer_phrase", "clause_around", "quotation"]

_CLAUSE_BREAK = re.compile(r"[,;:—–()]\s+|\s+[—–]\s+|\s\(")
_QUOTE = re.compile(r"[“\"]([^”\"]{12,})[”\"]")
_MIN_CLAUSE_TERMS = 3


def quotation(sentence: str) -> str | None:
    """The words someone is quoted as saying, if the sentence quotes anyone."""
    match = _QUOTE.search(sentence)
    return match.group(1).strip(EDGE_PUNCT) if match else None


def _bounds(sentence: str) -> list[tuple[int, int]]:
    cuts = [0] + [m.end() for m in _CLAUSE_BREAK.finditer(sentence)] + [len(sentence)]
    return [(a, b) for a, b in zip(cuts, cuts[1:]) if sentence[a:b].strip(EDGE_PUNCT)]


def clause_around(sentence: str, start: int, end: int) -> str:
    """The clause(s) containing [start, end), widened until the phrase carries a few content words."""
    pieces = _bounds(sentence)
    first = next((i for i, (a, b) in enumerate(pieces) if a <= start < b), 0)
    last = next((i for i, (a, b) in enumerate(pieces) if a < end <= b), len(pieces) - 1)
    while len(analyze(sentence[pieces[first][0] : pieces[last][1]])) < _MIN_CLAUSE_TERMS and (
        first > 0 or last < len(pieces) - 1
    ):
        if last < len(pieces) - 1:
            last += 1
        else:
            first -= 1
    return sentence[pieces[first][0] : pieces[last][1]].strip(EDGE_PUNCT)


_LEAD_IN = frozenset(
    "over for during within in by about around nearly almost some roughly more than at least just until since "
    "last past a an the period of up to".split()
)


def _with_lead_in(sentence: str, start: int, end: int) -> str:
    """An amount with the words that frame it: 'eighteen months' -> 'over a period of eighteen months'."""
    before = sentence[:start].split()
    taken = 0
    while (
        taken < min(5, len(before))
        and before[-1 - taken].lower().strip(EDGE_PUNCT) in _LEAD_IN
        and not re.search(r"[,;:]$", before[-1 - taken])
    ):
        taken += 1
    lead = " ".join(before[len(before) - taken :]) if taken else ""
    return (lead + " " + sentence[start:end]).strip(EDGE_PUNCT) if lead else sentence[start:end].strip(EDGE_PUNCT)


def _locate(words: str, sentence: str) -> tuple[int, int] | None:
    if not words:
        return None
    at = sentence.find(words)
    if at >= 0:
        return at, at + len(words)
    flat_words = re.escape(words).replace("\\ ", r"\s+")
    match = re.search(flat_words, sentence)
    return (match.start(), match.end()) if match else None


def _names_beyond_question(words: str, question: Question) -> bool:
    """Does the phrase name someone the question does not already name?"""
    asked = set(question.terms)
    return any(not set(analyze(m.group(0))) <= asked for m in re.finditer(r"\b[A-Z][\w’'-]*", words))


# "Which body reacted, and what did it do?" asks for more than a name.
_COMPOUND = re.compile(r"\b(?:and|or)\s+(?:what|how|why|when|where|which|whom?|did|was|were)\b", re.I)
_NAME_PHRASE_STOP = frozenset(
    "of has have had is was were are be been to by for in on with that who which whose said says say accused alleged "
    "denied claimed after before while when where as at from over into and but or".split()
)


def _leading_name_phrase(words: str, question: Question) -> str | None:
    """'Alibaba of orchestrating a heist…' -> 'Alibaba'; 'a Chinese state-backed entity of…' -> the entity.

    The model finds where the actor is named but rarely stops after it; the actor's noun phrase
    ends at the first preposition, verb or comma.
    """
    taken = []
    for token in words.split()[:10]:
        bare = token.strip(EDGE_PUNCT)
        if not bare or (taken and bare.lower() in _NAME_PHRASE_STOP):
            break
        taken.append(bare if token.endswith((",", ";", ":")) else token)
        if token.endswith((",", ";", ":")) or (token.endswith(".") and not is_abbreviation(bare)):
            break
    phrase = " ".join(taken).strip(EDGE_PUNCT)
    return phrase if phrase and _names_beyond_question(phrase, question) else None


def answer_phrase(
    words: str, sentence: str, question: Question, *, statement: bool = False, max_words: int = 16
) -> str:
    """A phrase of ``sentence`` answering ``question``, grown from the model's ``words``."""
    if statement:
        quoted = quotation(sentence)
        if quoted:
            return quoted
    where = _locate(words, sentence)
    kind = question.answer_type
    if kind in ("duration", "date", "quantity"):
        shape = ANSWER_SHAPES[kind][1]
        matches = list(shape.finditer(sentence))
        if matches:
            near = min(matches, key=lambda m: abs(m.start() - where[0]) if where else 0)
            return _with_lead_in(sentence, near.start(), near.end())
    if kind == "agent" and where is not None and not _COMPOUND.search(question.text):
        actor = _leading_name_phrase(words, question)
        if actor:
            return actor  # a name is the answer; widening would add other actors
    if where is None or len(words.split()) >= max_words - 1:
        # No usable words, or the model was copying wholesale and hit the limit: the whole
        # sentence says it better than a cut-off fragment.
        return sentence.strip(EDGE_PUNCT)
    if len(analyze(words)) >= _MIN_CLAUSE_TERMS + 1:
        return words.strip(EDGE_PUNCT)
    return clause_around(sentence, *where)
