import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from assistant.gather import _code_same, gather, near_copy
from assistant.question import parse_question
from assistant.settings import GatherSettings
from assistant.spans import document_spans
from assistant.types import Document, Evidence, Finding

BASE = "Power was cut to the Marrow valley on Sunday after the dam failed, officials said late last night. "


def doc(doc_id: str, text: str) -> Document:
    return Document(doc_id, text)


def finding(d: Document, phrase: str, p: float = 0.9) -> Finding:
    span = document_spans(d)[0]
    start = d.text.index(phrase)
    return Finding(d.doc_id, p, phrase, start, start + len(phrase), Evidence(0, span, p))


def one_hot(texts):
    """A fake encoder: every distinct text is orthogonal to every other (code must decide alone)."""
    vocab = {t: i for i, t in enumerate(dict.fromkeys(texts))}
    out = np.zeros((len(texts), max(len(vocab), 1)), dtype=np.float32)
    for row, t in enumerate(texts):
        out[row, vocab[t]] = 1.0
    return out


class Asked:
    """A fake model for the two narrow checks; records what it was asked."""

    def __init__(self, same_answer=0.03, same_subject=0.97):
        self.p = {"same_answer": same_answer, "same_subject": same_subject}
        self.asked = []

    def warm(self, prefix):
        pass

    def probabilities(self, messages, options, reply_prefix=""):
        self.asked.append(messages.prompt)
        return {"yes": self.p[messages.prompt], "no": 1 - self.p[messages.prompt]}


def run(findings, docs, model=None, question="How long was the power cut?", settings=None):
    q = parse_question(question)
    return gather(
        findings, q, q.text, {d.doc_id: d for d in docs}, one_hot, model or Asked(), settings or GatherSettings()
    )


def test_same_words_or_contained_words_are_one_answer_and_numbers_decide():
    assert _code_same("eighteen months", "18 months,") is True
    assert _code_same("for nearly three days", "three days") is True
    assert _code_same("3,292", "3,292 people") is True
    assert _code_same("18 months", "8 months") is False
    assert _code_same("October 1970", "17 October 1970") is True  # the longer one says it too
    assert _code_same("1970", "19 September 1970") is True
    assert _code_same("several months", "eighteen months") is None  # for the vectors or the model


@given(st.text(min_size=1, max_size=30).filter(lambda s: any(ch.isalnum() for ch in s)))
def test_an_answer_is_always_the_same_as_itself(phrase):
    assert _code_same(phrase, phrase) is True


def test_groups_are_ordered_by_support_and_another_answer_on_the_same_subject_disagrees():
    a, b, c = (
        doc("a", BASE + "It lasted three days."),
        doc("b", "Residents waited three days for power."),
        doc("c", "The blackout lasted a week, the council says."),
    )
    groups = run([finding(c, "a week", 0.95), finding(a, "three days"), finding(b, "three days")], [a, b, c])
    assert [g.doc_ids for g in groups] == [["a", "b"], ["c"]]
    assert [g.relation for g in groups] == ["lead", "disagrees"]


def test_another_entity_of_the_same_name_gives_a_distinct_answer():
    a, b = (
        doc("a", "Deadfall (1993 film) was directed by Christopher Coppola."),
        doc("b", "Deadfall (2012 film) was directed by Stefan Ruzowitzky."),
    )
    model = Asked(same_subject=0.05)
    groups = run(
        [finding(a, "Christopher Coppola"), finding(b, "Stefan Ruzowitzky")], [a, b], model, "Who directed Deadfall?"
    )
    assert [g.relation for g in groups] == ["lead", "distinct"]
    assert model.asked == ["same_subject"]  # the orthogonal vectors settle the answers differ: no same_answer call


def test_a_near_copy_with_one_fact_changed_is_disputed_not_a_disagreement():
    original = doc("a", BASE + "Power was restored after three days.")
    other = doc("b", "A second report: the outage lasted three days in total.")
    copy = doc("c", BASE + "Power was restored after nine days.")
    assert near_copy(original, copy, 0.5) and not near_copy(original, other, 0.5)
    model = Asked()
    groups = run(
        [finding(copy, "nine days", 0.99), finding(original, "three days"), finding(other, "three days")],
        [original, other, copy],
        model,
    )
    assert [g.relation for g in groups] == ["lead", "disputed"] and groups[1].copy_of == "a"
    assert model.asked == []  # settled in code


def test_between_equally_supported_near_copies_the_more_confident_reading_leads():
    original = doc("a", BASE + "Power was restored after three days.")
    copy = doc("c", BASE + "Power was restored after nine days.")
    groups = run([finding(copy, "nine days", 0.6), finding(original, "three days", 0.9)], [original, copy])
    assert [g.doc_ids for g in groups] == [["a"], ["c"]]
    assert [g.relation for g in groups] == ["lead", "disputed"] and groups[1].copy_of == "a"


def test_the_model_settles_answers_whose_vectors_are_close_but_not_identical():
    a, b = doc("a", "Hallam Construction built it."), doc("b", "The Hallam building firm built it.")

    def close(texts):
        return np.array([[1.0, 0.0], [0.7, 0.714]], dtype=np.float32)[: len(texts)]

    q = parse_question("Who built the dam?")
    docs = {"a": a, "b": b}
    findings = [finding(a, "Hallam Construction"), finding(b, "The Hallam building firm", 0.8)]
    merged = gather(findings, q, q.text, docs, close, Asked(same_answer=0.9), GatherSettings())
    apart = gather(findings, q, q.text, docs, close, Asked(same_answer=0.1), GatherSettings())
    assert len(merged) == 1 and len(apart) == 2
