"""The story index: every article's sentences (exact character offsets), with BM25 and MiniLM vectors at two
grains, sentence and paragraph, persisted under the cache directory.

Two grains because news copy states a fact in one sentence and names its subject in the one before: a
sentence is scored on its own words and on its paragraph's. The persisted index is a store that is updated
per article (index_store.py, index_write.py): adding, editing or removing one article of thousands writes that
article's rows and the BM25 statistics, never the rest. It is read back in corpus order (index_read.py), so the
index of a store updated a hundred times is the index of one built from scratch, bit for bit.
"""

from __future__ import annotations

import hashlib
import logging
import shutil
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable

import numpy as np

from .bm25 import BM25
from .index_read import Paragraph, read_arrays
from .index_store import INDEX_FORMAT, State, StoreError, read_rows, read_state, strays, tidy
from .index_write import update
from .settings import FilesStoreSettings
from .text import analyze
from .types import Corpus, Progress, Signals, Span
from .vectors import ArticleVectors, normalised

__all__ = ["Paragraph", "StoryIndex", "index_key", "load_or_build", "INDEX_FORMAT", "VECTORS_FORMAT"]

log = logging.getLogger(__name__)

# What stored article vectors are keyed by: the sentence splitting, unchanged since format 5 (the store's
# layout changed in 6; the vectors of every article embedded before are still good).
VECTORS_FORMAT = "storydesk-index-5"
_KEEP_INDEXES = 8


@dataclass
class StoryIndex:
    """Everything retrieval needs, aligned by position: spans[i] <-> sentence_vectors[i] <-> BM25 row i."""

    corpus: Corpus
    spans: list[Span]  # made on first use (index_read.LazyRows); compares equal to a list of the same spans
    paragraphs: list[Paragraph]
    span_paragraph: np.ndarray  # spans[i] sits in paragraphs[span_paragraph[i]]
    sentence_bm25: BM25
    paragraph_bm25: BM25
    sentence_vectors: np.ndarray
    paragraph_vectors: np.ndarray
    vocabulary: list[str]  # distinct corpus words, for query expansion
    vocabulary_vectors: np.ndarray
    key: str
    embed_model: str = ""
    directory: Path | None = None
    doc_spans: dict[str, tuple[int, int]] = field(default_factory=dict, repr=False)  # doc_id -> its spans' range
    _terms: dict[str, frozenset[str]] = field(default_factory=dict, repr=False)

    def spans_of(self, doc_id: str) -> list[Span]:
        """One article's sentences, in order."""
        lo, hi = self.doc_spans.get(doc_id, (0, 0))
        return [self.spans[i] for i in range(lo, hi)]

    def counts(self) -> tuple[int, int]:
        """(sentences, paragraphs)."""
        return len(self.spans), len(self.paragraphs)

    def article_terms(self, doc_id: str) -> frozenset[str]:
        if doc_id not in self._terms:
            self._terms[doc_id] = frozenset(analyze(self.corpus[doc_id].text))
        return self._terms[doc_id]

    def nearest_words(self, vectors: np.ndarray, k: int) -> list[list[tuple[str, float]]]:
        if not self.vocabulary:
            return [[] for _ in vectors]
        sims = vectors @ self.vocabulary_vectors.T
        return [[(self.vocabulary[j], float(row[j])) for j in np.argsort(-row)[:k]] for row in sims]

    def candidates(
        self, terms: list[str], qvec: np.ndarray, expanded: list[str], weights: list[float], settings
    ) -> Signals:
        """Every sentence's signals, vectorised; below ``settings.exhaustive_below`` sentences all of them are
        candidates (exact), above it the best ``settings.candidates`` of each signal."""
        dense_s = self.sentence_vectors @ qvec
        dense_p = (self.paragraph_vectors @ qvec)[self.span_paragraph]
        bm25_s = normalised(self.sentence_bm25.scores(terms))
        bm25_p = normalised(self.paragraph_bm25.scores(terms))[self.span_paragraph]
        bm25_x = normalised(self.sentence_bm25.scores(expanded, weights)) if expanded else np.zeros_like(dense_s)
        if len(self.spans) < settings.exhaustive_below:
            rows = np.arange(len(self.spans))
        else:
            k = min(settings.candidates, len(self.spans) - 1)
            best = [np.argpartition(-signal, k)[:k] for signal in (dense_s, dense_p, bm25_s, bm25_p, bm25_x)]
            rows = np.unique(np.concatenate(best))
        return Signals(
            [self.spans[i] for i in rows], dense_s[rows], dense_p[rows], bm25_s[rows], bm25_p[rows], bm25_x[rows]
        )


def index_key(corpus: Corpus, embed_model_id: str) -> str:
    h = hashlib.sha256()
    for part in (INDEX_FORMAT, embed_model_id, corpus.fingerprint):
        h.update(part.encode("utf-8") + b"\0")
    return h.hexdigest()[:24]


def store_directory(root: Path, corpus: Corpus, embed_model_id: str) -> Path:
    """One store per corpus directory and encoder: an edit to the articles updates it in place."""
    h = hashlib.sha256()
    for part in (INDEX_FORMAT, embed_model_id, corpus.directory):
        h.update(part.encode("utf-8") + b"\0")
    return root / h.hexdigest()[:24]


def _open(corpus: Corpus, directory: Path, key: str, state: State | None) -> StoryIndex | None:
    """The index of the committed store (``state``: its manifest), if it is ``corpus``'s (``key``) and readable;
    None otherwise."""
    if state is None or state.key != key:
        return None
    try:
        arrays = read_arrays(directory, state, corpus)
    except (OSError, ValueError, KeyError, IndexError, StoreError) as err:  # rebuilt, or replaced meanwhile
        log.warning("index at %s is unreadable (%s)", directory, err)
        return None
    if strays(directory, state):
        tidy(directory)
    return StoryIndex(corpus=corpus, key=key, embed_model=state.model, directory=directory, **vars(arrays))


def _finished(root: Path) -> list[Path]:
    """Store directories, most recently written first (a name with a dot is no store)."""
    dirs = (d for d in root.iterdir() if d.is_dir() and "." not in d.name)
    return sorted(dirs, key=lambda d: d.stat().st_mtime, reverse=True)


def _prune(root: Path, keep: Iterable[Path]) -> None:
    keep = set(keep)
    for stale in [d for d in _finished(root) if d not in keep][_KEEP_INDEXES - 1 :]:
        shutil.rmtree(stale, ignore_errors=True)


def _known_words(root: Path, model_name: str, skip: Path) -> dict[str, np.ndarray]:
    """The word vectors of the most recently written other store made with this encoder, if any."""
    for directory in _finished(root):
        state = read_state(directory, model_name) if directory != skip else None
        if state is not None:
            try:
                return dict(zip(state.words, np.array(read_rows(directory, state, "word_vectors"))))
            except (OSError, ValueError):
                continue
    return {}


def _write(corpus, directory: Path, key: str, embed, settings, progress, vectors, known, fresh: bool) -> StoryIndex:
    """Bring the store up to date and read it; a store that still does not read is built again, afresh."""
    for fresh_now in (fresh, True):
        state = update(directory, corpus, key, embed, settings.compact_share, vectors=vectors, progress=progress,
                       fresh=fresh_now, known_words=known)  # fmt: skip
        index = _open(corpus, directory, key, state)
        if index is not None:
            return index
    raise StoreError(f"the index at {directory} could not be read back after building it")


def load_or_build(
    corpus: Corpus,
    cache_root: Path,
    embed,
    progress: Progress | None = None,
    rebuild: bool = False,
    settings: FilesStoreSettings | None = None,
) -> tuple[StoryIndex, bool]:
    """The persisted index for this exact corpus, brought up to date when the articles changed. Returns
    (index, built): built is False when the store already held this corpus.

    An update embeds only the articles and words not embedded before (kept under the cache by content), and
    writes only the changed articles' rows; ``rebuild`` embeds and writes everything again."""
    settings = settings or FilesStoreSettings()
    key = index_key(corpus, embed.model_name)
    root = cache_root / "indexes"
    root.mkdir(parents=True, exist_ok=True)
    directory = store_directory(root, corpus, embed.model_name)
    state = read_state(directory, embed.model_name)
    if not rebuild:
        index = _open(corpus, directory, key, state)
        if index is not None:
            return index, False
    started = time.time()
    vectors = ArticleVectors(cache_root, embed.model_name, VECTORS_FORMAT, reuse=not rebuild)
    fresh = rebuild or state is None
    known = _known_words(root, embed.model_name, directory) if fresh and not rebuild else None
    try:
        index = _write(corpus, directory, key, embed, settings, progress, vectors, known, rebuild)
        _prune(root, keep=[directory])
    except OSError as err:  # a read-only cache still answers: the store is written to a temporary directory
        log.warning("could not write the index to %s: %s", directory, err)
        with tempfile.TemporaryDirectory(prefix="storydesk-index-") as scratch:
            index = _write(corpus, Path(scratch), key, embed, settings, progress, vectors, known, True)
        index.directory = None
    vectors.prune(since=started)
    return index, True
