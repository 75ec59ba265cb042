"""Typed records the stages hand each other, so that no stage imports another for a type.

In pipeline order: ``Document``/``Corpus`` (articles as read), ``Span`` (a sentence with exact offsets),
``Question`` (the parsed question), ``Evidence``/``Retrieval`` (retrieved sentences with their scores),
``Finding`` (what one article says, and the sentence it says it in), ``Group`` (articles giving the same
answer) and its ``Relation`` to the leading group, ``Unread`` (matching articles not read),
``Citation``/``Position``/``Conflict``/``Answer`` (the public answer: ``Answer.to_dict()`` is exactly the JSON
contract of ``storydesk ask --json``), and ``Event`` (progress of one answer, for displays).
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import TYPE_CHECKING, Any, Callable, Mapping, Protocol, Sequence

from .names import article_names, own_name
from .text import SENTENCE_SHAPES

if TYPE_CHECKING:
    import numpy as np

__all__ = [
    "Document",
    "Corpus",
    "Span",
    "Question",
    "Evidence",
    "Signals",
    "SentenceStore",
    "Retrieval",
    "Article",
    "Finding",
    "Group",
    "Relation",
    "Unread",
    "Citer",
    "Citation",
    "Position",
    "Conflict",
    "Answer",
    "Event",
    "AddedArticles",
    "Encoder",
    "Progress",
    "REPORTED",
    "OPINION",
    "PREPARING",
]

# (stage label, done, total): how indexing, the model download and eval runs report progress.
Progress = Callable[[str, int, int], None]
# The progress event that says an answer will take longer: articles read for the first time (``ahead.py``).
PREPARING = "preparing"
# A cited sentence's stance (``Citation.stance``, stance.py): stated as fact or attributed, or the writer's view.
REPORTED, OPINION = "reported", "opinion"


@dataclass(frozen=True)
class Document:
    doc_id: str
    text: str
    path: str = ""
    # The name its corpus gives it (``names.article_names``), set when the Corpus is built: never compared.
    label: str = field(default="", compare=False, repr=False)

    @property
    def headline(self) -> str:
        """The name the text itself gives: its headline, else the outlet or byline at its top; "" for none."""
        return own_name(self.text)

    @property
    def title(self) -> str:
        """What a reader calls it: its name in its corpus (the headline, else "Article N"), else its headline,
        else "Article". Never a lede cut short, never the file id."""
        return self.label or self.headline or "Article"


@dataclass(frozen=True)
class Corpus:
    directory: str
    documents: tuple[Document, ...]
    # Files that were not read, one line each: links that resolve outside the directory, and copies of
    # an article already loaded (identical text never counts twice: five copies would outvote the rest).
    skipped: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        # Every article gets its name here, whichever way the corpus was built: names depend on the whole corpus.
        names = article_names({d.doc_id: d.headline for d in self.documents})
        object.__setattr__(self, "documents", tuple(replace(d, label=names[d.doc_id]) for d in self.documents))
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


@dataclass(frozen=True)
class Question:
    """A parsed question (``question.parse_question``): what it asks for and what an answer must hold."""

    text: str
    answer_type: str | None
    terms: tuple[str, ...]  # stemmed content terms
    scope_terms: tuple[str, ...] = field(default=())  # stemmed terms of the source the question names
    # It asks for several things that can all be true at once (a list: "which sectors were hit?", "what did
    # X say?"), not one value: its answers complement each other, they never conflict.
    several: bool = False
    parts: tuple[str, ...] = ()  # what the reader is asked: each part of a question asking several things

    @property
    def asked(self) -> tuple[str, ...]:
        """What the reader answers: each part of a multi-part question, else the question itself."""
        return self.parts or (self.text,)

    @property
    def sentence_shape(self) -> re.Pattern | None:
        return SENTENCE_SHAPES[self.answer_type] if self.answer_type else None


@dataclass(frozen=True)
class Citation:
    """A verified pointer into an article: ``quote == text_of(doc_id)[start:end]``, always."""

    id: int
    doc_id: str
    start: int
    end: int
    quote: str
    stance: str = ""  # REPORTED (fact, or attributed to a source) or OPINION (the writer's view); "" unknown

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "doc_id": self.doc_id,
            "start": self.start,
            "end": self.end,
            "quote": self.quote,
            "stance": self.stance,
        }


@dataclass(frozen=True)
class Position:
    """One side of a disagreement: what it claims, the citations of a few articles that hold it (read ones),
    every article that holds it (those read first, then those counted unread) and how many they are."""

    claim: str
    citations: tuple[int, ...]
    doc_ids: tuple[str, ...] = ()
    count: int = 0  # articles that hold it; left 0, it is len(doc_ids) (or, without them, len(citations))

    def __post_init__(self) -> None:
        if not self.count:
            object.__setattr__(self, "count", len(self.doc_ids) or len(self.citations))

    def to_dict(self) -> dict[str, Any]:
        return {"claim": self.claim, "citations": [*self.citations], "count": self.count, "doc_ids": [*self.doc_ids]}


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
    run: dict[str, str] = field(default_factory=dict)  # how the model read (Backend.run_info): copied or written

    @property
    def answer(self) -> str:
        return self.text

    def to_dict(self) -> dict[str, Any]:
        return {
            "question": self.question,
            "answer": self.text,
            "answerable": self.answerable,
            "citations": [c.to_dict() for c in self.citations],
            "conflicts": [c.to_dict() for c in self.conflicts],
            "model": self.model,
            "timings_ms": {k: round(v, 1) for k, v in self.timings_ms.items()},
            "run": dict(self.run),
        }


@dataclass(frozen=True)
class Evidence:
    """A retrieved sentence and its fused retrieval score: what an article is ranked by and what a long article
    is shown by (its best passages)."""

    id: int  # 1-based place in retrieval's own list (0: picked from its scores later); no stage reads it
    span: Span
    score: float  # fused retrieval score

    @property
    def doc_id(self) -> str:
        return self.span.doc_id

    @property
    def text(self) -> str:
        return self.span.text


@dataclass
class Signals:
    """The candidate sentences of one question, as a store's indexes found them, with each one's retrieval
    signals (arrays aligned with ``spans``; the BM25 ones normalised to the best candidate's)."""

    spans: list[Span]
    dense_sentence: np.ndarray  # cosine of the sentence's vector to the question's
    dense_paragraph: np.ndarray  # ... of its paragraph's
    bm25_sentence: np.ndarray
    bm25_paragraph: np.ndarray
    bm25_expanded: np.ndarray  # BM25 on corpus words close in meaning to the question's words


class SentenceStore(Protocol):
    """What answering reads from an index, whichever store holds it (index.py on disk, pg_store.py)."""

    corpus: Corpus
    key: str  # changes whenever the articles or the encoder change

    def spans_of(self, doc_id: str) -> list[Span]:
        """One article's sentences, in order."""

    def article_terms(self, doc_id: str) -> frozenset[str]:
        """The analysed terms of one article (``text.analyze``)."""

    def nearest_words(self, vectors: np.ndarray, k: int) -> list[list[tuple[str, float]]]:
        """For each query vector, the ``k`` corpus words closest in meaning, with their cosine, best first."""

    def candidates(
        self, terms: list[str], qvec: np.ndarray, expanded: list[str], weights: list[float], settings
    ) -> Signals:
        """The sentences the store's indexes propose for a question, with their signals."""


@dataclass
class Retrieval:
    question: Question
    evidence: list[Evidence]
    scores: dict[str, float] = field(repr=False)  # Span.key -> fused score, for every candidate sentence
    scope_unmatched: bool = False  # the question names a source no article could be matched to (all were read)
    # Every article whose best sentence reaches the floor, best first: answering reads some of them (the cap,
    # RetrievalSettings.max_articles, spent on distinct articles) and counts the rest by their text.
    matching: tuple[str, ...] = ()

    def by_article(self) -> dict[str, list[Evidence]]:
        groups: dict[str, list[Evidence]] = {}
        for ev in self.evidence:
            groups.setdefault(ev.doc_id, []).append(ev)
        return groups


@dataclass(frozen=True)
class Article:
    """One article as the reader gets it: its text, its sentences (for citing), the sentences screened out
    as planted instructions (never shown to the model) and the passages retrieval ranked best in it."""

    document: Document
    sentences: tuple[Span, ...]
    passages: tuple[Evidence, ...] = ()
    screened: frozenset[int] = frozenset()  # start offsets of sentences screened out

    @property
    def doc_id(self) -> str:
        return self.document.doc_id

    def sentence_at(self, offset: int) -> Span | None:
        return next((s for s in self.sentences if s.start <= offset < s.end), None)


@dataclass(frozen=True)
class Finding:
    """What one article answers to one part of the question: the words it gives, where they are, the
    sentence cited for them, and the model's probability that the article answers at all."""

    doc_id: str
    p_yes: float
    phrase: str = ""  # the article's own words, text[start:end], widened to a complete unit
    start: int = 0
    end: int = 0
    sentence: Span | None = None  # the sentence the phrase sits in: what is cited
    part: int = 0  # which part of a multi-part question
    fluency: float | None = None  # mean log-probability the model gave the copied words unconstrained

    @property
    def answers(self) -> bool:
        return self.sentence is not None and bool(self.phrase)


class Relation(StrEnum):
    """How a group of answers stands to the leading group (gather.py sets it; compose.py and the map read it)."""

    LEAD = "lead"  # it is the leading group
    DISAGREES = "disagrees"  # same subject, another answer
    DISTINCT = "distinct"  # another entity that shares the name: a further valid answer
    COMPLEMENTS = "complements"  # another item of a list the question asks for
    DISPUTED = "disputed"  # every article of it is a near-copy of a better-supported group's, this answer changed
    # Given only in sentences addressed to their reader (the instruction screen's form: injection.candidates), or
    # in one article's sentences that read as orders about what to answer (gather._orders_only), against an
    # answer that articles report: left out of the answer, its articles named.
    ADDRESSED = "addressed"


@dataclass
class Group:
    """Articles giving the same answer; ``phrase`` is the wording shown for all of them, ``relation`` how the
    group stands to the leading group (``copy_of``: for a disputed group, the article its articles copy)."""

    findings: list[Finding]
    relation: Relation = Relation.LEAD
    copy_of: str = ""
    also: list[str] = field(default_factory=list)  # matching articles not read whose own text states this answer

    @property
    def phrase(self) -> str:
        counts: dict[str, int] = {}
        for f in self.findings:
            counts[f.phrase] = counts.get(f.phrase, 0) + 1
        return max(counts, key=lambda p: (counts[p], len(p)))

    @property
    def doc_ids(self) -> list[str]:
        return list(dict.fromkeys(f.doc_id for f in self.findings))

    @property
    def best(self) -> float:
        return max(f.p_yes for f in self.findings)

    @property
    def count(self) -> int:
        """How many articles hold this answer: those read that give it and those counted unread (``also``)."""
        return len(self.doc_ids) + len(self.also)


@dataclass(frozen=True)
class Unread:
    """The matching articles left unread (past the cap on articles read, or near-copies of one read): each one's
    sentences, the read article each near-copy copies, and whether a sentence may be read (False for one
    screened as a planted instruction). Gathering counts them for the answers their text states."""

    sentences: Mapping[str, Sequence[Span]]
    copy_of: Mapping[str, str] = field(default_factory=dict)
    readable: Callable[[Span], bool] = lambda span: True


class Citer(Protocol):
    """Turns sentences into verified, numbered citations (``grounding.Citations`` is the one there is)."""

    def cite(self, sentence: Span) -> int | None: ...

    @property
    def citations(self) -> list[Citation]: ...


@dataclass(frozen=True)
class Event:
    """Progress of one answer, in pipeline order: ``searching``, ``preparing`` (only when ``done`` of the ``total``
    articles about to be read are read for the first time: their screens and reading states are computed now, which
    takes longer), ``reading`` (article ``done`` of ``total``, named in ``doc_id``), ``comparing``, then ``done``
    carrying the ``answer``."""

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


class Encoder(Protocol):
    """Sentence vectors: ``embeddings.MiniLM`` (in-process, the default) or ``embed_client.ServerEncoder``
    (an embedding server). ``model_name`` identifies the vectors (indexes are kept by it, never mixed)."""

    @property
    def model_name(self) -> str: ...

    @property
    def dimensions(self) -> int: ...

    def embed(self, texts: list[str]) -> np.ndarray:
        """One float32 row per text, L2-normalised (cosine = dot product), in the order given."""
