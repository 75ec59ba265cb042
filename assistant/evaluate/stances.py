"""Stance suites (kind "stance"): the fact-or-opinion gold labels of eval/stance/, scored sentence by sentence.

A suite line ``{"kind": "stance", "labels": "../stance/seed.jsonl", "corpus": "../../assistant/data/corpus",
"split": "tune"}`` stands for every labelled sentence of its ``labels`` file (records as eval/stance/README.md
gives them; both paths relative to the suite file). The labels carry no split of their own (validate.py
allows no extra field), so the suite line gives it to all of them. Each ``reported`` or ``opinion``
sentence becomes one case; ``headline`` records are not scored and make no case. A case is answered by
``assistant.stance.stance_of`` with the run's backend and ``settings.stance`` and passes when the
predicted stance is the gold one; the suite metrics (accuracy, opinion precision and recall, reported
recall, the confusion counts) are the "stance" rows of metrics.METRICS.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ..api import Assistant
from ..errors import StorydeskError
from ..stance import OPINION, REPORTED, stance_of
from ..text import jsonl_records

__all__ = ["KIND", "LABELS", "REQUIRED_STANCE", "is_stance", "expand", "classify", "score_stance"]

KIND = "stance"
LABELS = (REPORTED, OPINION)  # the labels scored; "headline" records are skipped
REQUIRED_STANCE = ("kind", "labels", "corpus")  # a suite line of kind "stance"
_RECORD = ("doc_id", "sentence", "start", "end", "text", "stance")  # what a label record must give


def is_stance(case: dict) -> bool:
    return case.get("kind") == KIND


def expand(line: dict, path: Path, n: int) -> list[dict]:
    """The cases a stance suite line (line ``n`` of suite ``path``) stands for: one per scored sentence."""
    labels = path.resolve().parent / str(line["labels"])
    if not labels.is_file():
        raise StorydeskError(f"{path}:{n}: stance labels not found: {labels}")
    cases = []
    for m, rec in jsonl_records(labels):
        missing = [k for k in _RECORD if k not in rec]
        if missing:
            raise StorydeskError(f"{labels}:{m}: record lacks {', '.join(missing)}")
        if rec["stance"] not in LABELS + ("headline",):
            raise StorydeskError(f"{labels}:{m}: unknown stance {rec['stance']!r}")
        if rec["stance"] == "headline":
            continue  # neither label: not scored
        cases.append(
            {
                "id": f"{rec.get('corpus') or labels.stem}/{rec['doc_id']}#{rec['sentence']}",
                "kind": KIND,
                "split": line.get("split") or "tune",
                "corpus": line["corpus"],
                **{k: rec[k] for k in _RECORD},
                "note": rec.get("note") or "",
            }
        )
    return cases


def classify(case: dict, assistant: Assistant, verdicts: dict[str, str]) -> dict[str, Any]:
    """The "answer" to a stance case: the stance ``stance_of`` gives its sentence."""
    backend, settings = assistant.backend, assistant.settings.stance
    return {"sentence": case["text"], "stance": stance_of(case["text"], backend, settings, verdicts)}


def score_stance(case: dict, answer: dict, seconds: float = 0.0) -> tuple[dict[str, Any], list[str], bool]:
    """(metrics, failures in words, passed) for one sentence: passed when the predicted stance is the gold one."""
    gold, predicted = case["stance"], answer.get("stance")
    correct = predicted == gold
    m = {"stance_gold": gold, "stance_predicted": predicted, "stance_correct": correct, "seconds": round(seconds, 2)}
    note = f" ({case['note']})" if case.get("note") else ""
    failures = [] if correct else [f"labelled {predicted or 'nothing'}, gold {gold}{note}"]
    return m, failures, correct
