"""Who goes first on the model (turns.py): background work gives way to the questions being answered. The story
map's build with a question asked meanwhile is in test_map_service.py."""

from __future__ import annotations

import threading

from assistant import Assistant
from assistant.backends.scripted import ScriptedBackend
from assistant.turns import GivingWay, Turns
from tests.conftest import RuleModel


def test_with_no_question_background_work_goes_on_at_once():
    turns, stop = Turns(), threading.Event()
    paused = []
    assert turns.give_way(stop, lambda: paused.append(1)) is False and paused == []
    with turns.question():
        pass
    assert turns.asking == 0 and turns.give_way(stop) is False


def test_background_work_waits_until_every_question_is_answered():
    turns, stop = Turns(), threading.Event()
    paused, went_on, order = threading.Event(), threading.Event(), []

    def background() -> None:
        order.append(("waited", turns.give_way(stop, paused.set)))
        went_on.set()

    with turns.question():
        with turns.question():  # two questions at once (or nested): both are waited for
            worker = threading.Thread(target=background)
            worker.start()
            assert paused.wait(30) and turns.asking == 2
        assert not went_on.wait(0.2)  # one question is still being answered (a bounded look: it must not move)
        order.append(("answered", None))
    worker.join(30)
    assert order == [("answered", None), ("waited", True)] and turns.asking == 0


def test_stopping_wakes_background_work_waiting_for_a_question():
    turns, stop = Turns(), threading.Event()
    paused, result = threading.Event(), []
    with turns.question():
        worker = threading.Thread(target=lambda: result.append(turns.give_way(stop, paused.set)))
        worker.start()
        assert paused.wait(30)
        stop.set()
        turns.wake()
        worker.join(30)
        assert not worker.is_alive() and result == [True] and turns.asking == 1


class _Inner(ScriptedBackend):
    supports_copy = True
    supports_likelihood = True

    def __init__(self, log: list) -> None:
        super().__init__(default="text")
        self.log = log

    def probabilities(self, messages, options, reply_prefix=""):
        self.log.append(("probabilities", messages, tuple(options), reply_prefix))
        return {o: 0.5 for o in options}

    def copy_span(self, messages, source, *, reply_prefix="", max_tokens=32, candidates=64):
        self.log.append(("copy_span", messages, source, reply_prefix, max_tokens, candidates))
        return super().copy_span(messages, source, reply_prefix=reply_prefix, max_tokens=max_tokens)

    def likelihood(self, messages, reply):
        self.log.append(("likelihood", messages, reply))
        return -1.0

    def warm(self, prefix):
        self.log.append(("warm", prefix))

    def has_state(self, prefix):
        self.log.append(("has_state", prefix))
        return True


def test_a_model_that_gives_way_waits_before_each_call_and_sends_the_same_requests():
    log: list = []
    inner = _Inner(log)
    model = GivingWay(inner, lambda: log.append("before"))
    assert model.name == inner.name and model.capabilities() == inner.capabilities()
    messages = [{"role": "user", "content": "Who?"}]
    model.warm(messages)
    model.probabilities(messages, ["yes", "no"], reply_prefix="{")
    model.copy_span(messages, "the source", reply_prefix="yes:", max_tokens=7, candidates=9)
    model.likelihood(messages, "an order")
    assert model.generate(messages, max_tokens=5) == "text" and inner.requests[-1]["messages"] == messages
    assert model.has_state(messages) is True  # asks nothing of the model: nothing to wait for
    assert log == [
        "before",
        ("warm", messages),
        "before",
        ("probabilities", messages, ("yes", "no"), "{"),
        "before",
        ("copy_span", messages, "the source", "yes:", 7, 9),
        "before",
        ("likelihood", messages, "an order"),
        "before",  # generate (ScriptedBackend keeps it in its requests)
        ("has_state", messages),
    ]


def test_a_question_and_its_follow_up_rewrite_are_counted_while_they_run(corpus_dir, cache):
    seen = []

    class Counting(RuleModel):
        def probabilities(self, messages, options, reply_prefix=""):
            seen.append(assistant.turns.asking)
            return super().probabilities(messages, options, reply_prefix)

        def generate(self, messages, schema=None, *, max_tokens=256):
            seen.append(assistant.turns.asking)
            return "How long did the water hack last?"

    assistant = Assistant(corpus_dir, backend=Counting({r"how long": (r"months", r"\w+ months")}), cache_dir=cache)
    assert assistant.standalone("and how long did it last?", ["Who hacked the water system?"]).startswith("How long")
    assistant.ask("How long did the intrusion last?")
    list(assistant.ask_events("How long did the intrusion last?"))
    assert len(seen) > 3 and set(seen) == {1} and assistant.turns.asking == 0
