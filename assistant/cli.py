"""``storydesk``: ask questions of a corpus of news articles, with exact citations.

Subcommands: ask, index, prepare, map (and serve, eval where installed). Errors are one line on stderr
and a non-zero exit; ``--json`` prints exactly one JSON object on stdout.
"""

from __future__ import annotations

import argparse
import logging
import sys
import time
from typing import Sequence

from . import config  # noqa: F401  (offline environment before anything else loads)
from .cli_options import Bars, add_corpus_option, add_model_options, make_assistant, subcommand
from .errors import BadQuestion, StorydeskError
from .render import answer_plain, map_markdown, map_plain
from .text import json_line, printable
from .types import PREPARING

__all__ = ["main", "build_parser"]

log = logging.getLogger("storydesk")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="storydesk",
        description="Source-grounded answers over news articles: exact citations, disagreements side by side, offline.",
        epilog="Run 'storydesk COMMAND --help' for a command's options.",
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="log each stage to stderr")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    from .evaluate.cli import add_eval

    for add in (_add_ask, _add_map, _add_index, _add_prepare, _add_serve, add_eval):  # the order --help lists them in
        add(sub)
    return parser


def _add_ask(sub) -> None:
    p = subcommand(
        sub,
        "ask",
        _cmd_ask,
        "answer one question with citations",
        "Answer one question from the articles, citing exact passages.",
    )
    p.add_argument("question", nargs="?", help="the question, in quotes (omit it to ask one question after another)")
    add_corpus_option(p)
    p.add_argument("--json", action="store_true", help="print the answer as one JSON object (the answer contract)")
    add_model_options(p)


def _add_index(sub) -> None:
    p = subcommand(
        sub,
        "index",
        _cmd_index,
        "build or refresh the search index",
        "Build the corpus index, or refresh it if the articles changed.",
    )
    add_corpus_option(p)
    p.add_argument("--rebuild", action="store_true", help="rebuild even if the index is current")
    p.add_argument(
        "--no-reading-state",
        action="store_true",
        help="skip computing each article's reading state with the model (then the first question pays for it)",
    )
    add_model_options(p)


def _add_map(sub) -> None:
    p = subcommand(
        sub,
        "map",
        _cmd_map,
        "where the sources disagree, without a question",
        "The story map: the points the story turns on (found from the articles, plus any you pin) as rows, "
        "the articles as columns, each cell an article's answer with its verified citation; rows where the "
        "articles disagree first. Built once per corpus and model (minutes), then served from the cache.",
    )
    add_corpus_option(p)
    form = p.add_mutually_exclusive_group()
    form.add_argument("--json", action="store_true", help="print the map as one JSON object")
    form.add_argument("--csv", action="store_true", help="print the map as CSV (one line per row)")
    form.add_argument("--markdown", action="store_true", help="print the map as a Markdown document")
    p.add_argument("--pin", metavar="QUESTION", action="append", help="add this question to the map as a row")
    p.add_argument("--refresh", action="store_true", help="build the map again even if a cached one is current")
    add_model_options(p)


def _cmd_map(args: argparse.Namespace, bars: Bars) -> int:
    stage = (lambda event: log.info("%s: %s", event.stage, event.detail)) if args.verbose else None
    with make_assistant(args, bars) as assistant:
        for question in args.pin or ():
            assistant.pin_question(question)
        story_map = assistant.story_map(refresh=args.refresh, on_event=stage)
    if args.json:
        sys.stdout.write(json_line(story_map.to_dict()) + "\n")
    elif args.csv:
        sys.stdout.write(story_map.to_csv())
    else:
        sys.stdout.write(printable(map_markdown(story_map) if args.markdown else map_plain(story_map)) + "\n")
    return 0


def _add_prepare(sub) -> None:
    subcommand(
        sub,
        "prepare",
        _cmd_prepare,
        "join and verify the embedded model",
        "Join the packaged model parts into one verified GGUF file in the cache.",
    )


def _add_serve(sub) -> None:
    p = subcommand(sub, "serve", _cmd_serve, "start the chat page", "Serve the chat page (Gradio) on this machine.")
    add_corpus_option(p)
    p.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1: this machine only)")
    p.add_argument("--port", type=int, default=7860, help="port (default 7860)")
    p.add_argument("--auth", metavar="USER:PASS", help="require this user name and password")
    p.add_argument(
        "--max-upload-mb",
        type=float,
        default=2.0,
        metavar="MB",
        help="largest article that can be uploaded (default 2)",
    )
    add_model_options(p)


def _cmd_serve(args: argparse.Namespace, bars: Bars) -> int:
    from .web import serve

    auth = None
    if args.auth:
        user, sep, password = args.auth.partition(":")
        if not sep or not user or not password:
            raise BadQuestion("--auth must look like USER:PASS")
        auth = (user, password)
    assistant = make_assistant(args, bars)
    print(
        f"Storydesk: serving {assistant.corpus_dir} at http://{args.host}:{args.port}  (Ctrl-C to stop)",
        file=sys.stderr,
    )
    serve(assistant, host=args.host, port=args.port, auth=auth, max_upload_bytes=int(args.max_upload_mb * 1024 * 1024))
    return 0


def _progress(verbose: bool):
    """What ``ask`` shows of an answer's progress on stderr: one line when articles are read for the first time
    (the answer takes longer), and with ``--verbose`` each stage in the log."""

    def shown(event) -> None:
        if event.stage == PREPARING:
            note = f"storydesk: {event.detail} (run `storydesk index` to do this ahead)"
            print(printable(note), file=sys.stderr, flush=True)
        elif verbose:
            log.info("%s: %s", event.stage, event.detail)

    return shown


def _cmd_ask(args: argparse.Namespace, bars: Bars) -> int:
    stage = _progress(args.verbose)
    with make_assistant(args, bars) as assistant:
        if args.question is None:
            return _interactive(assistant, args, stage)
        _print_answer(assistant.ask(args.question, on_event=stage), args.json, assistant.corpus)
        sys.stdout.flush()  # the answer is out before close() waits for a model load still under way
    return 0


def _print_answer(answer, as_json: bool, corpus=None) -> None:
    if as_json:
        sys.stdout.write(json_line(answer.to_dict()) + "\n")
    else:
        sys.stdout.write(printable(answer_plain(answer, width=100, corpus=corpus)) + "\n")
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
            _print_answer(assistant.ask(line, on_event=stage), args.json, assistant.corpus)
        except StorydeskError as err:
            if isinstance(err, BadQuestion):
                print(f"storydesk: error: {printable(str(err))}", file=sys.stderr)
                continue
            raise


def _cmd_index(args: argparse.Namespace, bars: Bars) -> int:
    assistant = make_assistant(args, bars)
    index, built = assistant.reindex(rebuild=args.rebuild)
    state = "built" if built else "up to date"
    sentences, paragraphs = index.counts()
    counts = f"{len(index.corpus)} articles, {sentences} sentences, {paragraphs} paragraphs"
    print(f"index {state}: {counts} -> {index.directory}")
    if not args.no_reading_state:
        t0 = time.perf_counter()
        assistant.warm()  # every prompt's fixed part too: no question computes one (a question warms only the reader's)
        n = assistant.prepare_reading()
        print(f"reading state ready: {n} articles in {time.perf_counter() - t0:.1f} s")
    return 0


def _cmd_prepare(args: argparse.Namespace, bars: Bars) -> int:
    from .model_store import prepare_model

    path = prepare_model(progress=bars)
    print(f"model ready: {path}")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:2] == ["eval", "compare"]:
        from .evaluate.cli import run_compare

        return run_compare(argv[2:])
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "run", None):
        parser.print_help()
        return 2
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING, format="%(name)s: %(message)s", stream=sys.stderr
    )
    bars = Bars(enabled=sys.stderr.isatty())
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
