"""Which articles agree and which disagree, decided in code from what each one said.

Each article's answer phrase is reduced to a signature: the names it uses, the quantities it gives
(value and unit), and its distinctive terms weighted by rarity in the corpus. Two answers disagree
when they give different quantities of the same unit, or name disjoint actors with little else in
common, or share too little distinctive content. A model is never asked to notice disagreement.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from typing import Callable, Sequence

from .settings import CompareSettings
from .text import NUMBER_WORDS, analyze, stem
from .types import Finding, Group, Question

__all__ = ["Signature", "signature", "same_answer", "group_findings", "idf_from_counts"]

_UNIT_CANON = {
    "second": "second",
    "minute": "minute",
    "hour": "hour",
    "day": "day",
    "week": "week",
    "month": "month",
    "year": "year",
    "decade": "decade",
    "million": "million",
    "billion": "billion",
    "trillion": "trillion",
    "percent": "percent",
    "%": "percent",
    "terabyte": "terabyte",
    "gigabyte": "gigabyte",
}
_SPELLED = sorted((w for w in NUMBER_WORDS if len(w) > 2), key=len, reverse=True)  # longest first
_QUANTITY = re.compile(
    r"(?P<num>\d[\d,.]*|"
    + "|".join(_SPELLED)
    + r")[\s-]*(?:of\s+)?(?P<unit>%|(?:"
    + "|".join(u for u in _UNIT_CANON if u != "%")
    + r")s?)\b",
    re.I,
)
_DEFAULTS = CompareSettings()
_NAME = re.compile(r"\b[A-Z][\w’'-]*[\w]|\b[A-Z]{2,}\b")


@dataclass(frozen=True)
class Signature:
    names: frozenset[str]
    quantities: dict[str, frozenset] = field(hash=False)
    terms: dict[str, float] = field(hash=False)  # distinctive term -> weight


def _quantities(text: str) -> dict[str, frozenset]:
    found: dict[str, set] = {}
    for m in _QUANTITY.finditer(text):
        raw = m.group("num").lower()
        value = NUMBER_WORDS.get(raw, raw.replace(",", ""))
        unit = _UNIT_CANON.get(m.group("unit").lower().rstrip("s"), m.group("unit").lower())
        found.setdefault(unit, set()).add(value)
    return {u: frozenset(v) for u, v in found.items()}


def _names(
    phrase: str, sentence: str, question_terms: set[str], lowercase_words: set[str], common: Callable[[str], bool]
) -> frozenset[str]:
    names = set()
    for m in _NAME.finditer(phrase):
        word = m.group(0)
        at_sentence_start = sentence.startswith(phrase) and m.start() == 0
        # A capital at the start of a sentence only marks a name if the word is never written in lower case.
        if at_sentence_start and word.lower() in lowercase_words:
            continue
        key = stem(word.split("’")[0].split("'")[0])
        if key not in question_terms and not common(key):  # "AI" in a story about AI names nobody
            names.add(key)
    return frozenset(names)


def signature(
    finding: Finding, question: Question, idf: Callable[[str], float], lowercase_words: set[str]
) -> Signature:
    q_terms = set(question.terms)
    text = finding.key_text
    sentence = finding.evidence.text if finding.evidence else text
    names = _names(text, sentence, q_terms, lowercase_words, idf.is_common)
    terms = {t: idf(t) for t in analyze(text) if t not in q_terms and t not in names}
    return Signature(names=names, quantities=_quantities(finding.phrase) or _quantities(text), terms=terms)


def _quantities_conflict(a: Signature, b: Signature) -> bool:
    return any(unit in b.quantities and not (a.quantities[unit] & b.quantities[unit]) for unit in a.quantities)


def _content_overlap(a: Signature, b: Signature) -> float:
    shared = sum(min(a.terms[t], b.terms[t]) for t in a.terms.keys() & b.terms.keys())
    smaller = min(sum(a.terms.values()), sum(b.terms.values()))
    return shared / smaller if smaller > 0 else 0.0


def _quantities_agree(a: Signature, b: Signature) -> bool:
    shared = a.quantities.keys() & b.quantities.keys()
    return bool(shared) and all(a.quantities[u] & b.quantities[u] for u in shared)


def same_answer(a: Signature, b: Signature, settings: CompareSettings = _DEFAULTS) -> bool:
    if _quantities_conflict(a, b):
        return False
    if _quantities_agree(a, b):
        return True  # "over several months" and "which took place over several months"
    overlap = _content_overlap(a, b)
    if a.names and b.names:
        if a.names & b.names or a.names <= b.names or b.names <= a.names:
            return True
        return overlap >= settings.same_deed  # different actors doing the same thing ("X denied" / "Y denied")
    if not a.terms or not b.terms:
        return not (a.terms or a.names) and not (b.terms or b.names)
    return overlap >= settings.same_content


def _specific(finding: Finding, sig: Signature, question: Question) -> bool:
    """Does the phrase have the shape the question asks for (a duration for "how long", a name for "who")?"""
    if not question.accepts(finding.phrase):
        return False
    if question.answer_type == "agent" or question.naming:
        return bool(sig.names)
    return True


def group_findings(
    findings: Sequence[Finding],
    question: Question,
    idf: Callable[[str], float],
    lowercase_words: set[str],
    settings: CompareSettings = _DEFAULTS,
) -> list[Group]:
    """Single-link grouping of the answering findings; unspecific answers are dropped when specific ones exist."""
    answering = [f for f in findings if f.answers]
    sigs = {id(f): signature(f, question, idf, lowercase_words) for f in answering}
    specific = [f for f in answering if _specific(f, sigs[id(f)], question)]
    if question.strict:
        answering = specific  # a "how long" answer without a duration answers nothing
    elif specific:
        answering = specific
    groups: list[Group] = []
    for f in answering:
        home = next(
            (g for g in groups if any(same_answer(sigs[id(f)], sigs[id(m)], settings) for m in g.findings)), None
        )
        if home is None:
            groups.append(Group([f]))
        else:
            home.findings.append(f)
    _merge_linked(groups, sigs, settings)
    return sorted(groups, key=lambda g: (-len(g.findings), g.findings[0].evidence.id))


def _merge_linked(groups: list[Group], sigs: dict, settings: CompareSettings) -> None:
    """Single link across groups: a late finding can join two earlier groups into one."""
    merged = True
    while merged:
        merged = False
        for i in range(len(groups)):
            for j in range(i + 1, len(groups)):
                pairs = ((a, b) for a in groups[i].findings for b in groups[j].findings)
                if any(same_answer(sigs[id(a)], sigs[id(b)], settings) for a, b in pairs):
                    groups[i].findings.extend(groups.pop(j).findings)
                    merged = True
                    break
            if merged:
                break


class idf_from_counts:
    """Inverse sentence frequency of a term, and whether the term is background noise."""

    def __init__(self, doc_freq: dict[str, int], n_docs: int, settings: CompareSettings = _DEFAULTS) -> None:
        self.doc_freq = doc_freq
        self.n_docs = n_docs
        self.settings = settings

    def __call__(self, term: str) -> float:
        return math.log(1.0 + self.n_docs / (1.0 + self.doc_freq.get(term, 0)))

    def is_common(self, term: str) -> bool:
        return self.doc_freq.get(term, 0) >= max(self.settings.common_share * self.n_docs, self.settings.common_min)
