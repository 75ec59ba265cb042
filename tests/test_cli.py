"""The command line: one-line errors with a non-zero exit, and the JSON contract on stdout."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from assistant.cli import build_parser, format_answer, main
from assistant.types import Answer, Citation, Conflict, Position


def run_cli(*args, env=None):
    e = dict(os.environ, **(env or {}))
    return subprocess.run([sys.executable, "-m", "assistant.cli", *args], capture_output=True, text=True, env=e, timeout=300)


def assert_one_line_error(proc, *needles):
    assert proc.returncode != 0 and proc.stdout == ""
    lines = [l for l in proc.stderr.splitlines() if l.strip()]
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


def test_non_utf8_article_is_named(corpus_dir, cache):
    (corpus_dir / "bad.txt").write_bytes(b"\xff\xfe caf\xe9")
    assert_one_line_error(run_cli("ask", "Who?", "--corpus", str(corpus_dir)), "bad.txt", "UTF-8")


def test_unreachable_endpoint(corpus_dir, cache):
    proc = run_cli("ask", "Who was behind the hack?", "--corpus", str(corpus_dir), "--base-url", "http://127.0.0.1:9/v1", "--model", "m")
    assert_one_line_error(proc, "cannot reach")


def test_model_file_that_fails_its_hash(tmp_path, cache):
    from assistant.model_store import DEFAULT_MODEL

    models = cache / "models"
    models.mkdir(parents=True)
    with open(models / DEFAULT_MODEL.file_name, "wb") as fh:  # right size, wrong bytes (sparse)
        fh.truncate(DEFAULT_MODEL.size)
    assert_one_line_error(run_cli("prepare"), "sha256")


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


def test_human_form_shows_quotes_and_a_disagreement_table():
    answer = Answer("How long?", "The sources disagree. “a” [1]. “b” [2].", True,
                    [Citation(1, "doc_a", 0, 5, "a lot"), Citation(2, "doc_b", 0, 3, "few")],
                    [Conflict("how long", (Position("a", (1,), ("doc_a",)), Position("b", (2,), ("doc_b",))))])
    text = format_answer(answer)
    assert "[1] doc_a" in text and "“a lot”" in text and "Sources disagree: how long" in text and "| doc_b" in text
