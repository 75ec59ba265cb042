"""Deterministic checks of one answer against one gold case.

Same definitions as the shared grader (../shared/eval/grade.py), plus the checks it leaves out:
every [n] marker resolves, every citation is referenced, offsets are in range, corroborated
answers that invent a disagreement. Each failed check is also named in words for the report.
RAMDocs cases are scored by ramdocs.py (ramdocs_grade.py's definitions), stance cases by stances.py;
``score`` picks.
The suite metrics built on these per-case values are in metrics.py.
"""

from __future__ import annotations

from typing import Any

from ..text import MARKER as _MARKER
from ..text import quote_matches
from .ramdocs import score_ramdocs
from .stances import is_stance, score_stance

__all__ = ["score", "score_case", "citation_ok"]


def _overlaps(a0: int, a1: int, b0: int, b1: int) -> bool:
    return max(a0, b0) < min(a1, b1)


def citation_ok(c: dict, docs: dict[str, str]) -> bool:
    """The citation's quote is its article's text at its offsets."""
    text = docs.get(c.get("doc_id"))
    return text is not None and quote_matches(text, c.get("start"), c.get("end"), c.get("quote"))


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
    ok = [citation_ok(c, docs) for c in cits]
    m: dict[str, Any] = {"n_citations": len(cits), "verbatim": sum(ok), "seconds": round(seconds, 2)}
    m.update(_references(answer, cits, ok))
    content, missing = _content(case, answer)
    m.update(content)
    m.update(_recall(case, cits, ok, docs))
    m.update(_conflicts(case, answer, cits))
    return m, _failures(case, m, cits, ok, missing), _passed(case, m, missing)


def _references(answer: dict, cits: list, ok: list) -> dict[str, Any]:
    """Every [n] marker names a citation and every citation is referenced (by a marker or a conflict)."""
    by_id = {c.get("id"): c for c in cits}
    markers = {int(m) for m in _MARKER.findall(answer.get("answer") or "")}
    referenced = markers | {
        i for cf in answer.get("conflicts") or [] for p in cf.get("positions", []) for i in p.get("citations", [])
    }
    unresolved = sorted(i for i in markers if i not in by_id)
    unreferenced = sorted(c.get("id") for c in cits if c.get("id") not in referenced)
    return {
        "unresolved_markers": unresolved,
        "unreferenced_citations": unreferenced,
        "citations_valid": all(ok) and not unresolved and not unreferenced,
    }


def _content(case: dict, answer: dict) -> tuple[dict[str, Any], list]:
    """Key points said, fabrications, the right abstention; and the key-point groups missing."""
    low = _claims_text(answer).lower()
    groups = case.get("must_mention", [])
    missing = [g for g in groups if not any(alt.lower() in low for alt in g)]
    return {
        "keypoints": len(groups) - len(missing),
        "keypoints_of": len(groups),
        "fabricated": [s for s in case.get("must_not_mention", []) if s.lower() in low],
        "answerable_ok": bool(answer.get("answerable", True)) == case["answerable"],
    }, missing


def _recall(case: dict, cits: list, ok: list, docs: dict[str, str]) -> dict[str, Any]:
    """Shares of the gold articles, and of the gold evidence spans, that verbatim citations cover."""
    cited_docs = {c.get("doc_id") for c, good in zip(cits, ok) if good}
    gold_docs = set(case.get("docs", []))
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
    return {
        "doc_recall": len(cited_docs & gold_docs) / len(gold_docs) if gold_docs else None,
        "span_recall": hits / len(case["evidence"]) if case.get("evidence") else None,
    }


def _conflicts(case: dict, answer: dict, cits: list) -> dict[str, Any]:
    """A gold disagreement found; or, where there is none, a disagreement reported anyway."""
    has_conflict = bool(answer.get("conflicts"))
    if case.get("conflict"):
        return {"conflict_found": _conflict_found(case, answer, {c.get("id"): c for c in cits})}
    return {
        "conflict_false_alarm": has_conflict and case["kind"] == "single",
        "spurious_conflict": has_conflict and case["answerable"],
    }


def _passed(case: dict, m: dict[str, Any], missing: list) -> bool:
    return (
        m["verbatim"] == m["n_citations"]
        and not missing
        and not m["fabricated"]
        and m["answerable_ok"]
        and (not case["answerable"] or (m["doc_recall"] or 0) > 0)
        and m.get("conflict_found", True)
        and not m.get("conflict_false_alarm", False)
    )


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


def score(
    case: dict, answer: dict, docs: dict[str, str], seconds: float = 0.0
) -> tuple[dict[str, Any], list[str], bool]:
    """score_case for story cases, score_ramdocs (ramdocs_grade.py's definitions) for RAMDocs cases,
    score_stance for stance cases."""
    if case.get("kind") == "ramdocs":
        return score_ramdocs(case, answer, seconds)
    if is_stance(case):
        return score_stance(case, answer, seconds)
    return score_case(case, answer, docs, seconds)
