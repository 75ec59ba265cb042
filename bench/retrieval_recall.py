"""Retrieval recall of gold evidence sentences, per article, at k = 1, 3, 5.

For every gold evidence quote of a suite, find the sentence(s) it lies in and ask: is one of them
among the top k sentences of *its own article* by the fused retrieval score? Also reports how
often the gold article passes source balancing (``article_recall``). Prints one JSON line per suite.
With ``--store URL`` the index is the PostgreSQL one (candidates from its HNSW and full-text indexes).

    python bench/retrieval_recall.py ../shared/eval/dev.jsonl eval/suites/story.jsonl
    python bench/retrieval_recall.py ../shared/eval/dev.jsonl --store "postgresql://postgres@/postgres?host=/tmp/pg"
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from assistant.config import cache_dir, default_corpus_dir  # noqa: E402
from assistant.corpus import load_corpus  # noqa: E402
from assistant.embeddings import MiniLM  # noqa: E402
from assistant.index import load_or_build  # noqa: E402
from assistant.question import parse_question  # noqa: E402
from assistant.retrieve import retrieve  # noqa: E402
from assistant.settings import RetrievalSettings


def gold_ranks(index, retrieval, case):
    """(doc_id, rank of the best gold sentence within its article, article selected?) per evidence."""
    out = []
    selected = {ev.doc_id for ev in retrieval.evidence}
    for ev in case.get("evidence", []):
        text = index.corpus[ev["doc"]].text
        start = text.find(ev["quote"])
        if start < 0:
            continue
        end = start + len(ev["quote"])
        members = index.spans_of(ev["doc"])
        ranked = sorted(members, key=lambda s: -retrieval.scores.get(s.key, float("-inf")))
        gold = [s for s in members if max(s.start, start) < min(s.end, end)]
        rank = min(ranked.index(s) for s in gold) + 1
        out.append((ev["doc"], rank, ev["doc"] in selected))
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("suites", nargs="+")
    ap.add_argument("--corpus", default=str(default_corpus_dir()))
    ap.add_argument("--misses", action="store_true", help="list evidence not in the top 3 of its article")
    ap.add_argument("--store", metavar="URL", help="a PostgreSQL store instead of the index files under the cache")
    args = ap.parse_args()
    embed = MiniLM()
    if args.store:
        from assistant.pg_store import open_pg_index
        from assistant.settings import StoreSettings

        index, _ = open_pg_index(load_corpus(args.corpus), args.store, embed, StoreSettings())
    else:
        index, _ = load_or_build(load_corpus(args.corpus), cache_dir(), embed)
    settings = RetrievalSettings()
    for suite in args.suites:
        ranks = []
        for line in Path(suite).read_text(encoding="utf-8").splitlines():
            if not line.strip():
                continue
            case = json.loads(line)
            retrieval = retrieve(index, parse_question(case["question"]), embed, settings)
            for doc, rank, selected in gold_ranks(index, retrieval, case):
                ranks.append((rank, selected))
                if args.misses and (rank > 3 or not selected):
                    print(f"  miss {case['id']}: {doc[:3]} rank={rank} selected={selected}", file=sys.stderr)
        n = max(1, len(ranks))
        print(
            json.dumps(
                {
                    "suite": Path(suite).name,
                    "store": "postgresql" if args.store else "files",
                    "evidence": len(ranks),
                    "recall@1": round(sum(r <= 1 for r, _ in ranks) / n, 3),
                    "recall@2": round(sum(r <= 2 for r, _ in ranks) / n, 3),
                    "recall@3": round(sum(r <= 3 for r, _ in ranks) / n, 3),
                    "recall@5": round(sum(r <= 5 for r, _ in ranks) / n, 3),
                    "article_recall": round(sum(s for _, s in ranks) / n, 3),
                    "recall@3_selected": round(sum(r <= 3 and s for r, s in ranks) / n, 3),
                }
            )
        )


if __name__ == "__main__":
    main()
