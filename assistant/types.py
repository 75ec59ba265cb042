"""Typed records the stages hand each other, so that no stage imports another for a type.

In pipeline order: ``Document``/``Corpus`` (articles as read), ``Span`` (a sentence with exact offsets),
``Question`` (the parsed question), ``Evidence``/``Retrieval`` (numbered retrieved sentences), ``Finding``
(what one article says), ``Group`` (articles giving the same answer), ``Citation``/``Position``/
``Conflict``/``Answer`` (the public answer: ``Answer.to_dict()`` is exactly the JSON contract of
``storydesk ask --json``), and ``Event`` (progress of one answer, for displays).
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Callable, Iterable, Protocol

from .text import ABSOLUTE_DATE, ANSWER_SHAPES, ANY_MONEY, CURRENCIES

if TYPE_CHECKING:
    import numpy as np

__all__ = [
    "Document",
    "Corpus",
    "Span",
    "Question",
    "Evidence",
    "Retrieval",
    "Finding",
    "Group",
    "Citer",
    "Citation",
    "Position",
    "Conflict",
    "Answer",
    "Event",
    "AddedArticles",
    "Progress",
]

# (stage label, done, total): how indexing, the model download and eval runs report progress.
Progress = Callable[[str, int, int], None]


@dataclass(frozen=True)
class Document:
    doc_id: str
    text: str
    path: str = ""

    @property
    def title(self) -> str:
        """A short label: the first line (the headline, or the lede's opening words), cut at a word."""
        for line in self.text.splitlines():
            line = line.strip().lstrip("#").strip()
            if line:
                return line if len(line) <= 72 else line[:72].rsplit(" ", 1)[0].rstrip(",;:") + "…"
        return self.doc_id


@dataclass(frozen=True)
class Corpus:
    directory: str
    documents: tuple[Document, ...]
    # Files that were not read, one line each: links that resolve outside the directory, and copies of
    # an article already loaded (identical text never counts twice: five copies would outvote the rest).
    skipped: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "_by_id", {d.doc_id: d for d in self.documents})

    def __getitem__(self, doc_id: str) -> Document:
        return self._by_id[doc_id]  # type: ignore[attr-defined]

    def __contains__(self, doc_id: object) -> bool:
        return doc_id in self._by_id  # type: ignore[attr-defined]

    def __iter__(self):
        return iter(self.documents)

    def __len__(self) -> int:
        return len(self.documents)

    @property
    def fingerprint(self) -> str:
        """Content hash: any edit, addition or removal gives a new value (and a new index)."""
        h = hashlib.sha256()
        for doc in self.documents:
            h.update(doc.doc_id.encode("utf-8") + b"\0" + doc.text.encode("utf-8") + b"\0")
        return h.hexdigest()


@dataclass(frozen=True)
class Span:
    """A sentence of an article: ``text == document.text[start:end]``, by construction."""

    doc_id: str
    index: int  # position of the sentence within its document
    paragraph: int  # which line/paragraph it sits in
    start: int
    end: int
    text: str

    @property
    def key(self) -> str:
        return f"{self.doc_id}:{self.start}-{self.end}"


_SHAPED = ("duration", "date", "quantity")  # answer types whose answers have a recognisable form


@dataclass(frozen=True)
class Question:
    """A parsed question (``question.parse_question``): what it asks for and what an answer must hold."""

    text: str
    answer_type: str | None
    terms: tuple[str, ...]  # stemmed content terms
    scope_terms: tuple[str, ...] = field(default=())  # stemmed terms of the source the question names
    naming: bool = False  # asks for a name: a description ("a British lab") does not answer it
    exact_date: bool = False  # asks for a date: "weeks before the summit" does not answer it
    currency: str | None = None  # asks for an amount in this currency: £200m does not answer "how many dollars"
    statement: bool = False  # "what did X say?": its answers complement each other, they never conflict

    def accepts(self, phrase: str) -> bool:
        """Does an answer phrase have what this question strictly demands (beyond being relevant)?"""
        if self.answer_type in _SHAPED and not ANSWER_SHAPES[self.answer_type][1].search(phrase):
            return False
        if self.exact_date and self.answer_type == "date" and not ABSOLUTE_DATE.search(phrase):
            return False
        if self.currency and not (ANY_MONEY if self.currency == "any" else CURRENCIES[self.currency]).search(phrase):
            return False
        return True

    @property
    def strict(self) -> bool:
        """An answer without the asked shape answers nothing (rather than being a weaker answer)."""
        return self.answer_type in _SHAPED or self.naming or bool(self.currency)

    @property
    def sentence_shape(self) -> re.Pattern | None:
        return ANSWER_SHAPES[self.answer_type][1] if self.answer_type else None


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
    span: Span
    score: float  # fused retrieval score

    @property
    def doc_id(self) -> str:
        return self.span.doc_id

    @property
    def text(self) -> str:
        return self.span.text


@dataclass
class Retrieval:
    question: Question
    evidence: list[Evidence]
    scores: np.ndarray = field(repr=False)  # per-sentence fused score, aligned with index.spans
    out_of_scope: bool = False  # the question names a source no article mentions

    def by_article(self) -> dict[str, list[Evidence]]:
        groups: dict[str, list[Evidence]] = {}
        for ev in self.evidence:
            groups.setdefault(ev.doc_id, []).append(ev)
        return groups

    def get(self, evidence_id: int) -> Evidence | None:
        for ev in self.evidence:
            if ev.id == evidence_id:
                return ev
        return None


@dataclass(frozen=True)
class Finding:
    """What one article says on the question: a sentence and the words in it that answer."""

    doc_id: str
    evidence: Evidence | None  # None: the article does not answer
    phrase: str = ""  # what the answer shows: a readable run of the sentence
    confidence: float = 0.0
    words: str = ""  # the model's own (shorter) copied words: what answers are compared on
    also: tuple[Evidence, ...] = ()  # further sentences of the same article that answer too

    @property
    def key_text(self) -> str:
        """What the answer is compared on: the shorter of the shown phrase and the model's words
        (a whole sentence shown for context names every actor in it, not just the answer)."""
        if self.words and (not self.phrase or len(self.words.split()) < len(self.phrase.split())):
            return self.words
        return self.phrase

    @property
    def answers(self) -> bool:
        return self.evidence is not None and bool(self.phrase)


@dataclass
class Group:
    """Articles giving the same answer; ``findings[0]`` is the one whose words represent the group."""

    findings: list[Finding]

    @property
    def phrase(self) -> str:
        return self.findings[0].phrase

    @property
    def doc_ids(self) -> list[str]:
        return [f.doc_id for f in self.findings]

    def distinct_phrases(self) -> list[str]:
        seen: dict[str, str] = {}
        for f in self.findings:
            seen.setdefault(f.phrase.lower(), f.phrase)
        return list(seen.values())


class Citer(Protocol):
    """Turns evidence into verified, numbered citations (``grounding.Citations`` is the one there is)."""

    def cite(self, evidence: Evidence) -> int | None: ...

    def cite_all(self, evidence: Iterable[Evidence]) -> tuple[int, ...]: ...

    @property
    def citations(self) -> list[Citation]: ...


@dataclass(frozen=True)
class Event:
    """Progress of one answer, in pipeline order: ``searching``, ``reading`` (article ``done`` of
    ``total``, named in ``doc_id``), ``comparing``, then ``done`` carrying the ``answer``."""

    stage: str
    detail: str
    done: int = 0
    total: int = 0
    doc_id: str = ""
    answer: Answer | None = None


@dataclass(frozen=True)
class AddedArticles:
    """What ``Assistant.add_articles`` did with each file: doc ids added, doc ids already there, and one
    line per file that could not be an article (named by its file name only)."""

    added: tuple[str, ...] = ()
    present: tuple[str, ...] = ()
    problems: tuple[str, ...] = ()
