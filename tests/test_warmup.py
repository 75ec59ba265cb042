"""The model of one assistant (warmup.py): made on first use and once, its fixed prompt prefixes warmed now
or in one background thread, a failure there left to the call that needs the model, stopped and freed by
close."""

from __future__ import annotations

import threading

import pytest

from assistant import Assistant
from assistant.backends.scripted import ScriptedBackend
from assistant.errors import StorydeskError
from assistant.prompts import load_prompt
from assistant.warmup import PREFETCHED_PROMPTS, WARMED_PROMPTS, LazyModel
from tests.test_api import RULES


class Recorder(ScriptedBackend):
    """A fake model that notes each prefix it is asked to warm and whether it was closed."""

    def __init__(self) -> None:
        super().__init__()
        self.warmed: list[str] = []
        self.closed = False

    def warm(self, prefix) -> None:
        self.warmed.append(prefix[0]["content"][:40])

    def close(self) -> None:
        self.closed = True


@pytest.fixture
def made() -> list[Recorder]:
    return []


@pytest.fixture
def model(made) -> LazyModel:
    return LazyModel(lambda: made.append(Recorder()) or made[-1], None, threading.RLock())


def test_warm_evaluates_each_fixed_prompt_prefix_once_per_call(corpus_dir, cache, rule_model):
    backend = rule_model(RULES)
    warmed = []
    backend.warm = lambda prefix: warmed.append(prefix[0]["content"][:40])
    Assistant(corpus_dir, backend=backend, cache_dir=cache).warm()
    # the reading prompt, the instruction check, gathering's two checks and the stance check: each once
    assert len(warmed) == 5 and len(set(warmed)) == 5


def test_the_model_is_made_on_first_use_once_and_freed_by_close(model, made):
    assert made == []
    assert model.backend is model.backend and len(made) == 1
    model.close()
    assert made[0].closed


def test_closing_before_any_use_makes_no_model(model, made):
    model.close()
    assert made == []


def test_a_given_model_is_used_as_it_is(made):
    given = Recorder()
    model = LazyModel(lambda: made.append(Recorder()) or made[-1], given, threading.RLock())
    assert model.backend is given and made == []


def _prefix_of(name: str) -> str:
    return load_prompt(name).prefix()[0]["content"][:40]


def test_prefetch_warms_only_the_readers_prefix_once_in_one_background_thread(model, made):
    # The others wait for their stage: warmed in the background while articles are read, a prefix would evict
    # the article's KV state and cost the reading its question's tokens again.
    model.prefetch()
    model.prefetch()
    for thread in threading.enumerate():
        if thread.name == "storydesk-prefetch":
            thread.join()
    assert PREFETCHED_PROMPTS == ("read_article",)
    assert len(made) == 1 and made[0].warmed == [_prefix_of("read_article")]


def test_warm_warms_every_prompt_once(model, made):
    model.warm()
    assert made[0].warmed == [_prefix_of(name) for name in WARMED_PROMPTS] and len(set(made[0].warmed)) == 5


def test_once_stopped_no_warm_up_starts_and_none_warms(model, made):
    model.stop()
    model.prefetch()
    assert not any(t.name == "storydesk-prefetch" for t in threading.enumerate()) and made == []
    model.warm()
    model.close()
    assert made[0].warmed == []


def test_a_model_that_cannot_load_fails_the_call_that_needs_it_not_the_warm_up(monkeypatch):
    def broken():
        raise StorydeskError("no model here")

    crashed = []
    monkeypatch.setattr(threading, "excepthook", lambda args: crashed.append(args.exc_value))
    model = LazyModel(broken, None, threading.RLock())
    model.prefetch()
    model.close()
    assert crashed == []
    with pytest.raises(StorydeskError, match="no model here"):
        model.backend  # noqa: B018 - the property makes the model
