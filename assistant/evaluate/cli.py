"""``storydesk eval``: run gold suites, score them, fit the judge, and ``storydesk eval compare`` two runs.

The rest of the command line (ask, index, prepare, serve, and the options they share) is in ../cli.py.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Sequence

from ..cli_options import Bars, add_corpus_option, add_model_options, make_assistant, subcommand
from ..errors import BadQuestion
from ..text import json_line, printable
from .types import ENGINES

__all__ = ["add_eval", "run_compare"]

_EVAL_DESCRIPTION = (
    "Answer every case of the suites and score the answers: deterministic checks, judged citation "
    "support, the judge's own accuracy, and reports (results.jsonl, summary.json, report.html). "
    "Rerun with the same --out to resume. Compare two runs with: storydesk eval compare RUN_A RUN_B. "
    "Fit the judge's threshold with: storydesk eval --calibrate-judge"
)


def add_eval(sub) -> None:
    p = subcommand(sub, "eval", _cmd_eval, "score gold suites (or: eval compare RUN_A RUN_B)", _EVAL_DESCRIPTION)
    p.add_argument(
        "suites",
        nargs="*",
        metavar="SUITE",
        help="JSONL files of gold cases, or of stance labels (eval/suites/stance_*.jsonl; format: eval/suites/README.md)",
    )
    p.add_argument(
        "--split",
        choices=["tune", "heldout", "all"],
        default="all",
        help="only the cases of this split (a case without a split field is 'tune'; default all)",
    )
    add_corpus_option(p)
    p.add_argument(
        "--engine",
        action="append",
        choices=ENGINES,
        help="engine to evaluate; repeat to run several side by side (default: storydesk)",
    )
    p.add_argument(
        "--out", metavar="DIR", help="where results go; an existing run there is resumed (default: runs/<suites>)"
    )
    _add_judge_options(p)
    p.add_argument(
        "--concurrency",
        type=int,
        default=4,
        metavar="N",
        help="requests in flight for endpoint backends (default 4; the embedded model runs one at a time)",
    )
    p.add_argument(
        "--min", type=float, metavar="PASS_RATE", help="exit 1 if Storydesk's pass rate on any suite is below this"
    )
    add_model_options(p)


def _add_judge_options(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--judge",
        choices=["embedded", "none"],
        default="embedded",
        help="who judges citation support: the embedded model (default) or nobody; see --judge-base-url",
    )
    p.add_argument("--judge-base-url", metavar="URL", help="judge with an OpenAI-compatible endpoint instead")
    p.add_argument("--judge-model", metavar="NAME", help="model name at the judge endpoint")
    p.add_argument(
        "--judge-pairs",
        action="append",
        metavar="JSONL",
        help="labelled claim-passage pairs for the judge (repeatable; default: eval/judge/*.jsonl)",
    )
    p.add_argument(
        "--calibrate-judge",
        action="store_true",
        help="fit the judge's threshold on half the labelled pairs, report it on the other half, and "
        "write eval/judge/threshold.json (then run the suites, if any are given)",
    )
    p.add_argument(
        "--recheck-judge",
        action="store_true",
        help="re-measure the judge on the report half of the pairs even when the stored fit is current",
    )


def _judge(args: argparse.Namespace, bars: Bars, assistant):
    """The judge the options ask for (None for --judge none); the embedded one shares the answering model."""
    from ..api import make_backend
    from .judge import Judge

    if args.judge_base_url:  # the backend registry's endpoint row, as for the answering model
        return Judge(make_backend(base_url=args.judge_base_url, model=args.judge_model))
    if args.judge != "embedded" and not args.calibrate_judge:
        return None
    same = assistant is not None and not (args.base_url or args.model_path)
    return Judge(assistant.backend if same else make_backend(progress=bars))


def _cmd_eval(args: argparse.Namespace, bars: Bars) -> int:
    from . import calibration, run_eval
    from .runner import print_progress_bar, print_progress_lines

    if not args.suites and not args.calibrate_judge:
        raise BadQuestion("name at least one suite (or --calibrate-judge)")
    assistant = make_assistant(args, bars) if args.suites else None
    judge = _judge(args, bars, assistant)
    if args.calibrate_judge:
        judge = _calibrate_judge(args, judge)
        if not args.suites:
            return 0
    out = args.out or str(Path("runs") / "-".join(Path(s).stem for s in args.suites))
    run = run_eval(
        args.suites,
        out,
        engines=args.engine or ["storydesk"],
        assistant=assistant,
        judge=judge,
        judge_pairs=args.judge_pairs,
        judge_threshold_file=calibration.THRESHOLD_FILE,
        recheck_judge=args.recheck_judge,
        split=args.split,
        concurrency=args.concurrency,
        progress=print_progress_bar if sys.stderr.isatty() else print_progress_lines,
    )
    return _report_eval(run, Path(out), args.min)


def _calibrate_judge(args: argparse.Namespace, judge):
    """Fit the judge's threshold and write it; returns the judge the suites then use (None for --judge none)."""
    from . import calibration, fit_judge

    record = fit_judge(judge, args.judge_pairs, out=calibration.THRESHOLD_FILE)
    print(json_line({k: record[k] for k in ("judge", "threshold", "fit", "report")}))
    print(f"judge threshold written to {calibration.THRESHOLD_FILE}", file=sys.stderr)
    return judge if args.judge == "embedded" or args.judge_base_url else None


def _report_eval(run, out: Path, min_pass_rate: float | None) -> int:
    """The summary on stdout, the reports' paths on stderr; 1 if a case got no answer or a pass rate is too low."""
    from . import format_summary

    for warning in run.judge.warnings if run.judge else []:
        print(f"storydesk: warning: {printable(str(warning))}", file=sys.stderr)
    print(printable(format_summary(run)))
    print(f"reports: {out / 'report.html'}, {out / 'summary.json'}, {out / 'results.jsonl'}", file=sys.stderr)
    failed = [r for r in run.results if r.error]
    if failed:
        # Not a score: the engine could not answer (a dead endpoint, a missing model). Exit non-zero.
        print(
            f"storydesk: error: {len(failed)} of {len(run.results)} cases got no answer from the engine; "
            f"first: {printable(failed[0].error)}",
            file=sys.stderr,
        )
        return 1
    if min_pass_rate is not None:
        summaries = [s for s in run.summaries if s.engine == "storydesk"]
        low = [s for s in summaries if (s.metrics.get("pass_rate") or 0) < min_pass_rate]
        if low:
            rates = ", ".join(f"{s.suite}={s.metrics['pass_rate']}" for s in low)
            print(f"storydesk: pass rate below {min_pass_rate}: {rates}", file=sys.stderr)
            return 1
    return 0


def _compare_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="storydesk eval compare",
        description="Per-metric deltas between two eval runs, and the cases that flipped.",
    )
    p.add_argument("run_a", metavar="RUN_A", help="the earlier run's --out directory")
    p.add_argument("run_b", metavar="RUN_B", help="the later run's --out directory")
    return p


def run_compare(argv: Sequence[str]) -> int:
    from . import compare_runs

    args = _compare_parser().parse_args(argv)
    try:
        print(printable(compare_runs(args.run_a, args.run_b)))
    except FileNotFoundError as err:
        print(f"storydesk: error: {printable(str(err))}", file=sys.stderr)
        return 2
    return 0
