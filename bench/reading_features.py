"""Collect the reading stage's signals on gold suites, with a label per article, to fit and check its bars.

For each case of the given suites (a split of them), each retrieved article: every candidate
sentence's P(yes) and retrieval score, and for the two best candidates the model's words, the
phrase grown from them and the answer check's P(yes). Labels: a candidate is right when it overlaps a
gold evidence quote of that article (story-style suites) or holds the document's gold answer
(RAMDocs-style cases with ``documents``). One JSON line per (case, article), appended as it goes:

    python bench/reading_features.py eval/suites/readers.jsonl ... --split tune --out runs/reading.jsonl

``bench/fit_reading.py`` fits the bars on these lines and scores them on another split.
"""

from __future__ import annotations

import argparse
import json
import re
import string
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from assistant.api import Assistant  # noqa: E402
from assistant.evaluate.corpora import inline_documents, write_documents  # noqa: E402
from assistant.evaluate.suites import load_suite  # noqa: E402
from assistant.prompts import load_prompt  # noqa: E402
from assistant.question import parse_question  # noqa: E402
from assistant.reading import _candidates, _claim, _extract, _judge, check_claim  # noqa: E402
from assistant.retrieve import retrieve  # noqa: E402


def _norm(s: str) -> str:
    s = "".join(ch if ch not in string.punctuation else " " for ch in s.lower())
    return " ".join(re.sub(r"\b(a|an|the)\b", " ", s).split())


def _gold_spans(case: dict, texts: dict[str, str]) -> dict[str, list[tuple[int, int]]]:
    spans: dict[str, list[tuple[int, int]]] = {}
    for ev in case.get("evidence") or []:
        at = texts.get(ev["doc"], "").find(ev["quote"])
        if at >= 0:
            spans.setdefault(ev["doc"], []).append((at, at + len(ev["quote"])))
    return spans


def _label(case: dict, span, claim: str, gold: dict) -> bool:
    if case.get("documents") is not None:
        doc = case["documents"][int(span.doc_id[3:])]
        answer = _norm(doc.get("answer", ""))
        return doc.get("type") != "noise" and bool(answer) and answer in _norm(claim or span.text)
    return any(s < span.end and e > span.start for s, e in gold.get(span.doc_id, []))


def _article(assistant, case, question, passages, gold) -> dict:
    backend, settings = assistant.backend, assistant.reading
    prompt = load_prompt("read_sentence")
    judged = [_judge(backend, prompt, question.ask, ev, settings) for ev in reversed(_candidates(passages, settings))]
    judged.sort(key=lambda j: -j.rank)
    rows = []
    for n, j in enumerate(judged):
        row = {"p_yes": round(j.p_yes, 4), "score": round(j.evidence.score, 4), "rank": round(j.rank, 3),
               "label": _label(case, j.evidence.span, "", gold), "sentence": j.evidence.text[:300]}
        if n < 1:
            words = _extract(backend, prompt, question.ask, j.evidence, settings)
            claim = _claim(words, j.evidence, question, settings)
            row.update(words=words, claim=claim, whole=claim.strip() == j.evidence.text.strip(),
                       p_check=round(check_claim(backend, question, claim), 4) if claim else 0.0,
                       claim_label=_label(case, j.evidence.span, claim, gold) if claim else False)
        rows.append(row)
    return {"doc": passages[0].doc_id, "candidates": rows}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("suites", nargs="+")
    ap.add_argument("--split", default="tune")
    ap.add_argument("--out", required=True)
    ap.add_argument("--limit", type=int, default=0, help="cases per suite (0: all)")
    ap.add_argument("--every", type=int, default=1, help="take every k-th case of each suite")
    args = ap.parse_args()
    out = Path(args.out)
    done = {json.loads(line)["key"] for line in out.read_text().splitlines()} if out.exists() else set()
    base = Assistant()
    for name in ("read_sentence", "check_answer"):
        base.backend.warm(load_prompt(name).prefix())
    tmp = Path(tempfile.mkdtemp())
    with out.open("a", encoding="utf-8") as sink:
        for suite in args.suites:
            cases = [c for c in load_suite(suite) if c.get("split", "tune") == args.split or args.split == "all"]
            for case in cases[:: args.every][: args.limit or None]:
                key = f"{Path(suite).stem}:{case['id']}"
                if key in done:
                    continue
                if case.get("documents") is not None:
                    corpus = write_documents(inline_documents(case), tmp / case["id"])
                elif case.get("corpus"):
                    corpus = (Path(suite).resolve().parent / case["corpus"]).resolve()
                else:
                    corpus = None
                assistant = Assistant(corpus, backend=base.backend, encoder=base._encoder) if corpus else base
                t = time.perf_counter()
                question = parse_question(case["question"])
                texts = {d.doc_id: d.text for d in assistant.corpus}
                gold = _gold_spans(case, texts)
                parts = []
                for part in question.parts or (question,):
                    retrieval = retrieve(assistant.index, part, assistant._encoder, assistant.retrieval)
                    parts.append({"ask": part.ask, "kind": part.kind, "articles": [
                        _article(assistant, case, part, passages, gold)
                        for passages in retrieval.by_article().values()]})
                line = {"key": key, "kind": case.get("kind"), "question": case["question"], "parts": parts,
                        "answerable": case.get("answerable", True), "docs": case.get("docs"),
                        "seconds": round(time.perf_counter() - t, 1)}
                sink.write(json.dumps(line, ensure_ascii=False) + "\n")
                sink.flush()
                print(key, line["seconds"], file=sys.stderr, flush=True)


if __name__ == "__main__":
    main()
