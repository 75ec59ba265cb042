"""The judge's threshold, fitted on one half of the labelled pairs and reported on the other.

Each pair (eval/judge/*.jsonl: claim, passage, label, supported) falls in the "fit" or the "report"
half by a hash of its id, about 50/50 within each (pair file, label). ``fit_judge`` asks the judge
about every pair once, picks the threshold on P(yes) with the best balanced accuracy on the fit
half (mean of the recall on supported and on unsupported pairs), and reports accuracy, balanced
accuracy and per-label accuracy on the report half only, per pair file and overall. It writes
eval/judge/threshold.json with the judge model's name and the hashes of the pair files and of the
judge prompt. A judged run (``prepare_judge``) uses that threshold and its stored report without
asking the model again; when the model, the pairs or the prompt changed it warns, and re-checks
the report half at the stored threshold so the accuracy it shows is current.

    storydesk eval --calibrate-judge        # or: fit_judge(Judge(backend))
"""

from __future__ import annotations

import datetime
import hashlib
import json
from pathlib import Path
from typing import Any, Sequence

from ..config import prompts_dir
from ..errors import StorydeskError
from .judge import THRESHOLD, Judge
from .types import JudgeCalibration

__all__ = [
    "DEFAULT_JUDGE_DIR",
    "THRESHOLD_FILE",
    "GRID",
    "pair_files",
    "load_pairs",
    "halves",
    "fit_threshold",
    "score_pairs",
    "fit_judge",
    "prepare_judge",
    "calibrate",
]

DEFAULT_JUDGE_DIR = Path(__file__).resolve().parents[2] / "eval" / "judge"
THRESHOLD_FILE = DEFAULT_JUDGE_DIR / "threshold.json"
GRID = tuple(round(0.02 * k, 2) for k in range(1, 50))  # 0.02, 0.04, ... 0.98


def pair_files(paths: Sequence[str | Path] | None = None) -> list[Path]:
    return [Path(p) for p in paths] if paths else sorted(DEFAULT_JUDGE_DIR.glob("*.jsonl"))


def load_pairs(paths: Sequence[str | Path]) -> list[dict]:
    """Every pair of every file, each with ``file`` (the file's name) added."""
    pairs, seen = [], set()
    for path in paths:
        for n, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), 1):
            if line.strip():
                pair = {**json.loads(line), "file": Path(path).name}
                if pair["id"] in seen:
                    raise StorydeskError(f"{path}:{n}: duplicate pair id {pair['id']!r}")
                seen.add(pair["id"])
                pairs.append(pair)
    return pairs


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _fingerprints(paths: Sequence[Path]) -> dict[str, Any]:
    files = {p.name: _sha(p.read_bytes()) for p in paths}
    prompt = prompts_dir() / "judge_entailment.yaml"
    return {
        "pairs_sha256": _sha(json.dumps(files, sort_keys=True).encode("utf-8")),
        "pair_files": files,
        "prompt_sha256": _sha(prompt.read_bytes()) if prompt.is_file() else None,
    }


def halves(pairs: Sequence[dict]) -> dict[str, str]:
    """pair id -> "fit" | "report": within each (file, label), pairs sorted by a hash of their id
    alternate between the halves, starting from a half chosen by a hash of the group."""
    groups: dict[tuple, list[str]] = {}
    for pair in pairs:
        groups.setdefault((pair.get("file", ""), pair["label"]), []).append(pair["id"])
    out = {}
    for group, ids in groups.items():
        start = int(_sha(json.dumps(group).encode("utf-8")), 16) % 2
        for n, pid in enumerate(sorted(ids, key=lambda i: _sha(i.encode("utf-8")))):
            out[pid] = "fit" if (n + start) % 2 == 0 else "report"
    return out


def _balanced(right: list[bool], gold: list[bool]) -> float | None:
    recalls = [
        sum(r for r, g in zip(right, gold) if g == cls) / n
        for cls in (True, False)
        if (n := sum(1 for g in gold if g == cls))
    ]
    return round(sum(recalls) / len(recalls), 3) if recalls else None


def score_pairs(pairs: Sequence[dict], p_yes: Sequence[float], threshold: float) -> dict[str, Any]:
    """Accuracy, balanced accuracy and per-label accuracy of the verdicts P(yes) >= threshold."""
    gold = [bool(p["supported"]) for p in pairs]
    right = [(p >= threshold) == g for p, g in zip(p_yes, gold)]
    by_label: dict[str, list[bool]] = {}
    for pair, r in zip(pairs, right):
        by_label.setdefault(pair["label"], []).append(r)
    return {
        "pairs": len(right),
        "accuracy": round(sum(right) / len(right), 3) if right else 0.0,
        "balanced_accuracy": _balanced(right, gold),
        "by_label": {k: round(sum(v) / len(v), 3) for k, v in sorted(by_label.items())},
    }


def fit_threshold(pairs: Sequence[dict], p_yes: Sequence[float], grid: Sequence[float] = GRID) -> float:
    """The grid threshold with the best balanced accuracy (ties: the middle one of the best)."""
    scored = [(score_pairs(pairs, p_yes, t)["balanced_accuracy"] or 0.0, t) for t in grid]
    best = max(b for b, _ in scored)
    tied = [t for b, t in scored if b == best]
    return tied[len(tied) // 2]


def _report(pairs: list[dict], p_yes: list[float], threshold: float) -> dict[str, Any]:
    out = score_pairs(pairs, p_yes, threshold)
    out["by_file"] = {}
    for name in sorted({p["file"] for p in pairs}):
        mine = [(p, y) for p, y in zip(pairs, p_yes) if p["file"] == name]
        s = score_pairs([p for p, _ in mine], [y for _, y in mine], threshold)
        out["by_file"][name] = {k: s[k] for k in ("pairs", "accuracy", "balanced_accuracy")}
    return out


def _ask_all(judge: Judge, pairs: list[dict]) -> list[float]:
    order = sorted(range(len(pairs)), key=lambda i: pairs[i]["claim"])  # same claims back to back
    p = [0.0] * len(pairs)
    for i in order:
        p[i] = judge.p_supported(pairs[i]["claim"], [pairs[i]["passage"]])
    return p


def fit_judge(
    judge: Judge, paths: Sequence[str | Path] | None = None, out: str | Path | None = THRESHOLD_FILE
) -> dict[str, Any]:
    """Fit the threshold on the fit half, report on the other, write the record to ``out``; set judge.threshold."""
    files = pair_files(paths)
    pairs = load_pairs(files)
    half = halves(pairs)
    fit = [p for p in pairs if half[p["id"]] == "fit"]
    held = [p for p in pairs if half[p["id"]] == "report"]
    p_fit, p_held = _ask_all(judge, fit), _ask_all(judge, held)
    threshold = fit_threshold(fit, p_fit)
    record = {
        "judge": judge.name,
        **_fingerprints(files),
        "threshold": threshold,
        "grid": [GRID[0], GRID[-1], len(GRID)],
        "fit": {"pairs": len(fit), "balanced_accuracy": score_pairs(fit, p_fit, threshold)["balanced_accuracy"]},
        "report": _report(held, p_held, threshold),
        "fitted": datetime.date.today().isoformat(),
    }
    if out:
        Path(out).write_text(json.dumps(record, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    judge.threshold = threshold
    return record


def prepare_judge(
    judge: Judge,
    paths: Sequence[str | Path] | None = None,
    threshold_file: str | Path | None = THRESHOLD_FILE,
    recheck: bool = False,
) -> JudgeCalibration:
    """Set the judge's fitted threshold and say how good it is on the report half (stored, or re-checked)."""
    files = pair_files(paths)
    path = Path(threshold_file) if threshold_file else None
    record = json.loads(path.read_text(encoding="utf-8")) if path and path.is_file() else None
    warnings = []
    if record is None:
        warnings.append(
            f"the judge's threshold was never fitted: using {THRESHOLD}; run storydesk eval --calibrate-judge"
        )
    else:
        judge.threshold = record["threshold"]
        now = _fingerprints(files)
        if record.get("judge") != judge.name:
            warnings.append(
                f"threshold fitted for judge {record.get('judge')!r}, judging with {judge.name!r}: refit it"
            )
        if record.get("pairs_sha256") != now["pairs_sha256"]:
            changed = {n for n, _ in set(now["pair_files"].items()) ^ set((record.get("pair_files") or {}).items())}
            warnings.append(f"the labelled pairs changed since the fit ({', '.join(sorted(changed))}): refit it")
        if record.get("prompt_sha256") != now["prompt_sha256"]:
            warnings.append("the judge prompt changed since the fit: refit it")
    if record is not None and not warnings and not recheck:
        report, source = record["report"], f"stored (fitted {record.get('fitted', '?')})"
    else:
        pairs = load_pairs(files)
        half = halves(pairs)
        held = [p for p in pairs if half[p["id"]] == "report"]
        report, source = _report(held, _ask_all(judge, held), judge.threshold), "re-checked in this run"
    return _calibration(
        judge, report, fit_pairs=(record or {}).get("fit", {}).get("pairs", 0), source=source, warnings=warnings
    )


def calibrate(judge: Judge, pairs: Sequence[dict]) -> JudgeCalibration:
    """Accuracy of the judge's verdicts at its current threshold on these pairs (yes is right only for 'entailed')."""
    pairs = [dict(p, file=p.get("file", "")) for p in pairs]
    return _calibration(judge, _report(pairs, _ask_all(judge, pairs), judge.threshold))


def _calibration(judge: Judge, report: dict[str, Any], **extra: Any) -> JudgeCalibration:
    return JudgeCalibration(
        judge=judge.name,
        pairs=report["pairs"],
        accuracy=report["accuracy"],
        by_label=report["by_label"],
        balanced_accuracy=report.get("balanced_accuracy"),
        by_file=report.get("by_file") or {},
        threshold=judge.threshold,
        **extra,
    )
