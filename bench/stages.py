"""Per-stage timings of the answer path, so the overhead around the model is visible.

Prints, as JSON lines: process start-up (imports), index build (cold, into a fresh cache) and index
load (warm), model load, the articles' reading states (computed, or read from disk when cached), then for
each question retrieve / generate (reading every article) / accept (is each reading an answer) / compare
(gathering, its yes/no checks) / stance in ms, and the
model's prompt and generation speed in tokens/s, measured on the embedded model:

    python bench/stages.py [--questions ../shared/eval/dev.jsonl] [--limit 6]
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


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--questions", default=str(Path(__file__).resolve().parents[2] / "shared" / "eval" / "dev.jsonl"))
    ap.add_argument("--limit", type=int, default=6)
    args = ap.parse_args()
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
    questions = [
        json.loads(line)["question"]
        for line in Path(args.questions).read_text(encoding="utf-8").splitlines()
        if line.strip()
    ]
    rows = []
    for q in questions[: args.limit]:
        answer = assistant.ask(q)
        rows.append(answer.timings_ms)
        print(json.dumps({"stage": "question", "question": q[:60], **answer.timings_ms}))
    for key in ("retrieve", "generate", "accept", "compare", "stance", "total"):
        values = [r.get(key, 0.0) for r in rows]
        print(json.dumps({"stage": f"median_{key}", "ms": round(statistics.median(values), 1)}))


if __name__ == "__main__":
    main()
