"""The OpenAI-compatible path against a real server: llama-cpp-python's server (``llama-cpp-python[server]``)
serving the embedded GGUF on 127.0.0.1, started and stopped here (slow: a second copy of the model loads; CI
runs it).

The server is a ``llama.cpp`` endpoint (``backends/endpoint_kinds.py``): P("yes") from its logprobs, the
answer copied under a grammar of the article's runs, the screen's likelihoods from its logprobs. So its
answers to the dev gold questions are the in-process answers: the same positions, the same citations. What
can still differ is the last bits of a logit (the server lays out its batches by the request before, the
embedded backend by the prompt's own lines; see the README, "Reproducible"): a near-tie can fall the other
way. Every difference is listed below (``KNOWN``) with its cause; any other fails with both answers side by side.
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
from assistant.types import Answer

pytestmark = pytest.mark.slow

ALIAS = "storydesk-embedded"
CASES = ("duration", "guardian", "no-date")  # a disagreement, a single answer, a question no article answers
# The differences measured (two runs, a fresh clone's CI and a fresh cache: the same both times), each explained:
KNOWN = {
    # Through the server the first article's "over several months" is accepted as an answer too; in process it is
    # not: its P("yes") lies near the answer bar, and the server's logits differ in their last bits (batch layout).
    "duration": 'Two of the five articles say "over several months"',
}


@pytest.fixture(scope="module")
def llama_cpp_server(tmp_path_factory):
    log = tmp_path_factory.mktemp("server") / "server.log"
    with serve(log, ALIAS, "--n_ctx", "4096", "--seed", "0") as url:
        yield url


def _positions(answer: Answer) -> dict:
    """What an answer says, by place: whether it answers, each citation's place and each conflict's sides."""
    return {
        "answerable": answer.answerable,
        "citations": sorted((c.doc_id, c.start, c.end) for c in answer.citations),
        "conflicts": [sorted((p.claim, p.doc_ids) for p in c.positions) for c in answer.conflicts],
    }


def test_the_server_gives_the_in_process_answers_to_the_dev_gold_questions(llama_cpp_server, tmp_path):
    cases = {c["id"]: c for c in map(json.loads, Path(GOLD_DIR / "dev.jsonl").read_text().splitlines())}
    questions = [cases[case_id]["question"] for case_id in CASES]
    with Assistant() as embedded:
        local = [embedded.ask(q) for q in questions]
    # A cache of its own: the server screens every article first, in the same order every run, and its logits'
    # last bits depend on the requests before (the embedded backend's do not: its batches are laid out by the
    # prompt alone), so the run is the same whatever an earlier run left on disk.
    with Assistant(base_url=llama_cpp_server, model=ALIAS, cache_dir=tmp_path / "cache") as served:
        remote = [served.ask(q) for q in questions]
        assert served.backend.kind == "llama.cpp" and served.backend.supports_copy  # detected, not declared
    assert all(a.run["copying"].startswith("constrained") for a in remote)
    differences = {
        case_id: f"{q}\n  in process: {a.text}\n  server:     {b.text}"
        for case_id, q, a, b in zip(CASES, questions, local, remote)
        if _positions(a) != _positions(b)
    }
    assert set(differences) == set(KNOWN), "\n".join(differences.values())  # no other, and each still there
    for case_id, b in zip(CASES, remote):
        assert case_id not in KNOWN or KNOWN[case_id] in b.text, differences.get(case_id)  # the listed one, no other


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
