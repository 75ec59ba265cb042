import json

import pytest

from assistant import Assistant
from assistant.evaluate import compare_runs, run_eval
from assistant.settings import ReadingSettings

RULES = {
    r"how long": (r"months", r"\w+ months"),
    r"cost|pay": (r"£", r"£2 million"),
}


def write_suite(path, corpus_dir):
    cases = [
        {
            "id": "dur",
            "kind": "conflict",
            "question": "How long did the intrusion into the water system last?",
            "must_mention": [["eighteen months"], ["several months"]],
            "must_not_mention": [],
            "evidence": [{"doc": "a_wire", "quote": "eighteen months"}, {"doc": "b_daily", "quote": "several months"}],
            "docs": ["a_wire", "b_daily"],
            "conflict": True,
            "sides": [["a_wire"], ["b_daily"]],
            "answerable": True,
        },
        {
            "id": "cost",
            "kind": "single",
            "question": "How much did the council pay for repairs?",
            "must_mention": [["£2 million"]],
            "must_not_mention": [],
            "evidence": [{"doc": "a_wire", "quote": "£2 million"}],
            "docs": ["a_wire"],
            "conflict": False,
            "sides": [],
            "answerable": True,
        },
        {
            "id": "dog",
            "kind": "unanswerable",
            "question": "What was the name of the mayor's dog?",
            "must_mention": [],
            "must_not_mention": ["Rex"],
            "evidence": [],
            "docs": [],
            "conflict": False,
            "sides": [],
            "answerable": False,
        },
    ]
    path.write_text("\n".join(json.dumps(c) for c in cases) + "\n", encoding="utf-8")
    return path


@pytest.fixture
def setup(corpus_dir, cache, tmp_path, rule_model):
    suite = write_suite(tmp_path / "mini.jsonl", corpus_dir)

    def make(backend=None):
        return Assistant(corpus_dir, backend=backend or rule_model(RULES), cache_dir=cache, reading=ReadingSettings())

    return suite, make


def test_run_writes_three_outputs_and_is_deterministic(setup, tmp_path):
    suite, make = setup
    first = run_eval([suite], tmp_path / "run1", assistant=make())
    second = run_eval([suite], tmp_path / "run2", assistant=make())
    for name in ("results.jsonl", "summary.json", "report.html"):
        assert (tmp_path / "run1" / name).is_file()
    m1, m2 = first.summary().metrics, second.summary().metrics
    drop = {"p50_s", "max_s"}
    assert {k: v for k, v in m1.items() if k not in drop} == {k: v for k, v in m2.items() if k not in drop}
    assert m1["cases"] == 3 and m1["pass_rate"] == 1.0
    assert "cases that flipped: 0" in compare_runs(tmp_path / "run1", tmp_path / "run2")


def test_an_interrupted_run_resumes_without_reasking(setup, tmp_path, rule_model):
    suite, make = setup

    class DiesOnSecondCase(type(rule_model(RULES))):
        def probabilities(self, messages, options, reply_prefix=""):
            if "pay for repairs" in messages.variables.get("question", ""):
                raise KeyboardInterrupt
            return super().probabilities(messages, options, reply_prefix)

    with pytest.raises(KeyboardInterrupt):
        run_eval([suite], tmp_path / "run", assistant=make(DiesOnSecondCase(RULES)))
    lines = (tmp_path / "run" / "results.jsonl").read_text(encoding="utf-8").splitlines()
    assert [json.loads(line)["case"]["id"] for line in lines] == ["dur"]
    again = rule_model(RULES)
    run = run_eval([suite], tmp_path / "run", assistant=make(again))
    asked = {r["variables"].get("question", "") for r in again.requests}
    assert not any("How long" in q for q in asked) and any("pay for repairs" in q for q in asked)
    assert run.summary().cases == 3


def test_min_pass_rate_gate_exits_nonzero(setup, tmp_path, monkeypatch, rule_model):
    from assistant import api, cli

    suite, _ = setup
    monkeypatch.setattr(api, "make_backend", lambda **kw: rule_model({}))  # answers nothing: pass rate 1/3
    code = cli.main(
        [
            "eval",
            str(suite),
            "--corpus",
            str(suite.parent / "articles"),
            "--out",
            str(tmp_path / "gate"),
            "--judge",
            "none",
            "--min",
            "0.9",
        ]
    )
    assert code == 1


def test_progress_lines_count_cases_and_estimate_the_rest(capsys):
    from assistant.evaluate.runner import print_progress_lines

    for done in range(1, 4):
        print_progress_lines("engine-x", done, 3)
    lines = capsys.readouterr().err.splitlines()
    assert lines[0] == "engine-x: 1/3 cases"
    assert lines[1].startswith("engine-x: 2/3 cases, about ") and lines[1].endswith(" min left")
    assert lines[2] == "engine-x: 3/3 cases"
