"""Check the stance gold files against the corpora, as the product splits them.

    .venv/bin/python eval/stance/validate.py

For each of seed.jsonl and harbour.jsonl: every record's text is exactly ``corpus text[start:end]``; the
records are exactly the product's sentence spans (``assistant.spans.document_spans``), each once, in
order; every stance is one of reported / opinion / headline, and a headline is only ever a document's
first line standing alone as one span. Prints the counts per label and exits 1 on any problem.
"""

from __future__ import annotations

import json
import sys
from collections import Counter
from pathlib import Path

from assistant.corpus import load_corpus
from assistant.spans import document_spans

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
CORPORA = {"seed": ROOT / "assistant/data/corpus", "harbour": ROOT / "eval/corpora/harbour"}
STANCES = ("reported", "opinion", "headline")
FIELDS = {"corpus", "doc_id", "sentence", "start", "end", "text", "stance", "note"}


def check(name: str) -> tuple[list[str], Counter]:
    problems: list[str] = []
    corpus = load_corpus(CORPORA[name])
    expected = [(d.doc_id, s.index, s.start, s.end) for d in corpus for s in document_spans(d)]
    path = HERE / f"{name}.jsonl"
    records = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    counts: Counter = Counter()
    for n, rec in enumerate(records, 1):
        where = f"{path.name}:{n}"
        if set(rec) != FIELDS:
            problems.append(f"{where}: fields {sorted(rec)} are not {sorted(FIELDS)}")
            continue
        if rec["corpus"] != name:
            problems.append(f"{where}: corpus {rec['corpus']!r}, expected {name!r}")
        if rec["doc_id"] not in corpus:
            problems.append(f"{where}: unknown doc_id {rec['doc_id']!r}")
            continue
        text = corpus[rec["doc_id"]].text
        if text[rec["start"] : rec["end"]] != rec["text"]:
            problems.append(f"{where}: text differs from the corpus text[{rec['start']}:{rec['end']}]")
        if rec["stance"] not in STANCES:
            problems.append(f"{where}: stance {rec['stance']!r} is not one of {STANCES}")
        if rec["stance"] == "headline":
            first_line = text.split("\n", 1)[0].strip()
            if rec["sentence"] != 0 or rec["text"] != first_line:
                problems.append(f"{where}: headline that is not the document's whole first line")
        counts[rec["stance"]] += 1
    got = [(r.get("doc_id"), r.get("sentence"), r.get("start"), r.get("end")) for r in records]
    for key, k in Counter(got).items():
        if k > 1:
            problems.append(f"{path.name}: {key} labelled {k} times")
    missing = sorted(set(expected) - set(got))
    extra = sorted(set(got) - set(expected), key=str)
    problems += [f"{path.name}: sentence not labelled: {key}" for key in missing]
    problems += [f"{path.name}: record is not a product span: {key}" for key in extra]
    if not missing and not extra and got != expected:
        problems.append(f"{path.name}: records are not in corpus order")
    return problems, counts


def main() -> int:
    failed = False
    for name in CORPORA:
        problems, counts = check(name)
        total = sum(counts.values())
        shown = ", ".join(f"{s} {counts[s]}" for s in STANCES)
        print(f"{name}: {total} sentences: {shown}: {'OK' if not problems else f'{len(problems)} problem(s)'}")
        for p in problems:
            print("  " + p)
        failed |= bool(problems)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
