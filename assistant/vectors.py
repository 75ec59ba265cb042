"""The index's vectors: sentences embedded per article and kept by content, so that re-indexing embeds
only what changed; paragraphs pooled from their sentences; the vocabulary's words.

Embedding is nearly all the cost of indexing. A sentence's vector depends on its text alone (the
encoder's output does not depend on what else shares its batch: tests/test_embeddings.py), so an
article's vectors are stored under the cache keyed by the article's text, the index format (which
fixes the sentence splitting) and the encoder. Adding, editing or removing one article of thousands
embeds that one article, and the index built from stored vectors is identical, bit for bit, to one
built from scratch. Files are written whole and renamed into place, so a killed run leaves either a
complete file or none.
"""

from __future__ import annotations

import hashlib
import os
import re
from pathlib import Path
from typing import Sequence

import numpy as np

from .types import Corpus, Encoder, Progress, Span

__all__ = ["ArticleVectors", "sentence_vectors", "vocabulary_vectors", "pooled", "normalised"]


_KEEP_BYTES = 1 << 30  # vectors of articles no longer in any corpus are dropped, oldest first, past this


class ArticleVectors:
    """``get``/``put`` an article's sentence vectors by its text; ``prune`` drops the least recently used."""

    def __init__(
        self, cache_root: Path, model_name: str, index_format: str, keep_bytes: int = _KEEP_BYTES, reuse: bool = True
    ) -> None:
        self.directory = Path(cache_root) / "vectors" / re.sub(r"[^\w.-]", "_", model_name)
        self.index_format = index_format
        self.keep_bytes = keep_bytes
        self.reuse = reuse  # False for a rebuild: everything is embedded again, and written over what was stored
        self.stored = 0  # bytes this object wrote

    def _path(self, text: str) -> Path:
        key = hashlib.sha256(self.index_format.encode("utf-8") + b"\0" + text.encode("utf-8")).hexdigest()
        return self.directory / key[:2] / f"{key}.npy"

    def get(self, text: str, rows: int) -> np.ndarray | None:
        """The stored vectors of an article with this text, if there are ``rows`` of them; else None."""
        if not self.reuse:
            return None
        path = self._path(text)
        try:
            vectors = np.load(path, allow_pickle=False)
            os.utime(path)  # marks it in use, for prune
        except (OSError, ValueError, EOFError):  # missing, damaged or cut short: embedded again
            return None
        return vectors if vectors.ndim == 2 and vectors.shape[0] == rows and vectors.dtype == np.float32 else None

    def put(self, text: str, vectors: np.ndarray) -> None:
        path = self._path(text)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_name(f"{path.stem}.tmp-{os.getpid()}.npy")
            np.save(tmp, np.ascontiguousarray(vectors, dtype=np.float32))
            self.stored += tmp.stat().st_size
            os.replace(tmp, path)
        except OSError:
            pass  # a read-only cache only means embedding again next time

    def prune(self, since: float) -> None:
        """Drop the least recently used files while the store is over its size budget, never one used
        at or after ``since`` (the build that calls this needs them all).

        Counting the files' sizes costs a look at every file, which would make a one-article update cost in
        proportion to the archive: the total as last counted is kept in ``size``, with what was written since
        added, and the files are looked at only when that reaches the budget (or nothing was counted yet). Two
        processes writing at once may each miss the other's addition: the budget is then reached later."""
        if not self.stored:
            return  # nothing was added
        counted = self._counted()
        if counted is not None and counted + self.stored <= self.keep_bytes:
            self._count(counted + self.stored)
            return
        try:
            files = [(st.st_mtime, st.st_size, p) for p in self.directory.glob("*/*.npy") for st in [p.stat()]]
        except OSError:
            return
        total = sum(size for _, size, _ in files)
        for used, size, path in sorted(files):
            if total <= self.keep_bytes or used >= since:
                break
            path.unlink(missing_ok=True)
            total -= size
        self._count(total)

    def _counted(self) -> int | None:
        try:
            return int((self.directory / "size").read_text(encoding="ascii"))
        except (OSError, ValueError):
            return None

    def _count(self, total: int) -> None:
        self.stored = 0
        try:
            tmp = self.directory / f"size.tmp-{os.getpid()}"
            tmp.write_text(str(total), encoding="ascii")
            os.replace(tmp, self.directory / "size")
        except OSError:
            pass


def _doc_ranges(spans: Sequence[Span]) -> list[tuple[str, int, int]]:
    """(doc_id, first, end) of each article's run of sentences (``_collect`` keeps them together)."""
    ranges: list[tuple[str, int, int]] = []
    for i, span in enumerate(spans):
        if ranges and ranges[-1][0] == span.doc_id:
            ranges[-1] = (span.doc_id, ranges[-1][1], i + 1)
        else:
            ranges.append((span.doc_id, i, i + 1))
    return ranges


def sentence_vectors(
    corpus: Corpus,
    spans: list[Span],
    encoder: Encoder,
    store: ArticleVectors | None,
    progress: Progress | None,
    chunk: int = 512,
) -> np.ndarray:
    """Every sentence's vector: an article's from the store when its text was embedded before, else
    embedded now. The sentences of all new articles go through the encoder together, in chunks big
    enough for it to batch sentences of like length across articles, and small enough to report progress
    every few seconds (and to let a question's own embedding in between)."""
    out = np.zeros((len(spans), encoder.dimensions), dtype=np.float32)
    todo = []
    for doc_id, lo, hi in _doc_ranges(spans):
        stored = store.get(corpus[doc_id].text, hi - lo) if store else None
        if stored is None:
            todo.append((doc_id, lo, hi))
        else:
            out[lo:hi] = stored
    rows = [i for _, lo, hi in todo for i in range(lo, hi)]
    if progress and rows:
        progress("embedding sentences", 0, len(rows))  # starts the clock: a rate shown counts the first chunk
    for start in range(0, len(rows), chunk):
        part = rows[start : start + chunk]
        out[part] = encoder.embed([spans[i].text for i in part])
        if progress:
            progress("embedding sentences", start + len(part), len(rows))
    if store:
        for doc_id, lo, hi in todo:
            store.put(corpus[doc_id].text, out[lo:hi])
    return out


def vocabulary_vectors(
    vocabulary: list[str], encoder: Encoder, known: dict[str, np.ndarray], progress: Progress | None
) -> np.ndarray:
    """Word vectors, taking those the previous index already had (a word's vector is its own)."""
    out = np.zeros((len(vocabulary), encoder.dimensions), dtype=np.float32)
    new = [i for i, w in enumerate(vocabulary) if w not in known]
    for i, word in enumerate(vocabulary):
        if word in known:
            out[i] = known[word]
    if progress and new:
        progress("embedding vocabulary", 0, len(new))
    for start in range(0, len(new), 1024):
        rows = new[start : start + 1024]
        out[rows] = encoder.embed([vocabulary[i] for i in rows])
        if progress:
            progress("embedding vocabulary", start + len(rows), len(new))
    return out


def pooled(sentence_vectors: np.ndarray, span_paragraph: np.ndarray, n: int) -> np.ndarray:
    """A paragraph's vector: the normalised sum of its sentences' vectors. Embedding paragraphs again
    would double the cost of indexing, the whole of which is embedding; pooled vectors rank the gold
    sentences of the dev, readers and harbour suites as well (bench/retrieval_recall.py: recall@3
    0.784/0.875/0.831 pooled, 0.784/0.883/0.831 embedded)."""
    sums = np.zeros((n, sentence_vectors.shape[1]), dtype=np.float32)
    np.add.at(sums, span_paragraph, sentence_vectors)
    return sums / np.clip(np.linalg.norm(sums, axis=1, keepdims=True), 1e-12, None)


def normalised(scores: np.ndarray) -> np.ndarray:
    """Scores divided by the best one (unchanged when none is positive): both stores' BM25 signals."""
    top = float(scores.max()) if scores.size else 0.0
    return scores / top if top > 0 else scores
