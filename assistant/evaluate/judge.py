"""Judged support (ALCE-style citation recall and precision), as cheap as it can be made.

For every statement of an answer: do its cited passages, together, entail it (citation recall)?
For every citation: does it support its statement alone, or is it needed by the others
(citation precision)? The verdict is P("yes") read from the judge model's next-token logits
(deterministic; no free text to parse), compared with a threshold fitted on held-apart labelled
pairs (calibration.py). The model is asked only what deterministic checks leave open:

- a claim found verbatim (whitespace-normalised, case-insensitive, at word boundaries) inside a
  cited quote is supported by that citation, with no model call;
- a claim with no valid citation (none resolves, or none is verbatim in its article) is
  unsupported, with no model call;
- identical (claim, passages) questions are asked once per run (a dict), and the calls for one
  claim run back to back, so the prompt up to the claim line is reused from the KV cache.
"""

from __future__ import annotations

import re
import threading
from typing import Any, Sequence

from ..backends.base import Backend
from ..prompts import load_prompt
from ..text import MARKER as _MARKER
from ..text import flatten
from .checks import citation_ok

__all__ = ["Judge", "statements", "support", "verbatim_in", "THRESHOLD"]

_QUOTED_CLAIM = re.compile(r"“([^”]+)”\s*((?:\[\d+\])+)")
_SENTENCE_SPLIT = re.compile(r"(?<=[.!?])\s+(?=[A-Z“\"])")
_EDGES = " \t\n.,;:!?\"'“”‘’"
# P(yes) at or above the threshold counts as "supported". This default is used only until a
# threshold is fitted (storydesk eval --calibrate-judge writes eval/judge/threshold.json).
THRESHOLD = 0.8


def _sentence(claim: str) -> str:
    """A claim as the judge reads it: one line, ending in one full stop (as the labelled pairs do)."""
    core = flatten(claim).rstrip(" .;,:")
    return core + "." if core and core[-1] not in "!?" else core


def verbatim_in(claim: str, quote: str) -> bool:
    """The claim (its edge punctuation aside) occurs in the quote, whitespace-normalised and case-insensitive."""
    core = flatten(claim).strip(_EDGES).lower()
    return bool(core) and re.search(r"(?<!\w)" + re.escape(core) + r"(?!\w)", flatten(quote).lower()) is not None


class Judge:
    """P("yes") from a model, memoised per run, with counts of what was asked and what was not."""

    def __init__(self, backend: Backend, name: str | None = None, threshold: float | None = None) -> None:
        self.backend = backend
        self.name = name or getattr(backend, "name", "judge")
        self.threshold = THRESHOLD if threshold is None else threshold
        self.prompt = load_prompt("judge_entailment")
        self.stats = {"model_calls": 0, "reused": 0, "skipped_verbatim": 0, "skipped_no_citation": 0}
        self._memo: dict[tuple, float] = {}
        self._lock = threading.Lock()
        backend.warm(self.prompt.prefix())

    def ask(self, claim: str, passages: Sequence[str]) -> tuple[float, bool]:
        """(P(supported), whether the model was called: False when the same question was asked before)."""
        key = (_sentence(claim), tuple(flatten(p) for p in passages))
        with self._lock:
            if key in self._memo:
                self.stats["reused"] += 1
                return self._memo[key], False
        # The claim line comes first: the calls for one claim share the prompt up to its passages.
        messages = self.prompt.messages(claim=key[0], passages="\n".join(f"- {p}" for p in key[1]) or "(none)")
        p = self.backend.probabilities(messages, ["yes", "no"]).get("yes", 0.0)
        with self._lock:
            self._memo[key] = p
            self.stats["model_calls"] += 1
        return p, True

    def p_supported(self, claim: str, passages: Sequence[str]) -> float:
        return self.ask(claim, passages)[0]

    def skipped(self, why: str) -> None:
        with self._lock:
            self.stats[why] += 1


def statements(answer: dict) -> list[tuple[str, list[int]]]:
    """(claim, cited ids) for each claim of the answer that cites something, plus conflict positions.

    A quotation followed by markers (“…” [1][2]) is a claim on its own: the words around it ("One
    article (x) says") attribute rather than assert. A sentence with markers and no quotation (as
    other engines write) is a claim as a whole, markers removed.
    """
    text = answer.get("answer") or ""
    out: list[tuple[str, list[int]]] = []
    for match in _QUOTED_CLAIM.finditer(text):
        out.append((match.group(1).strip(), [int(i) for i in _MARKER.findall(match.group(2))]))
    for sentence in _SENTENCE_SPLIT.split(_QUOTED_CLAIM.sub("", text)):
        ids = [int(i) for i in _MARKER.findall(sentence)]
        claim = re.sub(r"\s+(?=[.,;:!?])", "", flatten(_MARKER.sub("", sentence))).strip(" ;,")
        if ids and len(claim.split()) >= 3:
            out.append((claim, ids))
    for conflict in answer.get("conflicts") or []:
        for position in conflict.get("positions", []):
            item = (position.get("claim", ""), list(position.get("citations") or []))
            if item[1] and item not in out:
                out.append(item)
    return out


def _valid(c: dict, docs: dict[str, str] | None) -> bool:
    return bool(c.get("quote")) if docs is None else citation_ok(c, docs)


def _by_claim(items: list[tuple[str, list[int]]]) -> list[tuple[str, list[int]]]:
    """Statements with the same claim next to each other (stable), so their calls share the claim line."""
    first: dict[str, int] = {}
    for claim, _ in items:
        first.setdefault(_sentence(claim), len(first))
    return sorted(items, key=lambda item: first[_sentence(item[0])])


class _Tally:
    """One answer's judging: decides by verbatim quotes where it can, asks the judge otherwise."""

    def __init__(self, judge: Judge, claim: str, quotes: dict[int, str]) -> None:
        self.judge, self.claim, self.quotes = judge, claim, quotes
        self.verbatim = {i: verbatim_in(claim, q) for i, q in quotes.items()}
        self.calls = self.skipped = 0

    def supported(self, ids: list[int]) -> bool:
        if any(self.verbatim[i] for i in ids):
            self.skipped += 1
            self.judge.skipped("skipped_verbatim")
            return True
        p, fresh = self.judge.ask(self.claim, [self.quotes[i] for i in ids])
        self.calls += fresh
        return p >= self.judge.threshold


def support(answer: dict, judge: Judge, docs: dict[str, str] | None = None) -> dict[str, Any]:
    """Citation recall and precision counts for one answer (empty when it makes no cited claim).

    With ``docs`` (doc id -> article text) a citation is valid only when its quote is verbatim at
    its offsets; a forged citation supports nothing and is never precise.
    """
    citations = {c.get("id"): c for c in answer.get("citations") or []}
    quotes = {i: c["quote"] for i, c in citations.items() if _valid(c, docs)}
    result: dict[str, Any] = {
        "statements": 0,
        "supported": 0,
        "citations": 0,
        "precise": 0,
        "unsupported": [],
        "model_calls": 0,
        "skipped": 0,
        "judge": judge.name,
        "threshold": judge.threshold,
    }
    for claim, ids in _by_claim(statements(answer)):
        if not claim:
            continue
        ids = list(dict.fromkeys(ids))
        cited = [i for i in ids if i in citations]
        valid = [i for i in cited if i in quotes]
        result["statements"] += 1
        result["citations"] += len(cited)
        if not valid:
            result["skipped"] += 1
            judge.skipped("skipped_no_citation")
            result["unsupported"].append(claim[:200])
            continue
        tally = _Tally(judge, claim, {i: quotes[i] for i in valid})
        together = tally.supported(valid)
        result["supported"] += together
        if not together:
            result["unsupported"].append(claim[:200])
        for i in valid:
            if len(valid) == 1:
                result["precise"] += together  # alone and together are the same question
            elif tally.supported([i]):
                result["precise"] += 1
            else:
                result["precise"] += together and not tally.supported([j for j in valid if j != i])
        result["model_calls"] += tally.calls
        result["skipped"] += tally.skipped
    return result
