"""Fact or opinion, for every cited sentence: ``reported`` (stated as fact, or attributed to a source) or
``opinion`` (the writer's own view: a judgement, an argument, a prediction, a recommendation, a
rhetorical question).

Cues in code decide the clear cases: a sentence that attributes what it says ("said", "according to",
a quotation) reports it, whatever it quotes; a question the writer asks is rhetoric. The rest is the
model's P("yes": the writer's own view) on the sentence alone (``prompts/check_stance.yaml``), nudged by
a recommendation's modal verb ("must", "should"), against ``StanceSettings.opinion_bar`` (fitted on the
seed corpus's gold labels, ``eval/stance/``). A sentence's stance does not depend on the question: the
verdicts are kept (``caches.StanceStore``) under a key of the sentence, the model, the prompt and the settings.
"""

from __future__ import annotations

import json
import re
from collections.abc import MutableMapping
from dataclasses import replace
from functools import lru_cache
from typing import Iterable

from .backends.base import Backend
from .caches import verdict_hash
from .prompts import load_prompt
from .settings import StanceSettings
from .text import flatten
from .types import OPINION, REPORTED, Citation

__all__ = ["stance_of", "with_stance", "cue", "verdict_key", "REPORTED", "OPINION"]

_QUOTED = re.compile(r"[\"“][^\"”]{2,}[\"”]")
# A source, a quotation or a reporting verb: what follows is someone else's, reported.
_ATTRIBUTED = re.compile(
    r"\b(?:said|says|told|tells|according to|claim(?:s|ed)?|alleg(?:es|ed)|warn(?:s|ed)|stated|argu(?:es|ed)"
    r"|insist(?:s|ed)|den(?:y|ies|ied)|confirm(?:s|ed)|announc(?:es|ed)|describ(?:es|ed)|accus(?:es|ed)"
    r"|not(?:es|ed)|suggest(?:s|ed)|call(?:s|ed) for|demand(?:s|ed)|urg(?:es|ed)|advocat(?:es|ed)|voic(?:es|ed)"
    r"|reportedly|(?:is|are|was|were) (?:believed|considered|known|thought|expected|praised|seen)|sources?)\b",
    re.IGNORECASE,
)
# The base form of a reporting verb after a subject that is not the writer ("critics argue", "experts
# warn"), never "I/we/let me/you say".
_THEY_SAY = re.compile(
    r"(?<!\bI )(?<!\bwe )(?<!\bme )(?<!\bus )(?<!\byou )\b(?:say|argue|warn|note|suggest|believe|insist|claim)\b",
    re.IGNORECASE,
)
_ASKS_READER = re.compile(r"^\W*(?:imagine|consider|think about|let us|let's)\b", re.IGNORECASE)
# Nudges toward the writer's own view: a recommendation, the reader addressed, a verdict on "this"/"it".
_NUDGES = (
    re.compile(r"\b(?:must|should|ought to|needs? to|has to|have to)\b", re.IGNORECASE),
    re.compile(r"\b(?:you|your|yours)\b", re.IGNORECASE),
    re.compile(
        r"^\W*(?:(?:and|but|so)\s+)?(?:this|that|it)\s+(?:is|was|isn[’']t|wasn[’']t|means|will|would|could|might)\b",
        re.IGNORECASE,
    ),
)


def cue(sentence: str, settings: StanceSettings | None = None) -> float:
    """What the sentence's form says: -1 attributed (reported); +1 a question the writer asks or a call to
    the reader to imagine (opinion); else ``settings.nudge`` (0.5) for each nudge toward the writer's view (a
    recommendation's modal verb, the reader addressed, a verdict opening on "this"/"it"), at most
    ``settings.nudge_cap`` (0.9), below 1: they never decide alone."""
    settings = settings or StanceSettings()
    text = flatten(sentence)
    if _QUOTED.search(text) or _ATTRIBUTED.search(text) or _THEY_SAY.search(text):
        return -1.0
    if text.rstrip(" ”\"'’").endswith("?") or _ASKS_READER.search(text):
        return 1.0
    return min(settings.nudge_cap, settings.nudge * sum(bool(n.search(text)) for n in _NUDGES))


def _p_opinion(backend: Backend, sentence: str) -> float:
    prompt = load_prompt("check_stance")
    backend.warm(prompt.prefix())  # once: the examples' state, which every sentence's check builds on
    messages = prompt.messages(sentence=flatten(sentence))
    return backend.probabilities(messages, ["yes", "no"], reply_prefix=prompt.reply_prefix).get("yes", 0.0)


def verdict_key(sentence: str, backend: Backend, settings: StanceSettings) -> str:
    """What a stance depends on: the sentence (whitespace collapsed), the model, the prompt and the settings."""
    return verdict_hash(backend, settings, flatten(sentence), _prompt_text())


@lru_cache(maxsize=1)
def _prompt_text() -> bytes:
    prompt = load_prompt("check_stance")
    return (json.dumps(prompt.prefix(), ensure_ascii=False) + prompt.user).encode("utf-8")


def stance_of(
    sentence: str,
    backend: Backend,
    settings: StanceSettings | None = None,
    verdicts: MutableMapping[str, str] | None = None,
) -> str:
    """``reported`` or ``opinion`` for one sentence; ``verdicts`` (``verdict_key`` -> stance) is read and filled."""
    settings = settings or StanceSettings()
    key = verdict_key(sentence, backend, settings)
    if verdicts is not None and key in verdicts:
        return verdicts[key]
    c = cue(sentence, settings)
    if c <= -1.0 or c >= 1.0:  # decided by form
        stance = REPORTED if c < 0 else OPINION
    else:
        score = _p_opinion(backend, sentence) + settings.nudge_weight * c
        stance = OPINION if score >= settings.opinion_bar else REPORTED
    if verdicts is not None:
        verdicts[key] = stance
    return stance


def with_stance(
    citations: Iterable[Citation], backend: Backend, settings: StanceSettings, verdicts: MutableMapping[str, str]
) -> list[Citation]:
    """The citations, each carrying the stance of the sentence it quotes."""
    return [replace(c, stance=stance_of(c.quote, backend, settings, verdicts)) for c in citations]
