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
    assert loaded.sentence_bm25.get_scores(["northwind"]).shape == (len(loaded.spans),)
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
    (index.directory / "sentence_vectors.npy").write_bytes(b"garbage")
    again, rebuilt = load_or_build(load_corpus(corpus_dir), tmp_path, encoder)
    assert rebuilt and len(again.spans) == len(index.spans)


def test_analyze_stems_and_drops_stopwords():
    assert analyze("The hackers and the hacking") == ["hacker", "hack"]


class Killed(BaseException):
    """Stands in for SIGKILL: nothing after the step runs, no cleanup, no except clause catches it."""


@pytest.mark.parametrize("step", range(5))
def test_a_save_killed_at_any_step_leaves_an_index_that_loads_without_a_rebuild(
    corpus_dir, tmp_path, monkeypatch, step
):
    from pathlib import Path

    from assistant import index as index_module

    encoder = MiniLM()
    first, _ = load_or_build(load_corpus(corpus_dir), tmp_path, encoder)
    steps = {"n": 0}

    def crash_at(original):
        def wrapped(*args, **kwargs):
            if steps["n"] == step:
                raise Killed
            steps["n"] += 1
            return original(*args, **kwargs)

        return wrapped

    # The steps of a save over a live index: flush, clear the parking place, park the old index, publish
    # the new one, delete the old one.
    monkeypatch.setattr(index_module, "_fsync_tree", crash_at(index_module._fsync_tree))
    monkeypatch.setattr(Path, "rename", crash_at(Path.rename))
    monkeypatch.setattr(index_module.shutil, "rmtree", crash_at(index_module.shutil.rmtree))
    steps["n"] = -1  # the save's first rmtree (of its own stale tmp) is not a step
    with pytest.raises(Killed):
        load_or_build(load_corpus(corpus_dir), tmp_path, encoder, rebuild=True)
    monkeypatch.undo()
    monkeypatch.setattr(index_module, "build", lambda *a, **k: pytest.fail("rebuilt although an index was intact"))
    again, rebuilt = load_or_build(load_corpus(corpus_dir), tmp_path, encoder)
    assert not rebuilt and [s.key for s in again.spans] == [s.key for s in first.spans]
    monkeypatch.undo()
    load_or_build(load_corpus(corpus_dir), tmp_path, encoder, rebuild=True)  # the next save tidies up
    assert [p.name for p in (tmp_path / "indexes").iterdir() if ".old-" in p.name] == []


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
