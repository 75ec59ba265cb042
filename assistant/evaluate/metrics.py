"""Deterministic checks of one answer against one gold case, and their suite-level aggregates.

Same definitions as the shared grader (../shared/eval/grade.py), plus the checks it leaves out:
every [n] marker resolves, every citation is referenced, offsets are in range, corroborated
answers that invent a disagreement. Each failed check is also named in words for the report.
RAMDocs cases are scored by ramdocs.py (ramdocs_grade.py's definitions); ``score`` picks.
"""

from __future__ import annotations

import statistics
from typing import Any, Iterable

from ..text import MARKER as _MARKER
from .ramdocs import RAMDOCS_HEADLINE, aggregate_ramdocs, score_ramdocs

__all__ = ["score", "score_case", "aggregate", "citation_ok", "HEADLINE", "RAMDOCS_HEADLINE"]

HEADLINE = (
    "pass_rate",
    "verbatim_rate",
    "citation_validity",
    "keypoint_rate",
    "doc_recall",
    "span_recall",
    "conflict_recall",
    "conflict_false_alarm",
    "abstention_acc",
    "fabrications",
    "p50_s",
)


def _overlaps(a0: int, a1: int, b0: int, b1: int) -> bool:
    return max(a0, b0) < min(a1, b1)


def citation_ok(c: dict, docs: dict[str, str]) -> bool:
    """The citation's quote is its article's text at its offsets."""
    text = docs.get(c.get("doc_id"))
    start, end = c.get("start"), c.get("end")
    return (
        text is not None
        and isinstance(start, int)
        and isinstance(end, int)
        and 0 <= start < end <= len(text)
        and bool(c.get("quote"))
        and text[start:end] == c["quote"]
    )


def _claims_text(answer: dict) -> str:
    conflicts = answer.get("conflicts") or []
    return (
        (answer.get("answer") or "")
        + " "
        + " ".join(p.get("claim", "") for cf in conflicts for p in cf.get("positions", []))
    )


def _conflict_found(case: dict, answer: dict, by_id: dict) -> bool:
    sides = [set(s) for s in case.get("sides", [])]
    for cf in answer.get("conflicts") or []:
        touched = []
        for p in cf.get("positions", []):
            pdocs = {by_id[i]["doc_id"] for i in p.get("citations", []) if i in by_id}
            touched.append({k for k, s in enumerate(sides) if pdocs & s})
        if len(set().union(*touched) if touched else set()) >= 2 and sum(1 for t in touched if t) >= 2:
            return True
    return False


def score_case(
    case: dict, answer: dict, docs: dict[str, str], seconds: float = 0.0
) -> tuple[dict[str, Any], list[str], bool]:
    """(metrics, failures in words, passed) for one answer."""
    cits = answer.get("citations") or []
    by_id = {c.get("id"): c for c in cits}
    ok = [citation_ok(c, docs) for c in cits]
    text = answer.get("answer") or ""
    markers = {int(m) for m in _MARKER.findall(text)}
    referenced = markers | {
        i for cf in answer.get("conflicts") or [] for p in cf.get("positions", []) for i in p.get("citations", [])
    }
    m: dict[str, Any] = {"n_citations": len(cits), "verbatim": sum(ok), "seconds": round(seconds, 2)}
    m["unresolved_markers"] = sorted(i for i in markers if i not in by_id)
    m["unreferenced_citations"] = sorted(c.get("id") for c in cits if c.get("id") not in referenced)
    m["citations_valid"] = all(ok) and not m["unresolved_markers"] and not m["unreferenced_citations"]
    low = _claims_text(answer).lower()
    groups = case.get("must_mention", [])
    missing = [g for g in groups if not any(alt.lower() in low for alt in g)]
    m["keypoints"], m["keypoints_of"] = len(groups) - len(missing), len(groups)
    m["fabricated"] = [s for s in case.get("must_not_mention", []) if s.lower() in low]
    m["answerable_ok"] = bool(answer.get("answerable", True)) == case["answerable"]
    cited_docs = {c.get("doc_id") for c, good in zip(cits, ok) if good}
    gold_docs = set(case.get("docs", []))
    m["doc_recall"] = len(cited_docs & gold_docs) / len(gold_docs) if gold_docs else None
    hits = 0
    for ev in case.get("evidence", []):
        doc = docs.get(ev["doc"], "")
        s = doc.find(ev["quote"])
        hits += any(
            c.get("doc_id") == ev["doc"]
            and good
            and s >= 0
            and _overlaps(c["start"], c["end"], s, s + len(ev["quote"]))
            for c, good in zip(cits, ok)
        )
    m["span_recall"] = hits / len(case["evidence"]) if case.get("evidence") else None
    has_conflict = bool(answer.get("conflicts"))
    if case.get("conflict"):
        m["conflict_found"] = _conflict_found(case, answer, by_id)
    else:
        m["conflict_false_alarm"] = has_conflict and case["kind"] == "single"
        m["spurious_conflict"] = has_conflict and case["answerable"]
    failures = _failures(case, m, cits, ok, missing)
    passed = (
        m["verbatim"] == m["n_citations"]
        and not missing
        and not m["fabricated"]
        and m["answerable_ok"]
        and (not case["answerable"] or (m["doc_recall"] or 0) > 0)
        and m.get("conflict_found", True)
        and not m.get("conflict_false_alarm", False)
    )
    return m, failures, passed


def _failures(case: dict, m: dict, cits: list, ok: list, missing: list) -> list[str]:
    out = [
        f"citation [{c.get('id')}] is not verbatim ({c.get('doc_id')} {c.get('start')}-{c.get('end')})"
        for c, good in zip(cits, ok)
        if not good
    ]
    out += [f"marker [{i}] names no citation" for i in m["unresolved_markers"]]
    out += [f"citation [{i}] is not referenced by the answer" for i in m["unreferenced_citations"]]
    out += ["missing key point: " + " / ".join(repr(a) for a in g) for g in missing]
    out += [f"fabricated: {s!r}" for s in m["fabricated"]]
    if not m["answerable_ok"]:
        out.append(
            "answered a question the articles do not answer"
            if not case["answerable"]
            else "wrongly said the articles do not answer"
        )
    if case["answerable"] and m["answerable_ok"] and not m["doc_recall"]:
        out.append("cites none of the gold articles")
    if m.get("conflict_found") is False:
        out.append(
            "missed the disagreement between "
            + " vs ".join("/".join(d[:3] for d in side) for side in case.get("sides", []))
        )
    if m.get("conflict_false_alarm"):
        out.append("reported a disagreement on a single-source fact")
    return out


def _mean(values: Iterable[float | None]) -> float | None:
    vals = [v for v in values if v is not None]
    return round(statistics.mean(vals), 3) if vals else None


def score(
    case: dict, answer: dict, docs: dict[str, str], seconds: float = 0.0
) -> tuple[dict[str, Any], list[str], bool]:
    """score_case for story cases, score_ramdocs (ramdocs_grade.py's definitions) for RAMDocs cases."""
    if case.get("kind") == "ramdocs":
        return score_ramdocs(case, answer, seconds)
    return score_case(case, answer, docs, seconds)


def aggregate(
    rows: list[dict[str, Any]], passed: list[bool], support: list[dict | None] | None = None
) -> dict[str, Any]:
    """Suite-level metrics from per-case metric dicts: story metrics over story cases, RAMDocs
    metrics over RAMDocs cases, pass rate and latency over all (errors count as failed cases)."""
    n = len(rows)
    ramdocs = [r for r in rows if "all_gold" in r]
    # A case the engine failed on has no answer to measure: it counts as failed in the pass rate, never
    # as an answer with valid citations (a dead endpoint once scored citation validity 1.0).
    good = [r for r in rows if r and "all_gold" not in r and not r.get("engine_error")]
    times = [r["seconds"] for r in rows if r]
    out: dict[str, Any] = {
        "cases": n,
        "errors": sum(bool(r.get("engine_error")) for r in rows),
        "pass_rate": round(sum(passed) / n, 3) if n else None,
    }
    if good or not ramdocs:
        out.update(_story(good))
    if ramdocs:
        out.update(aggregate_ramdocs(ramdocs))
    out["p50_s"] = round(statistics.median(times), 2) if times else None
    out["max_s"] = round(max(times), 2) if times else None
    judged = [s for s in (support or []) if s and s.get("statements")]
    if judged:
        out["citation_recall"] = round(sum(s["supported"] for s in judged) / sum(s["statements"] for s in judged), 3)
        cited = sum(s["citations"] for s in judged)
        out["citation_precision"] = round(sum(s["precise"] for s in judged) / cited, 3) if cited else None
    return out


def _story(good: list[dict[str, Any]]) -> dict[str, Any]:
    ncit = sum(r["n_citations"] for r in good)
    conf = [r for r in good if "conflict_found" in r]
    single = [r for r in good if "conflict_false_alarm" in r and r.get("conflict_false_alarm") is not None]
    return {
        "verbatim_rate": round(sum(r["verbatim"] for r in good) / ncit, 3) if ncit else None,
        "citation_validity": round(sum(r["citations_valid"] for r in good) / len(good), 3) if good else None,
        "keypoint_rate": round(sum(r["keypoints"] for r in good) / max(1, sum(r["keypoints_of"] for r in good)), 3),
        "doc_recall": _mean(r["doc_recall"] for r in good),
        "span_recall": _mean(r["span_recall"] for r in good),
        "conflict_recall": round(sum(r["conflict_found"] for r in conf) / len(conf), 3) if conf else None,
        "conflict_false_alarm": round(sum(r["conflict_false_alarm"] for r in single) / len(single), 3)
        if single
        else None,
        "spurious_conflicts": sum(bool(r.get("spurious_conflict")) for r in good),
        "abstention_acc": round(sum(r["answerable_ok"] for r in good) / len(good), 3) if good else None,
        "fabrications": sum(len(r["fabricated"]) for r in good),
    }
