"""Does a change alter behaviour? Record every model request the suites make, then compare two records.

    python bench/requests.py record --out runs/req-before [--model chance|embedded] [--split all] SUITE...
    python bench/requests.py compare runs/req-before runs/req-after [--ignore-prompt check_instruction]

``record`` answers every case of the suites in process (``evaluate.run_eval``, judge off) with the model
behind a ``RecordingBackend`` and writes ``requests.jsonl`` (each call and its reply, in order) beside the
run's ``results.jsonl``. ``--model chance`` is a stand-in that needs no model: its replies are a pure
function of the request (P("yes") and the copied run of words drawn from a hash of the prompt), so every
code path between question and model runs, in seconds a case, and two records are equal exactly when the
code asked the same things. ``--model embedded`` records the real model; ``--replay DIR`` answers the
requests an earlier record holds from it (only new ones reach the model), so a second real run costs little
when nothing changed.

``compare`` reports, per suite and case, whether the requests (kind, prompt, options) and the answers are
identical, and shows the first difference. ``--ignore-prompt NAME`` leaves out the calls of one prompt (a
stage that is meant to change, e.g. the instruction screen) and compares the rest.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from pathlib import Path
from typing import Sequence

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from assistant import Assistant  # noqa: E402
from assistant.backends.base import Backend, Copied  # noqa: E402
from assistant.backends.recording import RecordingBackend, read_log  # noqa: E402
from assistant.evaluate import run_eval  # noqa: E402
from assistant.prompts import load_prompt  # noqa: E402


def _draw(*parts: object) -> float:
    """A number in [0, 1) that depends on nothing but ``parts``."""
    digest = hashlib.sha256(json.dumps(parts, ensure_ascii=False, sort_keys=True).encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


class ChanceBackend(Backend):
    """A model stand-in whose every reply is a function of the request alone (see the module's doc)."""

    name = "chance"
    supports_logprobs = True
    supports_schema = True
    supports_copy = True
    supports_likelihood = True

    def likelihood(self, messages, reply: str) -> float:
        return -5.0 * _draw("likelihood", messages, reply)

    def probabilities(self, messages, options, reply_prefix: str = "") -> dict[str, float]:
        first = _draw("p", messages, reply_prefix)
        rest = (1.0 - first) / max(1, len(options) - 1)
        return {o: (first if k == 0 else rest) for k, o in enumerate(options)}

    def copy_span(
        self, messages, source: str, *, reply_prefix: str = "", max_tokens: int = 32, candidates: int = 64
    ) -> Copied:
        words = source.split()
        if not words:
            return Copied("")
        start = int(_draw("start", messages) * len(words))
        length = 1 + int(_draw("length", messages) * min(8, max_tokens))
        return Copied(" ".join(words[start : start + length]), -3.0 * _draw("fluency", messages))

    def generate(self, messages, schema: dict | None = None, *, max_tokens: int = 256) -> dict | str:
        if schema is None:
            return "reply"
        return {k: self._value(k, v, messages) for k, v in schema.get("properties", {}).items()}

    def _value(self, key: str, spec: dict, messages) -> object:
        if "enum" in spec:
            return spec["enum"][int(_draw("enum", key, messages) * len(spec["enum"]))]
        if "const" in spec:
            return spec["const"]
        kind = spec.get("type")
        return {"integer": 0, "number": 0.0, "boolean": False, "array": [], "object": {}}.get(kind, "reply")


def _model(name: str) -> Backend:
    if name == "chance":
        return ChanceBackend()
    from assistant.backends.registry import make_backend

    return make_backend()


def record(args: argparse.Namespace) -> None:
    out = Path(args.out)
    log = out / "requests.jsonl"
    if log.exists():
        sys.exit(f"{log} exists: record into a new directory")
    replay = read_log(Path(args.replay) / "requests.jsonl") if args.replay else ()
    backend = RecordingBackend(_model(args.model), log, replay)
    assistant = Assistant(backend=backend)
    run = run_eval(args.suites, out, assistant=assistant, judge=None, split=args.split)
    print(
        f"{len(run.results)} cases, {backend.replayed + backend.missed} requests "
        f"({backend.replayed} replayed, {backend.missed} asked) -> {log}"
    )


def _prompt_of(request: dict) -> str:
    """The name of the prompt file whose system message opens the request ('' when none matches)."""
    system = next((m["content"] for m in request.get("messages", []) if m.get("role") == "system"), "")
    return _systems().get(system, "")


_SYSTEMS: dict[str, str] = {}


def _systems() -> dict[str, str]:
    if not _SYSTEMS:
        for path in sorted((Path(__file__).resolve().parents[1] / "prompts").glob("*.yaml")):
            messages = load_prompt(path.stem).prefix()
            for m in messages:
                if m.get("role") == "system":
                    _SYSTEMS[m["content"]] = path.stem
    return _SYSTEMS


def _kept(calls: list[dict], ignore: Sequence[str]) -> list[dict]:
    return [c for c in calls if _prompt_of(c["request"]) not in ignore]


def _answers(run: Path) -> dict[tuple[str, str], dict]:
    rows = [json.loads(line) for line in (run / "results.jsonl").open(encoding="utf-8") if line.strip()]
    return {(r["suite"], r["case"]["id"]): r["answer"] for r in rows}


def compare(args: argparse.Namespace) -> int:
    a_dir, b_dir = Path(args.run_a), Path(args.run_b)
    a = _kept(read_log(a_dir / "requests.jsonl"), args.ignore_prompt or ())
    b = _kept(read_log(b_dir / "requests.jsonl"), args.ignore_prompt or ())
    first = next((k for k, (x, y) in enumerate(zip(a, b)) if x != y), None)
    same_requests = first is None and len(a) == len(b)
    print(f"requests: {len(a)} vs {len(b)}" + ("  identical" if same_requests else ""))
    if not same_requests:
        k = first if first is not None else min(len(a), len(b))
        print(f"first difference at request {k} (prompt {_prompt_of((a + b)[k]['request']) or '?'}):")
        for name, calls in (("A", a), ("B", b)):
            call = calls[k] if k < len(calls) else None
            print(f"  {name}: {json.dumps(call, ensure_ascii=False)[:600] if call else '(none)'}")
    answers_a, answers_b = _answers(a_dir), _answers(b_dir)
    fields = ("answer", "answerable", "citations", "conflicts")  # not timings: they differ run to run
    changed = [k for k in answers_a if any((answers_b.get(k) or {}).get(f) != answers_a[k].get(f) for f in fields)]
    print(f"answers: {len(answers_a)} vs {len(answers_b)}, {len(changed)} differ")
    for suite, case in changed[: args.show]:
        x, y = answers_a[(suite, case)], answers_b.get((suite, case)) or {}
        diff = [f for f in fields if x.get(f) != y.get(f)]
        print(
            f"  {suite}/{case}: {', '.join(diff) or 'other fields'}\n    A: {x.get('answer', '')[:200]}\n    B: {y.get('answer', '')[:200]}"
        )
    return 0 if same_requests and not changed else 1


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    rec = sub.add_parser("record", help="answer the suites and write their request log")
    rec.add_argument("suites", nargs="+")
    rec.add_argument("--out", required=True)
    rec.add_argument("--model", choices=["chance", "embedded"], default="chance")
    rec.add_argument("--replay", metavar="DIR", help="an earlier record whose replies answer repeated requests")
    rec.add_argument("--split", choices=["tune", "heldout", "all"], default="all")
    cmp_ = sub.add_parser("compare", help="compare two records")
    cmp_.add_argument("run_a")
    cmp_.add_argument("run_b")
    cmp_.add_argument("--ignore-prompt", action="append", metavar="NAME")
    cmp_.add_argument("--show", type=int, default=10, metavar="N", help="changed answers to show")
    args = parser.parse_args(argv)
    if args.command == "record":
        record(args)
        return 0
    return compare(args)


if __name__ == "__main__":
    sys.exit(main())
