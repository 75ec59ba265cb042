import numpy as np
import pytest

from assistant.corpus import load_corpus
from assistant.embeddings import MiniLM
from assistant.index import load_or_build
from assistant.question import parse_question
from assistant.repeats import Repeats
from assistant.retrieve import _in_scope, expansion_terms, reading_list, retrieve, second_look
from assistant.settings import RetrievalSettings
from assistant.types import Document, Evidence, Finding, Group, Question, Retrieval, Span


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


# --- Which articles are read --------------------------------------------------------------------------

WIRE = "Harlow Engineering caused the collapse of the bridge, inspectors said on Tuesday."
TEXTS = {
    "wire": WIRE,
    "copy": WIRE + " More soon.",
    "union": "The union blames Meridian Steel.",
    "late": "No cause yet.",
}


class _Articles:
    """A store of one-sentence articles: what choosing the articles to read asks of it."""

    def __init__(self):
        self.spans = {d: [Span(d, 0, 0, 0, len(t), t)] for d, t in TEXTS.items()}

    def spans_of(self, doc_id: str) -> list[Span]:
        return self.spans[doc_id]


def _retrieval(store: _Articles, cap: int) -> Retrieval:
    """Retrieval of all four articles, best first, its evidence the first ``cap`` of them."""
    ranked = ["wire", "copy", "union", "late"]
    scores = {store.spans[d][0].key: 1.0 - k / 10 for k, d in enumerate(ranked)}
    evidence = [Evidence(k, store.spans[d][0], scores[store.spans[d][0].key]) for k, d in enumerate(ranked[:cap], 1)]
    return Retrieval(Question("q", None, ()), evidence, scores, matching=tuple(ranked))


def _repeats() -> Repeats:
    return Repeats({d: Document(d, t) for d, t in TEXTS.items()}, 0.5)


def test_past_the_cap_a_near_copy_of_an_article_chosen_is_left_unread_and_the_next_distinct_one_read():
    store = _Articles()
    reading = reading_list(store, _retrieval(store, 2), _repeats(), RetrievalSettings(max_articles=2))
    assert list(reading.retrieval.by_article()) == ["wire", "union"]  # union's sentence from retrieval's scores
    assert reading.unread == ("copy", "late") and reading.copies == {"copy": "wire"}


def test_when_every_matching_article_fits_all_are_read_copies_too():
    store = _Articles()
    retrieval = _retrieval(store, 4)
    reading = reading_list(store, retrieval, _repeats(), RetrievalSettings(max_articles=4))
    assert reading.retrieval is retrieval and reading.unread == () and reading.copies == {}


def test_a_second_look_reads_the_best_unread_articles_not_counted_for_the_one_answer():
    store = _Articles()
    reading = reading_list(store, _retrieval(store, 1), _repeats(), RetrievalSettings(max_articles=1))
    assert reading.unread == ("copy", "union", "late") and reading.copies == {"copy": "wire"}
    one = Group([Finding("wire", 0.9)])
    # The near-copy of the article read is never looked at again: it says what that article says.
    assert second_look(reading, [[one]], 2) == ("union", "late") and second_look(reading, [[one]], 1) == ("union",)
    one.also = ["union"]  # counted for the answer already: no need to read it
    assert second_look(reading, [[one]], 2) == ("late",)
    assert (
        second_look(reading, [[one, Group([Finding("late", 0.8)])]], 2) == () and second_look(reading, [[one]], 0) == ()
    )
    more = reading.adding(("late",), [Evidence(0, store.spans["late"][0], 0.7)])
    assert list(more.retrieval.by_article()) == ["wire", "late"] and more.unread == ("copy", "union")
