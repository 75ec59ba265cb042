"""The articles and their index (workspace.py): uploads copied into the corpus, each file reported by name,
the bundled corpus copied to a workspace before the first upload, the index rebuilt only when an article
was added."""

from __future__ import annotations

import pytest

from assistant import Assistant, CorpusLimits, Settings, workspace
from assistant.workspace import copy_articles, writable_corpus
from tests.test_api import RULES


@pytest.fixture
def assistant(corpus_dir, cache, rule_model):
    return Assistant(corpus_dir, backend=rule_model(RULES), cache_dir=cache)


def test_add_articles_reports_each_file_by_name_and_adds_the_rest(assistant, tmp_path):
    upload = tmp_path / "upload"
    upload.mkdir()
    (upload / "new.txt").write_text("Engineers said the pumps failed after eighteen months.\n", encoding="utf-8")
    (upload / "copy.txt").write_text(
        (assistant.corpus_dir / "a_wire.txt").read_text(encoding="utf-8"), encoding="utf-8"
    )
    (upload / "bad.txt").write_bytes(b"\xff\xfe not text")
    result = assistant.add_articles(sorted(upload.iterdir()), worker=False)
    assert result.added == ("new",) and result.present == ("a_wire",)
    assert len(result.problems) == 1 and result.problems[0].startswith("bad.txt: not UTF-8")
    assert str(upload) not in result.problems[0]
    assert "new" in assistant.corpus


def test_the_corpus_limits_are_settings_of_the_assistant(corpus_dir, cache, rule_model, tmp_path):
    limits = CorpusLimits(max_corpus_bytes=sum(p.stat().st_size for p in corpus_dir.iterdir()) + 10)
    assistant = Assistant(corpus_dir, backend=rule_model(RULES), cache_dir=cache, settings=Settings(corpus=limits))
    extra = tmp_path / "extra.txt"
    extra.write_text("A further report on the water hack, longer than ten bytes.\n", encoding="utf-8")
    result = assistant.add_articles([extra], worker=False)
    assert result.added == () and "corpus limit (CorpusLimits.max_corpus_bytes)" in result.problems[0]


def test_the_bundled_corpus_is_copied_once_to_a_workspace_that_takes_the_uploads(
    corpus_dir, cache, rule_model, tmp_path, monkeypatch
):
    monkeypatch.setattr(workspace, "default_corpus_dir", lambda: corpus_dir)  # this corpus plays the bundled one
    bundled = sorted(p.name for p in corpus_dir.iterdir())
    first, second = tmp_path / "first.txt", tmp_path / "second.txt"
    first.write_text("Engineers said the pumps failed after eighteen months.\n", encoding="utf-8")
    second.write_text("The council said the repairs took a year.\n", encoding="utf-8")
    assistant = Assistant(corpus_dir, backend=rule_model(RULES), cache_dir=cache)
    assert assistant.add_articles([first], worker=False).added == ("first",)
    copy = cache / "workspace" / "default"
    assert assistant.corpus_dir == copy and sorted(p.name for p in corpus_dir.iterdir()) == bundled
    assert sorted(p.name for p in copy.iterdir()) == sorted([*bundled, "first.txt"])
    again = Assistant(corpus_dir, backend=rule_model(RULES), cache_dir=cache)  # a later session, same cache
    assert again.add_articles([second], worker=False).added == ("second",)
    assert {"first", "second"} <= {d.doc_id for d in again.corpus} and again.corpus_dir == copy


def test_a_corpus_of_ones_own_is_written_in_place(corpus_dir, tmp_path):
    assert writable_corpus(corpus_dir, tmp_path / "cache", corpus=None) == corpus_dir
    assert not (tmp_path / "cache").exists()


def test_a_text_given_twice_in_one_upload_is_added_once(assistant, tmp_path):
    one, two = tmp_path / "one.txt", tmp_path / "two.txt"
    for f in (one, two):
        f.write_text("Engineers said the pumps failed after eighteen months.\n", encoding="utf-8")
    result = copy_articles(assistant.corpus_dir, [one, two], assistant.corpus, None, Settings())
    assert result.added == ("one",) and result.present == ("one",)


def test_nothing_new_rebuilds_nothing(assistant):
    rebuilt = []
    assistant.workspace.reindex = lambda **kwargs: rebuilt.append(kwargs)
    result = assistant.add_articles([assistant.corpus_dir / "a_wire.txt"], worker=False)
    assert result.present == ("a_wire",) and rebuilt == []
