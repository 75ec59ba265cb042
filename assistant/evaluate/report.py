"""Write a run's outputs (summary.json, report.html) and compare two runs.

results.jsonl is written case by case by the runner; this module only reads it back. The one-line
summary and the comparison show the headline metrics of metrics.METRICS, in its order.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Sequence

from .metrics import METRICS, Metric
from .types import EvalRun

__all__ = ["write_reports", "compare_runs", "format_summary"]


def write_reports(run: EvalRun, case_docs: dict[tuple[str, str], dict[str, str]]) -> None:
    """summary.json and report.html; ``case_docs`` maps (suite, case id) to the texts of the case's corpus."""
    from .html import render_report

    out = Path(run.out_dir)
    (out / "summary.json").write_text(json.dumps(run.to_dict(), indent=1, ensure_ascii=False), encoding="utf-8")
    html = render_report(run.to_dict(), [r.to_dict() for r in run.results], {}, case_docs)
    (out / "report.html").write_text(html, encoding="utf-8")


def format_summary(run: EvalRun, metrics: Sequence[Metric] = METRICS) -> str:
    """One line per (engine, suite): the headline metrics, as JSON; then the judge's calibration and calls."""
    lines = []
    for s in run.summaries:
        shown = {m.name: s.metrics[m.name] for m in metrics if m.headline and m.name in s.metrics}
        lines.append(json.dumps({"engine": s.engine, "suite": s.suite, "cases": s.cases, **shown}))
    if run.judge:
        j = run.judge
        lines.append(
            json.dumps(
                {
                    "judge": j.judge,
                    "threshold": j.threshold,
                    "calibration": j.source,
                    "report_pairs": j.pairs,
                    "fit_pairs": j.fit_pairs,
                    "judge_accuracy": j.accuracy,
                    "judge_balanced_accuracy": j.balanced_accuracy,
                    "by_label": j.by_label,
                    "by_file": {k: v.get("balanced_accuracy") for k, v in j.by_file.items()},
                }
            )
        )
    if run.judge_calls:
        lines.append(json.dumps({"judge_calls": run.judge_calls}))
    return "\n".join(lines)


def _load(run_dir: Path) -> tuple[dict[str, Any], dict[tuple, dict]]:
    summary_path = run_dir / "summary.json"
    if not summary_path.is_file():
        raise FileNotFoundError(f"no summary.json in {run_dir}")
    summary = json.loads(summary_path.read_text(encoding="utf-8"))
    cases: dict[tuple, dict] = {}
    results_path = run_dir / "results.jsonl"
    if results_path.is_file():
        for line in results_path.read_text(encoding="utf-8").splitlines():
            try:
                r = json.loads(line)
            except json.JSONDecodeError:
                continue
            cases[(r["engine"], r["suite"], r["case"]["id"])] = r
    return summary, cases


def compare_runs(a: str | Path, b: str | Path, metrics: Sequence[Metric] = METRICS) -> str:
    """Per-metric deltas (B - A) for each (engine, suite) both runs have, and the cases that flipped."""
    (sa, ca), (sb, cb) = _load(Path(a)), _load(Path(b))
    index_a = {(s["engine"], s["suite"]): s["metrics"] for s in sa["summaries"]}
    headline = [m for m in metrics if m.headline]
    out = []
    for s in sb["summaries"]:
        key = (s["engine"], s["suite"])
        if key not in index_a:
            continue
        out.append(f"{key[0]} / {key[1]}")
        out.append(f"  {'metric':<22}{'A':>9}{'B':>9}{'delta':>9}")
        for m in headline:
            va, vb = index_a[key].get(m.name), s["metrics"].get(m.name)
            if va is None and vb is None:
                continue
            delta = f"{vb - va:+.3f}" if isinstance(va, (int, float)) and isinstance(vb, (int, float)) else "n/a"
            out.append(f"  {m.name:<22}{_fmt(va):>9}{_fmt(vb):>9}{delta:>9}")
    flips = [
        (k, ca[k]["passed"], cb[k]["passed"]) for k in sorted(set(ca) & set(cb)) if ca[k]["passed"] != cb[k]["passed"]
    ]
    out.append(f"cases that flipped: {len(flips)}")
    for (engine, suite, case_id), _before, after in flips:
        out.append(
            f"  {'FIXED ' if after else 'BROKEN'} {engine}/{suite}/{case_id}"
            + ("" if after else f": {'; '.join(cb[(engine, suite, case_id)]['failures'][:2])}")
        )
    return "\n".join(out)


def _fmt(v: Any) -> str:
    """A value as stored, to 3 decimals (not the report's percentages), so the deltas read against it."""
    return "–" if v is None else (f"{v:.3f}" if isinstance(v, float) else str(v))
