"""Per-stage timings of the answer path, so the overhead around the model is visible.

Prints, as JSON lines: process start-up (imports), index build (cold, into a fresh cache) and index
load (warm), model load, the articles' reading states (computed, or read from disk when cached), then for
each question retrieve / generate (reading every article) / accept (is each reading an answer) / compare
(gathering, its yes/no checks) / stance in ms, and the
model's prompt and generation speed in tokens/s, measured on the embedded model:

    python bench/stages.py [--questions ../shared/eval/dev.jsonl] [--limit 6]

``--cli`` instead times what a person at a terminal waits for: ``storydesk index`` once, then one fresh
``storydesk ask --json`` process per question (``--corpus DIR`` for another story; ``--limit 0``: every
question); each row splits the wall time into the answer's own stages and what lies outside them (process
start, imports, model and index load), with the machine's load average beside it:

    python bench/stages.py --cli [--corpus eval/corpora/harbour --questions eval/suites/harbour.jsonl]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

T0 = time.perf_counter()
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from assistant.api import Assistant  # noqa: E402
from assistant.config import default_corpus_dir  # noqa: E402
from assistant.corpus import load_corpus  # noqa: E402
from assistant.embeddings import MiniLM  # noqa: E402
from assistant.index import load_or_build  # noqa: E402

IMPORTS = time.perf_counter() - T0


def model_speed(backend) -> dict:
    """Prompt and generation tokens/s on a fixed, uncached prompt."""
    llm = backend._load()
    text = " ".join(["The committee reviewed the findings of the inquiry in detail."] * 20)
    tokens = llm.tokenize(text.encode("utf-8"), add_bos=True, special=False)
    llm.reset()
    t = time.perf_counter()
    llm.eval(tokens)
    prompt_tps = len(tokens) / (time.perf_counter() - t)
    t = time.perf_counter()
    out = llm.create_completion(prompt=tokens, max_tokens=48, temperature=0.0, top_k=1)
    n = out["usage"]["completion_tokens"]
    gen_tps = n / (time.perf_counter() - t)
    llm.reset()
    return {"prompt_tokens_per_s": round(prompt_tps, 1), "generate_tokens_per_s": round(gen_tps, 1)}


def _questions(path: str, limit: int) -> list[str]:
    rows = [json.loads(line) for line in Path(path).read_text(encoding="utf-8").splitlines() if line.strip()]
    return [r["question"] for r in rows][: limit or None]


def cli_rows(args) -> None:
    """``storydesk index``, then one ``storydesk ask --json`` process per question, timed from outside."""
    import os
    import subprocess

    exe = [sys.executable, "-m", "assistant.cli"]
    corpus = ["--corpus", args.corpus] if args.corpus else []
    t = time.perf_counter()
    subprocess.run([*exe, "index", *corpus], check=True, capture_output=True)
    print(json.dumps({"stage": "storydesk_index", "ms": round((time.perf_counter() - t) * 1000, 1)}))
    walls, totals = [], []
    for q in _questions(args.questions, args.limit):
        load = os.getloadavg()[0]
        t = time.perf_counter()
        proc = subprocess.run([*exe, "ask", "--json", *corpus, q], capture_output=True, text=True)
        wall = (time.perf_counter() - t) * 1000
        timings = json.loads(proc.stdout)["timings_ms"] if proc.returncode == 0 else {}
        walls.append(wall)
        totals.append(timings.get("total", 0.0))
        outside = round(wall - timings.get("total", 0.0), 1)
        print(
            json.dumps(
                {
                    "stage": "cli_question",
                    "question": q[:50],
                    "wall_ms": round(wall, 1),
                    "outside_ms": outside,
                    **timings,
                    "load": round(load, 2),
                    "stderr": proc.stderr.strip()[-160:],
                }
            )
        )
    median = statistics.median
    print(
        json.dumps(
            {
                "stage": "cli_p50",
                "wall_ms": round(median(walls), 1),
                "answer_ms": round(median(totals), 1),
                "outside_ms": round(median(w - a for w, a in zip(walls, totals)), 1),
                "questions": len(walls),
            }
        )
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--questions", default=str(Path(__file__).resolve().parents[2] / "shared" / "eval" / "dev.jsonl"))
    ap.add_argument("--limit", type=int, default=6, help="questions to ask (0: all)")
    ap.add_argument("--cli", action="store_true", help="a fresh `storydesk ask` process per question")
    ap.add_argument("--corpus", help="with --cli: the articles' directory (default: the bundled story)")
    args = ap.parse_args()
    if args.cli:
        return cli_rows(args)
    print(json.dumps({"stage": "imports", "ms": round(IMPORTS * 1000, 1)}))
    corpus = load_corpus(default_corpus_dir())
    with tempfile.TemporaryDirectory() as tmp:
        t = time.perf_counter()
        load_or_build(corpus, Path(tmp), MiniLM())
        build = time.perf_counter() - t
        t = time.perf_counter()
        load_or_build(load_corpus(default_corpus_dir()), Path(tmp), MiniLM())
        load = time.perf_counter() - t
    print(json.dumps({"stage": "index_build", "ms": round(build * 1000, 1), "articles": len(corpus)}))
    print(json.dumps({"stage": "index_load", "ms": round(load * 1000, 1)}))
    assistant = Assistant()
    t = time.perf_counter()
    backend = assistant.backend
    backend._load()
    print(json.dumps({"stage": "model_load", "ms": round((time.perf_counter() - t) * 1000, 1)}))
    print(json.dumps({"stage": "model_speed", **model_speed(backend)}))
    t = time.perf_counter()  # what `storydesk index` adds: each article's reading state (cached on disk after)
    n = assistant.prepare_reading()
    print(json.dumps({"stage": "reading_states", "ms": round((time.perf_counter() - t) * 1000, 1), "articles": n}))
    rows = []
    for q in _questions(args.questions, args.limit):
        answer = assistant.ask(q)
        rows.append(answer.timings_ms)
        print(json.dumps({"stage": "question", "question": q[:60], **answer.timings_ms}))
    for key in ("retrieve", "generate", "accept", "compare", "stance", "total"):
        values = [r.get(key, 0.0) for r in rows]
        print(json.dumps({"stage": f"median_{key}", "ms": round(statistics.median(values), 1)}))


if __name__ == "__main__":
    main()
