"""The whole pipeline on a small corpus with a rule-following fake model (no real model)."""

import json

import pytest

from assistant import Assistant
from assistant.settings import ReadingSettings

RULES = {
    r"how long": (r"months", r"(over a period of )?\w+ months"),
    r"who .*(behind|blamed|responsible)": (r"Northwind|Southgate", r"(Northwind Ltd|Southgate Systems)"),
    r"cost|pay": (r"£", r"£2 million"),
    r"admit": (r"denied", r"Northwind denied the claims"),
}


@pytest.fixture
def assistant(corpus_dir, cache, rule_model):
    # One-sentence toy articles give retrieval scores far spikier than real news copy; a wider
    # margin keeps these tests about the pipeline's mechanics (the defaults are tested on the
    # real corpus with the real model in test_real_model.py).
    return Assistant(corpus_dir, backend=rule_model(RULES), cache_dir=cache, reading=ReadingSettings())


def test_conflicting_durations_are_reported_side_by_side(assistant):
    answer = assistant.ask("How long did the intrusion into the water system last?")
    assert answer.answerable
    (conflict,) = answer.conflicts
    claims = {p.claim for p in conflict.positions}
    assert any("eighteen months" in c for c in claims) and any("several months" in c for c in claims)
    cited = {c.id: c.doc_id for c in answer.citations}
    assert [sorted(cited[i] for i in p.citations) for p in conflict.positions] in (
        [["a_wire"], ["b_daily"]],
        [["b_daily"], ["a_wire"]],
    )


def test_culprit_conflict_and_json_contract(assistant):
    d = assistant.ask("Who was behind the water hack?").to_dict()
    assert set(d) == {"question", "answer", "answerable", "citations", "conflicts", "model", "timings_ms"}
    names = " ".join(p["claim"] for c in d["conflicts"] for p in c["positions"])
    assert "Northwind" in names and "Southgate" in names
    ids = {c["id"] for c in d["citations"]}
    for c in d["citations"]:
        assert f"[{c['id']}]" in d["answer"]
    assert all(set(p["citations"]) <= ids for c in d["conflicts"] for p in c["positions"])
    json.dumps(d)


def test_single_source_fact_has_no_conflict(assistant):
    answer = assistant.ask("How much did the council pay for repairs?")
    assert answer.answerable and answer.conflicts == []
    assert {c.doc_id for c in answer.citations} == {"a_wire"}
    assert "£2 million" in answer.text


def test_unanswerable_question_abstains_with_no_citation(assistant):
    answer = assistant.ask("What was the name of the mayor's dog?")
    assert not answer.answerable and answer.citations == [] and answer.conflicts == []
    assert "do not say" in answer.text


def test_false_premise_gets_a_correction(assistant):
    answer = assistant.ask("Why did Northwind admit to the hack?")
    assert answer.answerable and "denied" in answer.text


def test_invalid_model_output_never_becomes_a_citation(corpus_dir, cache):
    from assistant.backends.scripted import ScriptedBackend

    class Liar(ScriptedBackend):
        def probabilities(self, messages, options, reply_prefix=""):
            return {"yes": 0.99, "no": 0.01}

    liar = Liar(default={"answers": "yes", "words": "Hackers from OpenAI did it"})
    answer = Assistant(corpus_dir, backend=liar, cache_dir=cache).ask("Who was behind the water hack?")
    assert "OpenAI" not in answer.text
    corpus = {d.doc_id: d.text for d in answer_corpus(corpus_dir)}
    for c in answer.citations:
        assert corpus[c.doc_id][c.start : c.end] == c.quote


def answer_corpus(directory):
    from assistant.corpus import load_corpus

    return load_corpus(directory)


def test_source_no_article_matches_is_said_and_every_article_is_read(assistant):
    answer = assistant.ask("According to the FBI, how long did the intrusion last?")
    assert answer.text.startswith("No article could be matched to the source the question names")
    assert answer.answerable and {c.doc_id for c in answer.citations} == {"a_wire", "b_daily"}


def test_a_person_the_question_asks_about_is_never_a_scope(assistant):
    answer = assistant.ask("What did Ada Vance say about the cost?")
    assert "could be matched" not in answer.text


def test_progress_arrives_as_typed_events_in_pipeline_order(assistant):
    events = list(assistant.ask_events("How long did the intrusion into the water system last?"))
    stages = [e.stage for e in events]
    reading = [e for e in events if e.stage == "reading"]
    assert stages[0] == "searching" and stages[-2:] == ["comparing", "done"]
    assert stages == ["searching"] + ["reading"] * len(reading) + ["comparing", "done"]
    # one reading event per article, numbered 1..n of n, each naming its article once
    assert [(e.done, e.total) for e in reading] == [(k, len(reading)) for k in range(1, len(reading) + 1)]
    assert len({e.doc_id for e in reading}) == len(reading) >= 2
    assert events[-1].answer is not None and events[-1].answer.conflicts
    assert all(e.answer is None for e in events[:-1])


def test_ask_passes_the_same_events_to_a_callback_and_returns_the_same_answer(assistant):
    question = "Who was behind the water hack?"
    seen = []
    answer = assistant.ask(question, on_event=seen.append)
    streamed = list(assistant.ask_events(question))
    assert [(e.stage, e.detail) for e in seen] == [(e.stage, e.detail) for e in streamed]
    assert seen[-1].answer is answer
    assert streamed[-1].answer.to_dict() | {"timings_ms": {}} == answer.to_dict() | {"timings_ms": {}}


def test_an_abstention_is_a_done_event_too(assistant):
    events = list(assistant.ask_events("What was the name of the mayor's dog?"))
    assert events[0].stage == "searching" and events[-1].stage == "done"
    assert {e.stage for e in events[1:-1]} <= {"reading", "comparing"}
    assert not events[-1].answer.answerable and events[-1].answer.citations == []
