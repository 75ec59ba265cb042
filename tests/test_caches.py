"""One ``Caches`` per assistant: what its answers learnt about a sentence is read again by its later answers
and by its story map, never by another assistant's."""

from __future__ import annotations

import pytest

from assistant import Assistant, injection
from assistant.caches import Caches
from assistant.text import flatten

RULES = {r"how long": (r"months", r"(over a period of )?\w+ months")}
QUESTION = "How long did the intrusion last?"
WIRE = "eighteen months"  # the a_wire sentence that answers QUESTION


@pytest.fixture
def assistant(corpus_dir, cache, rule_model):
    return Assistant(corpus_dir, backend=rule_model(RULES), cache_dir=cache)


def _wire_sentence(assistant: Assistant) -> str:
    return next(s.text for s in assistant.index.spans_of("a_wire") if WIRE in s.text)


def _wire_key(assistant: Assistant) -> str:
    return injection.verdict_key(assistant.backend, assistant.index.corpus["a_wire"], assistant.settings.injection)


def test_each_caches_has_stores_of_its_own():
    first, second = Caches(), Caches()
    first.verdicts.put("x", frozenset({3})), first.stances.update(x="opinion")
    assert second.verdicts.get("x") is None and second.stances == {}


def test_an_answer_fills_the_assistants_caches_and_the_next_answer_reads_them(assistant):
    answer = assistant.ask(QUESTION)
    wire = next(c for c in answer.citations if c.doc_id == "a_wire")
    assert wire.stance == "reported" and assistant.caches.verdicts.get(_wire_key(assistant)) == frozenset()
    assistant.caches.stances[flatten(wire.quote)] = "opinion"  # as if an earlier check had said so
    again = next(c for c in assistant.ask(QUESTION).citations if c.doc_id == "a_wire")
    assert again.stance == "opinion"


def test_a_verdict_in_the_caches_holds_for_answers_and_the_map(assistant):
    start = next(s.start for s in assistant.index.spans_of("a_wire") if WIRE in s.text)
    assistant.caches.verdicts.put(_wire_key(assistant), frozenset({start}))  # as if the model had found one
    answer = assistant.ask(QUESTION)
    assert "a_wire" not in {c.doc_id for c in answer.citations} and "were not followed" in answer.text
    row = next(r for r in assistant.story_map().rows if r.question.startswith("How long"))
    assert row.cell("a_wire") is None and row.cell("b_daily") is not None


def test_verdicts_outlive_the_assistant_on_disk_and_nothing_else_is_shared(corpus_dir, cache, rule_model):
    first = Assistant(corpus_dir, backend=rule_model(RULES), cache_dir=cache)
    second = Assistant(corpus_dir, backend=rule_model(RULES), cache_dir=cache)
    first.caches.verdicts.put("guess", frozenset({1}), keep=False)
    first.caches.stances["x"] = "opinion"
    assert second.caches.verdicts.get("guess") is None and second.caches.stances == {}
    first.caches.verdicts.put(_wire_key(first), frozenset({7}))  # a screen's verdict: a function of the text
    assert second.caches.verdicts.get(_wire_key(second)) == frozenset({7})
