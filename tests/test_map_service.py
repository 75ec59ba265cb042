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
