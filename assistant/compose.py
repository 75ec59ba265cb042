"""Compose the final answer from the grouped findings: agreement, disagreement or silence.

The text only ever quotes words the model copied out of a cited sentence (verified upstream), so
nothing in it is invented; every marker names a verified citation.
"""

from __future__ import annotations

import re
from typing import Sequence

from .text import clean_phrase
from .types import Answer, Citer, Conflict, Group, Position, Question

__all__ = ["compose", "not_answered", "premise_contradicted", "topic_of"]

# Verbs a question may presuppose, and the words with which an article would contradict them.
_CONTRADICTS = {
    "admit": ("deni", "deny", "reject", "baseless", "refut", "dismiss"),
    "confess": ("deni", "deny", "reject", "baseless", "refut"),
    "confirm": ("deni", "deny", "reject", "refut", "yet to comment", "declin"),
    "accept": ("reject", "deni", "deny", "refus"),
    "agre": ("reject", "refus", "deni"),
    "apolog": ("deni", "deny", "defian", "reject"),
}


def topic_of(question: Question) -> str:
    text = re.sub(r"^\s*according to [^,]+,\s*", "", question.text, flags=re.I).rstrip(" ?.!")
    return text[:1].lower() + text[1:] if text else question.text


def premise_contradicted(question: Question, groups: Sequence[Group]) -> bool:
    q = question.text.lower()
    for verb, contrary in _CONTRADICTS.items():
        if re.search(rf"\b{verb}\w*", q):
            return any(c in f.phrase.lower() for g in groups for f in g.findings for c in contrary)
    return False


def _quote(phrase: str) -> str:
    return f"“{phrase}”"


def _markers(ids: Sequence[int]) -> str:
    return "".join(f"[{i}]" for i in ids)


def _who(doc_ids: Sequence[str]) -> str:
    if len(doc_ids) == 1:
        return f"One article ({doc_ids[0]})"
    words = {2: "Two", 3: "Three", 4: "Four", 5: "Five", 6: "Six"}
    return f"{words.get(len(doc_ids), str(len(doc_ids)))} articles ({', '.join(doc_ids)})"


def _group_sentence(group: Group, cites: Citer, lead: str) -> tuple[str, tuple[int, ...]]:
    """'<lead> “phrase A” [1][2]; “phrase B” [3]; also “sentence C” [4].': each phrase cited by the
    articles that hold it."""
    parts, all_ids = [], []
    for phrase in group.distinct_phrases():
        ids = cites.cite_all(f.evidence for f in group.findings if f.phrase.lower() == phrase.lower())
        if ids:
            parts.append(f"{_quote(phrase)} {_markers(ids)}")
            all_ids.extend(ids)
    for f in group.findings:
        for extra in f.also:
            n = cites.cite(extra)
            if n is not None and n not in all_ids:
                parts.append(f"also {_quote(clean_phrase(' '.join(extra.text.split())))} {_markers([n])}")
                all_ids.append(n)
    if not parts:
        return "", ()
    return f"{lead} {'; '.join(parts)}.", tuple(all_ids)


def not_answered(question: Question, reason: str = "") -> Answer:
    text = "The articles do not say. None of them answers this question"
    text += f" ({reason})." if reason else "."
    return Answer(question=question.text, text=text, answerable=False)


def compose(question: Question, groups: Sequence[Group], cites: Citer, *, complementary: bool = False) -> Answer:
    if not groups:
        return not_answered(question)
    opening = ""
    if premise_contradicted(question, groups):
        opening = "The articles do not support the premise of this question. "
    if len(groups) == 1 or complementary:
        lines = []
        for group in groups:
            lead = (_who(group.doc_ids) + " says") if len(group.doc_ids) == 1 else (_who(group.doc_ids) + " agree")
            sentence, _ = _group_sentence(group, cites, lead + ":")
            if sentence:
                lines.append(sentence)
        body = " ".join(lines)
        conflicts: list[Conflict] = []
    else:
        lines, positions = [], []
        for group in groups:
            sentence, ids = _group_sentence(
                group, cites, _who(group.doc_ids) + (" says" if len(group.doc_ids) == 1 else " say")
            )
            if sentence:
                lines.append(sentence)
                positions.append(Position(claim=group.phrase, citations=ids, doc_ids=tuple(group.doc_ids)))
        if len(positions) >= 2:
            body = "The sources disagree. " + " ".join(lines)
            conflicts = [Conflict(topic=topic_of(question), positions=tuple(positions))]
        else:
            body, conflicts = " ".join(lines), []
    if not cites.citations:
        return not_answered(question)
    return Answer(
        question=question.text,
        text=(opening + body).strip(),
        answerable=True,
        citations=cites.citations,
        conflicts=conflicts,
    )
