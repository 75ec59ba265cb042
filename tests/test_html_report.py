"""The HTML eval report: self-contained, escaped, charts per metric family, citations shown in context."""

from __future__ import annotations

import html
import re
import sys
from pathlib import Path

import pytest

from assistant.evaluate.html import render_report

PARAGRAPH = "The intrusion lasted eighteen months, officials said. The council paid £2 million for repairs."
DOCS = {
    "a_wire": "Water hack hits the city\n" + PARAGRAPH + "\nNorthwind denied the claims, calling them “baseless”.\n",
    "c_blog": "A rival firm, Southgate Systems, was behind the water hack, the blog claims.\n",
}
QUOTE = "The council paid £2 million"
Q_START = DOCS["a_wire"].index(QUOTE)
EVIL = "What did <script>alert(1)</script> cost?"
FORGED_QUOTE = "Northwind admitted everything"
FAILS = [
    "missing key point: 'eighteen months'",
    "unsupported by its citations: 'The blog agrees.'",
    "missed the disagreement between a_wire vs c_blog",
]


def _metrics(pass_rate: float, p50: float, judged: bool = True) -> dict:
    m = {
        "cases": 3,
        "errors": 0,
        "pass_rate": pass_rate,
        "verbatim_rate": 0.667,
        "citation_validity": 0.667,
        "keypoint_rate": 0.5,
        "doc_recall": 0.833,
        "span_recall": None,
        "conflict_recall": 0.0,
        "conflict_false_alarm": 0.0,
        "spurious_conflicts": 0,
        "abstention_acc": 1.0,
        "fabrications": 0,
        "p50_s": p50,
        "max_s": p50 * 2.5,
    }
    if judged:
        m |= {"citation_recall": 0.75, "citation_precision": 0.9}
    return m


def _result(engine: str, case: dict, answer: dict, passed: bool, failures: list[str]) -> dict:
    return {
        "suite": "story",
        "engine": engine,
        "config": "abc123",
        "case": case,
        "answer": answer,
        "seconds": 3.14,
        "metrics": {},
        "support": {"statements": 2, "supported": 1, "citations": 2, "precise": 2, "unsupported": []},
        "failures": failures,
        "passed": passed,
        "error": None,
    }


def _cases(engine: str) -> list[dict]:
    good = {
        "answer": "The council paid £2 million [1].",
        "answerable": True,
        "conflicts": [],
        "citations": [{"id": 1, "doc_id": "a_wire", "start": Q_START, "end": Q_START + len(QUOTE), "quote": QUOTE}],
    }
    forged = {
        "answer": "Northwind admitted it [1].",
        "answerable": True,
        "conflicts": [],
        "citations": [{"id": 1, "doc_id": "a_wire", "start": 5, "end": 34, "quote": FORGED_QUOTE}],
    }
    missed = {
        "answer": "Southgate did it [1]. The blog agrees.",
        "answerable": True,
        "citations": [{"id": 1, "doc_id": "c_blog", "start": 0, "end": 12, "quote": "A rival firm"}],
        "conflicts": [{"topic": "who is behind it", "positions": [{"claim": "Southgate Systems", "citations": [1]}]}],
    }
    return [
        _result(
            engine,
            {"id": "cost-1", "kind": "single", "question": EVIL, "must_mention": [["£2 million"]]},
            good,
            True,
            [],
        ),
        _result(
            engine,
            {"id": "deny-2", "kind": "single", "question": "Did Northwind admit it?"},
            forged,
            False,
            ["citation [1] is not verbatim (a_wire 5-34)"],
        ),
        _result(
            engine, {"id": "who-3", "kind": "conflict", "question": "Who was behind the hack?"}, missed, False, FAILS
        ),
    ]


def fake_run(accuracy: float = 0.92, judged: bool = True) -> tuple[dict, list[dict]]:
    engines = ["storydesk", "llamaindex-citation"]
    judge = (
        {
            "judge": "qwen-judge",
            "pairs": 40,
            "accuracy": accuracy,
            "by_label": {"contradicted": 0.9, "entailed": 0.95, "partial": 0.7, "unrelated": 1.0},
        }
        if judged
        else None
    )
    run = {
        "out_dir": "runs/test",
        "settings": {
            "engines": engines,
            "suites": ["eval/suites/story.jsonl"],
            "model": "qwen2.5-1.5b",
            "judge": "qwen-judge" if judged else None,
        },
        "summaries": [
            {"suite": "story", "engine": e, "config": "abc123", "cases": 3, "metrics": _metrics(p, t, judged)}
            for e, p, t in (("storydesk", 0.333, 4.2), ("llamaindex-citation", 0.0, 2.1))
        ],
        "judge": judge,
    }
    return run, [r for e in engines for r in _cases(e)]


@pytest.fixture
def page() -> str:
    run, results = fake_run()
    return render_report(run, results, DOCS)


def test_single_self_contained_document(page):
    assert page.startswith("<!DOCTYPE html>")
    assert page.count("<html") == 1 and page.count("</html>") == 1
    for bad in ("http://", "https://", "<link", "<script src", "@import", "url("):
        assert bad not in page


def test_one_chart_per_metric_family(page):
    figures = re.findall(r"<figure><h3>([^<]+)</h3><svg", page)
    assert figures == ["Citations", "Answers", "Disagreement", "Support (judged)", "Latency"]
    assert page.count("<svg") == 5
    assert "lower is better" in page


def test_support_chart_omitted_without_judged_metrics():
    run, results = fake_run(judged=False)
    page = render_report(run, results, DOCS)
    assert "Support (judged)" not in page and page.count("<svg") == 4
    assert "not judged" in page


def test_both_engines_in_every_chart_legend(page):
    for svg in re.findall(r"<svg.*?</svg>", page, re.S):
        legend = "".join(re.findall(r'<g class="legend">.*?</g>', svg, re.S))
        assert "storydesk" in legend and "llamaindex-citation" in legend


def test_valid_quote_marked_in_its_paragraph(page):
    before, after = PARAGRAPH.split(QUOTE)
    assert html.escape(before) + "<mark>" + html.escape(QUOTE) + "</mark>" + html.escape(after) + "</div>" in page
    assert "Water hack hits the city<mark>" not in page  # context stops at the paragraph's newline


def test_forged_citation_flagged(page):
    assert "NOT VERBATIM" in page
    assert html.escape(FORGED_QUOTE) in page
    assert "<mark>" + FORGED_QUOTE not in page


def test_user_text_escaped(page):
    assert "<script>alert(1)</script>" not in page
    assert html.escape(EVIL) in page
    assert "<script" not in page


def test_failures_and_conflicts_shown(page):
    for failure in FAILS + ["citation [1] is not verbatim (a_wire 5-34)"]:
        assert f"<li>{html.escape(failure)}</li>" in page
    assert "Southgate Systems</td>" in page and "who is behind it" in page
    # failed cases come first within each section
    section = page.split('id="sec-0"')[1].split('id="sec-1"')[0]
    assert section.index('class="failed"') < section.index('class="passed"')


def test_scores_table_and_judge_accuracy(page):
    assert "92%" in page and "qwen-judge" in page and "partial" in page
    assert "33.3%" in page and "4.2 s" in page and "–" in page
    assert "unreliable" not in page


def test_low_judge_accuracy_warns():
    run, results = fake_run(accuracy=0.6)
    page = render_report(run, results, DOCS)
    assert "60%" in page and "unreliable" in page and 'class="warn"' in page


if __name__ == "__main__":  # write a sample page for eyeballing: python tests/test_html_report.py /tmp/x.html
    out = Path(sys.argv[1] if len(sys.argv) > 1 else "/tmp/report_sample.html")
    out.write_text(render_report(*fake_run(), DOCS), encoding="utf-8")
    print(out)


def test_citations_are_folded_for_passing_cases_and_open_for_failures():
    from assistant.evaluate.html import _case_row

    docs = {"d": "The quote sits here."}
    answer = {"answer": "It sits [1].", "citations": [{"id": 1, "doc_id": "d", "start": 4, "end": 9, "quote": "quote"}]}
    passed = _case_row({"case": {"id": "x"}, "answer": answer, "passed": True}, docs)
    failed = _case_row({"case": {"id": "x"}, "answer": answer, "passed": False, "failures": ["f"]}, docs)
    assert '<details class="evidence">' in passed and "<mark>quote</mark>" in passed
    assert '<details class="evidence" open>' in failed


def test_ramdocs_metrics_get_columns_and_charts():
    run, results = fake_run()
    ram = {
        "cases": 2,
        "errors": 0,
        "pass_rate": 0.5,
        "em": 0.25,
        "all_gold": 0.5,
        "gold_recall": 0.75,
        "lead_gold": 0.5,
        "wrong_in": 0.5,
        "flagged": 1.0,
        "verbatim": 1.0,
        "cites_gold": 0.5,
        "abstained": 0.0,
        "p50_s": 2.0,
        "max_s": 3.0,
    }
    run["summaries"].append(
        {"suite": "ramdocs", "engine": "storydesk", "config": "2 corpora", "cases": 2, "metrics": ram}
    )
    page = render_report(run, results, DOCS)
    figures = re.findall(r"<figure><h3>([^<]+)</h3><svg", page)
    assert "RAMDocs answers" in figures and "RAMDocs evidence" in figures
    assert ">EM<" in page and "25%" in page and "repeats misinformation" in page
    story_only = render_report(*fake_run(), DOCS)
    assert "RAMDocs" not in story_only


def test_judge_card_shows_balanced_accuracy_per_pair_file_and_warns_on_a_weak_file():
    run, results = fake_run()
    run["judge"] |= {
        "balanced_accuracy": 0.85,
        "threshold": 0.62,
        "fit_pairs": 45,
        "source": "stored (fitted 2026-11-23)",
        "by_file": {
            "calibration.jsonl": {"pairs": 26, "accuracy": 0.9, "balanced_accuracy": 0.9},
            "ramdocs_pairs.jsonl": {"pairs": 21, "accuracy": 0.7, "balanced_accuracy": 0.7},
        },
        "warnings": ["the judge prompt changed since the fit: refit it"],
    }
    page = render_report(run, results, DOCS)
    assert "85%" in page and "balanced accuracy" in page and "held apart from the 45" in page
    assert "ramdocs_pairs.jsonl (balanced)" in page and "70%" in page and "P(yes) ≥ 0.62" in page
    assert "unreliable" in page and "on ramdocs_pairs.jsonl" in page and "the judge prompt changed" in page
    run["judge"]["by_file"]["ramdocs_pairs.jsonl"]["balanced_accuracy"] = 0.8
    run["judge"]["warnings"] = []
    assert "unreliable" not in render_report(run, results, DOCS)
