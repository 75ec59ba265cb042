"""The story index: every article's sentences (exact character offsets), with BM25 (llama-index's
BM25Retriever) and MiniLM vectors at two grains, sentence and paragraph, persisted.

Two grains because news copy states a fact in one sentence and names its subject in the one before:
a sentence is scored on its own words and on its paragraph's. The persisted index lives under the
cache directory, keyed by a hash of the corpus content, the embedding model and this module's
format, so editing an article simply yields a new key and a rebuild.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Sequence

import numpy as np

from .spans import document_spans
from .text import WORD, analyze, stemmer, stopwords
from .types import Corpus, Encoder, Progress, Signals, Span
from .vectors import ArticleVectors, normalised, pooled, sentence_vectors, vocabulary_vectors

__all__ = ["Paragraph", "StoryIndex", "index_key", "load_or_build", "INDEX_FORMAT"]

log = logging.getLogger(__name__)

INDEX_FORMAT = "storydesk-index-5"  # 5: paragraph vectors pooled from sentences
_KEEP_INDEXES = 8


@dataclass(frozen=True)
class Paragraph:
    doc_id: str
    number: int
    start: int
    end: int
    first_span: int  # index into StoryIndex.spans
    last_span: int  # inclusive


@dataclass
class StoryIndex:
    """Everything retrieval needs, aligned by position: spans[i] <-> nodes[i] <-> sentence_vectors[i]."""

    corpus: Corpus
    spans: list[Span]
    paragraphs: list[Paragraph]
    span_paragraph: np.ndarray  # spans[i] sits in paragraphs[span_paragraph[i]]
    sentence_bm25: object  # bm25s.BM25 over sentences, as built and persisted by llama-index's BM25Retriever
    paragraph_bm25: object  # ... over paragraphs
    sentence_vectors: np.ndarray
    paragraph_vectors: np.ndarray
    vocabulary: list[str]  # distinct corpus words, for query expansion
    vocabulary_vectors: np.ndarray
    term_df: dict[str, int]  # analysed term -> number of sentences containing it
    lowercase_words: set[str]  # words written in lower case somewhere: a capital on them marks no name
    key: str
    embed_model: str = ""
    directory: Path | None = None
    _retrievers: tuple | None = field(default=None, repr=False)  # llama-index BM25Retrievers, when built here

    _by_doc: dict[str, list[int]] | None = field(default=None, repr=False)
    _terms: dict[str, frozenset[str]] = field(default_factory=dict, repr=False)

    def spans_of(self, doc_id: str) -> list[Span]:
        """One article's sentences, in order (the map is built once)."""
        if self._by_doc is None:
            by_doc: dict[str, list[int]] = {}
            for i, s in enumerate(self.spans):
                by_doc.setdefault(s.doc_id, []).append(i)
            self._by_doc = by_doc
        return [self.spans[i] for i in self._by_doc.get(doc_id, ())]

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
        bm25_s = normalised(_bm25_scores(self.sentence_bm25, terms))
        bm25_p = normalised(_bm25_scores(self.paragraph_bm25, terms))[self.span_paragraph]
        bm25_x = normalised(_bm25_scores(self.sentence_bm25, expanded, weights)) if expanded else np.zeros_like(dense_s)
        if len(self.spans) < settings.exhaustive_below:
            rows = np.arange(len(self.spans))
        else:
            k = min(settings.candidates, len(self.spans) - 1)
            best = [np.argpartition(-signal, k)[:k] for signal in (dense_s, dense_p, bm25_s, bm25_p, bm25_x)]
            rows = np.unique(np.concatenate(best))
        return Signals(
            [self.spans[i] for i in rows], dense_s[rows], dense_p[rows], bm25_s[rows], bm25_p[rows], bm25_x[rows]
        )


def _bm25_scores(bm25, terms: Sequence[str], weights: Sequence[float] | None = None) -> np.ndarray:
    """BM25 is a sum over query terms, so weighted expansion terms are a weighted sum of per-term scores."""
    n = int(bm25.scores["num_docs"])
    total = np.zeros(n, dtype=np.float32)
    for i, term in enumerate(terms):
        if term in bm25.vocab_dict:
            total += (weights[i] if weights else 1.0) * bm25.get_scores([term]).astype(np.float32)
    return total


def index_key(corpus: Corpus, embed_model_id: str) -> str:
    h = hashlib.sha256()
    for part in (INDEX_FORMAT, embed_model_id, corpus.fingerprint):
        h.update(part.encode("utf-8") + b"\0")
    return h.hexdigest()[:24]


def _collect(corpus: Corpus) -> tuple[list[Span], list[Paragraph], np.ndarray]:
    spans: list[Span] = []
    paragraphs: list[Paragraph] = []
    span_paragraph: list[int] = []
    for doc in corpus:
        for span in document_spans(doc):
            if not paragraphs or paragraphs[-1].doc_id != doc.doc_id or paragraphs[-1].number != span.paragraph:
                paragraphs.append(Paragraph(doc.doc_id, span.paragraph, span.start, span.end, len(spans), len(spans)))
            else:
                last = paragraphs[-1]
                paragraphs[-1] = Paragraph(last.doc_id, last.number, last.start, span.end, last.first_span, len(spans))
            span_paragraph.append(len(paragraphs) - 1)
            spans.append(span)
    return spans, paragraphs, np.asarray(span_paragraph, dtype=np.int32)


def _quiet_bm25() -> None:
    """bm25s sets its own logger to DEBUG; its chatter would reach the user's terminal."""
    import bm25s  # noqa: F401

    logging.getLogger("bm25s").setLevel(logging.WARNING)


def _bm25(texts: list[str], ids: list[str]):
    """A llama-index BM25Retriever: its on-disk format is what the index persists."""
    from llama_index.core.schema import TextNode
    from llama_index.retrievers.bm25 import BM25Retriever

    _quiet_bm25()
    nodes = [TextNode(id_=i, text=t) for i, t in zip(ids, texts)]
    return BM25Retriever.from_defaults(
        nodes=nodes, stemmer=stemmer(), language="en", similarity_top_k=min(50, len(nodes))
    )


def _term_df(spans: Sequence[Span]) -> dict[str, int]:
    df: dict[str, int] = {}
    for span in spans:
        for term in set(analyze(span.text)):
            df[term] = df.get(term, 0) + 1
    return df


def _lowercase_words(corpus: Corpus) -> set[str]:
    return {w for doc in corpus for w in re.findall(r"\b[a-z][\w’'-]*", doc.text)}


def _vocabulary(corpus: Corpus) -> list[str]:
    stop = stopwords()
    words = {
        w for doc in corpus for w in WORD.findall(doc.text.lower()) if w.isalpha() and len(w) > 2 and w not in stop
    }
    return sorted(words)


def build(
    corpus: Corpus,
    encoder: Encoder,
    progress: Progress | None = None,
    store: ArticleVectors | None = None,
    known_words: dict[str, np.ndarray] | None = None,
) -> StoryIndex:
    """The index of ``corpus``; with a ``store`` (and the previous index's ``known_words``), only articles
    and words not embedded before are embedded."""
    spans, paragraphs, span_paragraph = _collect(corpus)
    paragraph_texts = [corpus[p.doc_id].text[p.start : p.end] for p in paragraphs]
    vocabulary = _vocabulary(corpus)
    sentence_retriever = _bm25([s.text for s in spans], [s.key for s in spans])
    paragraph_retriever = _bm25(paragraph_texts, [f"{p.doc_id}:p{p.number}" for p in paragraphs])
    vectors = sentence_vectors(corpus, spans, encoder, store, progress)
    index = StoryIndex(
        corpus=corpus,
        spans=spans,
        paragraphs=paragraphs,
        span_paragraph=span_paragraph,
        sentence_bm25=sentence_retriever.bm25,
        paragraph_bm25=paragraph_retriever.bm25,
        sentence_vectors=vectors,
        paragraph_vectors=pooled(vectors, span_paragraph, len(paragraphs)),
        vocabulary=vocabulary,
        vocabulary_vectors=vocabulary_vectors(vocabulary, encoder, known_words or {}, progress),
        term_df=_term_df(spans),
        lowercase_words=_lowercase_words(corpus),
        key=index_key(corpus, encoder.model_name),
        embed_model=encoder.model_name,
        _retrievers=(sentence_retriever, paragraph_retriever),
    )
    return index


def _fsync_tree(directory: Path) -> None:
    """Flush every file, then the directories, so a rename never publishes bytes still in the page cache."""
    for path in sorted(directory.rglob("*"), key=lambda p: -len(p.parts)) + [directory]:
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def _retired(directory: Path) -> list[Path]:
    return sorted(directory.parent.glob(directory.name + ".old-*"))


def save(index: StoryIndex, directory: Path) -> None:
    """Write the index beside ``directory``, flush it, then swap it in by renames only: a reader, or a
    process killed at any point, finds either the old index or the whole new one (the old one parked
    under ``.old-PID`` for the moment between the two renames, where ``_recover`` finds it)."""
    tmp = directory.with_name(f"{directory.name}.tmp-{os.getpid()}")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    sentence_retriever, paragraph_retriever = index._retrievers
    sentence_retriever.persist(str(tmp / "bm25_sentences"), show_progress=False)
    paragraph_retriever.persist(str(tmp / "bm25_paragraphs"), show_progress=False)
    np.save(tmp / "sentence_vectors.npy", index.sentence_vectors)
    np.save(tmp / "paragraph_vectors.npy", index.paragraph_vectors)
    np.save(tmp / "vocabulary_vectors.npy", index.vocabulary_vectors)
    manifest = {
        "format": INDEX_FORMAT,
        "key": index.key,
        "corpus": index.corpus.directory,
        "vocabulary": index.vocabulary,
        "spans": len(index.spans),
        "paragraphs": len(index.paragraphs),
        "embed_model": index.embed_model,
    }
    (tmp / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")  # written last: marks it complete
    _fsync_tree(tmp)
    parked = directory.with_name(f"{directory.name}.old-{os.getpid()}")
    if directory.exists():
        shutil.rmtree(parked, ignore_errors=True)  # an earlier save of this pid's that was interrupted
        directory.rename(parked)
    tmp.rename(directory)
    shutil.rmtree(parked, ignore_errors=True)
    for stale in _retired(directory):  # left by a process killed between the renames
        shutil.rmtree(stale, ignore_errors=True)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _recover(directory: Path) -> None:
    """Put back an index that a killed save had parked and not yet replaced; drop the half-written
    copies of killed processes."""
    leftovers = list(directory.parent.glob(directory.name + ".tmp-*"))
    if directory.exists():
        leftovers += _retired(directory)
    for partial in leftovers:
        pid = partial.name.rsplit("-", 1)[-1]
        if pid.isdigit() and not _alive(int(pid)):
            shutil.rmtree(partial, ignore_errors=True)
    if not directory.exists():
        for parked in reversed(_retired(directory)):
            if (parked / "manifest.json").is_file():
                parked.rename(directory)
                log.warning("restored the index that an interrupted save had set aside: %s", directory)
                return


def _load_bm25(directory: Path):
    """The BM25 matrices BM25Retriever persisted, read with bm25s itself: importing llama-index
    would cost answering ~2 s, and the stored node corpus is not needed (spans come from the articles)."""
    import bm25s

    _quiet_bm25()
    return bm25s.BM25.load(str(directory), mmap=True)


def _load(corpus: Corpus, directory: Path, key: str) -> StoryIndex | None:
    try:
        manifest = json.loads((directory / "manifest.json").read_text(encoding="utf-8"))
        if manifest.get("format") != INDEX_FORMAT or manifest.get("key") != key:
            return None
        spans, paragraphs, span_paragraph = _collect(corpus)
        sentence_vectors = np.load(directory / "sentence_vectors.npy")
        if len(spans) != manifest["spans"] or sentence_vectors.shape[0] != len(spans):
            return None
        return StoryIndex(
            corpus=corpus,
            spans=spans,
            paragraphs=paragraphs,
            span_paragraph=span_paragraph,
            sentence_bm25=_load_bm25(directory / "bm25_sentences"),
            paragraph_bm25=_load_bm25(directory / "bm25_paragraphs"),
            sentence_vectors=sentence_vectors,
            paragraph_vectors=np.load(directory / "paragraph_vectors.npy"),
            vocabulary=list(manifest["vocabulary"]),
            vocabulary_vectors=np.load(directory / "vocabulary_vectors.npy"),
            term_df=_term_df(spans),
            lowercase_words=_lowercase_words(corpus),
            key=key,
            embed_model=manifest.get("embed_model", ""),
            directory=directory,
        )
    except (OSError, ValueError, KeyError) as err:
        log.warning("index at %s is unreadable (%s); rebuilding", directory, err)
        return None


def _finished(root: Path) -> list[Path]:
    """Finished indexes (named by their key alone), newest first: a .tmp-/.old- directory is another
    process's, in use."""
    dirs = (d for d in root.iterdir() if d.is_dir() and "." not in d.name)
    return sorted(dirs, key=lambda d: d.stat().st_mtime, reverse=True)


def _prune(root: Path, keep: Iterable[Path]) -> None:
    keep = set(keep)
    for stale in [d for d in _finished(root) if d not in keep][_KEEP_INDEXES - 1 :]:
        shutil.rmtree(stale, ignore_errors=True)


def _known_words(root: Path, model_name: str) -> dict[str, np.ndarray]:
    """The word vectors of the most recent complete index made with this encoder, if any."""
    for directory in _finished(root):
        try:
            manifest = json.loads((directory / "manifest.json").read_text(encoding="utf-8"))
            if manifest.get("format") != INDEX_FORMAT or manifest.get("embed_model") != model_name:
                continue
            vectors = np.load(directory / "vocabulary_vectors.npy")
            if vectors.shape[0] == len(manifest["vocabulary"]):
                return dict(zip(manifest["vocabulary"], vectors))
        except (OSError, ValueError, KeyError):
            continue
    return {}


def load_or_build(
    corpus: Corpus, cache_root: Path, encoder: Encoder, progress: Progress | None = None, rebuild: bool = False
) -> tuple[StoryIndex, bool]:
    """The persisted index for this exact corpus, building it when missing or stale. Returns (index, built).

    A build embeds only the articles and words not embedded before (kept under the cache by content);
    ``rebuild`` embeds everything again."""
    key = index_key(corpus, encoder.model_name)
    root = cache_root / "indexes"
    root.mkdir(parents=True, exist_ok=True)
    directory = root / key
    _recover(directory)
    if not rebuild and directory.is_dir():
        loaded = _load(corpus, directory, key)
        if loaded is not None:
            return loaded, False
    started = time.time()
    store = ArticleVectors(cache_root, encoder.model_name, INDEX_FORMAT, reuse=not rebuild)
    index = build(
        corpus, encoder, progress, store=store, known_words=None if rebuild else _known_words(root, encoder.model_name)
    )
    store.prune(since=started)
    try:
        save(index, directory)
        index.directory = directory
        _prune(root, keep=[directory])
    except OSError as err:  # a read-only cache still answers, it just rebuilds next time
        log.warning("could not persist the index to %s: %s", directory, err)
    return index, True
