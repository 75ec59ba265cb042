"""The PostgreSQL store's tables and its writes (pg_store.py reads): connect, check the encoder, and bring the
store up to date with the articles, one transaction per article.

Per corpus (a "collection", named after its directory), beside llama-index's sentence table
``data_sd_<name>_sentences`` (PGVectorStore: text, JSONB metadata, vector with an HNSW index, generated
``tsvector`` with a GIN index):

- ``sd_<name>_paragraphs``: (doc_id, number) -> offsets, analysed terms, length, pooled vector;
- ``sd_<name>_terms``: BM25 document frequencies per grain ("s" sentences, "p" paragraphs);
- ``sd_<name>_stats``: per grain, how many rows and their total analysed length (for BM25's mean length);
- ``sd_<name>_words``: the vocabulary's word vectors (HNSW), for query expansion;
- ``sd_<name>_articles``: doc_id -> content hash: what the store holds, the unit of every write;
- ``sd_<name>_meta``: the store format and the encoder that made its vectors.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from dataclasses import dataclass

import numpy as np

from .errors import StoreError
from .text import WORD, analyze, stopwords
from .types import Document, Progress, Span
from .vectors import pooled

__all__ = ["Tables", "connect", "sync", "literal", "drop"]

FORMAT = "storydesk-pg-1"


@dataclass(frozen=True)
class Tables:
    prefix: str  # sd_<collection>

    def __getattr__(self, name: str) -> str:  # tables.paragraphs -> "sd_x_paragraphs"
        if name.startswith("_"):
            raise AttributeError(name)
        return f"{self.prefix}_{name}"


def literal(vec: np.ndarray) -> str:
    """A vector as pgvector's text form."""
    return "[" + ",".join(f"{x:.7g}" for x in np.asarray(vec, dtype=np.float32)) + "]"


def _ddl(t: Tables, dims: int) -> list[str]:
    return [
        f"CREATE TABLE IF NOT EXISTS {t.meta} (key text PRIMARY KEY, value text NOT NULL)",
        f"CREATE TABLE IF NOT EXISTS {t.articles} (doc_id text PRIMARY KEY, sha text NOT NULL, sentences int NOT NULL)",
        f"CREATE TABLE IF NOT EXISTS {t.paragraphs} (doc_id text NOT NULL, number int NOT NULL, start int NOT NULL,"
        f" stop int NOT NULL, terms text[] NOT NULL, length int NOT NULL, embedding vector({dims}),"
        " PRIMARY KEY (doc_id, number))",
        f"CREATE TABLE IF NOT EXISTS {t.terms} (grain char(1), term text, df int NOT NULL, PRIMARY KEY (grain, term))",
        f"CREATE TABLE IF NOT EXISTS {t.stats} (grain char(1) PRIMARY KEY, docs bigint NOT NULL, length bigint NOT NULL)",
        f"CREATE TABLE IF NOT EXISTS {t.words} (word text PRIMARY KEY, embedding vector({dims}) NOT NULL)",
        f"CREATE INDEX IF NOT EXISTS {t.words}_hnsw ON {t.words} USING hnsw (embedding vector_cosine_ops)",
    ]


def drop(engine, t: Tables) -> None:
    with engine.begin() as db:
        for name in ("meta", "articles", "paragraphs", "terms", "stats", "words"):
            db.exec_driver_sql(f"DROP TABLE IF EXISTS {getattr(t, name)}")
        db.exec_driver_sql(f"DROP TABLE IF EXISTS data_{t.sentences}")


def _first_line(err: Exception) -> str:
    return (str(getattr(err, "orig", None) or err).strip().splitlines() or [type(err).__name__])[0]


def connect(sync_url: str, async_url: str, t: Tables, encoder, settings, rebuild: bool):
    """(PGVectorStore of the sentences, engine), the tables created; a store made with another encoder is
    refused (``rebuild`` drops it and starts again)."""
    try:
        from llama_index.vector_stores.postgres import PGVectorStore
        from sqlalchemy import create_engine
        from sqlalchemy.exc import SQLAlchemyError
        from sqlalchemy.ext.asyncio import create_async_engine
    except ImportError as err:
        raise StoreError(
            f"the PostgreSQL store needs its packages: pip install 'storydesk[postgres]' ({err.name})"
        ) from err
    engine = create_engine(sync_url, pool_pre_ping=True)
    try:
        with engine.begin() as db:
            db.exec_driver_sql("CREATE EXTENSION IF NOT EXISTS vector")
            db.exec_driver_sql(f"CREATE TABLE IF NOT EXISTS {t.meta} (key text PRIMARY KEY, value text NOT NULL)")
            made_by = dict(db.exec_driver_sql(f"SELECT key, value FROM {t.meta}").all())
        if rebuild or (made_by and made_by.get("format") != FORMAT):
            drop(engine, t)
        elif made_by and made_by.get("encoder") != encoder.model_name:
            raise StoreError(
                f"the store's vectors were made by {made_by.get('encoder')}, not {encoder.model_name}: "
                "use that encoder, another store, or --rebuild to embed everything again"
            )
        with engine.begin() as db:
            for statement in _ddl(t, encoder.dimensions):
                db.exec_driver_sql(statement)
            for key, value in (("format", FORMAT), ("encoder", encoder.model_name), ("dimensions", encoder.dimensions)):
                db.exec_driver_sql(
                    f"INSERT INTO {t.meta} VALUES (%(k)s, %(v)s) ON CONFLICT (key) DO NOTHING",
                    {"k": key, "v": str(value)},
                )
        hnsw = {
            "hnsw_m": settings.hnsw_m,
            "hnsw_ef_construction": settings.hnsw_ef_construction,
            "hnsw_ef_search": settings.hnsw_ef_search,
            "hnsw_dist_method": "vector_cosine_ops",
        }
        vectors = PGVectorStore(
            engine=engine,
            async_engine=create_async_engine(async_url),
            table_name=t.sentences,
            hybrid_search=True,
            text_search_config="english",
            embed_dim=encoder.dimensions,
            use_jsonb=True,
            hnsw_kwargs=hnsw,
            initialization_fail_on_error=True,
        )
        vectors._initialize()  # creates the sentence table, its GIN and HNSW indexes, once
        with engine.begin() as db:
            db.exec_driver_sql(f"CREATE INDEX IF NOT EXISTS {t.sentences}_node ON data_{t.sentences} (node_id)")
    except SQLAlchemyError as err:
        raise StoreError(f"the PostgreSQL store failed: {_first_line(err)}") from err
    return vectors, engine


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _vocabulary(text: str) -> set[str]:
    stop = stopwords()
    return {w for w in WORD.findall(text.lower()) if w.isalpha() and len(w) > 2 and w not in stop}


@dataclass
class _Article:
    doc: Document
    spans: list[Span]
    vectors: np.ndarray
    paragraphs: list[tuple[int, int, int]]  # (number, start, end)
    paragraph_vectors: np.ndarray


def _article(doc: Document, spans: list[Span], vectors: np.ndarray) -> _Article:
    numbers = sorted({s.paragraph for s in spans})
    where = {n: i for i, n in enumerate(numbers)}
    paragraphs = []
    for n in numbers:
        members = [s for s in spans if s.paragraph == n]
        paragraphs.append((n, members[0].start, members[-1].end))
    span_paragraph = np.array([where[s.paragraph] for s in spans], dtype=np.int32)
    return _Article(doc, spans, vectors, paragraphs, pooled(vectors, span_paragraph, len(numbers)))


def _counts(db, statement: str, doc_id: str) -> tuple[Counter, int, int]:
    df, rows, length = Counter(), 0, 0
    for terms, size in db.exec_driver_sql(statement, {"d": doc_id}).all():
        df.update(terms)
        rows, length = rows + 1, length + int(size)
    return df, rows, length


def _adjust(db, t: Tables, grain: str, df: Counter, rows: int, length: int, sign: int) -> None:
    if not rows:
        return
    terms = sorted(df)  # one lock order for every writer
    db.exec_driver_sql(
        f"INSERT INTO {t.terms} (grain, term, df) SELECT %(g)s, x.t, x.c FROM unnest(%(t)s::text[], %(c)s::int[])"
        f" AS x(t, c) ON CONFLICT (grain, term) DO UPDATE SET df = {t.terms}.df + EXCLUDED.df",
        {"g": grain, "t": terms, "c": [sign * df[x] for x in terms]},
    )
    db.exec_driver_sql(
        f"INSERT INTO {t.stats} VALUES (%(g)s, %(n)s, %(l)s) ON CONFLICT (grain) DO UPDATE"
        f" SET docs = {t.stats}.docs + EXCLUDED.docs, length = {t.stats}.length + EXCLUDED.length",
        {"g": grain, "n": sign * rows, "l": sign * length},
    )


def _remove(db, t: Tables, doc_id: str) -> None:
    """Take one article out: its rows, and its share of the BM25 statistics."""
    data = f"data_{t.sentences}"
    where = "metadata_->>'ref_doc_id' = %(d)s"
    s = _counts(db, f"SELECT metadata_->'terms', metadata_->>'length' FROM {data} WHERE {where}", doc_id)
    p = _counts(db, f"SELECT terms, length FROM {t.paragraphs} WHERE doc_id = %(d)s", doc_id)
    _adjust(db, t, "s", *s, sign=-1)
    _adjust(db, t, "p", *p, sign=-1)
    db.exec_driver_sql(f"DELETE FROM {data} WHERE {where}", {"d": doc_id})
    db.exec_driver_sql(f"DELETE FROM {t.paragraphs} WHERE doc_id = %(d)s", {"d": doc_id})
    db.exec_driver_sql(f"DELETE FROM {t.articles} WHERE doc_id = %(d)s", {"d": doc_id})


def _write(session, vectors, t: Tables, a: _Article) -> None:
    """Put one article in: its sentences through the PGVectorStore's table model, the rest beside them."""
    from llama_index.core.schema import NodeRelationship, RelatedNodeInfo, TextNode

    s_df, s_len = Counter(), 0
    rows = []
    for span, vec in zip(a.spans, a.vectors):
        tokens = analyze(span.text)
        s_df.update(set(tokens))
        s_len += len(tokens)
        meta = {"paragraph": span.paragraph, "index": span.index, "start": span.start, "end": span.end}
        node = TextNode(
            id_=span.key,
            text=span.text,
            embedding=vec.tolist(),
            metadata=meta | {"terms": sorted(set(tokens)), "length": len(tokens)},
            relationships={NodeRelationship.SOURCE: RelatedNodeInfo(node_id=a.doc.doc_id)},
        )
        rows.append(vectors._node_to_table_row(node))
    session.add_all(rows)
    session.flush()
    db = session.connection()
    p_df, p_len = Counter(), 0
    params = []
    for (number, start, end), vec in zip(a.paragraphs, a.paragraph_vectors):
        tokens = analyze(a.doc.text[start:end])
        p_df.update(set(tokens))
        p_len += len(tokens)
        params.append(
            {"d": a.doc.doc_id, "n": number, "a": start, "b": end, "t": sorted(set(tokens)), "l": len(tokens)}
            | {"v": literal(vec)}
        )
    if params:
        db.exec_driver_sql(
            f"INSERT INTO {t.paragraphs} VALUES (%(d)s, %(n)s, %(a)s, %(b)s, %(t)s, %(l)s, %(v)s::vector)", params
        )
    _adjust(db, t, "s", s_df, len(a.spans), s_len, sign=1)
    _adjust(db, t, "p", p_df, len(a.paragraphs), p_len, sign=1)
    db.exec_driver_sql(
        f"INSERT INTO {t.articles} VALUES (%(d)s, %(h)s, %(n)s)",
        {"d": a.doc.doc_id, "h": _sha(a.doc.text), "n": len(a.spans)},
    )


def _words(engine, t: Tables, docs: list[Document], encoder) -> None:
    """Embed the words of ``docs`` the store has no vector for (words are only ever added)."""
    words = sorted(set().union(*(_vocabulary(d.text) for d in docs))) if docs else []
    if not words:
        return
    with engine.connect() as db:
        known = {w for (w,) in db.exec_driver_sql(f"SELECT word FROM {t.words} WHERE word = ANY(%(w)s)", {"w": words})}
    new = [w for w in words if w not in known]
    if not new:
        return
    vecs = encoder.embed(new)
    with engine.begin() as db:
        db.exec_driver_sql(
            f"INSERT INTO {t.words} VALUES (%(w)s, %(v)s::vector) ON CONFLICT (word) DO NOTHING",
            [{"w": w, "v": literal(v)} for w, v in zip(new, vecs)],
        )


def sync(index, encoder, progress: Progress | None = None, article_vectors=None) -> bool:
    """Bring the store up to date with ``index.corpus``: removed articles out, new and edited ones embedded and
    written, one transaction each. ``article_vectors`` (doc -> sentence vectors or None) lets a caller supply
    vectors (bench/scale.py). Returns whether anything changed."""
    t, engine = index.tables, index.engine
    with engine.connect() as db:
        stored = dict(db.exec_driver_sql(f"SELECT doc_id, sha FROM {t.articles}").all())
    docs = {d.doc_id: d for d in index.corpus}
    removed = [d for d in stored if d not in docs]
    todo = [d for d in index.corpus if stored.get(d.doc_id) != _sha(d.text)]
    for doc_id in removed:
        with engine.begin() as db:
            _remove(db, t, doc_id)
    total = sum(len(index.spans_of(d.doc_id)) for d in todo)
    done = 0
    if progress and total:
        progress("embedding sentences", 0, total)
    step = max(1, index.settings.articles_per_batch)
    for lo in range(0, len(todo), step):
        batch = todo[lo : lo + step]
        _words(engine, t, batch, encoder)
        articles = _embedded(index, batch, encoder, article_vectors)
        for a in articles:
            with index.vectors._session() as session, session.begin():
                _remove(session.connection(), t, a.doc.doc_id)
                _write(session, index.vectors, t, a)
            done += len(a.spans)
        if progress:
            progress("embedding sentences", done, total)
    return bool(removed or todo)


def _embedded(index, batch: list[Document], encoder, article_vectors) -> list[_Article]:
    spans = [index.spans_of(d.doc_id) for d in batch]
    given = [article_vectors(d) if article_vectors else None for d in batch]
    texts = [s.text for g, ss in zip(given, spans) if g is None for s in ss]
    fresh = encoder.embed(texts) if texts else np.zeros((0, encoder.dimensions), dtype=np.float32)
    out, at = [], 0
    for doc, ss, g in zip(batch, spans, given):
        if g is None:
            g, at = fresh[at : at + len(ss)], at + len(ss)
        out.append(_article(doc, ss, np.asarray(g, dtype=np.float32)))
    return out
