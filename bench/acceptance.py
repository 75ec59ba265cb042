"""Fit acceptance (accept.py) on tune splits: which readings answer the question, which only copy a related phrase?

``read``: every article the answer path would read for each case is read with the fluency floor off; each
reading's clues (accept.clues) are written to --out with a label taken from the gold data:
- a RAMDocs document's reading answers when the document is not noise and the copied words hold the
  document's own answer (or it holds them);
- a story case's reading answers when the case is answerable and the copied words hold one alternative of a
  key point (``must_mention``), or lie inside a gold evidence quote of that article.
``fit``: from such files, each clue's separation (ROC AUC alone), then the logistic model over all of them,
fitted on half of the cases (by a hash of the case id) and reported on the other half, then refitted on all;
prints the ``AcceptSettings`` to paste, and the bar with the best F-beta (beta 0.5: precision first).

    .venv/bin/python bench/acceptance.py read eval/suites/readers.jsonl eval/suites/harbour.jsonl --out runs/acc-story.jsonl
    .venv/bin/python bench/acceptance.py read eval/suites/ramdocs.jsonl --limit 20 --out runs/acc-ramdocs.jsonl
    .venv/bin/python bench/acceptance.py fit runs/acc-story.jsonl runs/acc-ramdocs.jsonl
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from assistant import Assistant  # noqa: E402
from assistant.accept import Clues, _echo, _typed, clues, features  # noqa: E402
from assistant.answer import _articles, searched  # noqa: E402
from assistant.prompts import load_prompt  # noqa: E402
from assistant.question import parse_question  # noqa: E402
from assistant.reader import PROMPT, read_article  # noqa: E402
from assistant.repeats import Repeats  # noqa: E402
from assistant.retrieve import reading_list, retrieve  # noqa: E402
from assistant.settings import AcceptSettings, ReadingSettings  # noqa: E402
from assistant.text import answer_key, contains_words  # noqa: E402
from assistant.types import Finding, Span  # noqa: E402

# The reader copies only when P("yes") reaches its bar (copying is most of the cost); the fluency floor is off:
# fluency is one of the clues.
OPEN = ReadingSettings(fluency_floor=-math.inf)
FEATURES = tuple(features(Clues(0.5, 0.0, 0, 0.0, 0.5), AcceptSettings()))


def _holds(phrase: str, answer: str) -> bool:
    a, b = answer_key(phrase), answer_key(answer)
    return bool(a and b) and (contains_words(a, b) or contains_words(b, a))


def _label(case: dict, doc_id: str, phrase: str, docs: dict) -> bool:
    if "documents" in case:
        doc = docs[doc_id]
        return doc["type"] != "noise" and _holds(phrase, doc["answer"])
    if not case.get("answerable", True):
        return False
    low = phrase.lower()
    if any(alt.lower() in low for group in case.get("must_mention", []) for alt in group):
        return True
    return any(
        e["doc"] == doc_id and contains_words(answer_key(e["quote"]), answer_key(phrase)) for e in case["evidence"]
    )


def _read_case(assistant: Assistant, case: dict, docs: dict, reading: ReadingSettings) -> list[dict]:
    settings = assistant.settings
    question = searched(parse_question(case["question"]), settings)  # as the answer path searches and reads it
    index = assistant.index
    found = retrieve(index, question, assistant.encoder, settings.retrieval)
    retrieval = reading_list(
        index, found, Repeats(index.corpus, settings.gather.near_copy), settings.retrieval
    ).retrieval
    articles, _ = _articles(index, retrieval, assistant.backend, settings, assistant.caches.verdicts)
    prompt = load_prompt(PROMPT)
    rows = []
    for article in articles:
        for f in read_article(assistant.backend, prompt, question, article, reading):
            row = {"case": case["id"], "kind": case.get("kind", ""), "doc": f.doc_id, "part": f.part}
            row["question"] = question.asked[f.part]
            row["phrase"] = f.phrase
            if f.answers:
                row.update(clues(f, question, retrieval, article.sentences).as_row())
                row["sentence"] = f.sentence.text
                row["answers"] = _label(case, f.doc_id, f.phrase, docs)
            else:
                row.update(p_yes=f.p_yes, answers=False)
            rows.append(row)
    return rows


def read(paths: list[Path], split: str, limit: int, out: Path, bar: float) -> int:
    """Reads every case, appending each case's readings to ``out`` as it goes (a long run can be looked at; a
    run started again skips the cases ``out`` holds)."""
    out.parent.mkdir(parents=True, exist_ok=True)
    out.touch()
    seen = {json.loads(line)["case"] for line in out.read_text(encoding="utf-8").splitlines() if line.strip()}
    backend = Assistant().backend
    reading = replace(OPEN, answer_bar=bar)
    assistants: dict[str, Assistant] = {}
    rows: list[dict] = []
    done = 0
    for path in paths:
        cases = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
        cases = [c for c in cases if split == "all" or c.get("split", "tune") == split][: limit or None]
        for case in (c for c in cases if c["id"] not in seen):
            t = time.perf_counter()
            if "documents" in case:
                with tempfile.TemporaryDirectory() as d:
                    docs = {}
                    for i, doc in enumerate(case["documents"]):
                        Path(d, f"doc{i:02d}.txt").write_text(doc["text"], encoding="utf-8")
                        docs[f"doc{i:02d}"] = doc
                    rows += _read_case(Assistant(d, backend=backend), case, docs, reading)
            else:
                corpus = str((path.parent / case["corpus"]).resolve()) if case.get("corpus") else ""
                if corpus not in assistants:
                    assistants[corpus] = Assistant(corpus or None, backend=backend)
                rows += _read_case(assistants[corpus], case, {}, reading)
            with out.open("a", encoding="utf-8") as f:
                f.write("".join(json.dumps(row) + "\n" for row in rows[done:]))
            done = len(rows)
            print(f"{case['id']}: {len(rows)} readings, {time.perf_counter() - t:.1f} s", file=sys.stderr, flush=True)
    return len(rows)


def _auc(x: np.ndarray, y: np.ndarray) -> float:
    pos, neg = x[y], x[~y]
    if not len(pos) or not len(neg):
        return float("nan")
    greater = (pos[:, None] > neg[None, :]).mean() + 0.5 * (pos[:, None] == neg[None, :]).mean()
    return float(greater)


def _matrix(rows: list[dict], cap: int) -> np.ndarray:
    settings = AcceptSettings(max_rank=cap)
    clue_names = Clues.__dataclass_fields__
    return np.array(
        [list(features(Clues(**{k: r[k] for k in clue_names}), settings).values()) for r in rows], dtype=np.float64
    )


def _fit(x: np.ndarray, y: np.ndarray, l2: float = 0.01, steps: int = 4000) -> tuple[float, np.ndarray]:
    """Logistic regression by gradient descent on standardised features; weights in the raw features' units."""
    mu, sd = x.mean(0), x.std(0) + 1e-9
    z = (x - mu) / sd
    w, b = np.zeros(z.shape[1]), 0.0
    for _ in range(steps):
        p = 1 / (1 + np.exp(-(z @ w + b)))
        w -= 0.1 * (z.T @ (p - y) / len(y) + l2 * w)
        b -= 0.1 * float(np.mean(p - y))
    raw = w / sd
    return b - float(raw @ mu), raw


def _predict(x: np.ndarray, bias: float, w: np.ndarray) -> np.ndarray:
    return 1 / (1 + np.exp(-(x @ w + bias)))


def _report(name: str, p: np.ndarray, y: np.ndarray, bar: float) -> str:
    pred = p >= bar
    tp, fp, fn = int((pred & y).sum()), int((pred & ~y).sum()), int((~pred & y).sum())
    precision, recall = tp / max(tp + fp, 1), tp / max(tp + fn, 1)
    return f"{name}: bar {bar:.2f} precision {precision:.3f} recall {recall:.3f} (tp {tp}, fp {fp}, fn {fn})"


def _best_bar(p: np.ndarray, y: np.ndarray, beta: float = 0.5) -> float:
    def f(bar: float) -> float:
        pred = p >= bar
        tp, fp, fn = (pred & y).sum(), (pred & ~y).sum(), (~pred & y).sum()
        return (1 + beta**2) * tp / max((1 + beta**2) * tp + beta**2 * fn + fp, 1)

    return max(np.arange(0.05, 0.96, 0.05), key=f)


def _recomputed(row: dict) -> dict:
    """The row with the clues code reads off its text (echo, kind of value) computed by the current code, so a
    change to them needs no new reading."""
    sentence, phrase = row["sentence"], row["phrase"]
    at = sentence.find(phrase)
    if at < 0:
        return row
    span = Span(row["doc"], 0, 0, 0, len(sentence), sentence)
    f = Finding(row["doc"], row["p_yes"], phrase, at, at + len(phrase), span)
    q = parse_question(row["question"])
    return {**row, "echo": _echo(phrase, q), "typed": _typed(f, q)}


def fit(paths: list[Path], cap: int, drop: tuple[str, ...] = ()) -> None:
    # A later file's reading of the same case, article and part replaces an earlier one (a rerun at another bar).
    keyed = {
        (r["case"], r["doc"], r["part"]): r
        for p in paths
        for r in map(json.loads, p.read_text(encoding="utf-8").splitlines())
    }
    rows = [_recomputed(r) for r in keyed.values() if r.get("phrase")]
    y = np.array([bool(r["answers"]) for r in rows])
    x = _matrix(rows, cap)
    x[:, [FEATURES.index(k) for k in drop]] = 0.0  # a clue left out: its weight fits to 0
    print(f"{len(rows)} answering readings, {int(y.sum())} labelled answers")
    for k, name in enumerate(FEATURES):
        print(f"  {name:9s} AUC alone {_auc(x[:, k], y):.3f}")
    half = np.array([int(hashlib.sha256(r["case"].encode()).hexdigest(), 16) % 2 == 0 for r in rows])
    bias, w = _fit(x[half], y[half])
    p = _predict(x[~half], bias, w)
    bar = _best_bar(_predict(x[half], bias, w), y[half])
    print(f"  combined AUC on the other half {_auc(p, y[~half]):.3f}")
    print("  " + _report("other half", p, y[~half], bar))
    print("  " + _report("other half, P(yes) >= 0.3 only", x[~half, 0], y[~half], math.log(0.3 / 0.7)))
    bias, w = _fit(x, y)
    bar = _best_bar(_predict(x, bias, w), y)
    print("  " + _report("all (refit)", _predict(x, bias, w), y, bar))
    weights = ", ".join(f"w_{k}={v:.3f}" for k, v in zip(FEATURES, w))
    print(f"AcceptSettings(bar={bar:.2f}, bias={bias:.3f}, {weights}, max_rank={cap})")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="command", required=True)
    r = sub.add_parser("read")
    r.add_argument("suites", nargs="+", type=Path)
    r.add_argument("--split", default="tune", choices=["tune", "heldout", "all"])
    r.add_argument("--limit", type=int, default=0, help="cases per suite (0: all)")
    r.add_argument("--out", type=Path, required=True)
    r.add_argument("--bar", type=float, default=OPEN.answer_bar, help="the reader's answer bar while reading")
    f = sub.add_parser("fit")
    f.add_argument("readings", nargs="+", type=Path)
    f.add_argument("--max-rank", type=int, default=AcceptSettings().max_rank)
    f.add_argument("--drop", action="append", default=[], choices=FEATURES, help="fit without this clue")
    args = ap.parse_args()
    if args.command == "read":
        print(f"{read(args.suites, args.split, args.limit, args.out, args.bar)} readings -> {args.out}")
    else:
        fit(args.readings, args.max_rank, tuple(args.drop))


if __name__ == "__main__":
    main()
