"""Gold suites: the case format of ../shared/eval/README.md, checked against the corpus on load.

Backward compatible with that format; optional extra fields are kept as they are:
``corpus`` (a directory of articles, relative to the suite file) or ``documents`` (inline articles,
RAMDocs) give a case its own corpus, and ``split`` ("tune" or "heldout"; "tune" when absent) says
which split it belongs to. RAMDocs cases (kind "ramdocs") carry ``documents``, ``gold_answers`` and
``wrong_answers`` instead of the story fields. A case whose evidence quote is not in its article is
an error in the suite, reported with its id and line.
"""

from __future__ import annotations

import json
from pathlib import Path

from ..corpus import load_corpus
from ..errors import StorydeskError
from ..types import Corpus
from .corpora import BASE, case_corpus, inline_documents

__all__ = ["load_suite", "KINDS", "REQUIRED", "REQUIRED_RAMDOCS", "SPLITS", "case_split"]

KINDS = ("conflict", "corroborated", "single", "unanswerable", "false_premise", "adversarial", "ramdocs")
REQUIRED = (
    "id",
    "kind",
    "question",
    "must_mention",
    "must_not_mention",
    "evidence",
    "docs",
    "conflict",
    "sides",
    "answerable",
)
REQUIRED_RAMDOCS = ("id", "kind", "question", "documents", "gold_answers", "wrong_answers")
SPLITS = ("tune", "heldout")


def case_split(case: dict) -> str:
    return case.get("split") or "tune"


def load_suite(path: str | Path, corpus: Corpus | None = None, *, split: str = "all") -> list[dict]:
    """The cases of one suite file that belong to ``split`` ("tune", "heldout" or "all").

    Evidence is checked against each case's own corpus, and against ``corpus`` for the cases that
    use the run's corpus (unchecked when it is None).
    """
    path = Path(path)
    if not path.is_file():
        raise StorydeskError(f"suite not found: {path}")
    if split not in SPLITS + ("all",):
        raise StorydeskError(f"unknown split {split!r}: choose from {', '.join(SPLITS + ('all',))}")
    cases, seen, own = [], set(), {}
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            case = json.loads(line)
        except json.JSONDecodeError as err:
            raise StorydeskError(f"{path}:{n}: not JSON ({err.msg})") from None
        required = REQUIRED_RAMDOCS if case.get("kind") == "ramdocs" else REQUIRED
        missing = [k for k in required if k not in case]
        if missing:
            raise StorydeskError(f"{path}:{n}: case lacks {', '.join(missing)}")
        if case["kind"] not in KINDS:
            raise StorydeskError(f"{path}:{n}: unknown kind {case['kind']!r}")
        if case["id"] in seen:
            raise StorydeskError(f"{path}:{n}: duplicate id {case['id']!r}")
        if case_split(case) not in SPLITS:
            raise StorydeskError(f"{path}:{n}: unknown split {case['split']!r} (use {' or '.join(SPLITS)})")
        seen.add(case["id"])
        texts = _texts(case, path, corpus, own, n)
        if texts is not None:
            for ev in case.get("evidence") or []:
                if ev["doc"] not in texts or ev["quote"] not in texts[ev["doc"]]:
                    raise StorydeskError(f"{path}:{n}: evidence of {case['id']!r} is not in article {ev['doc']!r}")
        if split == "all" or case_split(case) == split:
            cases.append(case)
    if not seen:
        raise StorydeskError(f"suite has no cases: {path}")
    return cases


def _texts(case: dict, path: Path, corpus: Corpus | None, own: dict, n: int) -> dict[str, str] | None:
    """doc id -> text of the corpus the case is answered from (None: not checked)."""
    key = case_corpus(case, path)
    if key == BASE and corpus is None:
        return None
    if key[0] == "inline":
        docs = case["documents"]
        if not isinstance(docs, list) or not all(isinstance(d, dict) and "text" in d for d in docs):
            raise StorydeskError(f'{path}:{n}: documents of {case["id"]!r} must be a list of {{"text": ...}}')
        return inline_documents(case)
    if key not in own:
        try:
            own[key] = {d.doc_id: d.text for d in (corpus if key == BASE else load_corpus(key[1]))}
        except StorydeskError as err:
            raise StorydeskError(f"{path}:{n}: corpus of {case['id']!r}: {err}") from None
    return own[key]
