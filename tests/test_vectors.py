"""Incremental indexing: an article's sentence vectors are embedded once per text, and an index built
from stored vectors is the index a build from scratch gives."""

from __future__ import annotations

import os
import shutil
import time

import numpy as np

from assistant.corpus import load_corpus
from assistant.embeddings import MiniLM
from assistant.index import INDEX_FORMAT, load_or_build
from assistant.vectors import ArticleVectors


class Counting:
    """The real encoder, counting the texts it is asked to embed."""

    def __init__(self) -> None:
        self.inner = MiniLM()
        self.model_name, self.dimensions = self.inner.model_name, self.inner.dimensions
        self.texts: list[str] = []

    def embed(self, texts, *args):
        self.texts += list(texts)
        return self.inner.embed(texts, *args)


def _same(a, b) -> None:
    assert [s.key for s in a.spans] == [s.key for s in b.spans]
    for name in ("sentence_vectors", "paragraph_vectors", "vocabulary_vectors"):
        assert np.array_equal(getattr(a, name), getattr(b, name)), name
    assert a.vocabulary == b.vocabulary


def test_adding_editing_and_removing_articles_embeds_only_what_changed(corpus_dir, tmp_path):
    encoder = Counting()
    load_or_build(load_corpus(corpus_dir), tmp_path, encoder)
    (corpus_dir / "d_new.txt").write_text(
        "Engineers replaced the pumps in March. The vote was close.\n", encoding="utf-8"
    )
    encoder.texts.clear()
    added, built = load_or_build(load_corpus(corpus_dir), tmp_path, encoder)
    sentences = [t for t in encoder.texts if t.endswith(".")]
    assert built and sentences == ["Engineers replaced the pumps in March.", "The vote was close."]
    assert set(encoder.texts) - set(sentences) <= {"engineers", "replaced", "pumps", "march", "vote", "close"}
    _same(added, load_or_build(load_corpus(corpus_dir), tmp_path / "scratch", MiniLM())[0])

    (corpus_dir / "c_blog.txt").write_text("Southgate Systems denied any role.\n", encoding="utf-8")
    (corpus_dir / "d_new.txt").unlink()
    encoder.texts.clear()
    edited, _ = load_or_build(load_corpus(corpus_dir), tmp_path, encoder)
    assert [t for t in encoder.texts if " " in t] == ["Southgate Systems denied any role."]
    _same(edited, load_or_build(load_corpus(corpus_dir), tmp_path / "scratch2", MiniLM())[0])


def test_rebuild_embeds_everything_again(corpus_dir, tmp_path):
    encoder = Counting()
    first, _ = load_or_build(load_corpus(corpus_dir), tmp_path, encoder)
    encoder.texts.clear()
    again, built = load_or_build(load_corpus(corpus_dir), tmp_path, encoder, rebuild=True)
    assert built and len([t for t in encoder.texts if " " in t]) == len(first.spans)
    _same(first, again)


def test_a_damaged_stored_file_is_embedded_again(corpus_dir, tmp_path):
    load_or_build(load_corpus(corpus_dir), tmp_path, MiniLM())
    stored = sorted((tmp_path / "vectors").rglob("*.npy"))
    assert len(stored) == 3
    stored[0].write_bytes(b"not an array")
    stored[1].write_bytes(b"")  # cut short
    (corpus_dir / "d_new.txt").write_text("One more sentence here.\n", encoding="utf-8")
    shutil.rmtree(tmp_path / "indexes")  # the index is built again from the stored vectors
    encoder = Counting()
    index, _ = load_or_build(load_corpus(corpus_dir), tmp_path, encoder)
    assert len({t for t in encoder.texts if " " in t}) > 2  # the new article and the two damaged ones
    _same(index, load_or_build(load_corpus(corpus_dir), tmp_path / "scratch", MiniLM())[0])


def test_the_store_drops_the_least_recently_used_past_its_budget_but_never_what_is_in_use(tmp_path):
    store = ArticleVectors(tmp_path, "m", INDEX_FORMAT, keep_bytes=13_000)
    vectors = np.ones((4, 384), dtype=np.float32)  # 6,272 bytes a file: two fit the budget
    for age, text in enumerate(("oldest", "older", "recent")):
        store.put(text, vectors)
        os.utime(store._path(text), (1000 + age, 1000 + age))
    store.prune(since=float("inf"))  # nothing in use: down to the budget, least recently used first
    assert store.get("oldest", 4) is None and store.get("older", 4) is not None and store.get("recent", 4) is not None
    store.put("new", vectors)
    store.prune(since=time.time() - 60)  # all three were used by this "build": all stay, over budget or not
    assert all(store.get(t, 4) is not None for t in ("older", "recent", "new"))
    assert store.get("new", 5) is None  # a different number of sentences is not this article's


def test_progress_starts_at_zero_so_a_rate_counts_the_first_chunk(corpus_dir, tmp_path):
    calls = []
    load_or_build(load_corpus(corpus_dir), tmp_path, MiniLM(), progress=lambda *a: calls.append(a))
    sentences = [c for c in calls if c[0] == "embedding sentences"]
    assert sentences[0][1] == 0 and sentences[-1][1] == sentences[-1][2] > 0
    assert [c for c in calls if c[0] == "embedding vocabulary"][0][1] == 0
