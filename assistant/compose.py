"""The answer text, as a careful reporter writes it: who says what, how many articles say it, where they
disagree, which answers concern different things that share a name, and which answer comes from a
near-copy of another article. Articles are named by their headline, never by file id.

At scale ("Nine of the 14 matching articles say X [1][2][3]; two say Y [4][5]") a position's count holds
the articles read that give it and the unread ones counted for it (``Group.also``), out of the matching
articles; it cites at most ``GatherSettings.citations_per_position`` of those read, the most confident first.

The text only quotes words copied out of the articles (verified upstream); every marker names a
verified citation, and a group whose citations do not verify is left out.

``noted`` adds what the reader should know about how the answer was found (``Coverage``): that no article
matched the source the question names, how many of the matching articles were read, that every passage it
rests on is opinion, and which articles held instructions addressed to AI systems. Every word of the answer
text is written here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from typing import Mapping, Sequence

from .settings import GatherSettings
from .types import OPINION, Answer, Citer, Conflict, Document, Group, Position, Question, Relation

__all__ = ["compose", "not_answered", "noted", "Coverage", "topic_of", "REFUSAL"]

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


def _markers(ids: Sequence[int]) -> str:
    return "".join(f"[{i}]" for i in ids)


def _position(group: Group, ids: tuple[int, ...]) -> Position:
    return Position(group.phrase, ids, (*group.doc_ids, *group.also), group.count)


class _Writer:
    """Writes one group at a time, numbering citations as they are first used. Counts are out of the
    ``total`` articles of the corpus, or out of the ``matching`` ones when some of those were not read."""

    def __init__(self, docs: Mapping[str, Document], cites: Citer, total: int, matching: int, per_position: int):
        self.docs, self.cites, self.per_position = docs, cites, per_position
        self.total, self.noun = (matching, "matching articles") if matching else (total, "articles")

    def cite(self, group: Group) -> tuple[int, ...]:
        """A few of the group's articles read, the most confident reading first, each cited by its verified
        sentence (one that does not verify gives way to the next)."""
        ids: list[int] = []
        for f in sorted(group.findings, key=lambda f: -f.p_yes):
            n = self.cites.cite(f.sentence) if f.sentence is not None and len(ids) < self.per_position else None
            if n is not None and n not in ids:
                ids.append(n)
        return tuple(ids)

    def who(self, group: Group, short: bool = False) -> str:
        """ "Two of the five articles", "All five articles", an article's headline; ``short`` ("two"): a
        further side of the same sentence, whose whole is already named."""
        n = group.count
        if n == 1:
            return _title(self.docs[group.doc_ids[0]])
        if short:
            return _count(n).lower()
        if n == self.total:
            return f"All {_count(n).lower()} {self.noun}"
        return f"{_count(n)} of the {_count(self.total).lower()} {self.noun}"

    def says(self, group: Group, ids: tuple[int, ...], short: bool = False) -> str:
        verb = "says" if group.count == 1 else "say"
        return f"{self.who(group, short)} {verb} {_quote(group.phrase)} {_markers(ids)}"

    def position(self, group: Group) -> tuple[str, tuple[int, ...]]:
        ids = self.cite(group)
        return (self.says(group, ids), ids) if ids else ("", ())

    def disputed(self, group: Group) -> tuple[str, tuple[int, ...]]:
        ids = self.cite(group)
        if not ids:
            return "", ()
        who = self.who(group)
        copy = _title(self.docs[group.copy_of])
        one = group.count == 1
        return (
            f"{who}, {'a near-copy' if one else 'near-copies'} of {copy} with this point changed, "
            f"{'gives' if one else 'give'} another answer {_markers(ids)}: a disputed claim, not an independent source",
            ids,
        )


def _part_text(part: str, groups: Sequence[Group], writer: _Writer) -> tuple[str, list[Conflict]]:
    lead = groups[0]
    by = {r: [g for g in groups[1:] if g.relation == r] for r in Relation if r != Relation.LEAD}
    conflicts: list[Conflict] = []
    sentences = []
    cited = [(g, ids) for g in [lead, *by[Relation.DISAGREES]] if (ids := writer.cite(g))]
    sides = [(g, writer.says(g, ids, short=k > 0), ids) for k, (g, ids) in enumerate(cited)]
    if len(sides) >= 2:
        sentences.append("The sources disagree. " + "; ".join(s[1] for s in sides) + ".")
        positions = tuple(_position(g, ids) for g, _, ids in sides)
        conflicts.append(Conflict(topic=topic_of(part), positions=positions))
    elif sides:
        more = [(g, ids) for g in by[Relation.COMPLEMENTS] if (ids := writer.cite(g))]
        sentences.append("; ".join([sides[0][1], *(writer.says(g, ids, short=True) for g, ids in more)]) + ".")
    distinct = [t for t, _ in (writer.position(g) for g in by[Relation.DISTINCT]) if t]
    if distinct:
        sentences.append(
            "Other articles are about a different subject of the same name, with their own answer: "
            + "; ".join(distinct)
            + "."
        )
    for group in by[Relation.DISPUTED]:
        text, ids = writer.disputed(group)
        if text:
            sentences.append(text[:1].upper() + text[1:] + ".")
            lead_ids = next((ids for g, _, ids in sides if g is lead), ())
            conflicts.append(
                Conflict(
                    topic=f"{topic_of(part)} (disputed by a near-copy)",
                    positions=(_position(lead, lead_ids), _position(group, ids)),
                )
            )
    aside = list(dict.fromkeys(d for g in by[Relation.ADDRESSED] for d in g.doc_ids))
    if aside:
        names = ", ".join(_title(writer.docs[d]) for d in aside)
        one = len(aside) == 1
        sentences.append(
            f"({names} {'gives' if one else 'give'} another answer only in words addressed to "
            f"{'its' if one else 'their'} reader, not reported: not counted or quoted.)"
        )
    return " ".join(sentences), conflicts


def compose(
    question: Question,
    answers: Sequence[tuple[str, Sequence[Group]]],
    docs: Mapping[str, Document],
    cites: Citer,
    total: int,
    matching: int = 0,
    settings: GatherSettings | None = None,
) -> Answer:
    """The answer from each question part's groups (``answers``: (part, groups) in order); ``total`` is the
    number of articles in the corpus (for "three of the five articles"), ``matching`` the number that matched
    the question when some of them were not read (for "nine of the 14 matching articles"; 0 otherwise)."""
    writer = _Writer(docs, cites, total, matching, (settings or GatherSettings()).citations_per_position)
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


@dataclass(frozen=True)
class Coverage:
    """How an answer was found, as answering saw it: the articles of the corpus, those that matched the question
    and how many of them went unread, whether the source the question names matched no article (so every
    article answered), and the names of the articles whose instructions to AI systems bore on the question."""

    total: int
    matching: int = 0
    unread: int = 0
    scope_unmatched: bool = False
    screened: tuple[str, ...] = ()

    @property
    def out_of(self) -> int:
        """What counts are out of when some matching articles went unread (``compose``'s ``matching``); else 0."""
        return self.matching if self.unread else 0


def noted(answer: Answer, coverage: Coverage) -> Answer:
    """The answer with its notes: opinion only, the source not matched, the share of articles read, the
    instructions not followed."""
    text = answer.text
    if answer.citations and all(c.stance == OPINION for c in answer.citations):
        text += " (Every passage this answer rests on is the writer's opinion, not reported fact.)"
    if coverage.scope_unmatched:
        text = "No article could be matched to the source the question names, so every article was read. " + text
    if coverage.unread and answer.answerable:
        read = coverage.matching - coverage.unread
        text += (
            f" ({read} of the {coverage.matching} matching articles were read; each of the others"
            " counts for the answer its own text states, and for none when it states two.)"
        )
    if coverage.screened:
        names = ", ".join(_quote(name) for name in coverage.screened)
        text += f" (Instructions addressed to AI systems in {names} were not followed or quoted.)"
    return replace(answer, text=text)
