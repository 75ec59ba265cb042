"""The answer's text from the grouped findings: agreement, disagreement, a corrected premise, or silence.

It reads like a careful reporter's note: how many of the articles that address the question say
what ("3 of 5 articles say …; 2 say …"), each article named by its headline or author, each phrase in
quotation marks with its markers. Every quoted phrase is a run of a cited sentence (verified upstream)
and every marker names a verified citation, so nothing in the text is invented.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

from .corpus import Corpus
from .grounding import Citations
from .question import Question
from .types import Answer, Conflict, Finding, Group, Position

__all__ = ["PartResult", "compose", "ComposeSettings"]

_NUMBERS = {1: "one", 2: "two", 3: "three", 4: "four", 5: "five", 6: "six", 7: "seven", 8: "eight", 9: "nine",
            10: "ten", 11: "eleven", 12: "twelve"}


@dataclass(frozen=True)
class ComposeSettings:
    named: int = 3  # articles named beside a position; more are counted ("and 4 others")
    near_miss: float = 0.3  # a silent article's best sentence is offered as "the closest" from this P(yes)


@dataclass
class PartResult:
    """One question (or one part of a compound question) and what reading found for it."""

    question: Question
    groups: list[Group]
    findings: list[Finding]
    out_of_scope: bool = False
    premise_false: bool = False  # the leading answer shows the question took something false for granted
    instructions: tuple[str, ...] = ()  # articles whose retrieved sentences addressed AI systems (screened out)


def _count(n: int, capital: bool = False) -> str:
    word = _NUMBERS.get(n, str(n))
    return word.capitalize() if capital else word


def _markers(ids: Sequence[int]) -> str:
    return "".join(f"[{i}]" for i in ids)


def _names(doc_ids: Sequence[str], corpus: Corpus, settings: ComposeSettings) -> str:
    labels = [corpus[d].label for d in doc_ids[: settings.named]]
    rest = len(doc_ids) - len(labels)
    return "; ".join(labels) + (f"; and {rest} more" if rest else "")


def _quoted(group: Group, cites: Citations) -> tuple[str, tuple[int, ...]]:
    """'"A" [1][2] / "B" [3]': each distinct phrase of the group with the citations of its own articles."""
    parts, ids = [], []
    for claim in group.distinct_claims():
        mine = cites.cite_all(f.evidence for f in group.findings if " ".join(f.claim.lower().split()) ==
                              " ".join(claim.lower().split()))
        if mine:
            parts.append(f'"{" ".join(claim.split())}" {_markers(mine)}')
            ids.extend(i for i in mine if i not in ids)
    return " / ".join(parts), tuple(ids)


def _position_line(group: Group, total: int, cites: Citations, corpus: Corpus, settings: ComposeSettings,
                   lead: bool) -> tuple[str, tuple[int, ...]]:
    quoted, ids = _quoted(group, cites)
    if not quoted:
        return "", ()
    n = len(group.doc_ids)
    who = f"{_count(n, lead)} of {_count(total)} articles" if total > 1 else _count(n, lead) + " article"
    verb = "says" if n == 1 else "say"
    return f"{who} ({_names(group.doc_ids, corpus, settings)}) {verb} {quoted}", ids


def _topic(question: Question) -> str:
    text = question.ask.rstrip(" ?.!")
    return text[:1].lower() + text[1:] if text else question.text


def _silence(part: PartResult, cites: Citations, corpus: Corpus, settings: ComposeSettings) -> str:
    if part.out_of_scope:
        return "No article mentions the source this question names, so the articles do not say."
    text = "The articles do not say. None of them answers this question"
    near = max((f for f in part.findings if f.evidence is not None), key=lambda f: f.p_yes, default=None)
    if near is not None and near.p_yes >= settings.near_miss:
        n = cites.cite(near.evidence)
        if n is not None:
            sentence = " ".join(near.evidence.text.split())
            return f'{text}. The closest they come: {corpus[near.doc_id].label} says "{sentence}" [{n}].'
    return text + "."


def _answer_part(part: PartResult, cites: Citations, corpus: Corpus,
                 settings: ComposeSettings) -> tuple[str, list[Conflict], bool]:
    """(text, conflicts, answered) for one question."""
    groups = part.groups
    if not groups:
        return _silence(part, cites, corpus, settings), [], False
    total = len({d for g in groups for d in g.doc_ids})
    opening = ""
    if part.premise_false:
        opening = "The articles do not support the premise of this question. "
    lines, positions = [], []
    for i, group in enumerate(groups):
        line, ids = _position_line(group, total, cites, corpus, settings, lead=(i == 0))
        if line:
            lines.append(line)
            positions.append(Position(claim=" ".join(group.claim.split()), citations=ids,
                                      doc_ids=tuple(group.doc_ids)))
    if not lines:
        return _silence(part, cites, corpus, settings), [], False
    body = "; ".join(lines) + "."
    if len(positions) < 2:
        return opening + body, [], True
    if part.question.complementary:
        return opening + "The articles report different things, which do not contradict each other: " + body, [], True
    conflict = Conflict(topic=_topic(part.question), positions=tuple(positions))
    return opening + "The sources disagree. " + body, [conflict], True


def compose(question: Question, parts: Sequence[PartResult], cites: Citations,
            settings: ComposeSettings | None = None) -> Answer:
    settings = settings or ComposeSettings()
    corpus = cites.corpus
    texts, conflicts, answered = [], [], False
    for part in parts:
        text, found, ok = _answer_part(part, cites, corpus, settings)
        if len(parts) > 1:
            # Parts are numbered, never echoed: a "question" planted in the input must not be repeated.
            text = f"({len(texts) + 1}) {text}"
        texts.append(text)
        conflicts.extend(found)
        answered = answered or ok
    if question.set_aside:
        texts.append("(Instructions in the question were ignored: only its question was answered.)")
    screened = list(dict.fromkeys(d for part in parts for d in part.instructions))
    if screened:
        names = _names(screened, corpus, settings)
        verb = "contains" if len(screened) == 1 else "contain"
        texts.append(f"({names} {verb} instructions addressed to AI systems; they were not followed or quoted.)")
    return Answer(question=question.text, text=" ".join(texts), answerable=answered,
                  citations=cites.citations if (answered or cites.citations) else [], conflicts=conflicts)
