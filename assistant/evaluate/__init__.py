"""Batch evaluation: gold suites -> deterministic checks, judged support, reports, run comparison.

from assistant.evaluate import evaluate
run = evaluate(["eval/suites/story.jsonl"], out_dir="runs/story", split="tune")
run.summary().metrics["pass_rate"]
"""

from .calibration import calibrate, fit_judge, prepare_judge
from .checks import score, score_case
from .judge import Judge, support
from .metrics import METRICS, Metric, aggregate
from .ramdocs import score_ramdocs
from .report import compare_runs, format_summary
from .runner import ENGINES, run_eval
from .stances import score_stance
from .types import CaseResult, EvalRun, JudgeCalibration, SuiteSummary

evaluate = run_eval

__all__ = [
    "evaluate",
    "run_eval",
    "compare_runs",
    "format_summary",
    "score",
    "score_case",
    "score_ramdocs",
    "score_stance",
    "aggregate",
    "Metric",
    "METRICS",
    "support",
    "calibrate",
    "fit_judge",
    "prepare_judge",
    "Judge",
    "CaseResult",
    "SuiteSummary",
    "EvalRun",
    "JudgeCalibration",
    "ENGINES",
]
