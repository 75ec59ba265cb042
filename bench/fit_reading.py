"""Fit the reading stage's answer rule on collected signals, and score it on another split.

Input: lines written by ``bench/reading_features.py``. For each (case, article) the candidate the
reader would pick (best rank) gives one example: features logit(P(yes)) of the sentence, its retrieval
score, logit(P(yes)) of the answer check on its phrase, and whether the phrase is the whole sentence;
label: the phrase holds the gold answer (overlaps gold evidence, or holds the document's answer).
A logistic regression is fit on the tune lines; its weights are what ``ReadingSettings`` carries
(``answer_weights``, ``answer_bias``). Printed: accuracy, precision and recall at the bar, on every
file given, so the held-out split is scored with the weights fit on the tune split:

    python bench/fit_reading.py runs/feat-tune.jsonl --test runs/feat-heldout.jsonl
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from pathlib import Path

import numpy as np


def _logit(p: float) -> float:
    p = min(max(p, 1e-4), 1 - 1e-4)
    return math.log(p / (1 - p))


def examples(paths: list[str]) -> tuple[np.ndarray, np.ndarray, list[str]]:
    rows, labels, keys = [], [], []
    for path in paths:
        for line in Path(path).read_text(encoding="utf-8").splitlines():
            case = json.loads(line)
            for part in case["parts"]:
                for article in part["articles"]:
                    best = article["candidates"][0]
                    rows.append([_logit(best["p_yes"]), best["score"], _logit(best.get("p_check") or 1e-4),
                                 float(bool(best.get("whole")))])
                    labels.append(float(bool(best.get("claim_label"))))
                    keys.append(f"{case['key']} {article['doc']}")
    return np.asarray(rows, dtype=np.float64), np.asarray(labels), keys


def fit(x: np.ndarray, y: np.ndarray, l2: float = 0.1, steps: int = 4000, lr: float = 0.1) -> tuple[np.ndarray, float]:
    """Logistic regression by gradient descent (features are few and on similar scales)."""
    w, b = np.zeros(x.shape[1]), 0.0
    for _ in range(steps):
        p = 1 / (1 + np.exp(-(x @ w + b)))
        w -= lr * (x.T @ (p - y) / len(y) + l2 * w / len(y))
        b -= lr * float(np.mean(p - y))
    return w, b


def report(name: str, x: np.ndarray, y: np.ndarray, w: np.ndarray, b: float, bar: float) -> dict:
    p = 1 / (1 + np.exp(-(x @ w + b)))
    said = p >= bar
    tp, fp, fn = int(np.sum(said & (y == 1))), int(np.sum(said & (y == 0))), int(np.sum(~said & (y == 1)))
    out = {"file": name, "examples": len(y), "positives": int(y.sum()), "accuracy": round(float(np.mean(said == (y == 1))), 3),
           "precision": round(tp / max(tp + fp, 1), 3), "recall": round(tp / max(tp + fn, 1), 3)}
    print(json.dumps(out))
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("train", nargs="+", help="feature lines to fit on (the tune split)")
    ap.add_argument("--test", nargs="*", default=[], help="feature lines to score only (the held-out split)")
    ap.add_argument("--bar", type=float, default=0.5, help="P(right) at which a phrase is accepted")
    args = ap.parse_args()
    x, y, _ = examples(args.train)
    if not len(y):
        sys.exit("no examples")
    w, b = fit(x, y)
    print(json.dumps({"answer_weights": [round(float(v), 3) for v in w], "answer_bias": round(b, 3),
                      "features": ["logit P(sentence answers)", "retrieval score", "logit P(check)", "whole sentence"]}))
    report(" ".join(args.train), x, y, w, b, args.bar)
    for path in args.test:
        tx, ty, _ = examples([path])
        report(path, tx, ty, w, b, args.bar)


if __name__ == "__main__":
    main()
