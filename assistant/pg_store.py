"""The PostgreSQL store: an archive's sentences, paragraphs, vectors and full-text index in PostgreSQL with
pgvector, for archives a team shares (``--store postgresql://…``, ``Assistant(store=…)``).

Sentences live in llama-index's ``PGVectorStore`` table (HNSW on the vectors, a generated ``tsvector`` with
a GIN index for full text: its hybrid mode), paragraphs, BM25 statistics, the vocabulary's word vectors and
the store's identity in tables beside it. Retrieval asks the indexes for candidates (HNSW nearest sentences,
full-text matches of the question's rarer terms) and scores only those, with the same signals as the on-disk
index: cosine at both grains, and BM25 computed here from the stored document frequencies with bm25s's
formula, so the two stores give the same scores to the sentences both consider.

Indexing compares each article's content hash with the store's and writes only what changed, one
transaction per article (its sentences, paragraphs, term counts and hash together): a killed run leaves
every article either as it was or wholly new. The store records which encoder made its vectors and
refuses another.
"""

from __future__ import annotations

import hashlib
import math
import re
from collections import Counter
from dataclasses import dataclass, field
from typing import Sequence

import numpy as np

from .pg_schema import Tables, connect, literal, sync
from .spans import document_spans
from .text import WORD, analyze
from .types import Corpus, Progress, Signals, Span

__all__ = ["PgIndex", "open_pg_index", "STORE_FORMAT", "is_store_url", "bm25"]

STORE_FORMAT = "storydesk-pg-1"
_K1, _B = 1.5, 0.75  # bm25s's defaults (method "lucene"), as the on-disk index is built with


def is_store_url(value: str) -> bool:
    return bool(re.match(r"^postgres(ql)?(\+\w+)?://", value or ""))


def _urls(url: str) -> tuple[str, str]:
    from sqlalchemy.engine import make_url

    parsed = make_url(url)
    return (
        parsed.set(drivername="postgresql+psycopg2").render_as_string(hide_password=False),
        parsed.set(drivername="postgresql+asyncpg").render_as_string(hide_password=False),
    )


def bm25(
    texts: Sequence[list[str]], terms: Sequence[str], weights: Sequence[float] | None, df: dict, n: int, avgdl: float
) -> np.ndarray:
    """bm25s's "lucene" BM25 of each analysed text for the query ``terms`` (weighted), from corpus statistics."""
    out = np.zeros(len(texts), dtype=np.float32)
    if n <= 0 or not terms:
        return out
    idf = {t: math.log(1.0 + (n - df.get(t, 0) + 0.5) / (df.get(t, 0) + 0.5)) for t in terms if df.get(t, 0) > 0}
    for row, tokens in enumerate(texts):
        counts = Counter(tokens)
        norm = _K1 * (1 - _B + _B * len(tokens) / avgdl) if avgdl > 0 else _K1
        out[row] = sum(
            (weights[i] if weights else 1.0) * idf[t] * counts[t] / (counts[t] + norm)
            for i, t in enumerate(terms)
            if t in idf and counts[t]
        )
    return out


def _normalise(x: np.ndarray) -> np.ndarray:
    top = float(x.max()) if x.size else 0.0
    return x / top if top > 0 else x


@dataclass
class PgIndex:
    """One corpus's index in PostgreSQL (a ``SentenceStore``): candidates come from the store's indexes."""

    corpus: Corpus
    key: str
    vectors: object  # llama-index PGVectorStore (the sentences)
    engine: object  # SQLAlchemy engine
    tables: Tables
    embed_model: str
    settings: object  # StoreSettings
    directory: str = ""  # where the index lives, for messages: the store URL without its password
    _spans: dict[str, list[Span]] = field(default_factory=dict, repr=False)
    _terms: dict[str, frozenset[str]] = field(default_factory=dict, repr=False)

    def spans_of(self, doc_id: str) -> list[Span]:
        if doc_id not in self._spans:
            self._spans[doc_id] = list(document_spans(self.corpus[doc_id])) if doc_id in self.corpus else []
        return self._spans[doc_id]

    def article_terms(self, doc_id: str) -> frozenset[str]:
        if doc_id not in self._terms:
            self._terms[doc_id] = frozenset(analyze(self.corpus[doc_id].text))
        return self._terms[doc_id]

    def counts(self) -> tuple[int, int]:
        """(sentences, paragraphs) in the store."""
        with self.engine.connect() as db:
            rows = dict(db.exec_driver_sql(f"SELECT grain, docs FROM {self.tables.stats}").all())
        return int(rows.get("s", 0)), int(rows.get("p", 0))

    def nearest_words(self, vectors: np.ndarray, k: int) -> list[list[tuple[str, float]]]:
        out = []
        with self.engine.begin() as db:
            db.exec_driver_sql(f"SET LOCAL hnsw.ef_search = {max(k, 40)}")
            for vec in vectors:
                rows = db.exec_driver_sql(
                    f"SELECT word, 1 - (embedding <=> %(v)s::vector) FROM {self.tables.words} "
                    "ORDER BY embedding <=> %(v)s::vector LIMIT %(k)s",
                    {"v": literal(vec), "k": k},
                ).all()
                out.append([(w, float(s)) for w, s in rows])
        return out

    def _rare(self, terms: list[str], settings) -> list[str]:
        df, n = self._df(terms, "s")
        rare = [t for t in dict.fromkeys(terms) if 0 < df.get(t, 0) <= max(1.0, settings.rare_term_share * n)]
        return sorted(rare, key=lambda t: df[t])[: settings.rare_terms]

    def _df(self, terms: Sequence[str], grain: str) -> tuple[dict[str, int], int]:
        with self.engine.connect() as db:
            df = dict(
                db.exec_driver_sql(
                    f"SELECT term, df FROM {self.tables.terms} WHERE grain = %(g)s AND term = ANY(%(t)s)",
                    {"g": grain, "t": list(terms)},
                ).all()
            )
            n = db.exec_driver_sql(f"SELECT docs FROM {self.tables.stats} WHERE grain = %(g)s", {"g": grain}).scalar()
        return df, int(n or 0)

    def _stats(self, grain: str) -> tuple[int, float]:
        with self.engine.connect() as db:
            row = db.exec_driver_sql(
                f"SELECT docs, length FROM {self.tables.stats} WHERE grain = %(g)s", {"g": grain}
            ).first()
        return (int(row[0]), row[1] / row[0]) if row and row[0] else (0, 0.0)

    def candidates(
        self, terms: list[str], qvec: np.ndarray, expanded: list[str], weights: list[float], settings
    ) -> Signals:
        """HNSW's nearest sentences and the full-text matches of the question's rarer terms (llama-index's
        hybrid query), each scored on the same signals as the on-disk index."""
        from llama_index.core.vector_stores.types import VectorStoreQuery, VectorStoreQueryMode

        k = settings.candidates
        rare = self._rare(terms, settings)
        words = " ".join(w for w in WORD.findall(" ".join(rare)))
        mode = VectorStoreQueryMode.HYBRID if words else VectorStoreQueryMode.DEFAULT
        query = VectorStoreQuery(
            query_embedding=qvec.tolist(), similarity_top_k=k, sparse_top_k=k, query_str=words or None, mode=mode
        )
        found = self.vectors.query(query, hnsw_ef_search=max(k, self.settings.hnsw_ef_search))
        keys = list(dict.fromkeys(node.node_id for node in found.nodes))
        return self._signals(keys, terms, qvec, expanded, weights)

    def _signals(self, keys: list[str], terms, qvec, expanded, weights) -> Signals:
        vec = literal(qvec)
        with self.engine.connect() as db:
            rows = db.exec_driver_sql(
                f"SELECT node_id, 1 - (embedding <=> %(v)s::vector) FROM {self.vectors_table} "
                "WHERE node_id = ANY(%(k)s)",
                {"v": vec, "k": keys},
            ).all()
        dense = dict(rows)
        spans = [s for s in (self._span(key) for key in keys if key in dense) if s is not None]
        pairs = sorted({(s.doc_id, s.paragraph) for s in spans})
        with self.engine.connect() as db:
            prow = db.exec_driver_sql(
                f"SELECT doc_id, number, 1 - (embedding <=> %(v)s::vector), start, stop FROM {self.tables.paragraphs} "
                "WHERE (doc_id, number) IN (SELECT * FROM unnest(%(d)s::text[], %(n)s::int[]))",
                {"v": vec, "d": [p[0] for p in pairs], "n": [p[1] for p in pairs]},
            ).all()
        paragraphs = {(d, n): (float(c), a, b) for d, n, c, a, b in prow}
        sentence_terms = [analyze(s.text) for s in spans]
        ptext = {p: analyze(self.corpus[p[0]].text[v[1] : v[2]]) for p, v in paragraphs.items()}
        (n_s, avg_s), (n_p, avg_p) = self._stats("s"), self._stats("p")
        df_s, _ = self._df(list(terms) + list(expanded), "s")
        df_p, _ = self._df(terms, "p")
        para_bm25 = bm25([ptext.get((s.doc_id, s.paragraph), []) for s in spans], terms, None, df_p, n_p, avg_p)
        return Signals(
            spans,
            np.array([dense[s.key] for s in spans], dtype=np.float32),
            np.array([paragraphs.get((s.doc_id, s.paragraph), (0.0,))[0] for s in spans], dtype=np.float32),
            _normalise(bm25(sentence_terms, terms, None, df_s, n_s, avg_s)),
            _normalise(para_bm25),
            _normalise(bm25(sentence_terms, expanded, weights, df_s, n_s, avg_s)),
        )

    @property
    def vectors_table(self) -> str:
        return f"data_{self.tables.sentences}"

    def _span(self, key: str) -> Span | None:
        """The sentence a stored key names, from the article as loaded (None when the store is behind it)."""
        doc_id, _, offsets = key.rpartition(":")
        start, _, end = offsets.partition("-")
        for span in self.spans_of(doc_id):
            if span.start == int(start) and span.end == int(end):
                return span
        return None


def open_pg_index(
    corpus: Corpus,
    url: str,
    encoder,
    settings,
    progress: Progress | None = None,
    rebuild: bool = False,
    collection: str | None = None,
) -> tuple[PgIndex, bool]:
    """The corpus's index in the PostgreSQL database at ``url``, brought up to date. Returns (index, changed)."""
    name = re.sub(r"[^a-z0-9_]", "_", (collection or _collection(corpus)).lower())[:40] or "corpus"
    tables = Tables(f"sd_{name}")
    sync_url, async_url = _urls(url)
    vectors, engine = connect(sync_url, async_url, tables, encoder, settings, rebuild)
    key = hashlib.sha256(f"{STORE_FORMAT}\0{encoder.model_name}\0{corpus.fingerprint}".encode()).hexdigest()[:24]
    index = PgIndex(corpus, key, vectors, engine, tables, encoder.model_name, settings, directory=_shown(url, name))
    changed = sync(index, encoder, progress)
    return index, changed


def _collection(corpus: Corpus) -> str:
    from pathlib import Path

    return Path(corpus.directory).name or "corpus"


def _shown(url: str, name: str) -> str:
    from sqlalchemy.engine import make_url

    try:
        return f"{make_url(url).render_as_string(hide_password=True)} (tables sd_{name}_*)"
    except Exception:  # noqa: BLE001 - only a label
        return f"PostgreSQL (tables sd_{name}_*)"
