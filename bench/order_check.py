"""The gathering's order check (gather._orders_only) on sentences whose kind is known: what it scores.

    python bench/order_check.py [--ramdocs N] [--out runs/order-check.jsonl]

Scores, with the embedded model, the likelihood difference the check reads (order framing minus report
framing, the answer's words left out, ``GatherSettings.order_words`` either side) for:
- every planted sentence of the planted suites (eval/suites/injection*.jsonl, the held-out ones included: run
  it on a held-out suite only once, when the check is frozen), its answer the planted value it carries;
- every sentence the dev answers cite (../shared/eval/dev.jsonl answered by ``storydesk ask``, read from a
  grade.py ``--out`` file given with ``--dev``), its answer the position it is cited for;
- the first N RAMDocs cases' sentences that hold one of the case's answers (gold or wrong).
Prints each kind's scores, sorted, with the bar, and how many of each kind reach it. Run alone: it times
nothing, but the model is slow beside another.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from assistant.backends.registry import make_backend  # noqa: E402
from assistant.gather import _wrapper  # noqa: E402
from assistant.prompts import load_prompt  # noqa: E402
from assistant.settings import GatherSettings  # noqa: E402
from assistant.spans import document_spans  # noqa: E402
from assistant.types import Document, Finding  # noqa: E402


def _found(kind: str, question: str, text: str, phrases: list[str]) -> list[tuple[str, str, Finding]]:
    """(kind, question, finding) for each sentence of ``text`` holding one of ``phrases`` (the first found)."""
    doc = Document("d", text)
    out = []
    for span in document_spans(doc):
        for phrase in phrases:
            at = span.text.lower().find(phrase.lower())
            if at >= 0:
                start = span.start + at
                out.append(
                    (
                        kind,
                        question,
                        Finding("d", 1.0, text[start : start + len(phrase)], start, start + len(phrase), span),
                    )
                )
                break
    return out


def _planted() -> list[tuple[str, str, Finding]]:
    items = []
    for suite in sorted((ROOT / "eval" / "suites").glob("injection*.jsonl")):
        for line in suite.read_text(encoding="utf-8").splitlines():
            case = json.loads(line)
            corpus = (suite.parent / case["corpus"]).resolve()
            for path in sorted(corpus.glob("*.txt")):
                if path.stem in ("zz_briefing", "03_roundup"):
                    kind = f"{suite.stem}:{'benign' if case['id'].split('-', 1)[1].startswith('benign') else 'planted'}"
                    phrases = case["must_not_mention"] or [m[0] for m in case["must_mention"]]
                    items += _found(kind, case["question"], path.read_text(encoding="utf-8"), phrases)
    return items


def _dev(path: Path) -> list[tuple[str, str, Finding]]:
    items = []
    for reply in json.loads(path.read_text(encoding="utf-8"))["replies"]:
        answer = reply["reply"]
        said = {
            int(n): phrase
            for phrase, ns in re.findall(r'"([^"]+)" ((?:\[\d+\])+)', answer["answer"])
            for n in re.findall(r"\d+", ns)
        }
        for c in answer.get("citations", []):
            if c["id"] in said:
                items += _found("dev", answer["question"], c["quote"], [said[c["id"]]])
    return items


def _ramdocs(n: int) -> list[tuple[str, str, Finding]]:
    items = []
    for line in (ROOT / "eval" / "suites" / "ramdocs.jsonl").read_text(encoding="utf-8").splitlines()[:n]:
        case = json.loads(line)
        for doc in case["documents"]:
            text = doc if isinstance(doc, str) else doc.get("text", "")
            items += _found("ramdocs", case["question"], text, case["gold_answers"] + case["wrong_answers"])[:1]
    return items


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--ramdocs", type=int, default=25, metavar="N")
    parser.add_argument("--dev", type=Path, help="a grade.py --out file: its answers' cited sentences are scored")
    parser.add_argument("--only", help="score only the kinds starting with this (e.g. injection_blind2)")
    parser.add_argument(
        "--skip", action="append", default=[], help="leave out the kinds starting with this (a held-out suite)"
    )
    parser.add_argument("--out", type=Path, help="write every score here (JSONL)")
    args = parser.parse_args(argv)
    settings, backend = GatherSettings(), make_backend()
    order, report = load_prompt("order_answer"), load_prompt("report_answer")
    items = _planted() + (_dev(args.dev) if args.dev else []) + _ramdocs(args.ramdocs)
    items = [
        i for i in items if (not args.only or i[0].startswith(args.only)) and not i[0].startswith(tuple(args.skip))
    ]
    scores: dict[str, list[tuple[float, str]]] = {}
    sink = args.out.open("w", encoding="utf-8") if args.out else None
    for kind, question, finding in items:
        reply, skip = _wrapper(finding, settings.order_words)
        asked = order.messages(question=question), report.messages(question=question)
        value = backend.likelihood(asked[0], reply, skip) - backend.likelihood(asked[1], reply, skip)
        scores.setdefault(kind, []).append((value, reply))
        if sink:
            sink.write(json.dumps({"kind": kind, "question": question, "reply": reply, "score": value}) + "\n")
    for kind, found in scores.items():
        over = sum(v >= settings.order_bar for v, _ in found)
        print(f"\n{kind}: {over} of {len(found)} at or over the bar {settings.order_bar}")
        for value, reply in sorted(found, reverse=True):
            print(f"  {value:6.2f}  {reply[:100]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
