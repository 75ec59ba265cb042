"""RAMDocs cases (kind "ramdocs"), scored with exactly the definitions of ../shared/eval/ramdocs_grade.py.

RAMDocs (Wang et al. 2025, arXiv 2504.13079, MIT licence): a question, its own 2-12 documents
(correct, misinformation, noise) and 1-3 gold answers (one per entity sharing a name). Per case:
em, all_gold, gold_recall, lead_gold, wrong_in, conflict, verbatim, cites_gold, answerable; over a
suite (the RAMDocs entries of metrics.METRICS): the same means, plus flagged (of answers holding a
wrong answer, the share that report a conflict) and abstained. A case passes when every gold answer
is there, a gold answer comes before any wrong one, and every citation is verbatim.
"""

from __future__ import annotations

import re
import string
from typing import Any

__all__ = ["norm", "holds", "score_ramdocs"]

_PUNCT = set(string.punctuation)


def norm(s: str) -> str:
    s = s.lower()
    s = "".join(ch if ch not in _PUNCT else " " for ch in s)
    s = re.sub(r"\b(a|an|the)\b", " ", s)
    return " ".join(s.split())


def holds(text: str, ans: str) -> bool:
    a = norm(ans)
    return bool(a) and re.search(r"(^| )" + re.escape(a) + r"( |$)", norm(text)) is not None


def _first(answers: list[str], text: str) -> int | None:
    pos = [m.start() for a in answers for m in [re.search(r"(^| )" + re.escape(norm(a)) + r"( |$)", norm(text))] if m]
    return min(pos) if pos else None


def _verbatim(c: dict, docs: dict[str, dict]) -> bool:
    try:
        return docs.get(c["doc_id"]) is not None and docs[c["doc_id"]]["text"][c["start"] : c["end"]] == c["quote"]
    except (KeyError, TypeError):
        return False  # a citation the grader would crash on is not verbatim


def score_ramdocs(case: dict, answer: dict, seconds: float = 0.0) -> tuple[dict[str, Any], list[str], bool]:
    """(metrics, failures in words, passed) for one answer to a RAMDocs case (ramdocs_grade.run_case)."""
    docs = {f"doc{i:02d}": doc for i, doc in enumerate(case["documents"])}
    text = answer.get("answer") or ""
    gold = case["gold_answers"]
    wrong = [w for w in set(case["wrong_answers"]) if not any(norm(w) == norm(g) for g in gold)]
    found = [g for g in gold if holds(text, g)]
    wrong_in = [w for w in wrong if holds(text, w)]
    g0, w0 = _first(found, text), _first(wrong_in, text)
    citations = answer.get("citations") or []
    ok = [_verbatim(c, docs) for c in citations]
    cited_answers = {norm(docs[c["doc_id"]].get("answer") or "") for c in citations if c.get("doc_id") in docs}
    m: dict[str, Any] = {
        "em": len(found) == len(gold) and not wrong_in,
        "all_gold": len(found) == len(gold),
        "gold_recall": len(found) / len(gold) if gold else 0.0,
        "lead_gold": g0 is not None and (w0 is None or g0 < w0),
        "wrong_in": bool(wrong_in),
        "conflict": bool(answer.get("conflicts")),
        "verbatim": all(ok),
        "cites_gold": all(norm(g) in cited_answers for g in found) if found else None,
        "answerable": answer.get("answerable"),
        "n_citations": len(citations),
        "seconds": round(seconds, 2),
    }
    failures = [
        f"citation [{c.get('id')}] is not verbatim ({c.get('doc_id')} {c.get('start')}-{c.get('end')})"
        for c, good in zip(citations, ok)
        if not good
    ]
    failures += [f"missing gold answer: {g!r}" for g in gold if g not in found]
    if found and not m["lead_gold"]:
        wrong_ones = ", ".join(repr(w) for w in sorted(wrong_in))
        failures.append(f"a wrong answer ({wrong_ones}) comes before every gold answer")
    if answer.get("answerable") is False:
        failures.append("said the documents do not answer")
    return m, failures, bool(m["all_gold"] and m["lead_gold"] and m["verbatim"])
