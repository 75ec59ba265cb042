"""One ``Caches`` per assistant: what its answers learnt about a sentence is read again by its later answers
and by its story map; what the model said of an article or a sentence is kept on disk for the next assistant
with the same cache directory (the screen's verdicts, the stances), a guess made without the model is not."""

from __future__ import annotations

import pytest

from assistant import Assistant, injection, stance
from assistant.caches import Caches, StanceStore, verdict_hash
from assistant.settings import StanceSettings

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
    key = stance.verdict_key(wire.quote, assistant.backend, assistant.settings.stance)
    assistant.caches.stances[key] = "opinion"  # as if an earlier check had said so
    again = next(c for c in assistant.ask(QUESTION).citations if c.doc_id == "a_wire")
    assert again.stance == "opinion"


def test_a_verdict_in_the_caches_holds_for_answers_and_the_map(assistant):
    start = next(s.start for s in assistant.index.spans_of("a_wire") if WIRE in s.text)
    assistant.caches.verdicts.put(_wire_key(assistant), frozenset({start}))  # as if the model had found one
    answer = assistant.ask(QUESTION)
    assert "a_wire" not in {c.doc_id for c in answer.citations} and "were not followed" in answer.text
    row = next(r for r in assistant.story_map().rows if r.question.startswith("How long"))
    assert row.cell("a_wire") is None and row.cell("b_daily") is not None


def test_verdicts_and_stances_outlive_the_assistant_on_disk_and_guesses_do_not(corpus_dir, cache, rule_model):
    first = Assistant(corpus_dir, backend=rule_model(RULES), cache_dir=cache)
    second = Assistant(corpus_dir, backend=rule_model(RULES), cache_dir=cache)
    first.caches.verdicts.put("guess", frozenset({1}), keep=False)
    assert second.caches.verdicts.get("guess") is None
    first.caches.verdicts.put(_wire_key(first), frozenset({7}))  # a screen's verdict: a function of the text
    assert second.caches.verdicts.get(_wire_key(second)) == frozenset({7})
    first.ask(QUESTION)  # the stances of its citations are checked and kept
    assert len(first.caches.stances) > 0 and dict(second.caches.stances) == dict(first.caches.stances)


def test_a_stance_kept_by_one_process_is_read_by_the_next(corpus_dir, cache, rule_model):
    first = Assistant(corpus_dir, backend=rule_model(RULES), cache_dir=cache)
    wire = next(c for c in first.ask(QUESTION).citations if c.doc_id == "a_wire")
    key = stance.verdict_key(wire.quote, first.backend, first.settings.stance)
    first.caches.stances[key] = "opinion"  # as if the model had said so
    later = Assistant(corpus_dir, backend=rule_model(RULES), cache_dir=cache)
    again = next(c for c in later.ask(QUESTION).citations if c.doc_id == "a_wire")
    assert again.stance == "opinion"


def test_a_stance_is_kept_per_model_and_settings(rule_model):
    sentence, model = "It was a disgrace.", rule_model({})
    key = stance.verdict_key(sentence, model, StanceSettings())
    assert key == stance.verdict_key("It was  a disgrace.", model, StanceSettings())  # whitespace
    assert key != stance.verdict_key(sentence, model, StanceSettings(opinion_bar=0.5))
    model.name = "another-model"
    assert key != stance.verdict_key(sentence, model, StanceSettings())


def test_the_stance_file_skips_a_line_cut_short(tmp_path):
    path = tmp_path / "stances.jsonl"
    StanceStore(path)["a"] = "opinion"
    with path.open("a", encoding="utf-8") as f:
        f.write('["b", "rep')  # a process killed mid-write
    StanceStore(path)["c"] = "reported"
    store = StanceStore(path)
    assert dict(store) == {"a": "opinion", "c": "reported"}


def test_a_verdict_key_changes_with_each_thing_the_verdict_depends_on():
    class Model:
        name = "a-model"

    key = verdict_hash(Model(), StanceSettings(), "A text.", b"prompt")
    assert key == verdict_hash(Model(), StanceSettings(), "A text.", b"prompt")
    other = Model()
    other.name = "b-model"
    assert key != verdict_hash(other, StanceSettings(), "A text.", b"prompt")
    assert key != verdict_hash(Model(), StanceSettings(opinion_bar=0.5), "A text.", b"prompt")
    assert key != verdict_hash(Model(), StanceSettings(), "A text!", b"prompt")
    assert key != verdict_hash(Model(), StanceSettings(), "A text.", b"another prompt")
    assert key != verdict_hash(Model(), StanceSettings(), "A text.", b"prompt", b"choice")
