"""The store's live rows read into memory in corpus order: the arrays retrieval scores.

Whatever order the rows were appended in (index_store.py), they are copied here in the order of the corpus's
articles, sentences in article order. A store updated article by article and one built from scratch on the
same corpus so give identical arrays, and every score computed from them (a BLAS product depends on where a
row sits in its matrix, so the order is what makes them equal bit for bit). Spans and paragraphs are made on
first use: an index of hundreds of thousands of sentences opens without building them all.
"""

from __future__ import annotations

import operator
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np

from .bm25 import BM25
from .index_store import State, gather_index, read_rows
from .types import Corpus, Span

__all__ = ["Paragraph", "LazyRows", "Arrays", "read_arrays"]


@dataclass(frozen=True)
class Paragraph:
    doc_id: str
    number: int
    start: int
    end: int
    first_span: int  # index into StoryIndex.spans
    last_span: int  # inclusive


class LazyRows(Sequence):
    """A read-only list whose items are made on first access, then kept."""

    def __init__(self, n: int, make: Callable[[int], object]) -> None:
        self._items: list = [None] * n
        self._make = make

    def __len__(self) -> int:
        return len(self._items)

    def __getitem__(self, i):
        if isinstance(i, slice):
            return [self[j] for j in range(*i.indices(len(self)))]
        i = operator.index(i)
        item = self._items[i]  # raises IndexError as a list does; negative indexes count from the end
        if item is None:
            item = self._items[i] = self._make(i % len(self._items))
        return item

    def __eq__(self, other) -> bool:
        return isinstance(other, Sequence) and len(self) == len(other) and all(a == b for a, b in zip(self, other))

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"LazyRows({len(self)})"


@dataclass
class Arrays:
    spans: LazyRows
    paragraphs: LazyRows
    span_paragraph: np.ndarray
    sentence_vectors: np.ndarray
    paragraph_vectors: np.ndarray
    sentence_bm25: BM25
    paragraph_bm25: BM25
    vocabulary: list[str]
    vocabulary_vectors: np.ndarray
    doc_spans: dict[str, tuple[int, int]]  # doc_id -> (first, end) in spans


def _rows(directory: Path, state: State, name: str, index: np.ndarray) -> np.ndarray:
    return np.asarray(read_rows(directory, state, name)[index])


def _firsts(counts: np.ndarray) -> np.ndarray:
    return np.cumsum(counts) - counts


def _bm25(directory, state, grain, ranges, firsts, lengths, df, total, term_ids) -> BM25:
    """Postings read with their rows made corpus-order row numbers (an entry holds its row within the article)."""
    postings = _rows(directory, state, grain, gather_index(ranges))  # a copy: fancy indexing of a memory map
    owner = np.repeat(np.arange(len(ranges)), ranges[:, 1] - ranges[:, 0])
    postings[:, 0] += firsts[owner]
    return BM25.from_entries(term_ids, np.asarray(df, dtype=np.int64), total, lengths, postings)


def read_arrays(directory: Path, state: State, corpus: Corpus) -> Arrays:
    """The live rows of ``corpus``'s articles, in corpus order (every article must be in the store)."""
    doc_ids = [d.doc_id for d in corpus]
    ranges = state.ranges(doc_ids)
    counts = {g: r[:, 1] - r[:, 0] for g, r in ranges.items()}
    s_index, p_index = gather_index(ranges["sentences"]), gather_index(ranges["paragraphs"])
    sentence_rows = _rows(directory, state, "sentence_rows", s_index)
    paragraph_rows = _rows(directory, state, "paragraph_rows", p_index)
    s_first, p_first = _firsts(counts["sentences"]), _firsts(counts["paragraphs"])
    s_doc = np.repeat(np.arange(len(doc_ids)), counts["sentences"])
    p_doc = np.repeat(np.arange(len(doc_ids)), counts["paragraphs"])
    span_paragraph = (p_first[s_doc] + sentence_rows[:, 3]).astype(np.int32)
    p_bounds = np.stack([np.searchsorted(span_paragraph, np.arange(len(p_index)), side=s) for s in ("left", "right")])

    def span(i: int) -> Span:
        d = int(s_doc[i])
        number, start, end = (int(x) for x in sentence_rows[i, :3])
        return Span(doc_ids[d], i - int(s_first[d]), number, start, end, corpus[doc_ids[d]].text[start:end])

    def paragraph(i: int) -> Paragraph:
        number, start, end = (int(x) for x in paragraph_rows[i, :3])
        return Paragraph(doc_ids[p_doc[i]], number, start, end, int(p_bounds[0, i]), int(p_bounds[1, i]) - 1)

    term_ids = {t: i for i, t in enumerate(state.terms)}
    live_words = sorted((w, i) for i, (w, n) in enumerate(zip(state.words, state.word_articles)) if n > 0)
    return Arrays(
        spans=LazyRows(len(s_index), span),
        paragraphs=LazyRows(len(p_index), paragraph),
        span_paragraph=span_paragraph,
        sentence_vectors=_rows(directory, state, "sentence_vectors", s_index),
        paragraph_vectors=_rows(directory, state, "paragraph_vectors", p_index),
        sentence_bm25=_bm25(
            directory,
            state,
            "sentence_postings",
            ranges["sentence_postings"],
            s_first,
            sentence_rows[:, 4],
            state.sentence_df,
            state.sentence_length,
            term_ids,
        ),
        paragraph_bm25=_bm25(
            directory,
            state,
            "paragraph_postings",
            ranges["paragraph_postings"],
            p_first,
            paragraph_rows[:, 3],
            state.paragraph_df,
            state.paragraph_length,
            term_ids,
        ),
        vocabulary=[w for w, _ in live_words],
        vocabulary_vectors=_rows(
            directory, state, "word_vectors", np.asarray([i for _, i in live_words], dtype=np.int64)
        ),
        doc_spans={d: (int(s_first[i]), int(s_first[i] + counts["sentences"][i])) for i, d in enumerate(doc_ids)},
    )
