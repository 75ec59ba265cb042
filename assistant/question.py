"""What a question asks for: its expected answer type, its key terms, and any source it is scoped to.

Pure text analysis, no model: retrieval uses it to boost sentences of the right shape (a "how long"
question favours duration phrases) and to keep a question that names its source ("according to
GCHQ") to the articles that mention that source.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from .errors import BadQuestion
from .text import analyze

__all__ = ["Question", "parse_question", "is_statement_question", "ANSWER_SHAPES", "MAX_QUESTION_CHARS"]

MAX_QUESTION_CHARS = 2000

_NUMBER_WORDS = r"(?:one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|fifteen|eighteen|twenty|thirty|forty|fifty|hundred|thousand|several|a few|many|dozens? of)"
_UNITS = r"(?:seconds?|minutes?|hours?|days?|weeks?|months?|years?|decades?)"
_MONTHS = r"(?:January|February|March|April|May|June|July|August|September|October|November|December)"

# answer type -> (pattern in the question, pattern a sentence must contain to be that shape)
ANSWER_SHAPES: dict[str, tuple[re.Pattern, re.Pattern]] = {
    "duration": (
        re.compile(
            r"\bhow long\b|\bfor how long\b|\bduration\b|\bover what (?:period|time)\b|\bhow many (?:days|weeks|months|years)\b|\btime ?frame\b|\bspan\b",
            re.I,
        ),
        re.compile(
            rf"\b(?:\d+|{_NUMBER_WORDS})[\s-]+{_UNITS}\b|\b(?:for|over|during|within)\s+(?:\w+\s+){{0,2}}{_UNITS}\b",
            re.I,
        ),
    ),
    "date": (
        re.compile(
            r"\bwhen\b|\bwhat (?:exact )?(?:date|day|year|month|time)\b|\bwhich (?:date|day|year|month)\b|\bon what\b.*\bdate\b",
            re.I,
        ),
        re.compile(
            rf"\b{_MONTHS}\b|\b(?:19|20)\d\d\b|\b(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday)\b|\b(?:last|next|this) (?:year|month|week)\b|\b\w+ (?:days|weeks|months|years) (?:ago|before|after|earlier|later)\b|\byesterday\b",
            re.I,
        ),
    ),
    "quantity": (
        re.compile(
            r"\bhow (?:much|many)\b|\bwhat (?:amount|sum|percentage|proportion|number|size|value)\b|\bnumbers?\b|\bhow (?:big|large)\b|\bcost\b|\bworth\b",
            re.I,
        ),
        re.compile(
            rf"[£$€¥]\s?\d[\d,.]*(?:\s?(?:million|billion|trillion|bn|m|k)\b)?|\b\d[\d,.]*\s?(?:%|percent|per cent|million|billion|trillion|bn|m)?\b|\b(?:million|billion|trillion|terabytes?|gigabytes?|petabytes?)\b|\b{_NUMBER_WORDS}\b",
            re.I,
        ),
    ),
    "agent": (
        re.compile(
            r"^\W*(?:who|whom)\b|\bwho (?:is|was|were|wrote|said|made|filed|carried|stole|did)\b|\bwhose\b|\bwhich (?:person|official|expert|executive|author|journalist|reporter|spokes\w+|company|firm|agency|body|organi[sz]ation|newspaper|publication|paper|outlet|government|country|lab|institute|group|entity|department|authority|authorities|agencies)\b|\bname of\b",
            re.I,
        ),
        re.compile(r"(?<![.!?]\s)(?<!^)\b[A-Z][\w’'-]*[A-Za-z]|\b[A-Z]{2,}\b"),
    ),
    "location": (
        re.compile(
            r"\bwhere\b|\bwhich (?:city|country|place|location|region)\b|\bin what (?:city|country|place)\b", re.I
        ),
        re.compile(r"\b(?:in|at|from|to|with|into|across)\s+(?:the\s+)?[A-Z]\w+"),
    ),
    "reason": (
        re.compile(
            r"^\W*why\b|\bwhat (?:was|is|were) the (?:reason|motive|motivation|purpose)\b|\bfor what reason\b", re.I
        ),
        re.compile(
            r"\b(?:because|due to|in order to|so that|aims?|aimed|seeking|motive|reason|purpose|intend\w*)\b", re.I
        ),
    ),
    "manner": (
        re.compile(r"^\W*how (?:was|were|did|do|does|is|are|had|has|could)\b", re.I),
        re.compile(r"\b(?:through|by|using|via|exploit\w*|techniques?|methods?|means)\b", re.I),
    ),
}

# The first matching type wins: "how long" must be a duration before "how was/did" is a manner.
_TYPE_ORDER = ("duration", "date", "quantity", "reason", "location", "agent", "manner")

_SCOPE_PATTERNS = (
    re.compile(r"\baccording to (?:the )?(?P<src>[^,?.;:]+)", re.I),
    re.compile(
        r"\b(?:piece|article|report|column|story|op-ed|editorial)\b[^,?;:]{0,25}?\bby (?P<src>[A-Z][\w’'-]+(?: [A-Z][\w’'-]+){0,3})"
    ),
    re.compile(
        r"\b(?:what|how) (?:did|does|has|had|do|have) (?P<src>[^,?.;:]+?) (?:say|said|state|claim|report|warn|describe|tell|allege|write|announce)\w*\b",
        re.I,
    ),
    re.compile(
        r"\b(?:in|by) (?:the )?(?P<src>[\w’'. -]+?)(?:'s|’s) (?:report|statement|briefing|brief|complaint|alert|press release|article|piece|column|account|assessment)\b",
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


# What a strict question demands of an answer, beyond its type.
_NAMING = re.compile(
    r"\b(?:the name of|name of the|what is .{0,40}\bcalled|what was .{0,40}\bcalled|named what|what name)\b", re.I
)
_EXACT_DATE = re.compile(r"\b(?:date|exact|exactly|which day|what day)\b", re.I)
ABSOLUTE_DATE = re.compile(
    rf"\b{_MONTHS}\b|\b(?:19|20)\d\d\b|\b(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday)\b|\b\d{{1,2}}/\d{{1,2}}(?:/\d{{2,4}})?\b",
    re.I,
)
_CURRENCIES = {
    "dollar": re.compile(r"\$|\bdollars?\b|\bUSD\b", re.I),
    "pound": re.compile(r"£|\bpounds?\b|\bsterling\b|\bGBP\b", re.I),
    "euro": re.compile(r"€|\beuros?\b|\bEUR\b", re.I),
    "yuan": re.compile(r"¥|\byuan\b|\brenminbi\b|\bRMB\b", re.I),
}


_MONEY_WORDS = re.compile(
    r"\b(?:fines?|fined|cost|costs|price|worth|paid|pay|funding|funded|budget|salary|revenue|damages|compensation|spent|spend)\b",
    re.I,
)
_ANY_MONEY = re.compile(r"[£$€¥]|\b(?:dollars?|pounds?|euros?|yuan|sterling)\b", re.I)


def _currency(text: str) -> str | None:
    named = next((name for name, pattern in _CURRENCIES.items() if pattern.search(text)), None)
    return named or ("any" if _MONEY_WORDS.search(text) else None)


@dataclass(frozen=True)
class Question:
    text: str
    answer_type: str | None
    terms: tuple[str, ...]  # stemmed content terms
    scope_terms: tuple[str, ...] = field(default=())  # stemmed terms of the source the question names
    naming: bool = False  # asks for a name: a description ("a British lab") does not answer it
    exact_date: bool = False  # asks for a date: "weeks before the summit" does not answer it
    currency: str | None = None  # asks for an amount in this currency: £200m does not answer "how many dollars"

    def accepts(self, phrase: str) -> bool:
        """Does an answer phrase have what this question strictly demands (beyond being relevant)?"""
        if self.answer_type in ("duration", "date", "quantity") and not ANSWER_SHAPES[self.answer_type][1].search(
            phrase
        ):
            return False
        if self.exact_date and self.answer_type == "date" and not ABSOLUTE_DATE.search(phrase):
            return False
        if self.currency and not (_ANY_MONEY if self.currency == "any" else _CURRENCIES[self.currency]).search(phrase):
            return False
        return True

    @property
    def strict(self) -> bool:
        """An answer without the asked shape answers nothing (rather than being a weaker answer)."""
        return self.answer_type in ("duration", "date", "quantity") or self.naming or bool(self.currency)

    @property
    def sentence_shape(self) -> re.Pattern | None:
        return ANSWER_SHAPES[self.answer_type][1] if self.answer_type else None


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


def parse_question(text: object) -> Question:
    if not isinstance(text, str):
        raise BadQuestion("the question must be text")
    cleaned = " ".join(text.split())
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
        naming=bool(_NAMING.search(cleaned)),
        exact_date=answer_type == "date" and bool(_EXACT_DATE.search(cleaned)),
        currency=_currency(cleaned) if answer_type == "quantity" else None,
    )


# "What did X say (about Y)?", "What warning did X give?": asks for statements, which complement
# each other rather than conflict.
_STATEMENT_QUESTION = re.compile(
    r"^\W*(?:what|which)\b[^?]*\b(?:say|says|said|state|stated|claim|claimed|warn|warned|warning|warnings|argue|argued|"
    r"tell|told|comment|commented|quote|quoted|words|statement|remarks?|describe|described|call for|called for)\b",
    re.I,
)


def is_statement_question(question: Question) -> bool:
    """'What did X say?' has complementary answers (several quotes), never a disagreement."""
    return bool(_STATEMENT_QUESTION.search(question.text))
