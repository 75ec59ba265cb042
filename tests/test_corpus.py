from pathlib import Path

import pytest

from assistant.config import default_corpus_dir
from assistant.corpus import add_article, load_corpus
from assistant.errors import CorpusError
from assistant.settings import CorpusLimits


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


def test_a_non_utf8_file_is_named_and_skipped(corpus_dir, caplog):
    (corpus_dir / "latin1.txt").write_bytes("caf\xe9 au lait".encode("latin-1"))
    corpus = load_corpus(corpus_dir)
    assert "latin1" not in corpus and len(corpus) == 3
    (note,) = corpus.skipped
    assert note.startswith("latin1: not read") and "UTF-8" in note and "\n" not in note
    assert "latin1" in caplog.text


def test_a_binary_file_is_named_and_skipped(corpus_dir):
    (corpus_dir / "blob.txt").write_bytes(b"abc\x00\x01\x02")
    corpus = load_corpus(corpus_dir)
    assert "blob" not in corpus and any(n.startswith("blob: not read") and "binary" in n for n in corpus.skipped)


def test_nothing_readable_is_a_clear_error_that_says_why(tmp_path):
    (tmp_path / "blob.txt").write_bytes(b"abc\x00")
    with pytest.raises(CorpusError, match="no non-empty.*blob: not read.*binary"):
        load_corpus(tmp_path)


def test_fingerprint_changes_with_content(corpus_dir):
    before = load_corpus(corpus_dir).fingerprint
    (corpus_dir / "c_blog.txt").write_text("Changed.", encoding="utf-8")
    assert load_corpus(corpus_dir).fingerprint != before


def test_links_outside_the_corpus_are_never_read(corpus_dir, tmp_path_factory, caplog):
    secret = tmp_path_factory.mktemp("outside") / "passwd.txt"
    secret.write_text("root:x:0:0:root:/root:/bin/bash\n", encoding="utf-8")
    (corpus_dir / "passwd.txt").symlink_to(secret)
    (corpus_dir / "inside.txt").symlink_to(corpus_dir / "a_wire.txt")  # a link that stays inside is fine...
    outside_dir = tmp_path_factory.mktemp("more")
    (outside_dir / "e.txt").write_text("An article from elsewhere.", encoding="utf-8")
    (corpus_dir / "linked").symlink_to(outside_dir, target_is_directory=True)
    corpus = load_corpus(corpus_dir)
    assert "passwd" not in corpus and "linked/e" not in corpus
    assert not any("root:x" in d.text for d in corpus)
    assert any(note.startswith("passwd:") and "outside" in note for note in corpus.skipped)
    assert "passwd: links outside the corpus directory" in caplog.text
    assert "inside" not in corpus  # ...but it is a copy of a_wire, and identical text counts once
    assert any(note.startswith("inside:") and "a_wire" in note for note in corpus.skipped)


def test_identical_text_is_one_article_whatever_the_names(corpus_dir):
    original = (corpus_dir / "b_daily.txt").read_text(encoding="utf-8")
    for name in ("b_daily-2.txt", "zz_copy.md"):
        (corpus_dir / name).write_text(original, encoding="utf-8")
    corpus = load_corpus(corpus_dir)
    assert [d.doc_id for d in corpus] == ["a_wire", "b_daily", "c_blog"]
    assert len(corpus.skipped) == 2 and all("same text as b_daily" in note for note in corpus.skipped)


def test_adding_the_same_text_twice_adds_one_article(corpus_dir, tmp_path_factory):
    upload = tmp_path_factory.mktemp("upload")
    new = upload / "report.txt"
    new.write_text("Investigators say the hackers got in through a phishing email.\n", encoding="utf-8")
    assert add_article(corpus_dir, new) == "report"
    renamed = upload / "report (1).txt"
    renamed.write_text(new.read_text(encoding="utf-8"), encoding="utf-8")
    assert add_article(corpus_dir, new) == "report" and add_article(corpus_dir, renamed) == "report"
    assert add_article(corpus_dir, upload / "report.txt", "a_wire.txt") == "report"
    existing = corpus_dir / "a_wire.txt"
    assert add_article(corpus_dir, existing, "again.txt") == "a_wire"
    assert sorted(p.name for p in corpus_dir.iterdir()) == ["a_wire.txt", "b_daily.txt", "c_blog.txt", "report.txt"]


def test_an_article_over_the_size_limit_is_named_and_skipped(corpus_dir):
    (corpus_dir / "huge.txt").write_text("A long article. " * 100, encoding="utf-8")
    corpus = load_corpus(corpus_dir, CorpusLimits(max_article_bytes=1000))
    assert "huge" not in corpus and len(corpus) == 3
    assert corpus.skipped == (
        "huge: not read (1,600 bytes is over the 1,000 bytes limit for one article, "
        "set by CorpusLimits.max_article_bytes)",
    )


def test_a_corpus_over_its_limit_is_one_clear_error_before_any_reading(corpus_dir):
    total = sum(p.stat().st_size for p in corpus_dir.iterdir())
    with pytest.raises(
        CorpusError,
        match=r"add up to [\d,]+ bytes, over the 300 bytes corpus limit "
        r"\(CorpusLimits.max_corpus_bytes\): raise it, or split the corpus",
    ):
        load_corpus(corpus_dir, CorpusLimits(max_corpus_bytes=300))
    assert len(load_corpus(corpus_dir, CorpusLimits(max_corpus_bytes=total))) == 3


def test_adding_past_the_corpus_limit_is_refused_and_leaves_the_corpus_as_it_was(corpus_dir, tmp_path_factory):
    new = tmp_path_factory.mktemp("upload") / "extra.txt"
    new.write_text("One more article about the water hack.\n" * 20, encoding="utf-8")
    limits = CorpusLimits(max_corpus_bytes=sum(p.stat().st_size for p in corpus_dir.iterdir()) + 100)
    with pytest.raises(CorpusError, match="corpus limit"):
        add_article(corpus_dir, new, limits=limits)
    with pytest.raises(CorpusError, match="extra.txt: 780 bytes is over the 700 bytes upload limit"):
        add_article(corpus_dir, new, max_bytes=700)
    assert sorted(p.name for p in corpus_dir.iterdir()) == ["a_wire.txt", "b_daily.txt", "c_blog.txt"]
