import numpy as np

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
    node = loaded.nodes[0]
    assert corpus[node.metadata["doc_id"]].text[node.start_char_idx : node.end_char_idx] == node.text
    assert node.text in node.metadata["window"]


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
