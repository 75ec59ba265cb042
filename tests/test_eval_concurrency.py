"""``storydesk eval --concurrency N`` against a stub OpenAI-compatible chat server (http.server in a
thread): N questions in flight at once, never more, and the run still writes one verbatim-cited
result per case. Fast: no real model; the stub answers by rules and sleeps a little per request so
that requests that overlap are seen to."""

from __future__ import annotations

import json
import math
import re
import threading
import time
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from conftest import free_port

from assistant import cli

DELAY_S = 0.15  # per request: long enough for requests from different questions to overlap

# Six questions about the conftest corpus (water-system hack, Northwind, Southgate, the council), so
# retrieval finds articles for each. None of them occurs in a prompt's worked examples, so a request
# that contains one is a request about that question.
QUESTIONS = {
    "who-hacked": "Who broke into the city's water system?",
    "how-long": "How long did the intrusion into the water system last?",
    "repairs": "How much did the council pay for the water system repairs?",
    "northwind": "How did Northwind respond to the hacking claims?",
    "residents": "What were residents told to do with their water?",
    "investigators": "Whom did investigators blame for the water system attack?",
}

# Prompts whose "yes" would drop a sentence (a planted instruction) or relabel it (the writer's view):
# the stub says "no" to those, as a sensible model would to these plain news sentences.
_SAY_NO = ("You screen sentences", "You read one sentence of a news article")
_PROBABILITY_ASK = "Reply with exactly one word:"  # openai_compat.probabilities() appends this turn


class Stub:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.in_flight = self.most_in_flight = 0
        self.asking: Counter[str] = Counter()  # question -> its requests in flight now
        self.most_questions = 0  # the most distinct questions with a request in flight at once
        self.requests: list[tuple[str | None, str]] = []  # (question, "probability" | "text")
        self.logprobs_asked = 0

    def start(self, question: str | None) -> None:
        with self.lock:
            self.in_flight += 1
            self.most_in_flight = max(self.most_in_flight, self.in_flight)
            if question is not None:
                self.asking[question] += 1
                self.most_questions = max(self.most_questions, sum(1 for n in self.asking.values() if n > 0))

    def end(self, question: str | None) -> None:
        with self.lock:
            self.in_flight -= 1
            if question is not None:
                self.asking[question] -= 1


def _question(messages: list[dict]) -> str | None:
    text = "\n".join(str(m.get("content") or "") for m in messages)
    found = [q for q in QUESTIONS.values() if q in text]
    assert len(found) <= 1, found  # one question per request
    return found[0] if found else None


def _article(messages: list[dict]) -> str:
    """The article the read_article prompt shows: its last "Article:" turn (the examples' come first)."""
    shown = [m["content"] for m in messages if str(m.get("content") or "").startswith("Article:")]
    return shown[-1].removeprefix("Article:").strip() if shown else ""


# What a sensible reader copies for each question, where the article holds it (the pipeline accepts only
# readings that answer: words of the kind asked, in a sentence retrieval found relevant).
ANSWERS = {
    QUESTIONS["who-hacked"]: r"Northwind Ltd|Southgate Systems",
    QUESTIONS["how-long"]: r"\w+ months",
    QUESTIONS["repairs"]: r"£2 million",
    QUESTIONS["northwind"]: r"Northwind denied the claims",
    QUESTIONS["residents"]: r"told to boil their water",
    QUESTIONS["investigators"]: r"Northwind Ltd",
}


def _words_from(article: str, question: str | None) -> str:
    """The words that answer ``question`` in the article ("" when it holds none)."""
    found = re.search(ANSWERS[question], article) if question else None
    return found.group(0) if found else ""


def _completion(content: str, logprobs: dict | None = None) -> dict:
    return {
        "id": "chatcmpl-stub",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": "stub",
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": content},
                "logprobs": logprobs,
                "finish_reason": "stop",
            }
        ],
        "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
    }


def _logprobs(said: str) -> dict:
    """OpenAI's format: the first token's top log-probabilities, ``said`` at 0.95."""
    other = "no" if said == "yes" else "yes"
    top = [
        {"token": said, "logprob": math.log(0.95), "bytes": list(said.encode())},
        {"token": other, "logprob": math.log(0.05), "bytes": list(other.encode())},
    ]
    return {"content": [dict(top[0], top_logprobs=top)], "refusal": None}


def _reply(stub: Stub, body: dict) -> dict:
    messages = body["messages"]
    system = next((m["content"] for m in messages if m.get("role") == "system"), "")
    if str(messages[-1].get("content", "")).startswith(_PROBABILITY_ASK):  # a yes/no check
        said = "no" if system.startswith(_SAY_NO) else "yes"
        with stub.lock:
            stub.logprobs_asked += bool(body.get("logprobs"))
        return _completion(said, _logprobs(said) if body.get("logprobs") else None)
    words = _words_from(_article(messages), _question(messages))  # free text: the answer's words, when there
    return _completion(f"yes: {words}" if words else "no")


@pytest.fixture
def stub():
    state = Stub()

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args) -> None:
            pass

        def _send(self, status: int, payload: dict) -> None:
            data = json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self) -> None:
            if self.path.rstrip("/").endswith("/v1/models"):
                self._send(200, {"object": "list", "data": [{"id": "stub", "object": "model", "owned_by": "stub"}]})
            else:
                self._send(404, {"error": {"message": f"no route {self.path}"}})

        def do_POST(self) -> None:
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            if not self.path.rstrip("/").endswith("/v1/chat/completions"):
                self._send(404, {"error": {"message": f"no route {self.path}"}})
                return
            question = _question(body["messages"])
            with state.lock:
                kind = "probability" if body.get("max_tokens") == 2 else "text"
                state.requests.append((question, kind))
            state.start(question)
            try:
                time.sleep(DELAY_S)
                reply = _reply(state, body)
            finally:
                state.end(question)
            self._send(200, reply)

    server = ThreadingHTTPServer(("127.0.0.1", free_port()), Handler)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    state.url = f"http://127.0.0.1:{server.server_address[1]}/v1"
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def _write_suite(path: Path) -> Path:
    cases = [
        {
            "id": case_id,
            "kind": "single",
            "question": question,
            "must_mention": [],
            "must_not_mention": [],
            "evidence": [],
            "docs": [],
            "conflict": False,
            "sides": [],
            "answerable": True,
        }
        for case_id, question in QUESTIONS.items()
    ]
    path.write_text("".join(json.dumps(c) + "\n" for c in cases), encoding="utf-8")
    return path


def _run_eval(stub: Stub, corpus_dir: Path, tmp_path: Path, monkeypatch, concurrency: int) -> Path:
    monkeypatch.setenv("OPENAI_API_KEY", "none")
    out = tmp_path / f"run-{concurrency}"
    suite = _write_suite(tmp_path / "suite.jsonl")
    argv = ["eval", str(suite), "--corpus", str(corpus_dir), "--out", str(out), "--judge", "none"]
    argv += ["--base-url", stub.url, "--model", "stub", "--concurrency", str(concurrency)]
    assert cli.main(argv) == 0
    return out


def _check_results(out: Path, corpus_dir: Path) -> None:
    """One result per case, each answered with citations that are their article's text at their offsets."""
    results = [json.loads(line) for line in (out / "results.jsonl").read_text(encoding="utf-8").splitlines()]
    assert sorted(r["case"]["id"] for r in results) == sorted(QUESTIONS)
    for r in results:
        answer = r["answer"]
        assert not r.get("error") and answer["question"] == QUESTIONS[r["case"]["id"]]
        assert answer["citations"], f"{r['case']['id']}: no citations in {answer['answer']!r}"
        for c in answer["citations"]:
            text = (corpus_dir / f"{c['doc_id']}.txt").read_text(encoding="utf-8")
            assert c["quote"] and c["quote"] == text[c["start"] : c["end"]], c
            assert f"[{c['id']}]" in answer["answer"]
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert summary["settings"]["model_capabilities"]["supports_logprobs"]  # the stub's logprobs were read


def test_eval_concurrency_3_keeps_three_questions_in_flight(stub, corpus_dir, cache, tmp_path, monkeypatch):
    out = _run_eval(stub, corpus_dir, tmp_path, monkeypatch, concurrency=3)
    asked = {q for q, _ in stub.requests if q}
    assert asked == set(QUESTIONS.values())  # every question reached the server
    assert {kind for _, kind in stub.requests} == {"probability", "text"} and stub.logprobs_asked
    assert stub.most_questions == 3, f"at most {stub.most_questions} questions were in flight at once"
    assert stub.most_in_flight >= 3
    _check_results(out, corpus_dir)


def test_eval_concurrency_1_asks_one_question_at_a_time(stub, corpus_dir, cache, tmp_path, monkeypatch):
    out = _run_eval(stub, corpus_dir, tmp_path, monkeypatch, concurrency=1)
    assert {q for q, _ in stub.requests if q} == set(QUESTIONS.values())
    assert stub.most_questions == 1, f"{stub.most_questions} questions were in flight at once"
    _check_results(out, corpus_dir)
