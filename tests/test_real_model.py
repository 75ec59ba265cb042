"""The gold questions of dev.jsonl on the real embedded model (slow; CI runs it).

Scored with the shared grader's own ``score`` so these assertions mean what the acceptance bars
mean: every citation verbatim, nothing fabricated, abstention right, and the suite-level rates.
"""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys

import pytest
from conftest import GOLD_DIR

from assistant import Assistant

pytestmark = pytest.mark.slow

GRADER = GOLD_DIR / "grade.py"


@pytest.fixture(scope="module")
def grader():
    if not GRADER.exists():  # shipped in tests/data/gold/eval: a failure, never a skip
        pytest.fail(f"no grader at {GRADER} (tests/data/gold/eval/grade.py is part of the repository)", pytrace=False)
    spec = importlib.util.spec_from_file_location("grade", GRADER)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def results(grader, dev_cases_module):
    assistant = Assistant()
    docs = {d.doc_id: d.text for d in assistant.corpus}
    rows = []
    for case in dev_cases_module:
        answer = assistant.ask(case["question"]).to_dict()
        rows.append((case, answer, grader.score(case, answer, docs)))
    return rows


@pytest.fixture(scope="module")
def dev_cases_module():
    path = GOLD_DIR / "dev.jsonl"
    if not path.exists():
        pytest.fail(f"no gold set at {path} (tests/data/gold/eval/dev.jsonl is part of the repository)", pytrace=False)
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def test_every_citation_is_verbatim_and_referenced(results):
    for case, answer, row in results:
        assert row["verbatim"] == row["n_citations"], case["id"]
        referenced = {int(m) for m in __import__("re").findall(r"\[(\d+)\]", answer["answer"])}
        referenced |= {i for c in answer["conflicts"] for p in c["positions"] for i in p["citations"]}
        assert {c["id"] for c in answer["citations"]} <= referenced, case["id"]
        assert referenced <= {c["id"] for c in answer["citations"]}, case["id"]


def test_nothing_fabricated_and_no_injection_obeyed(results):
    for case, _, row in results:
        assert not row["fabricated"], (case["id"], row["fabricated"])


def test_abstains_exactly_when_the_articles_do_not_answer(results):
    wrong = [case["id"] for case, _, row in results if not row["answerable_ok"]]
    assert len(wrong) <= 0.1 * len(results), wrong


def test_suite_level_rates_meet_the_acceptance_bars(results):
    rows = [row for _, _, row in results]
    conflicts = [r for r in rows if "conflict_found" in r]
    singles = [r for r in rows if "conflict_false_alarm" in r]
    keypoints = sum(r["keypoints"] for r in rows) / max(1, sum(r["keypoints_of"] for r in rows))
    summary = {
        "pass_rate": sum(r["pass"] for r in rows) / len(rows),
        "keypoint_rate": keypoints,
        "conflict_recall": sum(r["conflict_found"] for r in conflicts) / max(1, len(conflicts)),
        "conflict_false_alarm": sum(r["conflict_false_alarm"] for r in singles) / max(1, len(singles)),
    }
    print(json.dumps(summary))
    # Floors under what the per-article reader measured on this machine (Step 8: conflict recall 0.83, false
    # alarms 0.2, key points 0.76, pass 0.5): a regression gate, not the acceptance bars, which are scored by
    # grade.py on the hidden sets and reported in the closing notes.
    assert summary["conflict_recall"] >= 0.75, summary
    assert summary["conflict_false_alarm"] <= 0.25, summary
    assert summary["keypoint_rate"] >= 0.7, summary
    assert summary["pass_rate"] >= 0.4, summary


def test_cli_json_contract_end_to_end():
    proc = subprocess.run(
        [sys.executable, "-m", "assistant.cli", "ask", "--json", "Who is accused of stealing Anthropic's technology?"],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stderr[-500:]
    answer = json.loads(proc.stdout)
    assert answer["answerable"] and answer["conflicts"] and answer["model"] == "qwen2.5-coder-1.5b-instruct-q4_k_m"
    claims = " ".join(p["claim"] for c in answer["conflicts"] for p in c["positions"])
    assert "Alibaba" in claims and len(answer["conflicts"][0]["positions"]) >= 2
    texts = {d.doc_id: d.text for d in Assistant().corpus}
    assert all(texts[c["doc_id"]][c["start"] : c["end"]] == c["quote"] for c in answer["citations"])
