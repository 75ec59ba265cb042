import numpy as np
import pytest

from assistant.corpus import load_corpus
from assistant.embeddings import MiniLM
from assistant.index import load_or_build
from assistant.question import parse_question
from assistant.retrieve import _in_scope, expansion_terms, retrieve
from assistant.settings import RetrievalSettings
from assistant.types import Question


@pytest.fixture
def index(corpus_dir, tmp_path):
    return load_or_build(load_corpus(corpus_dir), tmp_path, MiniLM())[0]


def test_every_relevant_article_contributes(index):
    r = retrieve(index, parse_question("How long did the intrusion into the water system last?"), MiniLM())
    by_doc = r.by_article()
    assert {"a_wire", "b_daily"} <= set(by_doc)
    assert any("eighteen months" in ev.text for ev in by_doc["a_wire"])
    assert any("several months" in ev.text for ev in by_doc["b_daily"])
    assert [ev.id for ev in r.evidence] == list(range(1, len(r.evidence) + 1))


def test_one_strong_article_does_not_crowd_out_the_others(index):
    settings = RetrievalSettings(per_article=1)
    r = retrieve(index, parse_question("Who was behind the water hack?"), MiniLM(), settings)
    assert len(r.by_article()) >= 2 and all(len(v) == 1 for v in r.by_article().values())


def test_scoped_question_only_reads_articles_naming_the_source(index):
    r = retrieve(index, parse_question("According to Dr. Ada Vance, how long did it last?"), MiniLM())
    assert set(r.by_article()) == {"b_daily"}


def test_question_naming_an_absent_source_reads_every_relevant_article(index):
    r = retrieve(index, parse_question("According to the FBI, how long did the hack last?"), MiniLM())
    assert r.scope_unmatched and len(r.by_article()) >= 2


def test_evidence_offsets_point_into_the_article(index):
    r = retrieve(index, parse_question("What did the repairs cost?"), MiniLM())
    for ev in r.evidence:
        assert index.corpus[ev.doc_id].text[ev.span.start : ev.span.end] == ev.text


class _Store:
    """A store that answers only what scoping and query expansion ask of it."""

    def __init__(self, terms: dict[str, frozenset[str]]):
        self.terms, self.asked = terms, []

    def article_terms(self, doc_id: str) -> frozenset[str]:
        return self.terms[doc_id]

    def nearest_words(self, vectors, k: int):
        self.asked.append(k)
        return [[] for _ in vectors]


def test_an_article_is_in_scope_when_it_holds_the_set_share_of_the_sources_terms():
    question = Question("q", None, ("cost",), scope_terms=("a", "b", "c"))
    store = _Store({"one": frozenset("a"), "two": frozenset("ab"), "all": frozenset("abc")})
    docs = set(store.terms)
    assert _in_scope(store, question, docs, RetrievalSettings()) == {"two", "all"}  # half of three, rounded up
    assert _in_scope(store, question, docs, RetrievalSettings(scope_share=1.0)) == {"all"}
    assert _in_scope(store, question, docs, RetrievalSettings(scope_share=0.0)) == docs  # always at least one


def test_query_expansion_looks_at_the_set_number_of_neighbours_per_word():
    store, question = _Store({}), parse_question("How long did the intrusion last?")
    vectors = np.zeros((4, 3), dtype=np.float32)
    expansion_terms(store, question, None, RetrievalSettings(), vectors)
    expansion_terms(store, question, None, RetrievalSettings(expansion_oversample=2), vectors)
    assert store.asked == [9, 6]  # three wanted per word, times the oversampling
