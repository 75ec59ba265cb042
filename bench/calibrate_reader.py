"""Calibrate the reader's answer bar on tune splits: does an article answer the question?

Every article of every case is read with the bars off, and each reading is
labelled: a RAMDocs document answers when its type is correct or misinfo (it states an answer) and does
not when it is noise; a story article answers when the case cites it as evidence, and never for an
unanswerable case. Prints the (answer_bar, fluency_floor) pairs of ReadingSettings with the best balanced
accuracy, and writes every reading to --out (JSONL) for a closer look (--rescore FILE: from such a file).

    .venv/bin/python bench/calibrate_reader.py eval/suites/ramdocs.jsonl ../shared/eval/dev.jsonl --split tune
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from assistant import Assistant  # noqa: E402
from assistant.prompts import load_prompt  # noqa: E402
from assistant.question import parse_question  # noqa: E402
from assistant.reader import PROMPT, read_article  # noqa: E402
from assistant.settings import ReadingSettings  # noqa: E402
from assistant.types import Article  # noqa: E402

OPEN = ReadingSettings(answer_bar=0.0, fluency_floor=-math.inf)
FLOORS = (-1.0, -1.5, -2.0, -2.5, -3.0, -5.0, -math.inf)


def _articles(assistant: Assistant) -> list[Article]:
    index = assistant.index
    return [Article(d, tuple(index.spans_of(d.doc_id))) for d in index.corpus]


def _read(assistant: Assistant, question: str, labels: dict[str, bool], case: str) -> list[dict]:
    prompt = load_prompt(PROMPT)
    rows = []
    for article in _articles(assistant):
        if article.doc_id not in labels:
            continue
        f = read_article(assistant.backend, prompt, parse_question(question), article, OPEN)[0]
        rows.append(
            {
                "case": case,
                "doc": article.doc_id,
                "answers": labels[article.doc_id],
                "p_yes": f.p_yes,
                "fluency": f.fluency,
                "phrase": f.phrase,
            }
        )
    return rows


def readings(suite: Path, split: str, backend, limit: int) -> list[dict]:
    cases = [json.loads(line) for line in suite.read_text(encoding="utf-8").splitlines() if line.strip()]
    cases = [c for c in cases if split == "all" or c.get("split", "tune") == split][: limit or None]
    rows: list[dict] = []
    story = None
    for case in cases:
        if "documents" in case:  # RAMDocs: the case brings its documents
            with tempfile.TemporaryDirectory() as d:
                for i, doc in enumerate(case["documents"]):
                    Path(d, f"doc{i:02d}.txt").write_text(doc["text"], encoding="utf-8")
                labels = {f"doc{i:02d}": doc["type"] != "noise" for i, doc in enumerate(case["documents"])}
                rows += _read(Assistant(d, backend=backend), case["question"], labels, case["id"])
        else:  # a story suite over the bundled corpus
            story = story or Assistant(backend=backend)
            cited = set(case.get("docs", [])) | {e["doc"] for e in case.get("evidence", [])}
            labels = {d.doc_id: case.get("answerable", True) and d.doc_id in cited for d in story.corpus}
            rows += _read(story, case["question"], labels, case["id"])
        print(f"{case['id']}: {len(rows)} readings", file=sys.stderr, flush=True)
    return rows


def balanced_accuracy(rows: list[dict], answer_bar: float, fluency_floor: float) -> float:
    def accepted(r):
        fluency = r["fluency"] if r["fluency"] is not None else -math.inf
        return r["p_yes"] >= answer_bar and fluency >= fluency_floor and bool(r["phrase"])

    pos = [accepted(r) for r in rows if r["answers"]]
    neg = [not accepted(r) for r in rows if not r["answers"]]
    return (sum(pos) / max(len(pos), 1) + sum(neg) / max(len(neg), 1)) / 2


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("suites", nargs="*", type=Path)
    ap.add_argument("--split", default="tune", choices=["tune", "heldout", "all"])
    ap.add_argument("--limit", type=int, default=0, help="cases per suite (0: all)")
    ap.add_argument("--out", type=Path, default=Path("runs/reader-calibration.jsonl"))
    ap.add_argument("--rescore", type=Path, action="append", default=[], help="readings written by an earlier run")
    args = ap.parse_args()
    t0 = time.perf_counter()
    if args.rescore:
        rows = [json.loads(line) for path in args.rescore for line in path.read_text(encoding="utf-8").splitlines()]
    else:
        backend = Assistant().backend
        rows = [r for suite in args.suites for r in readings(suite, args.split, backend, args.limit)]
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    print(f"{len(rows)} readings ({sum(r['answers'] for r in rows)} answering) in {time.perf_counter() - t0:.0f} s")
    grid = [(balanced_accuracy(rows, p, f), p, f) for p in (0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9) for f in FLOORS]
    for accuracy, p, f in sorted(grid, reverse=True)[:5]:
        print(f"answer_bar {p:.1f}, fluency_floor {f:>5}: balanced accuracy {accuracy:.3f}")
    now = ReadingSettings()
    print(
        f"current ({now.answer_bar}, {now.fluency_floor}): {balanced_accuracy(rows, now.answer_bar, now.fluency_floor):.3f}"
    )


if __name__ == "__main__":
    main()
