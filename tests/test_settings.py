"""Every tunable number is a named setting, reachable from ``Assistant(...)``, used by its stage and
recorded in eval run configs (a changed number is a new run hash)."""

import dataclasses

import numpy as np

from assistant import Assistant, GatherSettings, RetrievalSettings, RetrievalWeights, Settings
from assistant.evaluate import run_eval
from assistant.question import parse_question
from assistant.retrieve import score_sentences
from assistant.settings import MapSettings, ReadingSettings
from assistant.story_map import speakers

RULES = {r"who .*(behind|blamed|responsible)": (r"Northwind|Southgate", r"(Northwind Ltd|Southgate Systems)")}
CULPRIT = "Who was behind the water hack?"


def _assistant(corpus_dir, cache, rule_model, **settings) -> Assistant:
    base = Settings(reading=ReadingSettings())  # toy articles: see test_answer.py
    return Assistant(
        corpus_dir, backend=rule_model(RULES), cache_dir=cache, settings=dataclasses.replace(base, **settings)
    )


def test_gather_settings_decide_what_counts_as_one_answer(corpus_dir, cache, rule_model):
    default = _assistant(corpus_dir, cache, rule_model).ask(CULPRIT)
    assert len(default.conflicts) == 1  # Northwind Ltd against Southgate Systems
    # Two answers whose vectors are at least this close are one answer: at -1, any two.
    lenient = _assistant(corpus_dir, cache, rule_model, gather=GatherSettings(same_embedding=-1.0)).ask(CULPRIT)
    assert lenient.conflicts == [] and lenient.answerable
    assert {c.doc_id for c in lenient.citations} == {c.doc_id for c in default.citations}


def test_retrieval_weights_are_named_and_each_one_counts(corpus_dir, cache, rule_model):
    assistant = _assistant(corpus_dir, cache, rule_model)
    question = parse_question("How long did the intrusion into the water system last?")
    only_lead = RetrievalSettings(weights=RetrievalWeights(**{f: 0.0 for f in _weight_names()} | {"lead": 1.0}))
    spans, scores = score_sentences(assistant.index, question, assistant.encoder, only_lead)
    assert spans == assistant.index.spans  # a small on-disk index scores every sentence
    expected = [1.0 / (1.0 + s.paragraph) for s in spans]
    assert np.allclose(scores, expected)
    # The fused score is the weighted sum of the signals, each weight read by its name.
    defaults, total = RetrievalWeights(), np.zeros(len(expected), dtype=np.float32)
    moved = 0
    for name in _weight_names():
        alone = RetrievalWeights(**{f: 0.0 for f in _weight_names()} | {name: 1.0})
        _, signal = score_sentences(assistant.index, question, assistant.encoder, RetrievalSettings(weights=alone))
        total += getattr(defaults, name) * signal
        moved += np.ptp(signal) > 0
    assert np.allclose(total, score_sentences(assistant.index, question, assistant.encoder, RetrievalSettings())[1])
    assert moved >= 6  # all but query expansion, which finds no near words in three toy articles


def _weight_names() -> list[str]:
    return [f.name for f in dataclasses.fields(RetrievalWeights)]


def test_settings_are_recorded_by_name_and_change_the_run_hash(corpus_dir, cache, rule_model, tmp_path):
    suite = tmp_path / "one.jsonl"
    suite.write_text(
        '{"id": "c", "kind": "unanswerable", "question": "What was the name of the mayor\'s dog?", '
        '"must_mention": [], "must_not_mention": [], "evidence": [], "docs": [], "conflict": false, '
        '"sides": [], "answerable": false}\n',
        encoding="utf-8",
    )
    assistant = _assistant(corpus_dir, cache, rule_model, gather=GatherSettings(near_copy=0.55))
    run = run_eval([suite], tmp_path / "run", assistant=assistant, judge=None)
    recorded = run.settings["answer_settings"]
    assert recorded["gather"]["near_copy"] == 0.55
    assert recorded["retrieval"]["weights"]["dense_sentence"] == RetrievalWeights().dense_sentence
    assert set(recorded) == {f.name for f in dataclasses.fields(Settings)}
    other = run_eval([suite], tmp_path / "other", assistant=_assistant(corpus_dir, cache, rule_model), judge=None)
    assert [r.config for r in run.results] != [r.config for r in other.results]


def test_the_map_quotes_people_named_by_at_least_the_words_set(corpus_dir, cache, rule_model):
    index = _assistant(corpus_dir, cache, rule_model).index
    assert speakers(index, MapSettings()) == ["Ada Vance"]  # "according to Dr. Ada Vance"
    assert speakers(index, MapSettings(speaker_min_words=3)) == [] and speakers(index, MapSettings(speakers=0)) == []
