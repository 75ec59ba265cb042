"""Wall time of ``storydesk eval --base-url URL --concurrency N`` for each N, against a server you started
(llama.cpp's ``llama-server --parallel 4``, vLLM, ...), with the machine's load beside each row:

    python bench/concurrency.py --base-url http://127.0.0.1:8080/v1 [--cases 6] [--n 1 --n 4]
        [--suite eval/suites/story.jsonl]

Every run answers the same first ``--cases`` tune cases of the suite with its own output directory and the
judge off. The articles are screened once first (``storydesk index``), into one cache every run then reads,
so no run pays for work another did. Prints one JSON line per N and the ratio of each wall time to the first.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CLI = [sys.executable, "-m", "assistant.cli"]


def _cases(suite: Path, n: int, where: Path) -> Path:
    """The suite's first ``n`` tune cases, written beside it (their corpus paths are relative to it)."""
    rows = [json.loads(line) for line in suite.read_text(encoding="utf-8").splitlines() if line.strip()]
    rows = [r for r in rows if r.get("split", "tune") == "tune"][:n]
    out = suite.parent / f".bench-{where.name}-{suite.name}"
    out.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--base-url", required=True)
    ap.add_argument("--model", default="local")
    ap.add_argument("--suite", type=Path, default=ROOT / "eval" / "suites" / "story.jsonl")
    ap.add_argument("--cases", type=int, default=6)
    ap.add_argument("--n", type=int, action="append", help="concurrency to time (repeatable; default 1 and 4)")
    args = ap.parse_args()
    server = ["--base-url", args.base_url, "--model", args.model]
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        env = dict(os.environ, STORYDESK_CACHE_DIR=str(work / "cache"))
        suite = _cases(args.suite, args.cases, work)
        try:
            subprocess.run([*CLI, "index", *server], env=env, cwd=ROOT, check=True, capture_output=True)
            first = None
            for n in args.n or [1, 4]:
                load = os.getloadavg()[0]
                t0 = time.perf_counter()
                run = [*CLI, "eval", str(suite), *server, "--concurrency", str(n), "--judge", "none"]
                subprocess.run(
                    [*run, "--out", str(work / f"run-{n}")], env=env, cwd=ROOT, check=True, capture_output=True
                )
                wall = time.perf_counter() - t0
                first = first or wall
                row = {"concurrency": n, "cases": args.cases, "wall_s": round(wall, 1), "ratio": round(wall / first, 3)}
                print(json.dumps(row | {"load_before": round(load, 2), "load_after": round(os.getloadavg()[0], 2)}))
        finally:
            suite.unlink(missing_ok=True)


if __name__ == "__main__":
    main()
