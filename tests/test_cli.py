"""The command line: one-line errors with a non-zero exit, and the JSON contract on stdout."""

import json
import os
import subprocess
import sys

import pytest

from assistant.cli import build_parser, main
from assistant.render import answer_plain
from assistant.types import Answer, Citation, Conflict, Position


def run_cli(*args, env=None):
    e = dict(os.environ, **(env or {}))
    return subprocess.run(
        [sys.executable, "-m", "assistant.cli", *args], capture_output=True, text=True, env=e, timeout=300
    )


def assert_one_line_error(proc, *needles):
    assert proc.returncode != 0 and proc.stdout == ""
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("storydesk: error:"), proc.stderr
    for needle in needles:
        assert needle in lines[0]


def test_help_lists_the_subcommands():
    text = build_parser().format_help()
    for command in ("ask", "index", "prepare"):
        assert command in text


def test_empty_question(cache):
    assert_one_line_error(run_cli("ask", "   "), "empty")


def test_missing_corpus(tmp_path, cache):
    assert_one_line_error(run_cli("ask", "Who?", "--corpus", str(tmp_path / "missing")), "not found")


def test_empty_corpus(tmp_path, cache):
    assert_one_line_error(run_cli("ask", "Who?", "--corpus", str(tmp_path)), "no non-empty")


@pytest.mark.slow  # `storydesk index` screens the articles and computes reading states with the embedded model
def test_non_utf8_article_is_named_and_the_rest_still_answer(corpus_dir, cache):
    (corpus_dir / "bad.txt").write_bytes(b"\xff\xfe caf\xe9")
    proc = run_cli("index", "--corpus", str(corpus_dir))
    assert proc.returncode == 0 and "3 articles" in proc.stdout
    warnings = [line for line in proc.stderr.splitlines() if line.strip()]
    assert warnings == ["assistant.corpus: bad: not read (not UTF-8 text (bad byte 0xff at offset 0))"]


def test_unreachable_endpoint(corpus_dir, cache):
    proc = run_cli(
        "ask",
        "Who was behind the hack?",
        "--corpus",
        str(corpus_dir),
        "--base-url",
        "http://127.0.0.1:9/v1",
        "--model",
        "m",
    )
    assert_one_line_error(proc, "cannot reach")


def test_model_file_that_fails_its_hash(tmp_path, cache):
    from assistant.model_store import DEFAULT_MODEL

    models = cache / "models"
    models.mkdir(parents=True)
    with open(models / DEFAULT_MODEL.file_name, "wb") as fh:  # right size, wrong bytes (sparse)
        fh.truncate(DEFAULT_MODEL.size)
    assert_one_line_error(run_cli("prepare"), "sha256")


@pytest.mark.slow  # the embedded model screens and reads the articles
def test_index_command_reports_counts(corpus_dir, cache):
    proc = run_cli("index", "--corpus", str(corpus_dir))
    assert proc.returncode == 0 and "3 articles" in proc.stdout


def test_json_contract_with_a_fake_model(corpus_dir, cache, monkeypatch, capsys, rule_model):
    from assistant import api

    fake = rule_model({r"cost|pay": (r"£", r"£2 million")})
    monkeypatch.setattr(api, "make_backend", lambda **kw: fake)
    assert main(["ask", "--json", "What did the council pay for repairs?", "--corpus", str(corpus_dir)]) == 0
    out = capsys.readouterr().out
    d = json.loads(out)
    assert out.count("\n") == 1 and d["answerable"] and d["citations"]
    text = (corpus_dir / f"{d['citations'][0]['doc_id']}.txt").read_text(encoding="utf-8")
    c = d["citations"][0]
    assert text[c["start"] : c["end"]] == c["quote"]


def test_index_command_warms_every_prompt_ahead_of_any_question(corpus_dir, cache, monkeypatch, rule_model):
    from assistant import api
    from assistant.prompts import load_prompt
    from assistant.warmup import WARMED_PROMPTS

    fake, warmed = rule_model({}), []
    fake.warm = lambda prefix: warmed.append(list(prefix))
    monkeypatch.setattr(api, "make_backend", lambda **kw: fake)
    assert main(["index", "--corpus", str(corpus_dir)]) == 0
    assert all(load_prompt(name).prefix() in warmed for name in WARMED_PROMPTS)


def test_human_form_shows_quotes_and_a_disagreement_table():
    answer = Answer(
        "How long?",
        "The sources disagree. “a” [1]. “b” [2].",
        True,
        [Citation(1, "doc_a", 0, 5, "a lot"), Citation(2, "doc_b", 0, 3, "few")],
        [Conflict("how long", (Position("a", (1,), ("doc_a",)), Position("b", (2,), ("doc_b",))))],
    )
    text = answer_plain(answer, width=100)
    assert "[1] doc_a" in text and "“a lot”" in text and "Sources disagree: how long" in text and "| doc_b" in text


def test_control_characters_never_reach_the_terminal(corpus_dir, cache, monkeypatch, capsys, rule_model):
    from assistant import api

    (corpus_dir / "a_wire.txt").write_text(
        (corpus_dir / "a_wire.txt").read_text(encoding="utf-8")
        + " The council paid \x1b[31m£2 million\x1b[0m\x07 in\x9b2J all.\n",
        encoding="utf-8",
    )
    fake = rule_model({r"cost|pay": (r"£", r"£2 million")})
    monkeypatch.setattr(api, "make_backend", lambda **kw: fake)
    question = "What did the council \x1b]0;pwned\x07pay for\rrepairs?\x1b[2J"
    assert main(["ask", question, "--corpus", str(corpus_dir)]) == 0
    human = capsys.readouterr().out
    assert main(["ask", "--json", question, "--corpus", str(corpus_dir)]) == 0
    machine = capsys.readouterr().out
    for out in (human, machine):
        assert not any(ord(ch) < 32 and ch not in "\n\t" or 0x7F <= ord(ch) <= 0x9F for ch in out), repr(out)
    assert "£2 million" in human
    json.loads(machine)  # escaped, not dropped: the JSON still carries the article's exact characters


@pytest.mark.parametrize(
    "text, shown",
    [
        ("\x1b[31mred\x1b[0m", "red"),
        ("a\x1b]8;;javascript:x\x07link\x1b]8;;\x07", "alink"),
        ("x\x00y\r\x7fz\x9b1m\tw", "xyz\tw"),
    ],
)
def test_printable_strips_escapes_and_controls(text, shown):
    from assistant.text import printable

    assert printable(text) == shown


def test_eval_against_a_dead_endpoint_fails_and_scores_nothing(corpus_dir, cache, tmp_path):
    suite = tmp_path / "one.jsonl"
    case = {
        "id": "c1",
        "kind": "single",
        "question": "What did the council pay for repairs?",
        "must_mention": [["£2"]],
        "must_not_mention": [],
        "evidence": [],
        "docs": [],
        "conflict": False,
        "sides": [],
        "answerable": True,
    }
    suite.write_text(json.dumps(case) + "\n", encoding="utf-8")
    out = tmp_path / "run"
    proc = run_cli(
        "eval",
        str(suite),
        "--corpus",
        str(corpus_dir),
        "--judge",
        "none",
        "--out",
        str(out),
        "--base-url",
        "http://127.0.0.1:9/v1",
        "--model",
        "m",
    )
    assert proc.returncode == 1 and "1 of 1 cases got no answer" in proc.stderr and "cannot reach" in proc.stderr
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    metrics = next(iter(summary["summaries"]))["metrics"] if "summaries" in summary else summary
    assert metrics.get("citation_validity") is None and metrics["errors"] == 1 and metrics["pass_rate"] == 0


def test_progress_bars_name_what_they_count_and_time_the_first_chunk(monkeypatch):
    import io
    import re
    import time

    from assistant.cli_options import Bars

    err = io.StringIO()
    monkeypatch.setattr(sys, "stderr", err)
    bars = Bars(enabled=True)
    bars("embedding sentences", 0, 1000)  # the stage starts: its clock too
    time.sleep(0.2)
    bars("embedding sentences", 500, 1000)
    shown = err.getvalue().split("\r")[-1]
    rate = float(re.search(r"([\d.]+) sentences/s", shown).group(1))
    assert "500/1000" in shown and rate < 5000  # about 2,500/s: not the first chunk over no time at all


@pytest.mark.slow
def test_an_answer_given_while_the_model_loads_is_printed_every_time():
    """A question no article is relevant to is refused before the model is needed, while the model still
    loads in the background: the refusal must reach stdout every time (llama-cpp-python's quiet loading
    once pointed descriptors 1 and 2 at /dev/null for the whole process, and the answer vanished), and the
    process must exit cleanly with the load in flight."""
    question = "What colour is a zebra's tongue?"
    for attempt in range(20):
        proc = run_cli("ask", "--json", question)
        assert proc.returncode == 0, (attempt, proc.returncode, proc.stderr[-500:])
        answer = json.loads(proc.stdout)
        assert answer["question"] == question and not answer["answerable"]
        assert "generate" not in answer["timings_ms"], "read by the model: this test needs an answer given before"
