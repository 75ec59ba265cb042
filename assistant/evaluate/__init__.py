"""Batch evaluation: gold suites -> deterministic checks, judged support, reports, run comparison.

    from assistant.evaluate import evaluate
    run = evaluate(["eval/suites/story.jsonl"], out_dir="runs/story")
    run.summary().metrics["pass_rate"]
"""

from .judge import Judge, calibrate, support
from .metrics import aggregate, score_case
from .report import compare_runs, format_summary
from .runner import ENGINES, run_eval
from .types import CaseResult, EvalRun, JudgeCalibration, SuiteSummary

evaluate = run_eval

__all__ = [
    "evaluate", "run_eval", "compare_runs", "format_summary", "score_case", "aggregate", "support", "calibrate",
    "Judge", "CaseResult", "SuiteSummary", "EvalRun", "JudgeCalibration", "ENGINES",
]
