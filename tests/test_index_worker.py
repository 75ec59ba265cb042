"""Indexing in a separate process: the index it saves is the one in-process indexing would load, and
a child that fails or is killed leaves one clear error and the cache consistent."""

from __future__ import annotations

import multiprocessing
import os
import random
import signal
import threading
import time

import numpy as np
import pytest

from assistant.corpus import load_corpus
from assistant.embeddings import MiniLM
from assistant.errors import StorydeskError
from assistant.index import index_key, load_or_build
from assistant.index_worker import build_in_worker

WORDS = (
    "council water system hackers breach months officials said repairs investigators blamed mayor residents "
    "report engineers pumps valves network audit contract budget vote inquiry minister firm"
).split()


def long_article(n_sentences: int, seed: int = 1) -> str:
    """Distinct sentences (repeats are embedded once, which would make the article cheap)."""
    rng = random.Random(seed)
    lines = []
    for i in range(0, n_sentences, 4):
        lines.append(
            " ".join(
                f"{' '.join(rng.choices(WORDS, k=rng.randint(8, 20))).capitalize()} in case {i + j}." for j in range(4)
            )
        )
    return "\n".join(lines) + "\n"


def test_the_worker_saves_the_index_that_loading_then_finds(corpus_dir, tmp_path):
    corpus = load_corpus(corpus_dir)
    seen = []
    assert build_in_worker(corpus, tmp_path, progress=lambda label, done, total: seen.append((label, done, total)))
    index, built = load_or_build(corpus, tmp_path, MiniLM())
    assert not built and index.key == index_key(corpus, MiniLM.model_name)
    assert ("embedding sentences", len(index.spans), len(index.spans)) in seen
    fresh, _ = load_or_build(corpus, tmp_path / "other", MiniLM())
    assert np.allclose(index.sentence_vectors, fresh.sentence_vectors, atol=1e-5)
    assert build_in_worker(corpus, tmp_path) is False  # already there: nothing to build


def test_a_failing_worker_is_one_clear_error(corpus_dir, tmp_path):
    not_a_directory = tmp_path / "cache"
    not_a_directory.write_text("a file where the cache should be", encoding="utf-8")
    with pytest.raises(StorydeskError, match=r"^indexing failed: .*cache"):
        build_in_worker(load_corpus(corpus_dir), not_a_directory)


def test_a_killed_worker_leaves_the_previous_index_and_a_usable_cache(corpus_dir, tmp_path):
    before, _ = load_or_build(load_corpus(corpus_dir), tmp_path, MiniLM())
    (corpus_dir / "long.txt").write_text(long_article(3000), encoding="utf-8")
    corpus = load_corpus(corpus_dir)
    errors = []

    def run() -> None:
        try:
            build_in_worker(corpus, tmp_path, progress=lambda *_: None)
        except StorydeskError as err:
            errors.append(str(err))

    thread = threading.Thread(target=run)
    thread.start()
    deadline = time.time() + 60
    while not multiprocessing.active_children() and time.time() < deadline:
        time.sleep(0.05)
    time.sleep(2.0)  # into the build
    for child in multiprocessing.active_children():
        os.kill(child.pid, signal.SIGKILL)
    thread.join(timeout=60)
    assert errors and "stopped (exit code -9)" in errors[0] and "previous index is still in use" in errors[0]
    _, rebuilt = load_or_build(before.corpus, tmp_path, MiniLM())
    assert not rebuilt  # the earlier index survived the kill
    again, built = load_or_build(load_corpus(corpus_dir), tmp_path, MiniLM())  # the next run builds it whole
    assert built and len(again.spans) > len(before.spans)
