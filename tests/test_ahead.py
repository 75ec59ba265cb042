"""A question whose articles were not prepared ahead (ahead.py) says so before the wait: one ``preparing`` event,
and one line on the command line's stderr; nothing when `storydesk index` prepared them, or when the backend
cannot tell (an endpoint)."""

from __future__ import annotations

import json

import pytest

from assistant import Assistant
from assistant.cli import main
from tests.conftest import RuleModel

RULES = {r"who .*(behind|blamed)": (r"Northwind|Southgate", r"(Northwind Ltd|Southgate Systems)")}
QUESTION = "Who was behind the water hack?"


class KeepingModel(RuleModel):
    """The fake model, keeping each warmed prefix's "state" (in memory, as a llama.cpp backend keeps it on disk)."""

    def __init__(self, rules) -> None:
        super().__init__(rules)
        self.kept: set[str] = set()

    def warm(self, prefix) -> None:
        self.kept.add(json.dumps(list(prefix), sort_keys=True))

    def has_state(self, prefix) -> bool:
        return json.dumps(list(prefix), sort_keys=True) in self.kept


def _preparing(assistant: Assistant) -> list:
    events = list(assistant.ask_events(QUESTION))
    assert events[-1].answer is not None and events[-1].answer.answerable
    return [(e.stage, e.done, e.total, e.detail) for e in events if e.stage == "preparing"], events


def test_articles_read_for_the_first_time_are_said_once_before_reading(corpus_dir, cache):
    assistant = Assistant(corpus_dir, backend=KeepingModel(RULES), cache_dir=cache)
    preparing, events = _preparing(assistant)
    stages = [e.stage for e in events]
    reading = stages.count("reading")
    assert reading >= 2 and stages[:3] == ["searching", "preparing", "reading"]
    assert preparing == [
        (
            "preparing",
            reading,
            reading,
            f"{reading} of {reading} articles are read for the first time, which takes longer",
        )
    ]
    assert _preparing(assistant)[0] == []  # the first question prepared them: the next one says nothing


def test_articles_prepared_ahead_say_nothing_and_an_edited_one_is_counted(corpus_dir, cache):
    model = KeepingModel(RULES)
    assert Assistant(corpus_dir, backend=model, cache_dir=cache).prepare_reading() == 3  # `storydesk index`
    assert _preparing(Assistant(corpus_dir, backend=model, cache_dir=cache))[0] == []
    edited = corpus_dir / "b_daily.txt"
    edited.write_text(edited.read_text(encoding="utf-8") + "Investigators blamed Northwind again.\n", encoding="utf-8")
    preparing, events = _preparing(Assistant(corpus_dir, backend=model, cache_dir=cache))
    reading = [e.stage for e in events].count("reading")
    assert [(done, total) for _, done, total, _ in preparing] == [(1, reading)]
    assert preparing[0][3] == f"1 of {reading} articles is read for the first time, which takes longer"


def test_a_screen_not_yet_computed_counts_too(corpus_dir, cache):
    model = KeepingModel(RULES)
    Assistant(corpus_dir, backend=model, cache_dir=cache).prepare_reading()
    for verdict in (cache / "screens").glob("*.json"):
        verdict.unlink()  # the reading states are kept, the screens' verdicts are not
    preparing, events = _preparing(Assistant(corpus_dir, backend=model, cache_dir=cache))
    reading = [e.stage for e in events].count("reading")
    assert [(done, total) for _, done, total, _ in preparing] == [(reading, reading)]


def test_a_backend_that_cannot_tell_says_nothing(corpus_dir, cache):
    assistant = Assistant(corpus_dir, backend=RuleModel(RULES), cache_dir=cache)  # has_state: None, as an endpoint
    assert _preparing(assistant)[0] == []


@pytest.mark.parametrize("form", [[], ["--json"]])
def test_the_command_line_says_it_in_one_line_on_stderr_and_nothing_once_indexed(
    corpus_dir, cache, monkeypatch, capsys, form
):
    from assistant import api

    model = KeepingModel(RULES)
    monkeypatch.setattr(api, "make_backend", lambda **kw: model)
    assert main(["ask", *form, QUESTION, "--corpus", str(corpus_dir)]) == 0
    out, err = capsys.readouterr()
    lines = err.splitlines()
    assert len(lines) == 1 and "Northwind" in out, err
    assert lines[0].startswith("storydesk: ") and "read for the first time, which takes longer" in lines[0]
    assert lines[0].endswith("(run `storydesk index` to do this ahead)")
    model.kept.clear()
    for verdict in (cache / "screens").glob("*.json"):
        verdict.unlink()
    assert main(["index", "--corpus", str(corpus_dir)]) == 0
    capsys.readouterr()
    assert main(["ask", *form, QUESTION, "--corpus", str(corpus_dir)]) == 0
    out, err = capsys.readouterr()
    assert err == "" and "Northwind" in out
