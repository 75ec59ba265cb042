"""The story map: without being asked, where the sources part ways.

Rows are the points the story turns on; columns are the articles. The points come from the corpus: the
standard questions of news reporting (who is blamed, who accuses, what was taken or damaged, how, when,
how long, where, how many, which authorities responded, why) asked about the story's own event,
which the reader finds in the articles ("the cyber heist", "the ammonia leak"), and what each of the
most quoted people said. Pinned questions (from the chat) come first. Every row is answered by the
chat's own path up to the write-up (``answer.gather_steps``: retrieve, screen, read each article,
gather), so the map and the chat never disagree on the same question. A cell is one article's answer in
its own words, cited by the sentence it sits in (verified like every citation, with its stance), or
blank when the article is silent; a point no article answers gives no row. Rows where the articles
disagree come first, marked.

A map is cached under the cache directory, keyed by the corpus index, the model, the prompts, the
settings and the pinned questions: served again in well under a second; an edited article gives a new
key, and the articles whose text did not change are read again from their saved reading states.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Iterable, Sequence

from . import language
from .answer import AnswerContext, gather_steps
from .backends.base import Backend
from .caches import Caches
from .config import prompts_dir
from .grounding import Citations
from .question import parse_question
from .settings import MapSettings, Settings
from .stance import with_stance
from .types import Citation, Encoder, Event, Relation

if TYPE_CHECKING:
    from .types import SentenceStore as StoryIndex

__all__ = ["StoryMap", "MapRow", "MapCell", "build_map", "map_points", "map_key", "load_map", "save_map"]

MAP_FORMAT = "3"  # 3: columns named by the corpus (headline, else "Article N"), never a cut lede
DISAGREEING = (Relation.DISAGREES, Relation.DISPUTED)  # group relations that make a row a disagreement
OnEvent = Callable[[Event], None]


@dataclass(frozen=True)
class MapCell:
    """One article's answer to a row's question: its own words and the sentence cited for them."""

    doc_id: str
    answer: str
    citation: Citation
    position: int  # which of the row's positions (0: the best supported)
    relation: Relation  # that position's relation to the first


@dataclass
class MapRow:
    question: str
    cells: list[MapCell]
    disagree: bool
    pinned: bool = False

    def cell(self, doc_id: str) -> MapCell | None:
        return next((c for c in self.cells if c.doc_id == doc_id), None)

    @property
    def positions(self) -> list[tuple[str, list[str]]]:
        """(answer, its articles) per position, best supported first."""
        out: dict[int, tuple[str, list[str]]] = {}
        for c in self.cells:
            out.setdefault(c.position, (c.answer, []))[1].append(c.doc_id)
        return [out[k] for k in sorted(out)]


@dataclass
class StoryMap:
    columns: list[tuple[str, str]]  # (doc_id, headline), in corpus order
    rows: list[MapRow]
    key: str = ""
    seconds: float = 0.0
    points: list[str] = field(default_factory=list)  # the questions found, before answering

    def to_dict(self) -> dict:
        return {
            "columns": [{"doc_id": d, "title": t} for d, t in self.columns],
            "rows": [
                {
                    "question": r.question,
                    "disagree": r.disagree,
                    "pinned": r.pinned,
                    "positions": [{"answer": a, "doc_ids": ids} for a, ids in r.positions],
                    "cells": [{**asdict(c), "citation": c.citation.to_dict()} for c in r.cells],
                }
                for r in self.rows
            ],
            "key": self.key,
            "seconds": round(self.seconds, 1),
            "points": self.points,
        }

    @classmethod
    def from_dict(cls, d: dict) -> "StoryMap":
        rows = [
            MapRow(
                r["question"],
                [
                    MapCell(**{**c, "citation": Citation(**c["citation"]), "relation": Relation(c["relation"])})
                    for c in r["cells"]
                ],
                r["disagree"],
                r.get("pinned", False),
            )
            for r in d["rows"]
        ]
        return cls([(c["doc_id"], c["title"]) for c in d["columns"]], rows, d["key"], d["seconds"], d["points"])

    def table(self) -> list[list[str]]:
        """Header then one line per row: the question, whether the articles disagree, then each article's
        cell as 'answer [n] "cited sentence"' (blank when the article is silent)."""
        lines = [["question", "disagree", *(t for _, t in self.columns)]]
        for r in self.rows:
            cells = [r.cell(d) for d, _ in self.columns]
            lines.append(
                [r.question, "yes" if r.disagree else ""]
                + [f'{c.answer} [{c.citation.id}] "{c.citation.quote}"' if c else "" for c in cells]
            )
        return lines

    def to_csv(self) -> str:
        out = io.StringIO()
        csv.writer(out).writerows(self.table())
        return out.getvalue()


# The standard questions of news reporting, asked of the story's own event ("{event}", found by reading).
# A question no article answers gives no row, so one that does not fit a story costs reading time only.
STANDARD_POINTS = (
    "Who is accused of or blamed for {event}?",
    "Who made the accusation about {event}?",
    "What was taken, lost or damaged in {event}?",
    "How did {event} happen?",
    "When did {event} happen?",
    "How long did {event} go on?",
    "Where did {event} happen?",
    "How many people were affected by {event}?",
    "Which authorities responded to {event}?",
    "Why did {event} happen?",
)
EVENT_QUESTION = "What is the event this article reports, in two or three words?"
_SPEAKING = re.compile(r"\b(?:said|says|told|warned|added|according to)\b", re.IGNORECASE)


def story_event(index: StoryIndex, backend: Backend, encoder: Encoder, settings: Settings, caches: Caches) -> str:
    """The story's event as its articles name it ("the cyber heist", "the ammonia leak"): the reader's
    answer to ``EVENT_QUESTION`` that most articles give, cut to its noun and the nouns before it;
    "the incident" when no article names one."""
    context = AnswerContext(index, backend, encoder, settings, caches)
    found = _drain(gather_steps(parse_question(EVENT_QUESTION), context))
    groups = found.groups[0][1] if found.groups else []
    for group in groups:
        doc = language.parse(group.phrase)
        root = next((t for t in doc if t.dep_ == "ROOT"), None)
        if root is not None and root.pos_ in ("NOUN", "PROPN"):
            words = [t.text for t in root.lefts if t.dep_ in ("compound", "amod") and t.i == root.i - 1] + [root.text]
            return "the " + " ".join(words).lower()
    return "the incident"


def speakers(index: StoryIndex, settings: MapSettings) -> list[str]:
    """The ``settings.speakers`` people the articles quote most (by the number of articles that quote them),
    best first, each named by at least ``settings.speaker_min_words`` words."""
    quoted: dict[str, set[str]] = {}
    for span in (s for doc in index.corpus for s in index.spans_of(doc.doc_id)):
        if _SPEAKING.search(span.text):
            for ent in language.parse(span.text).ents:
                if ent.label_ == "PERSON" and len(ent.text.split()) >= settings.speaker_min_words:
                    quoted.setdefault(ent.text, set()).add(span.doc_id)
    ranked = sorted(quoted, key=lambda name: (-len(quoted[name]), name))
    return ranked[: settings.speakers]


def map_points(context: AnswerContext, on_event: OnEvent | None = None) -> list[str]:
    """The questions the story turns on: the standard questions of news reporting about the story's own
    event, and what each of the most quoted people said (see the module's docstring)."""
    if on_event:
        on_event(Event("points", "finding what the story is about"))
    index, settings = context.index, context.settings
    event = story_event(index, context.backend, context.encoder, settings, context.caches)
    said = [f"What did {name} say?" for name in speakers(index, settings.story_map)]
    return [q.format(event=event) for q in STANDARD_POINTS] + said


def _row(question: str, found, citations: Citations, pinned: bool, stance: Callable[[Citation], Citation]) -> MapRow:
    cells = []
    disagree = False
    for _, groups in found.groups[:1]:  # a map row asks one thing
        for k, group in enumerate(groups):
            if group.relation == Relation.ADDRESSED:  # not a report: never on the map
                continue
            disagree |= group.relation in DISAGREEING
            for f in group.findings:
                n = citations.cite(f.sentence) if f.sentence else None
                if n is not None:
                    cited = stance(citations.citations[n - 1])
                    cells.append(MapCell(f.doc_id, f.phrase, cited, k, group.relation))
    return MapRow(question, cells, disagree and len({c.position for c in cells}) > 1, pinned)


def build_map(
    context: AnswerContext,
    pinned: Sequence[str] = (),
    points: Sequence[str] | None = None,
    on_event: OnEvent | None = None,
) -> StoryMap:
    """The story map of ``context.index``: ``pinned`` questions first, then ``points`` (found from the corpus
    by ``map_points`` when not given), each answered by every relevant article."""
    t0 = time.perf_counter()
    emit = on_event or (lambda event: None)
    if points is None:
        points = map_points(context, on_event)
    found_points = list(points)
    questions = list(dict.fromkeys([*pinned, *found_points]))
    citations = Citations(context.index.corpus)
    rows = []

    def stance(citation: Citation) -> Citation:
        return with_stance([citation], context.backend, context.settings.stance, context.caches.stances)[0]

    for n, question in enumerate(questions, 1):
        emit(Event("row", f"row {n} of {len(questions)}: {question}", n, len(questions)))
        found = _drain(gather_steps(parse_question(question), context))
        rows.append(_row(question, found, citations, question in pinned, stance))
    rows.sort(key=lambda r: (not r.pinned, not r.disagree, -len(r.cells)))
    columns = [(d.doc_id, d.title) for d in context.index.corpus]
    return StoryMap(columns, [r for r in rows if r.cells or r.pinned], "", time.perf_counter() - t0, found_points)


def _drain(steps):
    """Run a generator of events to its end and return its value."""
    while True:
        try:
            next(steps)
        except StopIteration as stop:
            return stop.value


def map_key(index: StoryIndex, backend: Backend, settings: Settings, pinned: Iterable[str]) -> str:
    """Everything a map depends on: the corpus's index, the model, the prompts it uses, the settings."""
    h = hashlib.sha256()
    parts = [MAP_FORMAT, index.key, getattr(backend, "name", type(backend).__name__), repr(settings), *pinned]
    for name in ("read_article", "same_answer", "same_subject", "check_instruction", "check_stance"):
        parts.append((prompts_dir() / f"{name}.yaml").read_text(encoding="utf-8"))
    for part in parts:
        h.update(part.encode("utf-8") + b"\0")
    return h.hexdigest()[:24]


def load_map(directory: Path, key: str) -> StoryMap | None:
    path = directory / f"{key}.json"
    try:
        return StoryMap.from_dict(json.loads(path.read_text(encoding="utf-8")))
    except (OSError, ValueError, KeyError, TypeError):
        return None


def save_map(directory: Path, story_map: StoryMap) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    tmp = directory / f"{story_map.key}.json.tmp"
    tmp.write_text(json.dumps(story_map.to_dict(), ensure_ascii=False), encoding="utf-8")
    tmp.replace(directory / f"{story_map.key}.json")
