"""The story map: without being asked, where the sources part ways.

Rows are the points the story turns on; columns are the articles. The points come from the corpus: the
model writes the questions a reporter would ask (who did what to whom, what, when, where, how, how long,
how many, who responded, who paid, who said what) from the openings of the most central articles, with
the story's own names; questions that say the same (MiniLM cosine) are one point, ranked by how many
articles' openings raised it. Pinned questions (from the chat) come first. Every row is then answered
by the chat's own path up to the write-up (``answer.gather_steps``: retrieve, screen, read each article,
gather), so the map and the chat never disagree on the same question. A cell is one article's answer in
its own words, cited by the sentence it sits in (verified like every citation), or blank when the
article is silent. Rows where the articles disagree come first, marked.

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
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Iterable, Sequence

import numpy as np

from .answer import gather_steps
from .backends.base import Backend
from .config import prompts_dir
from .errors import BadQuestion
from .grounding import Citations
from .prompts import load_prompt
from .question import parse_question
from .settings import Settings
from .stance import with_stance
from .types import Citation, Event

if TYPE_CHECKING:
    from .index import StoryIndex

__all__ = ["StoryMap", "MapRow", "MapCell", "build_map", "map_points", "map_key", "load_map", "save_map"]

MAP_FORMAT = "2"
DISAGREEING = ("disagrees", "disputed")  # group relations that make a row a disagreement
OnEvent = Callable[[Event], None]


@dataclass(frozen=True)
class MapCell:
    """One article's answer to a row's question: its own words and the sentence cited for them."""

    doc_id: str
    answer: str
    citation: Citation
    position: int  # which of the row's positions (0: the best supported)
    relation: str  # that position's relation to the first: lead, disagrees, disputed, distinct, complements


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
                [MapCell(**{**c, "citation": Citation(**c["citation"])}) for c in r["cells"]],
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


def _central(index: StoryIndex, n: int) -> list[str]:
    """The ``n`` articles closest in meaning to the corpus as a whole (mean sentence vector), best first."""
    ids = [d.doc_id for d in index.corpus]
    vectors = np.stack([index.sentence_vectors[index.spans_of(d)].mean(axis=0) for d in ids])
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True) + 1e-9
    centre = vectors.mean(axis=0)
    order = np.argsort(-(vectors @ centre), kind="stable")
    return [ids[i] for i in order[:n]]


def _questions(reply: str) -> list[str]:
    """The questions of the model's reply: one per line, numbering and bullets dropped."""
    found = []
    for line in str(reply).splitlines():
        line = re.sub(r"^\s*(?:[-*•]|\d+[.)])\s*", "", line).strip()
        if line.endswith("?") and 3 <= len(line.split()) <= 16:
            found.append(line)
    return found


def map_points(
    index: StoryIndex, backend: Backend, embed, settings: Settings, on_event: OnEvent | None = None
) -> list[str]:
    """The questions the story turns on, found from the corpus (see the module's docstring)."""
    s = settings.story_map
    prompt = load_prompt("map_questions")
    asked: list[tuple[str, str]] = []  # (question, the article whose opening raised it)
    central = _central(index, s.question_articles)
    for n, doc_id in enumerate(central, 1):
        if on_event:
            on_event(Event("points", f"finding the points in article {n} of {len(central)}", n, len(central)))
        lead = " ".join(index.corpus[doc_id].text.split()[: s.lead_words])
        reply = backend.generate(prompt.messages(lead=lead), None, max_tokens=s.max_question_tokens)
        asked += [(q, doc_id) for q in _questions(reply) if _readable(q)]
    if not asked:
        return []
    vectors = embed.embed([q for q, _ in asked])
    points: list[tuple[int, set[str]]] = []  # (first question's position in ``asked``, articles raising it)
    for i, (_, doc_id) in enumerate(asked):
        same = next((p for p in points if float(vectors[p[0]] @ vectors[i]) >= s.same_question), None)
        if same is None:
            points.append((i, {doc_id}))
        else:
            same[1].add(doc_id)
    ranked = sorted(points, key=lambda p: (-len(p[1]), p[0]))
    return [asked[i][0] for i, _ in ranked[: s.max_points]]


def _readable(question: str) -> bool:
    try:
        parse_question(question)
    except BadQuestion:
        return False
    return True


def _row(question: str, found, citations: Citations, pinned: bool, stance: Callable[[Citation], Citation]) -> MapRow:
    cells = []
    disagree = False
    for _, groups in found.groups[:1]:  # a map row asks one thing
        for k, group in enumerate(groups):
            disagree |= group.relation in DISAGREEING
            for f in group.findings:
                n = citations.cite(f.evidence) if f.evidence else None
                if n is not None:
                    cited = stance(citations.citations[n - 1])
                    cells.append(MapCell(f.doc_id, f.phrase, cited, k, group.relation))
    return MapRow(question, cells, disagree and len({c.position for c in cells}) > 1, pinned)


def build_map(
    index: StoryIndex,
    backend: Backend,
    embed,
    settings: Settings,
    pinned: Sequence[str] = (),
    points: Sequence[str] | None = None,
    on_event: OnEvent | None = None,
    verdicts: dict[str, bool] | None = None,
    stances: dict[str, str] | None = None,
) -> StoryMap:
    """The story map of ``index``: ``pinned`` questions first, then ``points`` (found from the corpus by
    ``map_points`` when not given), each answered by every relevant article."""
    import time

    t0 = time.perf_counter()
    emit = on_event or (lambda event: None)
    found_points = list(points) if points is not None else map_points(index, backend, embed, settings, on_event)
    questions = list(dict.fromkeys([*pinned, *found_points]))
    citations = Citations(index.corpus)
    rows = []
    verdicts = verdicts if verdicts is not None else {}
    stances = stances if stances is not None else {}

    def stance(citation: Citation) -> Citation:
        return with_stance([citation], backend, settings.stance, stances)[0]

    for n, question in enumerate(questions, 1):
        emit(Event("row", f"row {n} of {len(questions)}: {question}", n, len(questions)))
        steps = gather_steps(parse_question(question), index, backend, embed, settings, verdicts)
        found = _drain(steps)
        rows.append(_row(question, found, citations, question in pinned, stance))
    rows.sort(key=lambda r: (not r.pinned, not r.disagree, -len(r.cells)))
    columns = [(d.doc_id, d.title) for d in index.corpus]
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
    for name in ("map_questions", "read_article", "same_answer", "same_subject", "check_instruction", "check_stance"):
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
