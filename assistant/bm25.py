"""BM25 scored at query time from term statistics, so that adding or removing rows only moves counts.

bm25s (what llama-index's BM25Retriever builds) bakes the corpus statistics into a per-(row, term) score
matrix, so one changed article changes every stored score. Here the rows keep their term frequencies and
lengths, the store keeps each term's document frequency and the total length (index_store.py updates them per
article), and a query term's scores are computed from them when asked: the same numbers as bm25s's "lucene"
BM25, computed in the same order of float operations (tests/test_index_store.py holds it to bm25s exactly).
"""

from __future__ import annotations

import math
from collections import Counter
from typing import Sequence

import numpy as np

from .text import analyze

__all__ = ["BM25", "K1", "B", "term_counts"]

K1, B = 1.5, 0.75  # bm25s's defaults (method "lucene"), as pg_store.py scores too


def term_counts(text: str) -> Counter:
    """Each analysed term of ``text`` (text.analyze: bm25s's tokenizer, stemmer and stopwords) and its count."""
    return Counter(analyze(text))


class BM25:
    """BM25 over rows ``0..n-1``: postings grouped by term (``indptr`` into ``rows``/``tfs``), each row's
    length, and the statistics of the live rows (``df`` per term id, the total length)."""

    def __init__(
        self,
        term_ids: dict[str, int],
        df: np.ndarray,
        total_length: int,
        lengths: np.ndarray,
        postings: tuple[np.ndarray, np.ndarray, np.ndarray],
    ) -> None:
        self.term_ids, self.df, self.lengths = term_ids, df, lengths
        self.indptr, self.rows, self.tfs = postings
        self.n = len(lengths)
        # bm25s: np.array(lengths).mean(), an exact integer sum divided once
        self.avgdl = total_length / self.n if self.n else 0.0

    @classmethod
    def from_entries(
        cls, term_ids: dict[str, int], df: np.ndarray, total_length: int, lengths: np.ndarray, entries: np.ndarray
    ) -> "BM25":
        """From (row, term id, tf) entries, in any order: grouped by term here (in any order within a term: each
        row's score is its own, whatever the order rows are scored in)."""
        order = np.argsort(entries[:, 1].astype(np.int32), kind="stable")  # measured fastest (radix-like on int32)
        counts = np.bincount(entries[:, 1], minlength=len(df))
        indptr = np.zeros(len(df) + 1, dtype=np.int64)
        np.cumsum(counts, out=indptr[1:])
        rows, tfs = entries[order, 0], entries[order, 2]
        return cls(term_ids, df, total_length, lengths, (indptr, rows, tfs))

    def term_scores(self, term: str) -> tuple[np.ndarray, np.ndarray] | None:
        """The rows holding ``term`` and their BM25 for it (float32), or None when no row holds it."""
        t = self.term_ids.get(term)
        if t is None or self.df[t] <= 0:
            return None
        lo, hi = self.indptr[t], self.indptr[t + 1]
        rows = self.rows[lo:hi]
        df = int(self.df[t])
        idf = np.float32(math.log(1 + (self.n - df + 0.5) / (df + 0.5)))  # bm25s keeps idf as float32
        tf = self.tfs[lo:hi].astype(np.float32)
        tfc = tf / (K1 * ((1 - B) + B * self.lengths[rows] / np.float64(self.avgdl)) + tf)
        return rows, (np.float64(idf) * tfc).astype(np.float32)

    def scores(self, terms: Sequence[str], weights: Sequence[float] | None = None) -> np.ndarray:
        """Every row's BM25 for the query ``terms``: a sum over terms, so expansion terms are a weighted sum."""
        total = np.zeros(self.n, dtype=np.float32)
        for i, term in enumerate(terms):
            found = self.term_scores(term)
            if found is not None:
                rows, scores = found
                total[rows] += (weights[i] if weights else 1.0) * scores
        return total
