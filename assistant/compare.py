"""Which articles give the same answer, decided in code from what each one's phrase means.

Each answering article's phrase is reduced to what it asserts: the values it gives (dates, counts,
durations, amounts, read from the entity recogniser and normalised: "eighteen months" = 18 months,
"1,066" = 1066), the names it uses, and a sentence embedding of the whole phrase. Two phrases give
the same answer when their values of the same unit coincide; otherwise when they share a name and
are not about different things altogether; otherwise when they mean nearly the same thing (embedding
similarity). Different values of one unit, or disjoint names with different meaning, are different
answers. A model is never asked to notice disagreement.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Sequence

import numpy as np

from . import language
from .question import Question
from .text import number_value
from .types import Finding, Group

__all__ = ["CompareSettings", "Signature", "signature", "same_answer", "group_findings"]

_MONTHS = {m: i for i, m in enumerate(
    "january february march april may june july august september october november december".split(), 1)}
_UNITS = {"second", "minute", "hour", "day", "week", "month", "year", "decade", "century", "percent", "%",
          "million", "billion", "trillion", "terabyte", "gigabyte"}
_VAGUE = {"several", "few", "many", "some", "dozens", "hundreds", "thousands", "couple"}
_NAME_NOISE = {"the", "a", "an", "’s", "'s", "of"}


@dataclass(frozen=True)
class CompareSettings:
    same_meaning: float = 0.72  # embedding similarity above which two phrases without values/names agree
    same_despite_names: float = 0.85  # ...and above which phrases naming different parties still agree
    # Below this, a shared name is background, not agreement: "Anthropic's CEO" and "operatives
    # infiltrated Anthropic's cloud" both name the victim of the story but say different things (0.21).
    same_name_floor: float = 0.3


@dataclass(frozen=True)
class Signature:
    values: dict[str, frozenset] = field(hash=False)  # unit -> values given ("month" -> {18})
    names: frozenset[str]
    vector: np.ndarray = field(hash=False, repr=False)


def _values(doc) -> dict[str, frozenset]:
    """unit -> values the phrase gives: dates by (year, month, day), other values by their number and unit
    ("eighteen months" -> month: {18}; "1,066" and "1066" -> number: {1066}); vague amounts ("several")
    are values too, so "several months" and "eighteen months" differ."""
    found: dict[str, set] = {}
    for ent in doc.ents:
        if ent.label_ not in language.VALUE_LABELS:
            continue
        words = [t.lower_ for t in ent]
        month = next((_MONTHS[w] for w in words if w in _MONTHS), None)
        if month:
            year = next((w for w in words if re.fullmatch(r"\d{4}", w)), None)
            day = next((w.lstrip("0") for w in words if re.fullmatch(r"\d{1,2}", w)), None)
            found.setdefault("date", set()).add((year, month, day))
            continue
        after = doc[ent.end].lower_ if ent.end < len(doc) else ""
        unit = next((w.rstrip("s") for w in words + [after] if w.rstrip("s") in _UNITS), "number")
        amount = next((w for w in words if w in _VAGUE), None)
        if amount is None:
            amount = next((n for n in (number_value(w) for w in words) if n is not None), None)
        if amount is not None:
            found.setdefault(unit, set()).add(amount)
    return {u: frozenset(v) for u, v in found.items()}


def _names(doc) -> frozenset[str]:
    names = set()
    for ent in doc.ents:
        # A nationality ("Chinese", "British") describes an answer; it does not name it.
        if ent.label_ in language.NAME_LABELS and ent.label_ != "NORP":
            names |= {t.lower_ for t in ent if t.lower_ not in _NAME_NOISE and not t.is_punct}
    norp = {t.i for ent in doc.ents if ent.label_ == "NORP" for t in ent}
    for t in doc:  # proper nouns the recogniser missed ("GCHQ", "SenseTime")
        if t.tag_ in ("NNP", "NNPS") and not t.is_stop and len(t.text) > 1 and t.i not in norp:
            names.add(t.lower_)
    return frozenset(n for n in names if len(n) > 1)


def signature(claim: str, vector: np.ndarray, asked: frozenset[str] = frozenset()) -> Signature:
    """What a phrase asserts; names the question itself uses (``asked``) tell no answers apart."""
    doc = language.parse(claim)
    return Signature(values=_values(doc), names=_names(doc) - asked, vector=vector)


def _similarity(a: Signature, b: Signature) -> float:
    return float(a.vector @ b.vector)


def same_answer(a: Signature, b: Signature, settings: CompareSettings | None = None) -> bool:
    settings = settings or CompareSettings()
    shared = a.values.keys() & b.values.keys()
    if shared:
        return all(a.values[u] & b.values[u] for u in shared)  # "eighteen months" vs "several months"
    if a.names and b.names and not (a.names & b.names):
        return _similarity(a, b) >= settings.same_despite_names  # GCHQ vs the NCSC
    if a.names & b.names:
        return _similarity(a, b) >= settings.same_name_floor
    return _similarity(a, b) >= settings.same_meaning


def group_findings(findings: Sequence[Finding], embed, question: Question | None = None,
                   order: dict[str, int] | None = None, settings: CompareSettings | None = None) -> list[Group]:
    """Answering findings grouped by answer, biggest group first (ties: the article that comes first)."""
    answering = [f for f in findings if f.answers]
    if not answering:
        return []
    vectors = embed.embed([f.claim for f in answering])
    asked = frozenset(w.lower() for name in (question.names if question else ()) for w in name.split())
    sigs = [signature(f.claim, v, asked) for f, v in zip(answering, vectors)]
    groups: list[list[int]] = []
    for i in range(len(answering)):
        # Average link: a finding joins the group it agrees with most, if it agrees with most of it.
        best, best_share = None, 0.5
        for g in groups:
            share = sum(same_answer(sigs[i], sigs[j], settings) for j in g) / len(g)
            if share > best_share:
                best, best_share = g, share
        if best is None:
            groups.append([i])
        else:
            best.append(i)
    order = order or {}
    first = lambda g: min(order.get(answering[i].doc_id, 0) for i in g)  # noqa: E731
    ranked = sorted(groups, key=lambda g: (-len({answering[i].doc_id for i in g}), first(g)))
    return [Group([answering[i] for i in g]) for g in ranked]
