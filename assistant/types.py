"""Typed records. ``Answer`` (public) is the answer; ``Answer.to_dict()`` is exactly the JSON contract of
``storydesk ask --json``. ``Evidence`` is what retrieval hands the later stages: a numbered sentence
(the instruction screen, reading and grounding all take it)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Callable

if TYPE_CHECKING:
    from .spans import Span

__all__ = ["Citation", "Position", "Conflict", "Answer", "Evidence", "AddedArticles", "Progress"]

# (stage label, done, total): how indexing, the model download and eval runs report progress.
Progress = Callable[[str, int, int], None]


@dataclass(frozen=True)
class Citation:
    """A verified pointer into an article: ``quote == text_of(doc_id)[start:end]``, always."""

    id: int
    doc_id: str
    start: int
    end: int
    quote: str

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "doc_id": self.doc_id, "start": self.start, "end": self.end, "quote": self.quote}


@dataclass(frozen=True)
class Position:
    """One side of a disagreement: what it claims and the citations of the articles that hold it."""

    claim: str
    citations: tuple[int, ...]
    doc_ids: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {"claim": self.claim, "citations": list(self.citations)}


@dataclass(frozen=True)
class Conflict:
    topic: str
    positions: tuple[Position, ...]

    def to_dict(self) -> dict[str, Any]:
        return {"topic": self.topic, "positions": [p.to_dict() for p in self.positions]}


@dataclass
class Answer:
    question: str
    text: str
    answerable: bool
    citations: list[Citation] = field(default_factory=list)
    conflicts: list[Conflict] = field(default_factory=list)
    model: str = ""
    timings_ms: dict[str, float] = field(default_factory=dict)

    @property
    def answer(self) -> str:
        return self.text

    def citation(self, citation_id: int) -> Citation | None:
        return next((c for c in self.citations if c.id == citation_id), None)

    def to_dict(self) -> dict[str, Any]:
        return {
            "question": self.question,
            "answer": self.text,
            "answerable": self.answerable,
            "citations": [c.to_dict() for c in self.citations],
            "conflicts": [c.to_dict() for c in self.conflicts],
            "model": self.model,
            "timings_ms": {k: round(v, 1) for k, v in self.timings_ms.items()},
        }


@dataclass(frozen=True)
class Evidence:
    """A retrieved sentence, numbered: the model only ever names these numbers, never quotes."""

    id: int  # 1-based, unique within one retrieval
    span: "Span"
    score: float  # fused retrieval score

    @property
    def doc_id(self) -> str:
        return self.span.doc_id

    @property
    def text(self) -> str:
        return self.span.text


@dataclass(frozen=True)
class AddedArticles:
    """What ``Assistant.add_articles`` did with each file: doc ids added, doc ids already there, and one
    line per file that could not be an article (named by its file name only)."""

    added: tuple[str, ...] = ()
    present: tuple[str, ...] = ()
    problems: tuple[str, ...] = ()
