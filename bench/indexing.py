"""Indexing cost against article size: one big article of N MB, built from scratch, per size.

The article is news copy made from the bundled articles' sentences, each one altered (words swapped
for others of the corpus, numbers changed) so that no sentence repeats: repeated sentences are embedded
once, which would flatter the numbers. Deterministic from the seed; nothing is downloaded. Each size
runs in a fresh process (``storydesk index`` into an empty cache), so the peak memory is its own.

    python bench/indexing.py --mb 0.5 2 10
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def big_article(n_bytes: int, seed: int = 7) -> str:
    from assistant.config import default_corpus_dir
    from assistant.corpus import load_corpus
    from assistant.spans import document_spans

    sentences = [s.text for doc in load_corpus(default_corpus_dir()) for s in document_spans(doc)]
    words = sorted({w for s in sentences for w in re.findall(r"[a-z]{4,}", s)})
    rng = random.Random(seed)
    paragraphs, size = [], 0
    while size < n_bytes:
        chosen = []
        for sentence in rng.sample(sentences, rng.randint(1, 4)):
            tokens = sentence.split(" ")
            for _ in range(max(1, len(tokens) // 6)):  # about one word in six replaced
                i = rng.randrange(len(tokens))
                if tokens[i].isalpha() and tokens[i].islower():
                    tokens[i] = rng.choice(words)
            chosen.append(re.sub(r"\d+", lambda _: str(rng.randint(2, 9999)), " ".join(tokens)))
        paragraphs.append(" ".join(chosen))
        size += len(paragraphs[-1].encode("utf-8")) + 1
    return "\n".join(paragraphs) + "\n"


def _one(mb: float) -> dict:
    """Build the index of an ``mb``-MB article in this process (called in a child per size)."""
    from assistant.corpus import CorpusLimits, load_corpus
    from assistant.embeddings import MiniLM
    from assistant.index import load_or_build

    with tempfile.TemporaryDirectory() as tmp:
        corpus_dir = Path(tmp) / "articles"
        corpus_dir.mkdir()
        (corpus_dir / "big.txt").write_text(big_article(int(mb * 1024 * 1024)), encoding="utf-8")
        encoder = MiniLM()
        encoder.embed(["load the model first"])
        began = time.perf_counter()
        corpus = load_corpus(corpus_dir, CorpusLimits(max_article_bytes=64 * 1024 * 1024))
        index, _ = load_or_build(corpus, Path(tmp) / "cache", encoder)
        seconds = time.perf_counter() - began
        size = len(corpus.documents[0].text.encode("utf-8"))
        distinct = len({s.text for s in index.spans})
    return {"mb": round(size / 1024 / 1024, 2), "sentences": len(index.spans), "distinct_sentences": distinct,
            "seconds": round(seconds, 1), "mb_per_min": round(size / 1024 / 1024 / seconds * 60, 2),
            "sentences_per_s": round(len(index.spans) / seconds), "peak_rss_mb": resource.getrusage(
                resource.RUSAGE_SELF).ru_maxrss // 1024, "load_avg_1m": os.getloadavg()[0]}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--mb", type=float, nargs="+", default=[0.5, 2.0])
    ap.add_argument("--one", type=float, help=argparse.SUPPRESS)  # a child's single size
    args = ap.parse_args()
    if args.one is not None:
        print(json.dumps(_one(args.one)))
        return
    for mb in args.mb:
        out = subprocess.run([sys.executable, __file__, "--one", str(mb)], capture_output=True, text=True)
        print(out.stdout.strip() or json.dumps({"mb": mb, "error": out.stderr.strip()[-500:]}), flush=True)


if __name__ == "__main__":
    main()
