from assistant.backends.scripted import ScriptedBackend
from assistant.followup import needs_context, standalone_question
from assistant.settings import FollowupSettings


def test_follow_ups_are_detected_only_after_an_earlier_question():
    assert not needs_context("and how long did it last?", [])
    assert needs_context("and how long did it last?", ["Who breached the lab?"])
    assert needs_context("What did they steal?", ["Who breached the lab?"])
    assert not needs_context(
        "Which agency issued a national security alert about the breach at the lab?", ["Who breached the lab?"]
    )


def test_rewrite_comes_from_the_model_and_is_cleaned():
    model = ScriptedBackend(["Standalone question: How long did the breach of the lab last"])
    assert (
        standalone_question("and how long did it last?", ["Who breached the lab?"], model)
        == "How long did the breach of the lab last?"
    )
    assert "Previous question: Who breached the lab?" in model.requests[0]["messages"][-1]["content"]


def test_a_failed_rewrite_falls_back_to_joining_the_questions():
    model = ScriptedBackend([""])
    assert standalone_question("and when?", ["Who breached the lab?"], model) == "Who breached the lab: and when?"


def test_a_standalone_question_is_left_alone_and_costs_no_call():
    model = ScriptedBackend()
    assert (
        standalone_question("Who funded the research programme?", ["Who breached the lab?"], model)
        == "Who funded the research programme?"
    )
    assert model.requests == []


def test_a_reply_that_is_not_text_is_a_failed_rewrite():
    model = ScriptedBackend([{"question": "When did the breach start?"}])
    assert standalone_question("and when?", ["Who breached the lab?"], model) == "Who breached the lab: and when?"


def test_how_short_a_follow_up_is_comes_from_the_settings():
    history = ["Who breached the lab?"]
    assert needs_context("What did they steal from the lab?", history)
    assert not needs_context("What did they steal from the lab?", history, FollowupSettings(max_words=3))
