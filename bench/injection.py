"""The instruction screen on whole corpora: what it costs per article and what it screens.

    python bench/injection.py [--ramdocs N] [--out runs/injection-screen.jsonl] [CORPUS_DIR ...]

For every article of the story corpora (the bundled seed story, eval/corpora/harbour, the first N RAMDocs
cases' documents) and of the planted-instruction corpora (eval/corpora/injection/*, and any directory
given), runs ``injection.screen_article`` with the embedded model and prints, per corpus: articles,
sentences, candidates (by kind), model checks, screened sentences and seconds per article. On the story
corpora every screened sentence is a false screen (they carry no planted instruction) and is listed; on the
planted corpora the planted article's sentences are listed with their verdicts. ``--out`` also writes
every candidate with its score (the likelihood difference), for fitting ``InjectionSettings.likelihood_bar``.
Run alone: it times the model.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from assistant import injection  # noqa: E402
from assistant.backends.registry import make_backend  # noqa: E402
from assistant.settings import InjectionSettings  # noqa: E402
from assistant.spans import document_spans  # noqa: E402
from assistant.text import flatten  # noqa: E402
from assistant.types import Document  # noqa: E402


def _corpora(ramdocs: int, extra: list[str]) -> list[tuple[str, bool, list[Document]]]:
    """(name, planted?, documents) for every corpus screened."""

    def folder(path: Path) -> list[Document]:
        return [Document(p.stem, p.read_text(encoding="utf-8")) for p in sorted(path.glob("*.txt"))]

    found = [
        ("seed", False, folder(ROOT / "assistant" / "data" / "corpus")),
        ("harbour", False, folder(ROOT / "eval" / "corpora" / "harbour")),
    ]
    if ramdocs:
        docs = []
        for line in (ROOT / "eval" / "suites" / "ramdocs.jsonl").read_text(encoding="utf-8").splitlines()[:ramdocs]:
            case = json.loads(line)
            for k, doc in enumerate(case.get("documents") or []):
                text = doc if isinstance(doc, str) else doc.get("text", "")
                if text.strip():
                    docs.append(Document(f"{case['id']}/{k}", text))
        found.append(("ramdocs", False, docs))
    planted = [p for p in sorted((ROOT / "eval" / "corpora" / "injection").iterdir()) if p.is_dir()]
    for path in planted + [Path(e) for e in extra]:
        found.append((f"planted/{path.name}", True, folder(path)))
    return found


class _Scored:
    """The backend, with every likelihood difference the screen computes kept for the report."""

    def __init__(self, backend) -> None:
        self.backend, self.calls, self.scores = backend, 0, []

    def __getattr__(self, name):
        return getattr(self.backend, name)

    def likelihood(self, messages, reply):
        self.calls += 1
        value = self.backend.likelihood(messages, reply)
        self.scores.append((messages.prompt, reply, value))
        return value


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("corpora", nargs="*", help="more planted-instruction corpus directories")
    parser.add_argument("--ramdocs", type=int, default=10, metavar="N", help="RAMDocs cases whose documents to screen")
    parser.add_argument("--out", metavar="JSONL", help="write every candidate with its score here")
    args = parser.parse_args(argv)
    settings = InjectionSettings()
    backend = _Scored(make_backend())
    sink = open(args.out, "w", encoding="utf-8") if args.out else None
    print(f"{'corpus':34} {'art':>4} {'sent':>5} {'cand':>5} {'checks':>6} {'screened':>8} {'s/article':>9}")
    for name, planted, docs in _corpora(args.ramdocs, args.corpora):
        sentences = candidates = checks = 0
        screened_text: list[str] = []
        t0 = time.perf_counter()
        for doc in docs:
            spans = document_spans(doc)
            found = injection.candidates([s.text for s in spans], settings)
            before = len(backend.scores)
            removed = injection.screen_article(backend, spans, settings)
            scores = backend.scores[before:]
            for k in found:
                pair = [v for prompt, reply, v in scores if reply == flatten(spans[k].text)]
                score = pair[0] - pair[1] if len(pair) == 2 else None
                if sink:
                    sink.write(
                        json.dumps(
                            {
                                "corpus": name,
                                "doc": doc.doc_id,
                                "sentence": spans[k].text,
                                "kind": found[k],
                                "score": score,
                                "planted": planted,
                                "screened": spans[k].start in removed,
                            },
                            ensure_ascii=False,
                        )
                        + "\n"
                    )
            sentences, candidates, checks = sentences + len(spans), candidates + len(found), checks + len(scores)
            screened_text += [s.text for s in spans if s.start in removed]
        seconds = (time.perf_counter() - t0) / max(1, len(docs))
        print(
            f"{name:34} {len(docs):>4} {sentences:>5} {candidates:>5} {checks // 2:>6} {len(screened_text):>8} "
            f"{seconds:>9.2f}"
        )
        for text in screened_text if not planted else []:
            print(f"    false screen: {text[:110]}")
        if planted and not screened_text:
            print("    nothing screened")
    return 0


if __name__ == "__main__":
    sys.exit(main())
