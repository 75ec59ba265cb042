"""Gold suites: the case format of ../shared/eval/README.md, checked against the corpus on load.

Backward compatible with that format; optional extra fields are kept as they are:
``corpus`` (a directory of articles, relative to the suite file) or ``documents`` (inline articles,
RAMDocs) give a case its own corpus, and ``split`` ("tune" or "heldout"; "tune" when absent) says
which split it belongs to. RAMDocs cases (kind "ramdocs") carry ``documents``, ``gold_answers`` and
``wrong_answers`` instead of the story fields. A stance line (kind "stance": ``labels``, ``corpus``,
``split``) stands for one case per labelled sentence of eval/stance/ (stances.py). A case whose evidence
quote is not in its article, or a stance label whose text is not its article's, is an error in the
suite, reported with its id and line.
"""

from __future__ import annotations

from pathlib import Path

from ..corpus import load_corpus
from ..errors import StorydeskError
from ..text import jsonl_records
from ..types import Corpus
from .corpora import BASE, case_corpus, inline_documents
from .stances import REQUIRED_STANCE, expand, is_stance

__all__ = ["load_suite", "KINDS", "REQUIRED", "REQUIRED_RAMDOCS", "REQUIRED_STANCE", "SPLITS", "case_split"]

KINDS = ("conflict", "corroborated", "single", "unanswerable", "false_premise", "adversarial", "ramdocs", "stance")
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
    for n, case in jsonl_records(path):
        required = {"ramdocs": REQUIRED_RAMDOCS, "stance": REQUIRED_STANCE}.get(case.get("kind"), REQUIRED)
        missing = [k for k in required if k not in case]
        if missing:
            raise StorydeskError(f"{path}:{n}: case lacks {', '.join(missing)}")
        if case["kind"] not in KINDS:
            raise StorydeskError(f"{path}:{n}: unknown kind {case['kind']!r}")
        for one in expand(case, path, n) if is_stance(case) else [case]:
            if one["id"] in seen:
                raise StorydeskError(f"{path}:{n}: duplicate id {one['id']!r}")
            if case_split(one) not in SPLITS:
                raise StorydeskError(f"{path}:{n}: unknown split {one['split']!r} (use {' or '.join(SPLITS)})")
            seen.add(one["id"])
            _check(one, _texts(one, path, corpus, own, n), path, n)
            if split == "all" or case_split(one) == split:
                cases.append(one)
    if not seen:
        raise StorydeskError(f"suite has no cases: {path}")
    return cases


def _check(case: dict, texts: dict[str, str] | None, path: Path, n: int) -> None:
    """Every evidence quote is in its article; a stance label's text is its article's text at its offsets."""
    if texts is None:
        return
    for ev in case.get("evidence") or []:
        if ev["doc"] not in texts or ev["quote"] not in texts[ev["doc"]]:
            raise StorydeskError(f"{path}:{n}: evidence of {case['id']!r} is not in article {ev['doc']!r}")
    if is_stance(case) and texts.get(case["doc_id"], "")[case["start"] : case["end"]] != case["text"]:
        raise StorydeskError(f"{path}:{n}: the text of stance label {case['id']!r} is not its article's")


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
