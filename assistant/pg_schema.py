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

import functools
import hashlib
import json
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
    """A vector as pgvector's text form, at float32's precision (one %-format call: the loop stays in C)."""
    values = np.asarray(vec, dtype=np.float32).tolist()
    return _format(len(values)) % tuple(values)


@functools.cache
def _format(n: int) -> str:
    return "[" + ",".join(["%.8g"] * n) + "]"


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
            made = (("format", FORMAT), ("encoder", encoder.model_name), ("dimensions", encoder.dimensions))
            for key, value in (*made, ("statistics", "current")):
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


def _remove(db, t: Tables, doc_id: str, count: bool = True) -> None:
    """Take one article out: its rows, and (``count``) its share of the BM25 statistics."""
    data = f"data_{t.sentences}"
    where = "metadata_->>'ref_doc_id' = %(d)s"
    if count:
        _uncount(db, t, data, where, doc_id)
    db.exec_driver_sql(f"DELETE FROM {data} WHERE {where}", {"d": doc_id})
    db.exec_driver_sql(f"DELETE FROM {t.paragraphs} WHERE doc_id = %(d)s", {"d": doc_id})
    db.exec_driver_sql(f"DELETE FROM {t.articles} WHERE doc_id = %(d)s", {"d": doc_id})


def _uncount(db, t: Tables, data: str, where: str, doc_id: str) -> None:
    grains = {
        "s": _counts(db, f"SELECT metadata_->'terms', metadata_->>'length' FROM {data} WHERE {where}", doc_id),
        "p": _counts(db, f"SELECT terms, length FROM {t.paragraphs} WHERE doc_id = %(d)s", doc_id),
    }
    if any(n for _, n, _ in grains.values()):
        cur = db.connection.cursor()
        cur.execute(b";".join(_adjustments(cur, t, grains, sign=-1)))


def _node_content(key: str, doc_id: str, meta: dict) -> str:
    """The node JSON llama-index keeps in ``metadata_["_node_content"]`` (what ``node_to_metadata_dict`` writes
    for a TextNode with the text removed), so its own retrievers can read this table too."""
    source = {"node_id": doc_id, "node_type": None, "metadata": {}, "hash": None, "class_name": "RelatedNodeInfo"}
    node = {
        "id_": key,
        "embedding": None,
        "metadata": meta,
        "excluded_embed_metadata_keys": [],
        "excluded_llm_metadata_keys": [],
        "relationships": {"1": source},
        "metadata_template": "{key}: {value}",
        "metadata_separator": "\n",
        "text": "",
        "mimetype": "text/plain",
        "start_char_idx": None,
        "end_char_idx": None,
        "text_template": "{metadata_str}\n\n{content}",
        "class_name": "TextNode",
    }
    return json.dumps(node)


def _sentence_rows(a: _Article) -> tuple[list[tuple], Counter, int]:
    rows, df, length = [], Counter(), 0
    doc_id = a.doc.doc_id
    for span, vec in zip(a.spans, a.vectors):
        tokens = analyze(span.text)
        df.update(set(tokens))
        length += len(tokens)
        meta = {"paragraph": span.paragraph, "index": span.index, "start": span.start, "end": span.end}
        extra = {"terms": sorted(set(tokens)), "length": len(tokens), "_node_type": "TextNode"}
        ids = {"document_id": doc_id, "doc_id": doc_id, "ref_doc_id": doc_id}
        metadata = meta | extra | ids | {"_node_content": _node_content(span.key, doc_id, meta)}
        rows.append((span.key, span.text, json.dumps(metadata), literal(vec)))
    return rows, df, length


def _write(db, t: Tables, a: _Article, count: bool = True) -> None:
    """Put one article in, in one round trip: its sentences as rows of the PGVectorStore table (the columns
    and metadata llama-index writes), its paragraphs, (``count``) its share of the BM25 statistics, its hash."""
    sentences, s_df, s_len = _sentence_rows(a)
    p_df, p_len, paragraphs = Counter(), 0, []
    for (number, start, end), vec in zip(a.paragraphs, a.paragraph_vectors):
        tokens = analyze(a.doc.text[start:end])
        p_df.update(set(tokens))
        p_len += len(tokens)
        paragraphs.append((a.doc.doc_id, number, start, end, sorted(set(tokens)), len(tokens), literal(vec)))
    cur = db.connection.cursor()  # the DB-API cursor, inside the session's transaction
    statements = [
        cur.mogrify(f"INSERT INTO {t.articles} VALUES (%s, %s, %s)", (a.doc.doc_id, _sha(a.doc.text), len(a.spans)))
    ]
    if sentences:
        values = ",".join(["(%s, %s, %s::jsonb, %s::vector)"] * len(sentences))
        statements.append(
            cur.mogrify(
                f"INSERT INTO data_{t.sentences} (node_id, text, metadata_, embedding) VALUES {values}",
                [x for row in sentences for x in row],
            )
        )
        values = ",".join(["(%s, %s, %s, %s, %s::text[], %s, %s::vector)"] * len(paragraphs))
        statements.append(
            cur.mogrify(f"INSERT INTO {t.paragraphs} VALUES {values}", [x for row in paragraphs for x in row])
        )
        if count:
            grains = {"s": (s_df, len(sentences), s_len), "p": (p_df, len(paragraphs), p_len)}
            statements += _adjustments(cur, t, grains)
    cur.execute(b";".join(statements))


def _adjustments(cur, t: Tables, grains: dict[str, tuple[Counter, int, int]], sign: int = 1) -> list[bytes]:
    """The statements adding (``sign`` 1) or taking away (-1) rows' share of the BM25 statistics."""
    keys = sorted((g, term) for g, (df, _, _) in grains.items() for term in df)  # one lock order for every writer
    terms = cur.mogrify(
        f"INSERT INTO {t.terms} (grain, term, df) SELECT * FROM unnest(%s::char(1)[], %s::text[], %s::int[])"
        f" ON CONFLICT (grain, term) DO UPDATE SET df = {t.terms}.df + EXCLUDED.df",
        ([g for g, _ in keys], [term for _, term in keys], [sign * grains[g][0][term] for g, term in keys]),
    )
    stats = cur.mogrify(
        f"INSERT INTO {t.stats} SELECT * FROM unnest(%s::char(1)[], %s::bigint[], %s::bigint[]) ON CONFLICT (grain)"
        f" DO UPDATE SET docs = {t.stats}.docs + EXCLUDED.docs, length = {t.stats}.length + EXCLUDED.length",
        (list(grains), [sign * n for _, n, _ in grains.values()], [sign * n for _, _, n in grains.values()]),
    )
    return [terms, stats] if keys else [stats]


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


def sync(index, encoder, progress: Progress | None = None) -> bool:
    """Bring the store up to date with ``index.corpus``: removed articles out, new and edited ones embedded and
    written, one transaction each. Returns whether anything changed.

    A write of most of the store (``StoreSettings.bulk_share``: a first build) marks the BM25 statistics
    stale, writes the articles without them, counts them once from the rows and builds the HNSW index once,
    at the end; a run killed before that leaves the mark, and the next sync counts again. Smaller writes
    keep the statistics current article by article, in the article's own transaction."""
    t, engine, settings = index.tables, index.engine, index.settings
    with engine.connect() as db:
        stored = dict(db.exec_driver_sql(f"SELECT doc_id, sha FROM {t.articles}").all())
        stale = db.exec_driver_sql(f"SELECT value FROM {t.meta} WHERE key = 'statistics'").scalar() == "stale"
    docs = {d.doc_id: d for d in index.corpus}
    removed = [d for d in stored if d not in docs]
    todo = [d for d in index.corpus if stored.get(d.doc_id) != _sha(d.text)]
    step = max(1, settings.articles_per_batch)
    bulk = len(todo) >= settings.bulk_share * max(1, len(stored)) and len(todo) > step
    if bulk:
        with engine.begin() as db:
            db.exec_driver_sql(f"UPDATE {t.meta} SET value = 'stale' WHERE key = 'statistics'")
            db.exec_driver_sql(f"DROP INDEX IF EXISTS data_{t.sentences}_embedding_idx")
    count = not (bulk or stale)
    total, done = sum(len(index.spans_of(d.doc_id)) for d in todo), 0
    if progress and total:
        progress("embedding sentences", 0, total)
    with engine.connect() as db:  # one connection; a transaction per article
        if not settings.synchronous_commit:
            db.exec_driver_sql("SET synchronous_commit = off")
        db.commit()
        for doc_id in removed:
            with db.begin():
                _remove(db, t, doc_id, count)
        for lo in range(0, len(todo), step):
            batch = todo[lo : lo + step]
            _words(engine, t, batch, encoder)
            for a in _embedded(index, batch, encoder):
                with db.begin():
                    if a.doc.doc_id in stored:
                        _remove(db, t, a.doc.doc_id, count)
                    _write(db, t, a, count)
                done += len(a.spans)
            if progress:
                progress("embedding sentences", done, total)
    if not count:
        _recount(engine, t)
    if bulk:
        _index_vectors(index)
    return bool(removed or todo)


def _recount(engine, t: Tables) -> None:
    """The BM25 statistics counted from the rows, in one transaction, and marked current."""
    data = f"data_{t.sentences}"
    with engine.begin() as db:
        for statement in (
            f"DELETE FROM {t.terms}",
            f"DELETE FROM {t.stats}",
            f"INSERT INTO {t.terms} SELECT 's', x.t, count(*) FROM {data} d,"
            " jsonb_array_elements_text(d.metadata_->'terms') x(t) GROUP BY x.t",
            f"INSERT INTO {t.terms} SELECT 'p', x.t, count(*) FROM {t.paragraphs} p, unnest(p.terms) x(t) GROUP BY x.t",
            f"INSERT INTO {t.stats} SELECT 's', count(*), coalesce(sum((metadata_->>'length')::bigint), 0) FROM {data}"
            " HAVING count(*) > 0",
            f"INSERT INTO {t.stats} SELECT 'p', count(*), coalesce(sum(length), 0) FROM {t.paragraphs}"
            " HAVING count(*) > 0",
            f"UPDATE {t.meta} SET value = 'current' WHERE key = 'statistics'",
        ):
            db.exec_driver_sql(statement)


def _index_vectors(index) -> None:
    """(Re)build the sentences' HNSW index in one pass (the statement PGVectorStore creates it with)."""
    s = index.settings
    with index.engine.connect() as db:
        db.exec_driver_sql(f"SET maintenance_work_mem = '{s.build_memory}'")
        db.exec_driver_sql(
            f"CREATE INDEX IF NOT EXISTS data_{index.tables.sentences}_embedding_idx ON data_{index.tables.sentences} "
            f"USING hnsw (embedding vector_cosine_ops) WITH (m = {s.hnsw_m}, ef_construction = {s.hnsw_ef_construction})"
        )
        db.commit()


def _embedded(index, batch: list[Document], encoder) -> list[_Article]:
    """The batch's articles with their sentence vectors: one encoder call for all their sentences."""
    spans = [index.spans_of(d.doc_id) for d in batch]
    texts = [s.text for ss in spans for s in ss]
    vectors = encoder.embed(texts) if texts else np.zeros((0, encoder.dimensions), dtype=np.float32)
    out, at = [], 0
    for doc, ss in zip(batch, spans):
        out.append(_article(doc, ss, np.asarray(vectors[at : at + len(ss)], dtype=np.float32)))
        at += len(ss)
    return out
