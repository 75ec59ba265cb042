"""One self-contained HTML page for an eval run: settings, judge calibration, scores, charts, every case.

    html = render_report(run.to_dict(), [r.to_dict() for r in run.results], docs)

The page loads nothing from anywhere: the CSS (report.css, beside this module) is inlined, the
charts are SVG drawn here, and the only script is a one-line "failures only" filter (the page reads
fine without it). Every string that came from a user, a model or an article goes through
``html.escape``. Citations are shown in their paragraph with the quoted span in ``<mark>``; one
whose offsets don't reproduce its quote is flagged NOT VERBATIM and shown with no context, since
there is none to trust. The score table's columns and the charts come from metrics.METRICS.
"""

from __future__ import annotations

import functools
import math
from html import escape
from importlib import resources
from typing import Any, Sequence

from ..text import MARKER as _MARKER
from ..text import paragraph_bounds
from .checks import citation_ok
from .metrics import FAMILIES, METRICS, Metric

__all__ = ["render_report"]

JUDGE_OK = 0.8
_CONTEXT_REACH = 220  # characters of a quote's paragraph shown on either side of it
COLOURS = ("#3b6fb6", "#e07b22", "#3f9a4c", "#c8413f", "#7a5cb0", "#2a9d9a")
_CHART_STYLE = (
    "<style>.l{font:13px system-ui,sans-serif;fill:#1d2330}.t{font:11px system-ui,sans-serif;fill:#5d6677}"
    ".v{font:12px system-ui,sans-serif;fill:#1d2330}</style>"
)


@functools.cache
def _css() -> str:
    """The page's stylesheet (report.css, shipped beside this module)."""
    return resources.files(__package__).joinpath("report.css").read_text(encoding="utf-8")


def render_report(
    run: dict,
    results: list[dict],
    docs: dict[str, str],
    case_docs: dict[tuple, dict] | None = None,
    metrics: Sequence[Metric] = METRICS,
) -> str:
    """The whole report for ``run`` (EvalRun.to_dict()), its case ``results`` and the article texts:
    ``case_docs[(suite, case id)]`` for a case answered from its own corpus, else ``docs``."""
    summaries = run.get("summaries") or []
    sections = _sections(summaries, results)
    shown = [m for m in metrics if m.in_report]
    body = [_header(run), _scores(summaries, sections, shown), _charts(summaries, shown)]
    body.append(_cases(sections, docs, case_docs or {}))
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width,initial-scale=1">'
        f"<title>Storydesk eval report</title><style>\n{_css()}</style></head>"
        f"<body><main>{''.join(body)}</main></body></html>\n"
    )


# ---- formatting ---------------------------------------------------------------------------------


def _fmt(kind: str, value: Any) -> str:
    """A value of a metric of ``kind`` (metrics.KINDS), as the page shows it."""
    if value is None:
        return "–"
    if kind == "count":
        return str(value)
    if kind == "seconds":
        return f"{value:.1f} s"
    return _pct(value)


def _pct(value: float) -> str:
    return f"{value * 100:.1f}".rstrip("0").rstrip(".") + "%"


def _th(m: Metric) -> str:
    return (m.short or escape(m.label)) + ("&nbsp;↓" if m.lower_is_better else "")


def _series_name(summary: dict, many_suites: bool) -> str:
    return f"{summary['engine']} · {summary['suite']}" if many_suites else summary["engine"]


# ---- header, judge, headline table --------------------------------------------------------------


def _header(run: dict) -> str:
    s = run.get("settings") or {}
    calls = run.get("judge_calls") or {}
    judge = s.get("judge") or "none"
    if s.get("judge_threshold") is not None:
        judge += f" (supported at P(yes) ≥ {s['judge_threshold']:g})"
    rows = [
        ("engines", ", ".join(s.get("engines") or [])),
        ("suites", ", ".join(s.get("suites") or [])),
        ("split", s.get("split") or "all"),
        ("model", s.get("model") or "–"),
        ("judge", judge),
        ("output", run.get("out_dir") or "–"),
    ]
    if calls:
        skipped = calls.get("skipped_verbatim", 0) + calls.get("skipped_no_citation", 0)
        rows.append(
            (
                "judge calls",
                f"{calls.get('model_calls', 0)} to the model, {calls.get('reused', 0)} reused, "
                f"{skipped} decided without it",
            )
        )
    dl = "".join(f'<dt>{k}</dt><dd class="mono">{escape(str(v))}</dd>' for k, v in rows)
    return (
        f'<h1>Storydesk eval report</h1><div class="muted">Gold suites answered by each engine, scored '
        f"deterministically{' and by the judge' if run.get('judge') else ''}.</div>"
        f'<div class="cards"><div class="card"><h3>Run settings</h3><dl>{dl}</dl></div>'
        f"{_judge(run.get('judge'))}</div>"
    )


def _judge(judge: dict | None) -> str:
    if not judge:
        return (
            '<div class="card"><h3>Judge calibration</h3><div class="big">not judged</div>'
            '<div class="muted">No judge ran: citation recall and precision are absent.</div></div>'
        )
    balanced = judge.get("balanced_accuracy")
    head = balanced if balanced is not None else (judge.get("accuracy") or 0.0)
    files = {k: v.get("balanced_accuracy") for k, v in (judge.get("by_file") or {}).items()}
    low = [name for name, v in files.items() if v is not None and v < JUDGE_OK]
    rows = [("accuracy", _pct(judge.get("accuracy") or 0.0))] if balanced is not None else []
    rows += [(f"{name} (balanced)", "–" if v is None else _pct(v)) for name, v in files.items()]
    rows += [(str(k), _pct(v)) for k, v in (judge.get("by_label") or {}).items()]
    if judge.get("threshold") is not None:
        rows.append(("threshold", f"P(yes) ≥ {judge['threshold']:g}"))
    labels = "".join(f"<dt>{escape(k)}</dt><dd>{escape(v)}</dd>" for k, v in rows)
    what = "balanced accuracy" if balanced is not None else "accuracy"
    fitted = int(judge.get("fit_pairs") or 0)
    held = f" held apart from the {fitted} the threshold was fitted on" if fitted else ""
    source = f"; {escape(judge['source'])}" if judge.get("source") else ""
    warn = ""
    if head < JUDGE_OK or low:
        where = f" (on {', '.join(low)})" if low and head >= JUDGE_OK else ""
        warn = (
            f'<div class="warn">⚠ Judge calibration is below {_pct(JUDGE_OK)}{escape(where)}: the judged '
            "scores (citation recall / precision, unsupported-sentence failures) are unreliable.</div>"
        )
    warn += "".join(f'<div class="warn">⚠ {escape(str(w))}</div>' for w in judge.get("warnings") or [])
    return (
        f'<div class="card"><h3>Judge calibration</h3><div class="big">{_pct(head)}</div>'
        f'<div class="muted">{what} of <span class="mono">{escape(str(judge.get("judge", "")))}</span> '
        f"on {int(judge.get('pairs') or 0)} labelled pairs{held}{source}</div>"
        f'<dl style="margin-top:8px">{labels}</dl>{warn}</div>'
    )


def _scores(summaries: list[dict], sections: list[tuple], metrics: list[Metric]) -> str:
    cols = [m for m in metrics if any(m.name in (s.get("metrics") or {}) for s in summaries)]
    anchors = {(e, s): i for i, (e, s, _) in enumerate(sections)}
    head = '<th>engine · suite</th><th class="num">cases</th>'
    head += "".join(f'<th class="num">{_th(m)}</th>' for m in cols)
    rows = []
    for s in summaries:
        values, i = s.get("metrics") or {}, anchors.get((s["engine"], s["suite"]))
        name = f'<a href="#sec-{i}">{escape(s["engine"])}</a>' if i is not None else escape(s["engine"])
        cells = "".join(f'<td class="num">{_fmt(m.kind, values.get(m.name))}</td>' for m in cols)
        rows.append(
            f'<tr><td class="mono"><span style="white-space:nowrap">{name}</span>'
            f'<div class="muted">{escape(s["suite"])}</div></td>'
            f'<td class="num">{s.get("cases", "–")}</td>{cells}</tr>'
        )
    return (
        f'<h2>Scores</h2><div class="wide"><table class="scores"><thead><tr>{head}</tr></thead>'
        f"<tbody>{''.join(rows)}</tbody></table></div>"
        '<p class="muted">↓ lower is better. Rates are shares of cases (or citations); '
        "– means the suite has no case it applies to.</p>"
    )


# ---- charts -------------------------------------------------------------------------------------


def _charts(summaries: list[dict], metrics: list[Metric]) -> str:
    many = len({s["suite"] for s in summaries}) > 1
    series = [(_series_name(s, many), s.get("metrics") or {}) for s in summaries]
    figs = []
    for title in FAMILIES:
        family = [m for m in metrics if m.family == title]
        if not any(values.get(m.name) is not None for _, values in series for m in family):
            continue
        figs.append(f"<figure><h3>{escape(title)}</h3>{_bar_chart(title, family, series)}</figure>")
    return f'<h2>Charts</h2><div class="charts">{"".join(figs)}</div>' if figs else ""


def _bar_chart(title: str, family: list[Metric], series: list[tuple[str, dict]]) -> str:
    """Horizontal bars, one group per metric, one bar per series; rates on 0–100 %, seconds up to the max."""
    seconds = all(m.kind == "seconds" for m in family)
    top = _nice(max([values.get(m.name) or 0 for _, values in series for m in family] + [0])) if seconds else 1.0
    W, X0, BW, BH, GAP = 520, 150, 300, 16, 14
    legend, y = _legend(series, W)
    y += 22
    ticks = [(f"{top * f:g} s" if seconds else f"{int(f * 100)}%", X0 + BW * f) for f in (0, 0.25, 0.5, 0.75, 1)]
    parts = [f'<text x="{x:.0f}" y="{y - 6}" class="t" text-anchor="middle">{t}</text>' for t, x in ticks]
    grid_top = y
    for metric in family:
        group_h = len(series) * (BH + 3) - 3
        lines = [metric.label] + (["(lower is better)"] if metric.lower_is_better else [])
        ly = y + group_h / 2 - (len(lines) - 1) * 7 + 4
        parts += [
            f'<text x="{X0 - 8}" y="{ly + 14 * n:.0f}" text-anchor="end" class="{"l" if n == 0 else "t"}">'
            f"{escape(t)}</text>"
            for n, t in enumerate(lines)
        ]
        for i, (_, values) in enumerate(series):
            v = values.get(metric.name)
            w = 0 if v is None else max(0.0, min(1.0, v / top)) * BW
            by = y + i * (BH + 3)
            parts.append(
                f'<rect x="{X0}" y="{by}" width="{w:.1f}" height="{BH}" rx="2" fill="{COLOURS[i % len(COLOURS)]}"/>'
                f'<text x="{X0 + w + 5:.1f}" y="{by + BH - 4}" class="v">{_fmt(metric.kind, v)}</text>'
            )
        y += group_h + GAP
    grid = "".join(
        f'<line x1="{x:.0f}" x2="{x:.0f}" y1="{grid_top - 2}" y2="{y - GAP + 4}" stroke="#e3e7ee"/>' for _, x in ticks
    )
    return (
        f'<svg viewBox="0 0 {W} {y}" role="img" aria-label="{escape(title)}">'
        f"{_CHART_STYLE}{legend}{grid}{''.join(parts)}</svg>"
    )


def _nice(top: float) -> float:
    """The smallest 'round' number (1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6, 8 × 10^k) at or above ``top``, for the
    seconds axis."""
    if top <= 0:
        return 1.0
    scale = 10 ** math.floor(math.log10(top))
    return next(round(m * scale, 10) for m in (1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10) if m * scale >= top)


def _legend(series: list[tuple[str, dict]], width: int) -> tuple[str, int]:
    out, x, y = [], 0, 4
    for i, (name, _) in enumerate(series):
        w = 22 + 7 * len(name) + 16
        if x and x + w > width:
            x, y = 0, y + 20
        out.append(
            f'<g class="legend"><rect x="{x}" y="{y}" width="12" height="12" rx="2" '
            f'fill="{COLOURS[i % len(COLOURS)]}"/>'
            f'<text x="{x + 17}" y="{y + 11}" class="l">{escape(name)}</text></g>'
        )
        x += w
    return "".join(out), y + 14


# ---- per-case tables ----------------------------------------------------------------------------


def _sections(summaries: list[dict], results: list[dict]) -> list[tuple[str, str, list[dict]]]:
    order = [(s["engine"], s["suite"]) for s in summaries]
    order += [k for k in dict.fromkeys((r["engine"], r["suite"]) for r in results) if k not in order]
    grouped = [(e, s, [r for r in results if r["engine"] == e and r["suite"] == s]) for e, s in order]
    return [(e, s, sorted(rs, key=lambda r: bool(r.get("passed")))) for e, s, rs in grouped if rs]


def _cases(sections: list[tuple], docs: dict[str, str], case_docs: dict[tuple, dict]) -> str:
    if not sections:
        return ""
    toggle = (
        '<label class="filter"><input type="checkbox" '
        "onchange=\"document.body.classList.toggle('failonly',this.checked)\"> show failures only</label>"
    )
    out = [f'<h2>Cases</h2><p class="muted">Failed cases come first in each table.</p>{toggle}']
    for i, (engine, suite, rows) in enumerate(sections):
        failed = sum(not r.get("passed") for r in rows)
        out.append(
            f'<h3 id="sec-{i}" style="margin-top:24px"><span class="mono">{escape(engine)}</span> on '
            f'<span class="mono">{escape(suite)}</span> '
            f'<span class="muted">— {len(rows)} cases, {failed} failed</span></h3>'
            '<table class="cases"><colgroup><col style="width:13%"><col style="width:8%"><col style="width:7%">'
            '<col style="width:20%"><col></colgroup><thead><tr><th>id</th><th>kind</th><th>result</th><th>question</th>'
            "<th>answer, failures and evidence</th></tr></thead><tbody>"
            + "".join(_case_row(r, case_docs.get((suite, (r.get("case") or {}).get("id")), docs)) for r in rows)
            + "</tbody></table>"
        )
    return "".join(out)


def _case_row(r: dict, docs: dict[str, str]) -> str:
    case, answer = r.get("case") or {}, r.get("answer") or {}
    verdict = "PASS" if r.get("passed") else "FAIL"
    text = _MARKER.sub(r'<span class="mk">[\1]</span>', escape(answer.get("answer") or "(no answer)"))
    fails = "".join(f"<li>{escape(str(f))}</li>" for f in r.get("failures") or [])
    stance = case.get("kind") == "stance"  # a sentence labelled, not a question answered: stances.py
    detail = (
        (_stance(case, answer, docs) if stance else f'<p class="answer">{text}</p>')
        + _gold(case)
        + (f'<ul class="failures">{fails}</ul>' if fails else "")
        + _evidence(answer, docs, open_=not r.get("passed"))
        + "".join(_conflict(cf) for cf in answer.get("conflicts") or [])
        + _support(r.get("support"))
    )
    seconds = r.get("seconds")
    return (
        f'<tr class="{"passed" if r.get("passed") else "failed"}">'
        f'<td class="id mono">{escape(str(case.get("id", "")))}</td>'
        f'<td>{escape(str(case.get("kind", "")))}</td><td><span class="badge {verdict}">{verdict}</span>'
        f'<div class="muted">{_fmt("seconds", seconds)}</div></td>'
        f'<td class="q">{escape(str(case.get("text" if stance else "question", "")))}</td>'
        f"<td>{detail}</td></tr>"
    )


def _stance(case: dict, answer: dict, docs: dict[str, str]) -> str:
    """A stance case: the label given beside the gold one, and the sentence in its paragraph."""
    got, gold = escape(str(answer.get("stance") or "none")), escape(str(case.get("stance")))
    note = f' <span class="muted">({escape(str(case["note"]))})</span>' if case.get("note") else ""
    where = {"id": case.get("sentence"), "doc_id": case.get("doc_id"), "quote": case.get("text")}
    where.update(start=case.get("start"), end=case.get("end"))
    return f'<p class="answer">labelled <b>{got}</b> · gold <b>{gold}</b>{note}</p>{_citation(where, docs)}'


def _gold(case: dict) -> str:
    """A RAMDocs case's gold and wrong answers, so a reader can check the verdict at a glance."""
    if "gold_answers" not in case:
        return ""
    wrong = ", ".join(escape(str(w)) for w in case.get("wrong_answers") or []) or "–"
    gold = ", ".join(escape(str(g)) for g in case["gold_answers"])
    return f'<div class="muted" style="font-size:12.5px">gold: {gold} · misinformation: {wrong}</div>'


def _evidence(answer: dict, docs: dict[str, str], open_: bool) -> str:
    """Citations in context, folded away for passing cases so the table stays readable."""
    citations = answer.get("citations") or []
    if not citations:
        return ""
    label = f"{len(citations)} citation{'s' if len(citations) != 1 else ''} in context"
    return (
        f'<details class="evidence"{" open" if open_ else ""}><summary>{label}</summary>'
        + "".join(_citation(c, docs) for c in citations)
        + "</details>"
    )


def _citation(c: dict, docs: dict[str, str]) -> str:
    head = f'<span class="mono">[{escape(str(c.get("id")))}] {escape(str(c.get("doc_id")))}</span>'
    if not citation_ok(c, docs):
        where = f"{c.get('start')}–{c.get('end')}"
        return (
            f'<div class="cit">{head} <span class="bad">NOT VERBATIM</span> <span class="muted">'
            f"(offsets {escape(where)})</span>"
            f'<div class="ctx">claimed: “{escape(str(c.get("quote") or ""))}”</div></div>'
        )
    text, start, end = docs[c["doc_id"]], c["start"], c["end"]
    p0, p1 = paragraph_bounds(text, start, end, reach=_CONTEXT_REACH)
    before = ("…" if p0 > 0 and text[p0 - 1] != "\n" else "") + escape(text[p0:start])
    after = escape(text[end:p1]) + ("…" if p1 < len(text) and text[p1] != "\n" else "")
    ctx = f"{before}<mark>{escape(text[start:end])}</mark>{after}"
    return f'<div class="cit">{head}<div class="ctx">{ctx}</div></div>'


def _conflict(cf: dict) -> str:
    rows = "".join(
        f"<tr><td>{escape(str(p.get('claim', '')))}</td>"
        f'<td class="mono">{" ".join(f"[{escape(str(i))}]" for i in p.get("citations") or [])}</td></tr>'
        for p in cf.get("positions") or []
    )
    return (
        f'<table class="conf"><caption>disagreement: {escape(str(cf.get("topic", "")))}</caption>'
        f"<thead><tr><th>claim</th><th>citations</th></tr></thead><tbody>{rows}</tbody></table>"
    )


def _support(s: dict | None) -> str:
    if not s or not s.get("statements"):
        return ""
    return (
        f'<div class="muted" style="font-size:12.5px;margin-top:6px">'
        f"judged: {s['supported']}/{s['statements']} statements "
        f"supported, {s.get('precise', 0)}/{s.get('citations', 0)} citations precise</div>"
    )
