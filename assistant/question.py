"""What a question asks for: its expected answer type, its key terms, and any source it is scoped to.

Pure text analysis, no model: retrieval uses it to boost sentences of the right shape (a "how long"
question favours duration phrases) and to keep a question that names its source ("according to
GCHQ") to the articles that mention that source.
"""

from __future__ import annotations

import re

from .errors import BadQuestion
from .text import ANSWER_SHAPES, analyze, flatten
from .types import Question

__all__ = ["parse_question", "question_parts", "MAX_QUESTION_CHARS"]

MAX_QUESTION_CHARS = 2000

# The first matching type wins: "how long" must be a duration before "how was/did" is a manner.
_TYPE_ORDER = ("duration", "date", "quantity", "reason", "location", "agent", "manner")

_SCOPE_PATTERNS = (
    re.compile(r"\baccording to (?:the )?(?P<src>[^,?.;:]+)", re.I),
    re.compile(
        r"\b(?:piece|article|report|column|story|op-ed|editorial)\b[^,?;:]{0,25}?"
        r"\bby (?P<src>[A-Z][\w’'-]+(?: [A-Z][\w’'-]+){0,3})"
    ),
    re.compile(
        r"\b(?:in|by) (?:the )?(?P<src>[\w’'. -]+?)(?:'s|’s) (?:report|statement|briefing|brief|complaint|alert|"
        r"press release|article|piece|column|account|assessment)\b",
        re.I,
    ),
)
# Interrogatives and auxiliaries carry no content; as search terms they only add noise.
_QUESTION_WORDS = frozenset(
    analyze(
        "who whom whose what which when where why how did does do done was were is are be been being has have had "
        "exactly exact precisely out tell me please say said according kind sort"
    )
)
# A scope naming the corpus itself ("according to the articles") restricts nothing.
_GENERIC_SOURCES = frozenset(
    analyze(
        "article articles report reports source sources story stories news coverage piece pieces publication "
        "publications media press text texts them it this these those you reporting the coverage documents"
    )
)


def _answer_type(text: str) -> str | None:
    for name in _TYPE_ORDER:
        if ANSWER_SHAPES[name][0].search(text):
            return name
    return None


_TITLES = re.compile(r"\b(Dr|Mr|Mrs|Ms|Prof|Sen|Rep|Gen|Gov|St)\.")


def _scope_terms(text: str) -> tuple[str, ...]:
    text = _TITLES.sub(r"\1", text)  # "Dr. Helena Morrison": the full stop ends no clause
    for pattern in _SCOPE_PATTERNS:
        match = pattern.search(text)
        if match:
            src = re.sub(r"(?:'s|’s)\b.*$", "", match.group("src"))
            terms = tuple(t for t in dict.fromkeys(analyze(src)) if t not in _GENERIC_SOURCES)
            if terms:
                return terms
    return ()


# "What did X say (about Y)?", "What warning did X give?": asks for statements, which complement
# each other rather than conflict.
_STATEMENT_QUESTION = re.compile(
    r"^\W*(?:what|which)\b[^?]*\b(?:say|says|said|state|stated|claim|claimed|warn|warned|warning|warnings|argue|argued|"
    r"tell|told|comment|commented|quote|quoted|words|statement|remarks?|describe|described|call for|called for)\b",
    re.I,
)


# A question that asks two things ("Who is X and what did she warn about?"): each part is answered.
_PART_BREAK = re.compile(r",?\s+and\s+(?=(?:who|whom|what|when|where|why|how|which)\b)", re.I)


def question_parts(text: str) -> tuple[str, ...]:
    """The parts of a question that asks several things, each a question of its own; one part otherwise."""
    parts = [p.strip(" ,;") for p in _PART_BREAK.split(text) if p.strip(" ,;")]
    if len(parts) < 2:
        return (text,)
    return tuple(p[:1].upper() + p[1:].rstrip("?") + "?" for p in parts)


def parse_question(text: object) -> Question:
    if not isinstance(text, str):
        raise BadQuestion("the question must be text")
    cleaned = flatten(text)
    if not cleaned:
        raise BadQuestion("the question is empty")
    if len(cleaned) > MAX_QUESTION_CHARS:
        raise BadQuestion(f"the question is {len(cleaned)} characters long; the limit is {MAX_QUESTION_CHARS}")
    if not any(ch.isalnum() for ch in cleaned):
        raise BadQuestion("the question has no words in it")
    answer_type = _answer_type(cleaned)
    return Question(
        text=cleaned,
        answer_type=answer_type,
        terms=tuple(t for t in dict.fromkeys(analyze(cleaned)) if t not in _QUESTION_WORDS),
        scope_terms=_scope_terms(cleaned),
        statement=bool(_STATEMENT_QUESTION.search(cleaned)),
        parts=question_parts(cleaned),
    )
