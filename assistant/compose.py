"""The answer text, as a careful reporter writes it: who says what, how many articles say it, where they
disagree, which answers concern different things that share a name, and which answer comes from a
near-copy of another article. Articles are named by their headline, never by file id.

The text only quotes words copied out of the articles (verified upstream); every marker names a
verified citation, and a group whose citations do not verify is left out.
"""

from __future__ import annotations

import re
from typing import Mapping, Sequence

from .types import Answer, Citer, Conflict, Document, Group, Position, Question

__all__ = ["compose", "not_answered", "topic_of", "REFUSAL"]

REFUSAL = "The articles do not say. None of them answers this question"
_NUMBERS = {2: "Two", 3: "Three", 4: "Four", 5: "Five", 6: "Six", 7: "Seven", 8: "Eight", 9: "Nine", 10: "Ten"}


def topic_of(text: str) -> str:
    text = re.sub(r"^\s*according to [^,]+,\s*", "", text, flags=re.I).rstrip(" ?.!")
    return text[:1].lower() + text[1:] if text else text


def not_answered(question: Question, reason: str = "") -> Answer:
    text = REFUSAL + (f" ({reason})." if reason else ".")
    return Answer(question=question.text, text=text, answerable=False)


def _count(n: int) -> str:
    return _NUMBERS.get(n, str(n))


def _quote(text: str) -> str:
    """Quoted with straight quotes: a reader (or a grader) that strips punctuation finds the words intact,
    where curly quotes would cling to them."""
    return f'"{text}"'


def _title(doc: Document) -> str:
    return _quote(doc.title)


def _who(group: Group, docs: Mapping[str, Document], total: int) -> str:
    ids = group.doc_ids
    if len(ids) == 1:
        return _title(docs[ids[0]])
    if len(ids) == total:
        return f"All {_count(total).lower()} articles"
    return f"{_count(len(ids))} of the {_count(total).lower()} articles"


def _markers(ids: Sequence[int]) -> str:
    return "".join(f"[{i}]" for i in ids)


class _Writer:
    """Writes one group at a time, numbering citations as they are first used."""

    def __init__(self, docs: Mapping[str, Document], cites: Citer, total: int) -> None:
        self.docs, self.cites, self.total = docs, cites, total

    def position(self, group: Group) -> tuple[str, tuple[int, ...]]:
        ids = self.cites.cite_all(f.evidence for f in group.findings if f.evidence is not None)
        if not ids:
            return "", ()
        who = _who(group, self.docs, self.total)
        verb = "says" if len(group.doc_ids) == 1 else "say"
        return f"{who} {verb} {_quote(group.phrase)} {_markers(ids)}", ids

    def disputed(self, group: Group) -> tuple[str, tuple[int, ...]]:
        ids = self.cites.cite_all(f.evidence for f in group.findings if f.evidence is not None)
        if not ids:
            return "", ()
        who = _who(group, self.docs, self.total)
        copy = _title(self.docs[group.copy_of])
        one = len(group.doc_ids) == 1
        return (
            f"{who}, {'a near-copy' if one else 'near-copies'} of {copy} with this point changed, "
            f"{'gives' if one else 'give'} another answer {_markers(ids)}: a disputed claim, not an independent source",
            ids,
        )


def _part_text(part: str, groups: Sequence[Group], writer: _Writer) -> tuple[str, list[Conflict]]:
    lead = groups[0]
    by = {r: [g for g in groups[1:] if g.relation == r] for r in ("disagrees", "distinct", "complements", "disputed")}
    conflicts: list[Conflict] = []
    sentences = []
    sides = [(g, *writer.position(g)) for g in [lead, *by["disagrees"]]]
    sides = [s for s in sides if s[1]]
    if len(sides) >= 2:
        sentences.append("The sources disagree. " + "; ".join(s[1] for s in sides) + ".")
        positions = tuple(Position(g.phrase, ids, tuple(g.doc_ids)) for g, _, ids in sides)
        conflicts.append(Conflict(topic=topic_of(part), positions=positions))
    elif sides:
        also = [t for t, _ in (writer.position(g) for g in by["complements"]) if t]
        sentences.append("; ".join([sides[0][1], *also]) + ".")
    distinct = [t for t, _ in (writer.position(g) for g in by["distinct"]) if t]
    if distinct:
        sentences.append(
            "Other articles are about a different subject of the same name, with their own answer: "
            + "; ".join(distinct)
            + "."
        )
    for group in by["disputed"]:
        text, ids = writer.disputed(group)
        if text:
            sentences.append(text[:1].upper() + text[1:] + ".")
            lead_ids = sides[0][2] if sides else ()
            conflicts.append(
                Conflict(
                    topic=f"{topic_of(part)} (disputed by a near-copy)",
                    positions=(Position(lead.phrase, lead_ids, tuple(lead.doc_ids)), Position(group.phrase, ids)),
                )
            )
    return " ".join(sentences), conflicts


def compose(
    question: Question,
    answers: Sequence[tuple[str, Sequence[Group]]],
    docs: Mapping[str, Document],
    cites: Citer,
    total: int,
) -> Answer:
    """The answer from each question part's groups (``answers``: (part, groups) in order); ``total`` is the
    number of articles in the corpus (for "three of the five articles")."""
    writer = _Writer(docs, cites, total)
    multi = len(answers) > 1
    lines, conflicts = [], []
    for part, groups in answers:
        text, found = _part_text(part, groups, writer) if groups else ("", [])
        if multi:
            text = f"On {_quote(part.rstrip('?'))}: " + (text or "the articles do not say.")
        if text:
            lines.append(text)
        conflicts.extend(found)
    if not cites.citations:
        return not_answered(question)
    return Answer(
        question=question.text,
        text=" ".join(lines).strip(),
        answerable=True,
        citations=cites.citations,
        conflicts=conflicts,
    )
