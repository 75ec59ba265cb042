"""Typed results of an eval run; their ``to_dict`` forms are the lines of results.jsonl and summary.json."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

__all__ = ["CaseResult", "SuiteSummary", "EvalRun", "JudgeCalibration", "ENGINES"]

ENGINES = ("storydesk", "llamaindex-citation")  # what `storydesk eval --engine` runs (runner.py answers each)


@dataclass
class CaseResult:
    suite: str
    engine: str
    config: str  # configuration hash: same hash, same answer
    case: dict[str, Any]  # the gold case as read
    answer: dict[str, Any]  # the full answer (the contract's JSON)
    seconds: float
    metrics: dict[str, Any]  # deterministic checks, see metrics.py
    support: dict[str, Any] | None = None  # judged citation recall/precision, see judge.py
    failures: list[str] = field(default_factory=list)  # which checks failed, in words
    passed: bool = False
    error: str | None = None  # the engine failed on this case

    @property
    def case_id(self) -> str:
        return self.case["id"]

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "CaseResult":
        return cls(**{k: d.get(k) for k in cls.__dataclass_fields__ if k in d})


@dataclass
class SuiteSummary:
    suite: str
    engine: str
    config: str
    cases: int
    metrics: dict[str, Any]

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class JudgeCalibration:
    judge: str
    pairs: int  # labelled pairs this is measured on: the report half, never the pairs the threshold was fitted on
    accuracy: float
    by_label: dict[str, float]  # accuracy per label (entailed / contradicted / unrelated / partial)
    balanced_accuracy: float | None = None  # mean of the recall on supported and on unsupported pairs
    by_file: dict[str, dict] = field(default_factory=dict)  # pair file -> {pairs, accuracy, balanced_accuracy}
    threshold: float | None = None  # on P(yes)
    fit_pairs: int = 0  # pairs the threshold was fitted on (the other half)
    source: str = ""  # "stored (fitted DATE)" or "re-checked in this run"
    warnings: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class EvalRun:
    out_dir: str
    settings: dict[str, Any]
    summaries: list[SuiteSummary]
    results: list[CaseResult]
    judge: JudgeCalibration | None = None
    judge_calls: dict[str, int] | None = None  # this invocation: model calls, reused, skipped (see judge.py)

    def summary(self, engine: str = "storydesk", suite: str | None = None) -> SuiteSummary | None:
        for s in self.summaries:
            if s.engine == engine and (suite is None or s.suite == suite):
                return s
        return None

    def to_dict(self) -> dict[str, Any]:
        return {
            "out_dir": self.out_dir,
            "settings": self.settings,
            "summaries": [s.to_dict() for s in self.summaries],
            "judge": self.judge.to_dict() if self.judge else None,
            "judge_calls": self.judge_calls,
        }
