"""Gold suites: the case format of ../shared/eval/README.md, checked against the corpus on load.

Backward compatible with that format; optional extra fields are kept as they are. A case whose
evidence quote is not in its article is an error in the suite, reported with its id and line.
"""

from __future__ import annotations

import json
from pathlib import Path

from ..corpus import Corpus
from ..errors import StorydeskError

__all__ = ["load_suite", "KINDS", "REQUIRED"]

KINDS = ("conflict", "corroborated", "single", "unanswerable", "false_premise", "adversarial")
REQUIRED = ("id", "kind", "question", "must_mention", "must_not_mention", "evidence", "docs", "conflict", "sides", "answerable")


def load_suite(path: str | Path, corpus: Corpus | None = None) -> list[dict]:
    path = Path(path)
    if not path.is_file():
        raise StorydeskError(f"suite not found: {path}")
    cases, seen = [], set()
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            case = json.loads(line)
        except json.JSONDecodeError as err:
            raise StorydeskError(f"{path}:{n}: not JSON ({err.msg})") from None
        missing = [k for k in REQUIRED if k not in case]
        if missing:
            raise StorydeskError(f"{path}:{n}: case lacks {', '.join(missing)}")
        if case["kind"] not in KINDS:
            raise StorydeskError(f"{path}:{n}: unknown kind {case['kind']!r}")
        if case["id"] in seen:
            raise StorydeskError(f"{path}:{n}: duplicate id {case['id']!r}")
        seen.add(case["id"])
        if corpus is not None:
            for ev in case["evidence"]:
                if ev["doc"] not in corpus or ev["quote"] not in corpus[ev["doc"]].text:
                    raise StorydeskError(f"{path}:{n}: evidence of {case['id']!r} is not in article {ev['doc']!r}")
        cases.append(case)
    if not cases:
        raise StorydeskError(f"suite has no cases: {path}")
    return cases
