from pathlib import Path

import pytest

from assistant.config import default_corpus_dir
from assistant.corpus import load_corpus
from assistant.errors import CorpusError


def test_default_corpus_is_the_five_seed_articles_exactly():
    corpus = load_corpus(default_corpus_dir())
    assert len(corpus) == 5
    for doc in corpus:
        path = Path(doc.path)
        assert doc.doc_id == path.stem
        assert doc.text == open(path, encoding="utf-8").read()


def test_doc_ids_and_text_kept_exactly(corpus_dir):
    (corpus_dir / "notes.md").write_text("# Heading\r\nLine with £ and “quotes”.\r\n", encoding="utf-8")
    corpus = load_corpus(corpus_dir)
    assert sorted(d.doc_id for d in corpus) == ["a_wire", "b_daily", "c_blog", "notes"]
    # universal newlines, as open(path, encoding="utf-8").read() returns it: offsets must match that
    assert corpus["notes"].text == open(corpus_dir / "notes.md", encoding="utf-8").read()
    assert corpus["notes"].title == "Heading"


def test_nested_articles_get_path_ids(corpus_dir):
    (corpus_dir / "2024").mkdir()
    (corpus_dir / "2024" / "d.txt").write_text("Nested article.", encoding="utf-8")
    assert "2024/d" in load_corpus(corpus_dir)


def test_missing_directory_is_a_clear_error(tmp_path):
    with pytest.raises(CorpusError, match="not found"):
        load_corpus(tmp_path / "nope")


def test_empty_directory_is_a_clear_error(tmp_path):
    (tmp_path / "empty.txt").write_text("   \n", encoding="utf-8")
    (tmp_path / "image.png").write_bytes(b"\x89PNG")
    with pytest.raises(CorpusError, match="no non-empty"):
        load_corpus(tmp_path)


def test_non_utf8_file_is_named(corpus_dir):
    (corpus_dir / "latin1.txt").write_bytes("caf\xe9 au lait".encode("latin-1"))
    with pytest.raises(CorpusError) as err:
        load_corpus(corpus_dir)
    assert "latin1.txt" in str(err.value) and "UTF-8" in str(err.value)
    assert "\n" not in str(err.value)


def test_binary_file_is_named(corpus_dir):
    (corpus_dir / "blob.txt").write_bytes(b"abc\x00\x01\x02")
    with pytest.raises(CorpusError, match="blob.txt.*binary"):
        load_corpus(corpus_dir)


def test_fingerprint_changes_with_content(corpus_dir):
    before = load_corpus(corpus_dir).fingerprint
    (corpus_dir / "c_blog.txt").write_text("Changed.", encoding="utf-8")
    assert load_corpus(corpus_dir).fingerprint != before
