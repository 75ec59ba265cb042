"""Every metric on hand-made answers: each is shown to fail when it should. And the metric list
(metrics.METRICS) drives the summary, the HTML report, the one-line summary and compare."""

import dataclasses
import html
import json
import re

import pytest

from assistant.evaluate import format_summary
from assistant.evaluate.checks import score, score_case
from assistant.evaluate.html import render_report
from assistant.evaluate.metrics import FAMILIES, METRICS, SCOPES, Metric, aggregate
from assistant.evaluate.report import compare_runs
from assistant.evaluate.types import EvalRun, SuiteSummary

DOCS = {
    "a": "The breach lasted eighteen months. Alibaba denied it.",
    "b": "The breach lasted several months. Officials were alarmed.",
}
CONFLICT = {
    "id": "dur",
    "kind": "conflict",
    "question": "How long?",
    "must_mention": [["eighteen months"], ["several months"]],
    "must_not_mention": ["three years"],
    "evidence": [{"doc": "a", "quote": "lasted eighteen months"}, {"doc": "b", "quote": "lasted several months"}],
    "docs": ["a", "b"],
    "conflict": True,
    "sides": [["a"], ["b"]],
    "answerable": True,
}
UNANSWERABLE = {
    "id": "date",
    "kind": "unanswerable",
    "question": "When?",
    "must_mention": [],
    "must_not_mention": ["January"],
    "evidence": [],
    "docs": [],
    "conflict": False,
    "sides": [],
    "answerable": False,
}
SINGLE = {
    "id": "deny",
    "kind": "single",
    "question": "Who denied it?",
    "must_mention": [["Alibaba"]],
    "must_not_mention": [],
    "evidence": [{"doc": "a", "quote": "Alibaba denied it."}],
    "docs": ["a"],
    "conflict": False,
    "sides": [],
    "answerable": True,
}


def cite(i, doc, quote):
    start = DOCS[doc].find(quote)
    return {"id": i, "doc_id": doc, "start": start, "end": start + len(quote), "quote": quote}


PERFECT = {
    "answer": "The sources disagree. One says “eighteen months” [1]. One says “several months” [2].",
    "answerable": True,
    "citations": [
        cite(1, "a", "The breach lasted eighteen months."),
        cite(2, "b", "The breach lasted several months."),
    ],
    "conflicts": [
        {
            "topic": "how long",
            "positions": [
                {"claim": "eighteen months", "citations": [1]},
                {"claim": "several months", "citations": [2]},
            ],
        }
    ],
}


def test_perfect_answer_passes_every_check():
    m, failures, passed = score_case(CONFLICT, PERFECT, DOCS, 3.2)
    assert passed and failures == []
    assert m["verbatim"] == 2 and m["citations_valid"] and m["keypoints"] == 2 and m["doc_recall"] == 1.0
    assert m["span_recall"] == 1.0 and m["conflict_found"] and m["answerable_ok"] and m["fabricated"] == []


def test_forged_quote_fails_verbatim_and_validity():
    forged = dict(
        PERFECT,
        citations=[dict(PERFECT["citations"][0], quote="The breach lasted three years."), PERFECT["citations"][1]],
    )
    m, failures, passed = score_case(CONFLICT, forged, DOCS)
    assert not passed and m["verbatim"] == 1 and not m["citations_valid"]
    assert any("not verbatim" in f for f in failures)


def test_unresolved_marker_and_unreferenced_citation_fail_validity():
    broken = dict(PERFECT, answer="The sources disagree [7].", conflicts=[])
    m, failures, _ = score_case(CONFLICT, broken, DOCS)
    assert m["unresolved_markers"] == [7] and m["unreferenced_citations"] == [1, 2] and not m["citations_valid"]
    assert any("marker [7]" in f for f in failures)


def test_missed_conflict_fails():
    merged = dict(PERFECT, conflicts=[])
    m, failures, passed = score_case(CONFLICT, merged, DOCS)
    assert not passed and m["conflict_found"] is False and any("missed the disagreement" in f for f in failures)


def test_conflict_whose_positions_cite_one_side_only_is_not_found():
    one_side = dict(
        PERFECT,
        conflicts=[{"topic": "t", "positions": [{"claim": "x", "citations": [1]}, {"claim": "y", "citations": [1]}]}],
    )
    assert score_case(CONFLICT, one_side, DOCS)[0]["conflict_found"] is False


def test_missing_key_point_and_fabrication_fail():
    thin = dict(PERFECT, answer="It lasted three years [1] [2].", conflicts=PERFECT["conflicts"][:0])
    m, failures, passed = score_case(CONFLICT, thin, DOCS)
    assert not passed and m["keypoints"] == 0 and m["fabricated"] == ["three years"]
    assert any("missing key point" in f for f in failures) and any("fabricated" in f for f in failures)


def test_wrong_abstention_fails_both_ways():
    abstain = {"answer": "The articles do not say.", "answerable": False, "citations": [], "conflicts": []}
    m, failures, passed = score_case(CONFLICT, abstain, DOCS)
    assert not passed and not m["answerable_ok"] and any("wrongly said" in f for f in failures)
    m, _, passed = score_case(UNANSWERABLE, abstain, DOCS)
    assert passed and m["answerable_ok"]
    m, failures, passed = score_case(UNANSWERABLE, PERFECT, DOCS)
    assert not passed and any("answered a question" in f for f in failures)


def test_false_alarm_on_a_single_source_fact():
    alarm = {
        "answer": "Disagree: “Alibaba” [1].",
        "answerable": True,
        "citations": [cite(1, "a", "Alibaba denied it.")],
        "conflicts": [{"topic": "t", "positions": [{"claim": "Alibaba", "citations": [1]}]}],
    }
    m, failures, passed = score_case(SINGLE, alarm, DOCS)
    assert m["conflict_false_alarm"] and not passed and any("single-source" in f for f in failures)


def test_aggregate_rates():
    rows, passed = [], []
    for case, answer in [(CONFLICT, PERFECT), (CONFLICT, dict(PERFECT, conflicts=[])), (UNANSWERABLE, PERFECT)]:
        m, _, p = score_case(case, answer, DOCS, 2.0)
        rows.append(m)
        passed.append(p)
    agg = aggregate(rows, passed, [{"statements": 2, "supported": 1, "citations": 2, "precise": 2}, None, None])
    assert (
        agg["pass_rate"] == round(1 / 3, 3)
        and agg["conflict_recall"] == 0.5
        and agg["abstention_acc"] == round(2 / 3, 3)
    )
    assert agg["citation_recall"] == 0.5 and agg["citation_precision"] == 1.0 and agg["p50_s"] == 2.0


# ---- the metric list -----------------------------------------------------------------------------

RAMDOCS = {
    "id": "rd",
    "kind": "ramdocs",
    "question": "Who directed Deadfall?",
    "documents": [{"text": "Deadfall was directed by Christopher Coppola.", "type": "correct", "answer": "CC"}],
    "gold_answers": ["Christopher Coppola"],
    "wrong_answers": ["Bryan Singer"],
}
RAMDOCS_ANSWER = {  # repeats the misinformation, and flags it
    "answer": "Christopher Coppola [1]; one article says Bryan Singer.",
    "citations": [{"id": 1, "doc_id": "doc00", "start": 0, "end": 8, "quote": "Deadfall"}],
    "conflicts": [{"topic": "director", "positions": []}],
}
JUDGED = {"statements": 2, "supported": 1, "citations": 2, "precise": 2}
STANCE = {"id": "s/a#0", "kind": "stance", "doc_id": "a", "text": "Alibaba denied it.", "stance": "reported"}


def every_metric(metrics=METRICS) -> dict:
    """A suite summary with a value for every metric: story, RAMDocs and stance cases, one of them judged."""
    answers = [(CONFLICT, PERFECT), (SINGLE, PERFECT), (RAMDOCS, RAMDOCS_ANSWER), (STANCE, {"stance": "opinion"})]
    answers.append((dict(STANCE, id="s/a#1", stance="opinion"), {"stance": "opinion"}))
    scored = [score(c, a, DOCS, 2.0) for c, a in answers]
    return aggregate([m for m, _, _ in scored], [p for _, _, p in scored], [JUDGED], metrics)


def report_of(metrics_by_engine: dict[str, dict], metrics=METRICS) -> str:
    summaries = [
        {"suite": "s", "engine": e, "config": "c", "cases": 3, "metrics": m} for e, m in metrics_by_engine.items()
    ]
    return render_report({"summaries": summaries}, [], {}, metrics=metrics)


def compared(tmp_path, a: dict, b: dict, metrics=METRICS) -> str:
    for name, values in (("a", a), ("b", b)):
        (tmp_path / name).mkdir()
        summary = {"summaries": [{"suite": "s", "engine": "storydesk", "metrics": values}]}
        (tmp_path / name / "summary.json").write_text(json.dumps(summary), encoding="utf-8")
    return compare_runs(tmp_path / "a", tmp_path / "b", metrics)


def table_headers(page: str) -> list[str]:
    return re.findall(r'<th class="num">(.*?)</th>', page)[1:]  # after "cases"


def chart_labels(page: str, family: str) -> list[str]:
    figure = page.split(f"<figure><h3>{html.escape(family)}</h3>")[1].split("</figure>")[0]
    return re.findall(r'text-anchor="end" class="l">([^<]*)</text>', figure)


def test_the_summary_has_every_metric_in_its_stored_order():
    # summary.json's key order, as it always was: scope by scope, RAMDocs in ramdocs_grade.py's order
    assert list(every_metric()) == [
        "cases", "errors", "pass_rate",
        "verbatim_rate", "citation_validity", "keypoint_rate", "doc_recall", "span_recall", "conflict_recall",
        "conflict_false_alarm", "spurious_conflicts", "abstention_acc", "fabrications",
        "em", "all_gold", "gold_recall", "wrong_in", "lead_gold", "flagged", "verbatim", "cites_gold", "abstained",
        "stance_accuracy", "opinion_precision", "opinion_recall", "reported_recall", "stance_n",
        "opinion_as_opinion", "opinion_as_reported", "reported_as_opinion", "reported_as_reported",
        "p50_s", "max_s",
        "citation_recall", "citation_precision",
    ]  # fmt: skip
    assert set(every_metric()) == {m.name for m in METRICS}


def test_the_report_has_a_column_for_every_reported_metric_and_bars_for_every_charted_one():
    page = report_of({"storydesk": every_metric(), "baseline": every_metric()})
    shown = [m for m in METRICS if m.in_report]
    assert table_headers(page) == [(m.short or m.label) + ("&nbsp;↓" if m.lower_is_better else "") for m in shown]
    for family in FAMILIES:
        assert chart_labels(page, family) == [m.label for m in shown if m.family == family]


def test_compare_and_the_summary_line_show_every_headline_metric(tmp_path):
    values = every_metric()
    rows = [line.split()[0] for line in compared(tmp_path, values, values).splitlines() if line.startswith("  ")]
    assert rows == ["metric"] + [m.name for m in METRICS if m.headline]
    run = EvalRun("out", {}, [SuiteSummary("s", "storydesk", "c", 3, values)], [])
    line = json.loads(format_summary(run))
    assert list(line) == ["engine", "suite", "cases"] + [m.name for m in METRICS if m.headline]


def test_an_added_metric_is_computed_stored_shown_charted_and_compared(tmp_path):
    cited = Metric(
        "cited_share",
        "answers with a citation",
        "Citations",
        lambda c: sum(r["n_citations"] > 0 for r in c.story) / len(c.story),
        short="cited",
    )
    metrics = METRICS + (cited,)
    values = every_metric(metrics)
    keys = list(values)  # stored at the end of its scope
    assert values["cited_share"] == 1.0 and keys.index("cited_share") == keys.index("fabrications") + 1
    page = report_of({"storydesk": values}, metrics)
    assert table_headers(page)[-1] == "cited" and chart_labels(page, "Citations")[-1] == "answers with a citation"
    assert ">100%</text>" in page.split("answers with a citation")[1]
    text = compared(tmp_path, values, dict(values, cited_share=0.5), metrics)
    assert [line.split() for line in text.splitlines()][-2] == ["cited_share", "1.000", "0.500", "-0.500"]
    run = EvalRun("out", {}, [SuiteSummary("s", "storydesk", "c", 3, values)], [])
    assert json.loads(format_summary(run, metrics))["cited_share"] == 1.0
    # ... and none of it without the entry
    assert "cited_share" not in every_metric() and "cited" not in table_headers(report_of({"storydesk": values}))


def test_the_metric_list_is_consistent():
    names = [m.name for m in METRICS]
    assert len(names) == len(set(names))
    assert all(m.stored_after in names for m in METRICS if m.stored_after)
    assert {m.family for m in METRICS} - {None} == set(FAMILIES)  # every chart has a metric
    assert all(m.kind != "count" for m in METRICS if m.family)  # counts share no axis with rates
    assert {m.scope for m in METRICS} == set(SCOPES)
    with pytest.raises(ValueError, match="scope"):
        dataclasses.replace(METRICS[0], scope="everything")
