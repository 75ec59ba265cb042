"""One repeat detector: near-copies of whole articles (word sets computed once each) and repeated statements."""

from assistant.repeats import Repeats, repeated_statements_last
from assistant.types import Document


class Counting(dict):
    """Articles by doc id, counting how often each one's text is looked up."""

    def __init__(self, texts: dict[str, str]):
        super().__init__({k: Document(k, v) for k, v in texts.items()})
        self.reads: dict[str, int] = {}

    def __getitem__(self, doc_id: str) -> Document:
        self.reads[doc_id] = self.reads.get(doc_id, 0) + 1
        return super().__getitem__(doc_id)


def test_a_near_copy_shares_the_threshold_share_of_words_and_an_empty_article_copies_nothing():
    docs = Counting({"a": "one two three", "b": "One two four", "c": "? !", "d": "five six"})
    repeats = Repeats(docs, 0.5)
    assert repeats.near_copy("a", "b") and repeats.near_copy("b", "a")  # Jaccard 2/4, case aside
    assert not repeats.near_copy("a", "d") and not Repeats(docs, 0.0).near_copy("a", "c")
    assert not Repeats(docs, 0.51).near_copy("a", "b")


def test_each_articles_words_are_read_once_however_many_pairs_it_is_in():
    docs = Counting({f"x{i}": f"shared words here and {i}" for i in range(6)})
    repeats = Repeats(docs, 0.5)
    for a in docs:
        for b in docs:
            repeats.near_copy(a, b)
    assert docs.reads == {d: 1 for d in docs}


def test_copy_of_names_the_first_article_copied_and_nothing_for_an_original():
    docs = Counting({"a": "the dam failed on Sunday", "b": "the dam failed on Monday", "c": "the dam failed on Sunday"})
    repeats = Repeats(docs, 0.6)
    assert repeats.copy_of("c", ["b", "a"]) == "b" and repeats.copy_of("c", []) == ""
    assert Repeats(docs, 0.99).copy_of("c", ["b", "a"]) == "a"


def test_an_article_repeating_a_better_ranked_ones_statement_goes_after_those_saying_something_new():
    said = {"a": "The dam failed.", "b": "the  dam FAILED.", "c": "Crews are on site.", "d": "The dam failed"}
    assert repeated_statements_last(["a", "b", "c", "d"], said.__getitem__) == ["a", "c", "d", "b"]
