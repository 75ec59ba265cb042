"""Print the unlabelled skeleton of a stance file: one record per sentence span, as the product splits it.

    .venv/bin/python eval/stance/skeleton.py seed > /tmp/seed.skeleton.jsonl
    .venv/bin/python eval/stance/skeleton.py harbour > /tmp/harbour.skeleton.jsonl

It writes to stdout only, never over the labelled files: the stances are filled in by hand (README.md).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from assistant.corpus import load_corpus
from assistant.spans import document_spans

ROOT = Path(__file__).resolve().parents[2]
CORPORA = {"seed": ROOT / "assistant/data/corpus", "harbour": ROOT / "eval/corpora/harbour"}


def records(name: str):
    for doc in load_corpus(CORPORA[name]):
        for s in document_spans(doc):
            yield {
                "corpus": name,
                "doc_id": doc.doc_id,
                "sentence": s.index,
                "start": s.start,
                "end": s.end,
                "text": s.text,
                "stance": "",
                "note": "",
            }


if __name__ == "__main__":
    for rec in records(sys.argv[1]):
        print(json.dumps(rec, ensure_ascii=False))
