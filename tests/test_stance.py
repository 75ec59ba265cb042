"""Fact or opinion for each cited sentence: cues in code for the clear cases, the model for the rest."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from assistant import Assistant
from assistant.prompts import load_prompt
from assistant.settings import StanceSettings
from assistant.stance import OPINION, REPORTED, cue, stance_of

ATTRIBUTED = [
    '"We will not be intimidated," the minister said.',
    "Critics say the inquiry will achieve little.",
    "The breach lasted months, according to investigators.",
    "Sources indicate that the deal could collapse.",
    "Anthropic has accused Alibaba of stealing its research.",
]


@pytest.mark.parametrize("sentence", ATTRIBUTED)
def test_an_attributed_sentence_is_reported_without_asking_the_model(sentence, rule_model):
    model = rule_model({}, opinion=lambda s: True)  # the model would call every sentence an opinion
    assert cue(sentence) == -1.0 and stance_of(sentence, model) == REPORTED and model.requests == []


def test_a_question_the_writer_asks_is_opinion_without_asking_the_model(rule_model):
    model = rule_model({})
    assert stance_of("How many more warnings will it take?", model) == OPINION and model.requests == []


def test_otherwise_the_model_decides_against_the_bar_nudged_by_a_modal_verb(rule_model):
    flat, urged = "The council paid for the repairs.", "The council must pay for the repairs."
    yes, no = rule_model({}, opinion=lambda s: True), rule_model({}, opinion=lambda s: False)
    assert stance_of(flat, yes) == OPINION and stance_of(flat, no) == REPORTED
    assert cue(urged) == 0.5 and cue(flat) == 0.0
    # P(yes) is 0.03 for "no": the modal verb's nudge (0.2 x 0.5) decides only when the bar is within reach
    assert stance_of(urged, no, StanceSettings(opinion_bar=0.12, nudge_weight=0.2)) == OPINION
    assert stance_of(flat, no, StanceSettings(opinion_bar=0.12, nudge_weight=0.2)) == REPORTED
    assert stance_of(urged, no, StanceSettings(opinion_bar=0.12, nudge_weight=0.2, nudge=0.0)) == REPORTED
    assert stance_of("Let me say it plainly: they failed.", no) == REPORTED and cue("Let me say it plainly.") == 0


def test_the_model_check_builds_on_the_prompts_warmed_examples(rule_model):
    model, warmed = rule_model({}, opinion=lambda s: True), []
    model.warm = lambda prefix: warmed.append((prefix, len(model.requests)))
    stance_of("It was a disgrace.", model)
    assert warmed == [(load_prompt("check_stance").prefix(), 0)] and len(model.requests) == 1


def test_verdicts_are_kept_per_sentence(rule_model):
    model, verdicts = rule_model({}, opinion=lambda s: True), {}
    assert stance_of("It was a disgrace.", model, verdicts=verdicts) == OPINION
    asked = len(model.requests)
    assert stance_of("It was  a disgrace.", model, verdicts=verdicts) == OPINION and len(model.requests) == asked


def test_each_nudge_counts_as_set_and_together_they_stay_under_the_cap():
    sentence = "You must pay for the repairs."  # two nudges: the modal verb and the reader addressed
    assert cue(sentence) == 0.9  # 2 x 0.5, capped at 0.9
    assert cue(sentence, StanceSettings(nudge=0.25)) == 0.5 and cue(sentence, StanceSettings(nudge_cap=0.7)) == 0.7


@given(st.text(max_size=120))
def test_any_text_has_a_cue_in_its_range(text):
    assert cue(text) in (-1.0, 0.0, 0.5, 0.9, 1.0)


def test_every_citation_of_an_answer_carries_its_stance_and_an_opinion_only_answer_says_so(
    corpus_dir, cache, rule_model
):
    rules = {r"how long": (r"months", r"(over a period of )?\w+ months"), r"repairs": (r"£", r"£2 million")}
    model = rule_model(rules, opinion=lambda s: True)  # attributed sentences are reported all the same
    factual = Assistant(corpus_dir, backend=model, cache_dir=cache).ask("How long did the hack last?")
    assert len(factual.citations) == 2 and {c.stance for c in factual.citations} == {REPORTED}
    assert "opinion" not in factual.text
    answer = Assistant(corpus_dir, backend=model, cache_dir=cache).ask("What did the council pay for repairs?")
    assert [c.stance for c in answer.citations] == [OPINION] and answer.to_dict()["citations"][0]["stance"] == OPINION
    assert answer.text.endswith("(Every passage this answer rests on is the writer's opinion, not reported fact.)")
