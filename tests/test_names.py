"""What an article is called: its headline, else its outlet or byline, else "Article N" by sorted doc id."""

import hashlib

from assistant.config import default_corpus_dir
from assistant.corpus import load_corpus
from assistant.names import article_names, own_name
from assistant.types import Corpus, Document

LEDE = (
    "In a dramatic escalation of geopolitical tensions in the artificial intelligence arms race, Anthropic has "
    "publicly accused a rival of orchestrating a sophisticated cyber heist to steal proprietary research.\n\n"
    "The stolen intellectual property was the result of a long research programme, the company said.\n"
)


def test_a_headline_line_names_the_article():
    text = "Ammonia leak at Saltmouth harbour forces mass evacuation\nSALTMOUTH – About 1,800 residents left.\n"
    corpus = Corpus("mem", (Document("01_coastwire", text),))
    assert corpus["01_coastwire"].title == "Ammonia leak at Saltmouth harbour forces mass evacuation"
    assert Document("x", "## Why did the tank fail?\nBody.").title == "Why did the tank fail?"  # markdown, a question


def test_a_long_lede_gives_article_n_by_sorted_doc_id_whatever_the_order_given():
    ids = ["b_daily", "003_e196f24e958adc79", "a10", "a2"]  # sorted: 003_…, a10, a2, b_daily
    corpus = Corpus("mem", tuple(Document(d, LEDE) for d in ids))
    assert {d.doc_id: d.title for d in corpus} == {
        "003_e196f24e958adc79": "Article 1",
        "a10": "Article 2",
        "a2": "Article 3",
        "b_daily": "Article 4",
    }
    again = Corpus("mem", tuple(reversed(corpus.documents)))
    assert [again[d].title for d in ids] == [corpus[d].title for d in ids]  # stable: order given does not matter


def test_article_n_follows_doc_ids_not_file_order(tmp_path):
    # Files sort "a-b.txt" before "a.txt" ("-" < "."), doc ids "a" before "a-b": the number follows the doc id.
    for name in ("a-b", "a"):
        (tmp_path / f"{name}.txt").write_text(LEDE.replace("Anthropic", name), encoding="utf-8")
    corpus = load_corpus(tmp_path)
    assert [d.doc_id for d in corpus] == ["a-b", "a"]
    assert corpus["a"].title == "Article 1" and corpus["a-b"].title == "Article 2"


def test_a_name_is_never_a_lede_fragment_nor_the_doc_id():
    corpus = load_corpus(default_corpus_dir())  # the seed articles: a long lede each, no headline line
    for n, doc in enumerate(sorted(corpus, key=lambda d: d.doc_id), 1):
        assert doc.title == f"Article {n}"
        assert doc.doc_id not in doc.title and doc.title not in doc.text and "…" not in doc.title
    short = "Residents of the valley waited a week for power.\nMore text.\n"  # a sentence, however short
    assert Corpus("mem", (Document("valley", short),))["valley"].title == "Article 1"
    assert own_name(short) == "" and own_name("Leak contained. Residents return home\nBody.") == ""


def test_a_byline_or_a_dateline_outlet_names_an_article_without_a_headline():
    byline = "By Helen Carver, Political Editor\n\nMore than 3,000 people were forced from their homes on Friday.\n"
    dateline = "LONDON (Reuters) – About 1,800 residents were evacuated overnight.\n\nThe leak began at 11pm.\n"
    corpus = Corpus("mem", (Document("gazette", byline), Document("wire", dateline)))
    assert corpus["gazette"].title == "Article by Helen Carver"
    assert corpus["wire"].title == "Reuters"
    # a sentence that opens with "By" is no byline
    assert own_name("By Thursday, the leak had stopped and residents went home.\nMore.\n") == ""


def test_articles_that_would_share_a_name_each_get_their_number():
    docs = (Document("b", "Wire story\nText one.\n"), Document("a", "Wire story\nText two.\n"))
    corpus = Corpus("mem", docs)
    assert corpus["a"].title == "Wire story (Article 1)" and corpus["b"].title == "Wire story (Article 2)"
    assert article_names({"x": "", "y": "Unique"}) == {"x": "Article 1", "y": "Unique"}


def test_names_leave_the_fingerprint_and_equality_as_they_were():
    docs = (Document("b", LEDE), Document("a", "Headline\nBody.\n"))
    corpus = Corpus("mem", docs)
    h = hashlib.sha256()
    for doc in docs:
        h.update(doc.doc_id.encode("utf-8") + b"\0" + doc.text.encode("utf-8") + b"\0")
    assert corpus.fingerprint == h.hexdigest()
    assert corpus.documents == docs and corpus["b"].label == "Article 2" and docs[0].label == ""


def test_outside_a_corpus_an_article_without_a_headline_is_just_article():
    assert Document("003_e196f24e958adc79", LEDE).title == "Article"
    assert Document("notes", "Heading\nBody.").headline == "Heading"
