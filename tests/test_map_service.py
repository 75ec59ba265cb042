"""The story map as a service (map_service.py): served from its cache, questions pinned per corpus, built in
the background with its progress, stopped by close."""

from __future__ import annotations

import threading
import time

import pytest

from assistant import Assistant
from assistant.errors import StorydeskError
from assistant.story_map import EVENT_QUESTION
from tests.conftest import ARTICLES
from tests.test_story_map import RULES

PIN = "How much did the council pay for the repairs?"


@pytest.fixture
def model(rule_model):
    return rule_model(RULES)


@pytest.fixture
def assistant(corpus_dir, cache, model):
    return Assistant(corpus_dir, backend=model, cache_dir=cache)


def _read_questions(model) -> list[str]:
    return [r["variables"]["question"] for r in model.requests if r.get("copy")]


def _slow(model) -> None:
    slow_copy = model.copy_span  # each reading waits a little, so a build is still running when looked at
    model.copy_span = lambda *a, **k: (time.sleep(0.2), slow_copy(*a, **k))[1]


def _wait(assistant: Assistant) -> None:
    deadline = time.time() + 120
    while assistant.maps.building and time.time() < deadline:
        time.sleep(0.01)


def test_the_map_is_served_from_the_cache_without_the_model(assistant, model, corpus_dir, cache):
    built = assistant.story_map()
    asked = len(model.requests)
    again = Assistant(corpus_dir, backend=model, cache_dir=cache)
    t0 = time.perf_counter()
    served = again.story_map()
    assert time.perf_counter() - t0 < 1.0 and len(model.requests) == asked
    assert served.to_dict() == built.to_dict() and again.cached_story_map().to_dict() == built.to_dict()


def test_a_pinned_question_is_a_row_of_its_own_first_and_the_points_are_not_found_again(assistant, model):
    assistant.story_map()
    found = _read_questions(model).count(EVENT_QUESTION)
    assistant.pin_question(PIN)
    story_map = assistant.story_map()
    assert story_map.rows[0].question == PIN and story_map.rows[0].pinned
    assert story_map.rows[0].cell("a_wire").answer == "£2 million"
    assert found >= 2 and _read_questions(model).count(EVENT_QUESTION) == found  # the event is found once
    assert assistant.pinned_questions() == [PIN]


def test_an_edited_article_gives_a_new_map(assistant, corpus_dir):
    first = assistant.story_map()
    (corpus_dir / "c_blog.txt").write_text("Southgate Systems was behind it for nine months.\n", encoding="utf-8")
    second = Assistant(corpus_dir, backend=assistant.backend, cache_dir=assistant.cache_dir).story_map()
    assert second.key != first.key


def test_a_background_build_reports_progress_then_serves_the_map(assistant):
    seen = []
    assistant.start_story_map()
    while assistant.maps.building:
        seen.append(assistant.map_status)
        time.sleep(0.01)
    assert assistant.map_status == "" and assistant.cached_story_map() is not None
    assert all(s.startswith("Building the map") for s in seen if s)


def test_closing_stops_a_background_build_at_its_next_step(assistant, model):
    _slow(model)
    assistant.start_story_map()
    time.sleep(0.3)
    assistant.close()
    assert not assistant.maps.building and assistant.map_status == "The map was not finished."
    assert assistant.cached_story_map() is None


def test_refresh_builds_the_map_again(assistant, model):
    assistant.story_map()
    asked = len(model.requests)
    assistant.story_map()
    assert len(model.requests) == asked
    assistant.story_map(refresh=True)
    assert len(model.requests) > asked


def test_pins_are_kept_per_corpus_directory_and_pinning_again_moves_a_question_last(
    assistant, corpus_dir, cache, model, tmp_path
):
    other = tmp_path / "other"
    other.mkdir()
    (other / "a_wire.txt").write_text(ARTICLES["a_wire"], encoding="utf-8")
    assistant.pin_question(PIN)
    assistant.pin_question("How long did the intrusion last?")
    assert assistant.pin_question(PIN) == ["How long did the intrusion last?", PIN]
    assert Assistant(corpus_dir, backend=model, cache_dir=cache).pinned_questions() == assistant.pinned_questions()
    assert Assistant(other, backend=model, cache_dir=cache).pinned_questions() == []


def test_an_unreadable_pins_file_is_no_pins(assistant, cache):
    assistant.pin_question(PIN)
    (pins,) = (cache / "maps").glob("pinned-*.json")
    pins.write_text("[not json", encoding="utf-8")
    assert assistant.pinned_questions() == []


def test_a_failed_background_build_says_why(assistant, model):
    def broken(*args, **kwargs):
        raise StorydeskError("the model went away")

    model.copy_span = broken
    assistant.start_story_map()
    _wait(assistant)
    assert assistant.map_status == "The map could not be built: the model went away"


def test_one_background_build_at_a_time_and_none_once_closed(assistant, model):
    _slow(model)
    assistant.start_story_map()
    assistant.start_story_map()
    assert sum(t.name == "storydesk-map" for t in threading.enumerate()) == 1
    assistant.close()
    builds = []
    assistant.maps.story_map = lambda **kwargs: builds.append(kwargs)  # what a build would call first
    assistant.start_story_map()
    _wait(assistant)
    assert builds == [] and assistant.map_status == "The map was not finished."


def _watched(model, on_call) -> None:
    """Every model call of ``model`` passes through ``on_call(on_map)`` first (on_map: made by the map's build)."""

    def watch(real):
        def call(*args, **kwargs):
            on_call(threading.current_thread().name == "storydesk-map")
            return real(*args, **kwargs)

        return call

    for name in ("probabilities", "copy_span", "likelihood", "generate"):
        setattr(model, name, watch(getattr(model, name)))


@pytest.mark.parametrize("asking", ["ask", "ask_events"])
def test_a_background_build_gives_way_to_a_question_then_finishes(assistant, model, asking):
    """A question asked while the map is being built waits for no map call but the one under way: the build
    makes no model call from then until the question is answered, and finishes afterwards."""
    calls: list[str] = []  # who made each model call, in the order they began
    lock = threading.Lock()
    map_busy, map_moved, go_on = threading.Event(), threading.Event(), threading.Event()

    def on_call(on_map: bool) -> None:
        with lock:
            calls.append("map" if on_map else "question")
            first_map, first_question = on_map and not map_busy.is_set(), not on_map and calls.count("question") == 1
        if first_map:  # the map's call under way when the question comes: it ends once the question has begun
            map_busy.set()
            assert go_on.wait(60)
        elif on_map:
            map_moved.set()  # reached during the question only if the build did not give way
        if first_question:
            go_on.set()
            assert map_moved.wait(60)  # the build has either paused (below) or called the model again

    _watched(model, on_call)
    give_way = assistant.turns.give_way

    def pausing(*args, **kwargs):
        if assistant.turns.asking:
            map_moved.set()  # about to wait for the question
        return give_way(*args, **kwargs)

    assistant.turns.give_way = pausing
    assistant.start_story_map()
    assert map_busy.wait(60)
    question = "Who is accused of the water hack?"
    answer = assistant.ask(question) if asking == "ask" else list(assistant.ask_events(question))[-1].answer
    assert answer.answerable
    assistant.maps.join(120)
    first, last = calls.index("question"), len(calls) - 1 - calls[::-1].index("question")
    assert calls[:first] == ["map"] and "map" not in calls[first:last], calls  # only the call under way
    assert "map" in calls[last:]  # the build went on after the answer
    assert not assistant.maps.building and assistant.map_status == "" and assistant.cached_story_map() is not None


def test_closing_stops_a_build_paused_for_a_question(assistant, model):
    paused = threading.Event()
    give_way = assistant.turns.give_way

    def pausing(stop, on_pause=None):
        def told() -> None:
            on_pause()
            paused.set()

        return give_way(stop, told)

    assistant.turns.give_way = pausing
    with assistant.turns.question():  # a question being answered the whole time
        assistant.start_story_map()
        assert paused.wait(60)  # the build waits before its first model call
        assert assistant.map_status.endswith("(paused while a question is answered)"), assistant.map_status
        closing = threading.Thread(target=assistant.close)
        closing.start()
        closing.join(60)
        assert not closing.is_alive()  # the paused build saw the service close
    assert assistant.map_status == "The map was not finished." and model.requests == []
