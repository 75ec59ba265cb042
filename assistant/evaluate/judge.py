"""Judged support (ALCE-style citation recall and precision) and the judge's own calibration.

For every statement of an answer: do its cited passages, together, entail it (citation recall)?
For every citation: does it support its statement alone, or is it needed by the others
(citation precision)? The verdict is P("yes") read from the judge model's next-token logits
(deterministic; no free text to parse). The judge is checked on labelled claim-passage pairs
(eval/judge/*.jsonl) every judged run, so a broken judge can't hide behind its scores.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any, Sequence

from ..backends.base import Backend
from ..prompts import load_prompt
from .types import JudgeCalibration

__all__ = ["Judge", "statements", "support", "calibrate", "load_pairs"]

_MARKER = re.compile(r"\[(\d+)\]")
_QUOTED_CLAIM = re.compile(r"“([^”]+)”\s*((?:\[\d+\])+)")
_SENTENCE_SPLIT = re.compile(r"(?<=[.!?])\s+(?=[A-Z“\"])")
# P(yes) at or above this counts as "supported". The 1.5B default model says "yes" too readily
# (0.5 accepts most contradicted and half-supported claims); 0.8 was chosen once on the calibration
# pairs and is reported with them, so any drift in the judge shows up as a drop in its accuracy.
THRESHOLD = 0.8


class Judge:
    def __init__(self, backend: Backend, name: str | None = None) -> None:
        self.backend = backend
        self.name = name or getattr(backend, "name", "judge")
        self.prompt = load_prompt("judge_entailment")
        backend.warm(self.prompt.prefix())

    def p_supported(self, claim: str, passages: Sequence[str]) -> float:
        text = "\n".join(f"- {' '.join(p.split())}" for p in passages) or "(none)"
        messages = self.prompt.messages(claim=" ".join(claim.split()), passages=text)
        return self.backend.probabilities(messages, ["yes", "no"]).get("yes", 0.0)

    def supports(self, claim: str, passages: Sequence[str]) -> bool:
        return bool(passages) and self.p_supported(claim, passages) >= THRESHOLD


def statements(answer: dict) -> list[tuple[str, list[int]]]:
    """(claim, cited ids) for each claim of the answer that cites something, plus conflict positions.

    A quotation followed by markers (“…” [1][2]) is a claim on its own: the words around it ("One
    article (x) says") attribute rather than assert. A sentence with markers and no quotation (as
    other engines write) is a claim as a whole, markers removed.
    """
    text = answer.get("answer") or ""
    out: list[tuple[str, list[int]]] = []
    for match in _QUOTED_CLAIM.finditer(text):
        out.append((match.group(1).strip(), [int(i) for i in _MARKER.findall(match.group(2))]))
    for sentence in _SENTENCE_SPLIT.split(_QUOTED_CLAIM.sub("", text)):
        ids = [int(i) for i in _MARKER.findall(sentence)]
        claim = " ".join(_MARKER.sub("", sentence).split()).strip(" ;,")
        if ids and len(claim.split()) >= 3:
            out.append((claim, ids))
    for conflict in answer.get("conflicts") or []:
        for position in conflict.get("positions", []):
            item = (position.get("claim", ""), list(position.get("citations") or []))
            if item[1] and item not in out:
                out.append(item)
    return out


def support(answer: dict, judge: Judge) -> dict[str, Any]:
    """Citation recall and precision counts for one answer (empty when it makes no cited claim)."""
    quotes = {c["id"]: c["quote"] for c in answer.get("citations") or []}
    result = {"statements": 0, "supported": 0, "citations": 0, "precise": 0, "unsupported": []}
    for claim, ids in statements(answer):
        ids = [i for i in ids if i in quotes]
        if not claim or not ids:
            continue
        result["statements"] += 1
        together = judge.supports(claim, [quotes[i] for i in ids])
        result["supported"] += together
        if not together:
            result["unsupported"].append(claim[:200])
        for i in ids:
            result["citations"] += 1
            if len(ids) == 1:
                result["precise"] += together  # alone and together are the same question
                continue
            if judge.supports(claim, [quotes[i]]):
                result["precise"] += 1
                continue
            rest = [quotes[j] for j in ids if j != i]
            result["precise"] += together and not judge.supports(claim, rest)
    return result


def load_pairs(paths: Sequence[str | Path]) -> list[dict]:
    pairs = []
    for path in paths:
        for line in Path(path).read_text(encoding="utf-8").splitlines():
            if line.strip():
                pairs.append(json.loads(line))
    return pairs


def calibrate(judge: Judge, pairs: Sequence[dict]) -> JudgeCalibration:
    """Accuracy of the judge's yes/no against labelled pairs (yes is right only for 'entailed')."""
    right_by_label: dict[str, list[bool]] = {}
    for pair in pairs:
        verdict = judge.supports(pair["claim"], [pair["passage"]])
        right_by_label.setdefault(pair["label"], []).append(verdict == bool(pair["supported"]))
    flat = [r for rs in right_by_label.values() for r in rs]
    return JudgeCalibration(
        judge=judge.name, pairs=len(flat), accuracy=round(sum(flat) / len(flat), 3) if flat else 0.0,
        by_label={k: round(sum(v) / len(v), 3) for k, v in sorted(right_by_label.items())},
    )
