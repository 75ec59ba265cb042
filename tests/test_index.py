import numpy as np
import pytest

from assistant.corpus import load_corpus
from assistant.embeddings import MiniLM
from assistant.index import index_key, load_or_build
from assistant.text import analyze


def test_index_persists_and_reloads(corpus_dir, tmp_path):
    encoder = MiniLM()
    corpus = load_corpus(corpus_dir)
    built, was_built = load_or_build(corpus, tmp_path, encoder)
    loaded, was_built_again = load_or_build(load_corpus(corpus_dir), tmp_path, encoder)
    assert was_built and not was_built_again
    assert [s.key for s in loaded.spans] == [s.key for s in built.spans]
    assert np.allclose(loaded.sentence_vectors, built.sentence_vectors)
    assert loaded.sentence_bm25.scores(["northwind"]).shape == (len(loaded.spans),)
    assert all(corpus[s.doc_id].text[s.start : s.end] == s.text for s in loaded.spans)


def test_editing_an_article_invalidates_the_cache(corpus_dir, tmp_path):
    encoder = MiniLM()
    first, _ = load_or_build(load_corpus(corpus_dir), tmp_path, encoder)
    (corpus_dir / "c_blog.txt").write_text("A new article about floods. It rained for nine days.", encoding="utf-8")
    second, rebuilt = load_or_build(load_corpus(corpus_dir), tmp_path, encoder)
    assert rebuilt and second.key != first.key
    assert any("nine days" in s.text for s in second.spans)
    assert index_key(load_corpus(corpus_dir), encoder.model_name) == second.key


def test_corrupt_index_is_rebuilt(corpus_dir, tmp_path):
    encoder = MiniLM()
    index, _ = load_or_build(load_corpus(corpus_dir), tmp_path, encoder)
    next(index.directory.glob("*.sentence_vectors.bin")).write_bytes(b"garbage")
    again, rebuilt = load_or_build(load_corpus(corpus_dir), tmp_path, encoder)
    assert rebuilt and len(again.spans) == len(index.spans)


def test_analyze_stems_and_drops_stopwords():
    assert analyze("The hackers and the hacking") == ["hacker", "hack"]


@pytest.mark.slow
def test_storydesk_index_killed_repeatedly_still_answers_from_a_complete_index(corpus_dir, tmp_path):
    import os
    import random
    import signal
    import subprocess
    import sys
    import time

    env = dict(os.environ, STORYDESK_CACHE_DIR=str(tmp_path / "cache"))
    cmd = [sys.executable, "-m", "assistant.cli", "index", "--corpus", str(corpus_dir)]
    assert "built" in subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=300, check=True).stdout
    rng = random.Random(7)
    for _ in range(6):
        proc = subprocess.Popen(cmd + ["--rebuild"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(rng.uniform(0.5, 6.0))
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        out = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=300, check=True).stdout
        assert "up to date" in out, out  # the old index survived every kill: no full rebuild
