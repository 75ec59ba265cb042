"""Calibrate the reader's answer bar on tune splits: does an article answer the question?

Every article of every case is read with the bar off (``ask_floor`` 0, ``accept`` -inf), and each reading is
labelled: a RAMDocs document answers when its type is correct or misinfo (it states an answer) and does
not when it is noise; a story article answers when the case cites it as evidence, and never for an
unanswerable case. Prints, for the score logit(P(yes)) + w x fluency at a few weights, the bar with the
best balanced accuracy, and writes every reading to --out (JSONL) for a closer look.

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

OPEN = ReadingSettings(accept=-math.inf, ask_floor=0.0)


def _articles(assistant: Assistant) -> list[Article]:
    index = assistant.index
    return [Article(d, tuple(index.spans[i] for i in index.spans_of(d.doc_id))) for d in index.corpus]


def _read(assistant: Assistant, question: str, labels: dict[str, bool], case: str) -> list[dict]:
    prompt = load_prompt(PROMPT)
    rows = []
    for article in _articles(assistant):
        if article.doc_id not in labels:
            continue
        f = read_article(assistant.backend, prompt, parse_question(question), article, OPEN)[0]
        rows.append(
            {"case": case, "doc": article.doc_id, "answers": labels[article.doc_id], "p_yes": f.p_yes,
             "fluency": f.fluency, "phrase": f.phrase}
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


def best_bar(rows: list[dict], weight: float) -> tuple[float, float]:
    def score(r):
        p = min(max(r["p_yes"], 1e-4), 1 - 1e-4)
        return math.log(p / (1 - p)) + weight * (r["fluency"] if r["fluency"] is not None else -10.0)

    pos = [score(r) for r in rows if r["answers"]]
    neg = [score(r) for r in rows if not r["answers"]]
    best = (0.0, 0.0)
    for bar in sorted(set(pos + neg)):
        tpr = sum(s >= bar for s in pos) / max(len(pos), 1)
        tnr = sum(s < bar for s in neg) / max(len(neg), 1)
        best = max(best, ((tpr + tnr) / 2, bar))
    return best


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("suites", nargs="+", type=Path)
    ap.add_argument("--split", default="tune", choices=["tune", "heldout", "all"])
    ap.add_argument("--limit", type=int, default=0, help="cases per suite (0: all)")
    ap.add_argument("--out", type=Path, default=Path("runs/reader-calibration.jsonl"))
    args = ap.parse_args()
    backend = Assistant().backend
    t0 = time.perf_counter()
    rows = [r for suite in args.suites for r in readings(suite, args.split, backend, args.limit)]
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    print(f"{len(rows)} readings ({sum(r['answers'] for r in rows)} answering) in {time.perf_counter() - t0:.0f} s")
    for weight in (0.0, 0.5, 1.0, 2.0):
        accuracy, bar = best_bar(rows, weight)
        print(f"fluency weight {weight}: best bar {bar:.2f}, balanced accuracy {accuracy:.3f}")


if __name__ == "__main__":
    main()
