import numpy as np
import pytest

from assistant.compare import CompareSettings, group_findings, same_answer, signature
from assistant.question import parse_question
from assistant.spans import Span
from assistant.types import Evidence, Finding


class Encoder:
    """Unit vectors: phrases in the same bucket are identical in meaning, others orthogonal."""

    def __init__(self, buckets: dict[str, int]) -> None:
        self.buckets = buckets

    def embed(self, texts):
        out = np.zeros((len(texts), 8), dtype=np.float32)
        for i, t in enumerate(texts):
            out[i, self.buckets.get(t, 7 - i % 4)] = 1.0
        return out


def finding(doc: str, claim: str, n: int = 1) -> Finding:
    return Finding(doc, Evidence(n, Span(doc, 0, 0, 0, len(claim), claim), 0.5), claim)


def sig(claim: str, bucket: int = 0, asked: frozenset = frozenset()):
    v = np.zeros(8, dtype=np.float32)
    v[bucket] = 1.0
    return signature(claim, v, asked)


def test_values_are_normalised_and_compared_by_unit():
    assert same_answer(sig("over a period of eighteen months", 0), sig("18 months", 1))
    assert not same_answer(sig("several months", 0), sig("eighteen months", 0))
    assert same_answer(sig("1,066 people", 0), sig("1066 people", 1))
    assert not same_answer(sig("22 October 1828", 0), sig("15 July 1835", 0))
    assert same_answer(sig("born on 22 October 1828", 0), sig("22 October 1828", 2))


def near(claim: str, similarity: float):
    """A signature whose vector has the given cosine similarity to bucket 0's."""
    v = np.zeros(8, dtype=np.float32)
    v[0], v[1] = similarity, (1 - similarity**2) ** 0.5
    return signature(claim, v)


def test_a_shared_name_agrees_and_disjoint_names_disagree_unless_the_meaning_is_the_same():
    assert same_answer(sig("Alibaba", 0), near("Chinese e-commerce giant Alibaba", 0.6))
    assert not same_answer(sig("Alibaba", 0), sig("a subsidiary of SenseTime", 1))
    assert same_answer(sig("Alibaba denied the allegations", 0), sig("SenseTime denied the allegations", 0))


def test_a_shared_name_is_background_when_the_phrases_say_different_things():
    ceo, raid = "Anthropic's chief executive, Dario Amodei", "operatives infiltrated Anthropic's cloud"
    floor = CompareSettings().same_name_floor
    assert not same_answer(sig(ceo, 0), near(raid, floor - 0.1))
    assert same_answer(sig(ceo, 0), near(raid, floor + 0.1))


def test_names_the_question_uses_tell_no_answers_apart():
    asked = frozenset({"anthropic"})
    a, b = sig("Anthropic accused Alibaba", 0, asked), sig("Anthropic blamed SenseTime", 1, asked)
    assert not same_answer(a, b)


def test_without_values_or_names_meaning_decides():
    settings = CompareSettings(same_meaning=0.7)
    assert same_answer(sig("stolen model weights", 0), sig("the weights of the model", 0), settings)
    assert not same_answer(sig("stolen model weights", 0), sig("feedback data", 1), settings)


def test_groups_are_biggest_first_then_by_article_order():
    question = parse_question("How long did the intrusion last?")
    fs = [finding("a", "eighteen months", 1), finding("b", "several months", 2), finding("c", "several months", 3),
          Finding("d", None)]
    groups = group_findings(fs, Encoder({}), question, {"a": 0, "b": 1, "c": 2, "d": 3})
    assert [g.doc_ids for g in groups] == [["b", "c"], ["a"]]
    tied = group_findings(fs[:2], Encoder({}), question, {"a": 1, "b": 0})
    assert [g.doc_ids for g in tied] == [["b"], ["a"]]


@pytest.mark.parametrize("claims", [["GCHQ", "the NCSC", "the watchdog"], ["£200 million", "£4.5m", "€12m"]])
def test_different_answers_stay_apart(claims):
    fs = [finding(str(i), c, i + 1) for i, c in enumerate(claims)]
    groups = group_findings(fs, Encoder({c: i for i, c in enumerate(claims)}))
    assert len(groups) == len(claims)
