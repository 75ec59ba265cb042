"""The PostgreSQL store: an archive's sentences, paragraphs, vectors and full-text index in PostgreSQL with
pgvector, for archives a team shares (``--store postgresql://…``, ``Assistant(store=…)``).

Sentences live in llama-index's ``PGVectorStore`` table (it creates the table, the HNSW index on the vectors
and the generated ``tsvector`` with its GIN index; rows are written in its format, so its own ``query()``
and retrievers read them too). Paragraphs, BM25 statistics, the vocabulary's word vectors and the store's
identity live in tables beside it (pg_schema.py). Retrieval asks the indexes for candidates, in one
statement: the HNSW index's nearest sentences and the full-text matches of the question's rarer terms.
(``PGVectorStore.query`` in hybrid mode does the same in two statements and builds a pydantic node per
candidate: about 3x the time per question at 1k articles.) Each candidate is scored with the on-disk
index's signals: cosine at both grains, and BM25 computed here from the stored document frequencies with
bm25s's formula, so the two stores give the same scores to the sentences both consider.

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
from .vectors import normalised

__all__ = ["PgIndex", "open_pg_index", "STORE_FORMAT", "bm25"]

STORE_FORMAT = "storydesk-pg-1"
_K1, _B = 1.5, 0.75  # bm25s's defaults (method "lucene"), as the on-disk index is built with


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

    def _query(self, statement: str, params, ef_search: int) -> list[tuple]:
        """One round trip: the HNSW search breadth for this transaction, then the statement's rows."""
        with self.engine.begin() as db:
            cur = db.connection.cursor()
            cur.execute(f"SET LOCAL hnsw.ef_search = {int(ef_search)}; " + statement, params)
            return cur.fetchall()

    def nearest_words(self, vectors: np.ndarray, k: int) -> list[list[tuple[str, float]]]:
        if not len(vectors):
            return []
        values = ", ".join(f"({i}, %s::vector)" for i in range(len(vectors)))
        rows = self._query(
            f"SELECT q.i, w.word, 1 - (w.embedding <=> q.v) FROM (VALUES {values}) AS q(i, v) CROSS JOIN LATERAL "
            f"(SELECT word, embedding FROM {self.tables.words} ORDER BY embedding <=> q.v LIMIT {int(k)}) w",
            [literal(v) for v in vectors],
            max(k, 40),
        )
        out: list[list[tuple[str, float]]] = [[] for _ in vectors]
        for i, word, similarity in rows:
            out[i].append((word, float(similarity)))
        return [sorted(row, key=lambda ws: -ws[1]) for row in out]

    def _statistics(self, terms: Sequence[str]) -> dict:
        """Document frequencies of ``terms`` and (rows, mean length) at both grains, in one query."""
        with self.engine.connect() as db:
            rows = db.exec_driver_sql(
                f"SELECT grain, term, df, NULL FROM {self.tables.terms} WHERE grain IN ('s', 'p') AND term = ANY(%(t)s) "
                f"UNION ALL SELECT grain, NULL, docs, length FROM {self.tables.stats}",
                {"t": list(dict.fromkeys(terms))},
            ).all()
        out = {g: {"df": {}, "n": 0, "avgdl": 0.0} for g in "sp"}
        for grain, term, count, length in rows:
            if term is None:
                out[grain] |= {"n": int(count), "avgdl": length / count if count else 0.0}
            else:
                out[grain]["df"][term] = int(count)
        return out

    def candidates(
        self, terms: list[str], qvec: np.ndarray, expanded: list[str], weights: list[float], settings
    ) -> Signals:
        """The HNSW index's nearest sentences and the full-text matches of the question's rarer terms, in one
        statement, each scored on the same signals as the on-disk index."""
        stats = self._statistics(list(terms) + list(expanded))
        s = stats["s"]
        ordered = sorted((t for t in dict.fromkeys(terms) if s["df"].get(t, 0) > 0), key=lambda t: s["df"][t])
        rare, rows = [], 0
        for term in ordered:
            rows += s["df"][term]
            if rows > settings.full_text_rows:
                break
            rare.append(term)
        k, vec = int(settings.candidates), literal(qvec)
        data, par = self.vectors_table, self.tables.paragraphs
        match = f"SELECT id FROM {data} WHERE text_search_tsv @@ to_tsquery('english', %(q)s)"
        if rare:  # the rarest terms' matches, few enough to rank: the best-ranked of them
            query = " | ".join(dict.fromkeys(WORD.findall(" ".join(rare))))
            sparse = f" UNION ({match} ORDER BY ts_rank(text_search_tsv, to_tsquery('english', %(q)s)) DESC LIMIT {k})"
        else:  # even the rarest term is too common to rank every match: sentences holding all the rarest few
            query = " & ".join(dict.fromkeys(WORD.findall(" ".join(ordered[: settings.full_text_and_terms]))))
            sparse = f" UNION ({match} LIMIT {max(1, k // 3)})" if query else ""  # unranked: a sample suffices
        rows = self._query(
            f"WITH found AS ((SELECT id FROM {data} ORDER BY embedding <=> %(v)s::vector LIMIT {k}){sparse}) "
            "SELECT d.text, d.metadata_->>'ref_doc_id', (d.metadata_->>'index')::int, (d.metadata_->>'paragraph')::int,"
            " (d.metadata_->>'start')::int, (d.metadata_->>'end')::int, 1 - (d.embedding <=> %(v)s::vector),"
            f" 1 - (p.embedding <=> %(v)s::vector), p.start, p.stop FROM {data} d LEFT JOIN {par} p"
            " ON p.doc_id = d.metadata_->>'ref_doc_id' AND p.number = (d.metadata_->>'paragraph')::int"
            " WHERE d.id IN (SELECT id FROM found) ORDER BY d.id",
            {"v": vec, "q": query if sparse else ""},
            max(k, self.settings.hnsw_ef_search),
        )
        return self._signals(rows, terms, expanded, weights, stats)

    def _signals(self, rows, terms, expanded, weights, stats) -> Signals:
        spans, dense, dense_p, paragraph_terms = [], [], [], []
        analysed: dict[tuple[str, int], list[str]] = {}  # a paragraph is analysed once, however many candidates
        for text, doc_id, number, paragraph, start, end, cosine, p_cosine, p_start, p_end in rows:
            doc = self.corpus[doc_id] if doc_id in self.corpus else None
            if doc is None or doc.text[start:end] != text:  # the store is behind the article: skipped
                continue
            spans.append(Span(doc_id, number, paragraph, start, end, text))
            dense.append(cosine)
            dense_p.append(p_cosine or 0.0)
            if p_start is not None and (doc_id, p_start) not in analysed:
                analysed[(doc_id, p_start)] = analyze(doc.text[p_start:p_end])
            paragraph_terms.append(analysed.get((doc_id, p_start), []))
        sentence_terms = [analyze(s.text) for s in spans]
        s, p = stats["s"], stats["p"]
        return Signals(
            spans,
            np.array(dense, dtype=np.float32),
            np.array(dense_p, dtype=np.float32),
            normalised(bm25(sentence_terms, terms, None, s["df"], s["n"], s["avgdl"])),
            normalised(bm25(paragraph_terms, terms, None, p["df"], p["n"], p["avgdl"])),
            normalised(bm25(sentence_terms, expanded, weights, s["df"], s["n"], s["avgdl"])),
        )

    @property
    def vectors_table(self) -> str:
        return f"data_{self.tables.sentences}"


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
