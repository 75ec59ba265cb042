"""Indexing cost: one big article of N MB built from scratch, or a corpus of N articles and the update
after one of them changes.

The article is news copy made from the bundled articles' sentences, each one altered (words swapped
for others of the corpus, numbers changed) so that no sentence repeats: repeated sentences are embedded
once, which would flatter the numbers. Deterministic from the seed; nothing is downloaded. Each size
runs in a fresh process (``storydesk index`` into an empty cache), so the peak memory is its own.

    python bench/indexing.py --mb 0.5 2 10
    python bench/indexing.py --articles 1000   # ~300-word articles: full build, then 1 article edited
"""

from __future__ import annotations

import argparse
import functools
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


@functools.cache
def _source() -> tuple[list[str], list[str]]:
    from assistant.config import default_corpus_dir
    from assistant.corpus import load_corpus
    from assistant.spans import document_spans

    sentences = [s.text for doc in load_corpus(default_corpus_dir()) for s in document_spans(doc)]
    return sentences, sorted({w for s in sentences for w in re.findall(r"[a-z]{4,}", s)})


def big_article(n_bytes: int, seed: int = 7) -> str:
    sentences, words = _source()
    rng = random.Random(seed)
    paragraphs: list[str] = []
    size = 0
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
    from assistant.corpus import load_corpus
    from assistant.embeddings import MiniLM
    from assistant.index import load_or_build
    from assistant.settings import CorpusLimits

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
    return {
        "mb": round(size / 1024 / 1024, 2),
        "sentences": len(index.spans),
        "distinct_sentences": distinct,
        "seconds": round(seconds, 1),
        "mb_per_min": round(size / 1024 / 1024 / seconds * 60, 2),
        "sentences_per_s": round(len(index.spans) / seconds),
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024,
        "load_avg_1m": os.getloadavg()[0],
    }


def _corpus(n: int) -> dict:
    """Build ``n`` articles of about 300 words, then edit one and time the update."""
    from assistant.corpus import load_corpus
    from assistant.embeddings import MiniLM
    from assistant.index import load_or_build

    with tempfile.TemporaryDirectory() as tmp:
        corpus_dir, cache = Path(tmp) / "articles", Path(tmp) / "cache"
        corpus_dir.mkdir()
        for i in range(n):
            (corpus_dir / f"a{i:06d}.txt").write_text(big_article(1900, seed=i), encoding="utf-8")
        encoder = MiniLM()
        encoder.embed(["load the model first"])
        began = time.perf_counter()
        index, _ = load_or_build(load_corpus(corpus_dir), cache, encoder)
        full = time.perf_counter() - began
        (corpus_dir / "a000000.txt").write_text(big_article(1900, seed=n + 1), encoding="utf-8")
        began = time.perf_counter()
        load_or_build(load_corpus(corpus_dir), cache, encoder)
        update = time.perf_counter() - began
        disk = sum(f.stat().st_size for f in cache.rglob("*") if f.is_file())
    return {
        "articles": n,
        "sentences": len(index.spans),
        "full_build_s": round(full, 1),
        "articles_per_s": round(n / full, 1),
        "update_1_article_s": round(update, 2),
        "update_share_of_full": round(update / full, 4),
        "cache_mb": round(disk / 1024 / 1024, 1),
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024,
        "load_avg_1m": os.getloadavg()[0],
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--mb", type=float, nargs="+", default=[])
    ap.add_argument("--articles", type=int, nargs="+", default=[])
    ap.add_argument("--one", type=float, help=argparse.SUPPRESS)  # a child's single size
    ap.add_argument("--one-corpus", type=int, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.one is not None or args.one_corpus is not None:
        print(json.dumps(_one(args.one) if args.one is not None else _corpus(args.one_corpus)))
        return
    runs = [["--one", str(mb)] for mb in args.mb] + [["--one-corpus", str(n)] for n in args.articles]
    for run in runs or [["--one", "2"]]:
        out = subprocess.run([sys.executable, __file__, *run], capture_output=True, text=True)
        print(out.stdout.strip() or json.dumps({"run": run, "error": out.stderr.strip()[-500:]}), flush=True)


if __name__ == "__main__":
    main()
