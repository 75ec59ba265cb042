"""The OpenAI-compatible path against a real server: llama-cpp-python's server (``llama-cpp-python[server]``)
serving the embedded GGUF on 127.0.0.1, started and stopped here, asked gold questions through the CLI's
``--base-url`` (slow: a second copy of the model loads; CI runs it).

The endpoint path differs from the in-process one by design: a server cannot constrain decoding to a run of
the article (``supports_copy`` is false), so the model writes its answer freely and only words found in the
article are kept; the contract (verbatim citations, one JSON object, abstention) is the same.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import GOLD_DIR, free_port
from conftest import llama_cpp_server as serve

from assistant import Assistant

pytestmark = pytest.mark.slow

ALIAS = "storydesk-embedded"
CASES = ("duration", "guardian", "no-date")  # a disagreement, a single answer, a question no article answers


@pytest.fixture(scope="module")
def llama_cpp_server(tmp_path_factory):
    log = tmp_path_factory.mktemp("server") / "server.log"
    with serve(log, ALIAS, "--n_ctx", "4096", "--seed", "0") as url:
        yield url


def _ask(url: str, question: str) -> dict:
    env = dict(os.environ, OPENAI_API_KEY="not-needed")
    proc = subprocess.run(
        [sys.executable, "-m", "assistant.cli", "ask", "--json", "--base-url", url, "--model", ALIAS, question],
        capture_output=True,
        text=True,
        env=env,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stderr[-800:]
    assert proc.stdout.count("\n") == 1, proc.stdout  # exactly one JSON object
    return json.loads(proc.stdout)


def test_llama_cpp_server_answers_gold_questions_under_the_same_contract(llama_cpp_server):
    cases = {c["id"]: c for c in map(json.loads, Path(GOLD_DIR / "dev.jsonl").read_text().splitlines())}
    texts = {d.doc_id: d.text for d in Assistant().corpus}
    answered = []
    for case_id in CASES:
        case = cases[case_id]
        answer = _ask(llama_cpp_server, case["question"])
        assert answer["model"] == ALIAS
        for c in answer["citations"]:
            assert texts[c["doc_id"]][c["start"] : c["end"]] == c["quote"], c  # verbatim, always
        assert answer["answerable"] == bool(answer["citations"]), answer  # an answer cites; a refusal does not
        if case["kind"] == "unanswerable":
            assert not answer["answerable"]
        answered.append(answer["answerable"])
    # The server's own prompt cache reuses KV state in batches shaped unlike ours, so a P("yes") near the bar
    # can land either side of it between runs (see the README, "Reproducible"): whether one given article
    # answers is not asserted here, only that the endpoint path answers at all.
    assert any(answered)


def test_a_stopped_llama_cpp_server_is_one_line_and_a_non_zero_exit():
    env = dict(os.environ, OPENAI_API_KEY="not-needed")
    url = f"http://127.0.0.1:{free_port()}/v1"
    proc = subprocess.run(
        [sys.executable, "-m", "assistant.cli", "ask", "--base-url", url, "--model", ALIAS, "Who did it?"],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    assert proc.returncode != 0 and proc.stdout == "" and len(lines) == 1 and "cannot reach" in lines[0]
