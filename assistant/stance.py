"""Fact or opinion, for every cited sentence: ``reported`` (stated as fact, or attributed to a source) or
``opinion`` (the writer's own view: a judgement, an argument, a prediction, a recommendation, a
rhetorical question).

Cues in code decide the clear cases: a sentence that attributes what it says ("said", "according to",
a quotation) reports it, whatever it quotes; a question the writer asks is rhetoric. The rest is the
model's P("yes": the writer's own view) on the sentence alone (``prompts/check_stance.yaml``), nudged by
a recommendation's modal verb ("must", "should"), against ``StanceSettings.opinion_bar`` (fitted on the
seed corpus's gold labels, ``eval/stance/``). A sentence's stance does not depend on the question, so
the verdicts are kept for the life of an ``Assistant``.
"""

from __future__ import annotations

import re
from dataclasses import replace
from typing import Iterable

from .backends.base import Backend
from .prompts import load_prompt
from .settings import StanceSettings
from .text import flatten
from .types import Citation

__all__ = ["stance_of", "with_stance", "cue", "REPORTED", "OPINION"]

REPORTED, OPINION = "reported", "opinion"
_QUOTED = re.compile(r"[\"“][^\"”]{2,}[\"”]")
_ATTRIBUTED = re.compile(
    r"\b(?:said|says|told|tells|according to|claim(?:s|ed)?|alleg(?:es|ed)|warn(?:s|ed)|stated|argu(?:es|ed)"
    r"|insist(?:s|ed)|den(?:y|ies|ied)|confirm(?:s|ed)|announc(?:es|ed)|describ(?:es|ed)|accus(?:es|ed)"
    r"|reportedly|(?:is|are|was|were) believed|sources?)\b",
    re.IGNORECASE,
)
_SAY = re.compile(r"(?<!\bI )(?<!\bwe )(?<!\bme )(?<!\bus )\bsay\b", re.IGNORECASE)  # "critics say", not "let me say"
_MODAL = re.compile(r"\b(?:must|should|ought to|needs? to|has to|have to)\b", re.IGNORECASE)


def cue(sentence: str) -> float:
    """What the sentence's form says: -1 attributed (reported), +1 a question the writer asks (opinion),
    +0.5 a recommendation's modal verb outside any quotation, 0 nothing."""
    text = flatten(sentence)
    if _QUOTED.search(text) or _ATTRIBUTED.search(text) or _SAY.search(text):
        return -1.0
    if text.rstrip(" ”\"'’").endswith("?"):
        return 1.0
    return 0.5 if _MODAL.search(text) else 0.0


def _p_opinion(backend: Backend, sentence: str) -> float:
    prompt = load_prompt("check_stance")
    messages = prompt.messages(sentence=flatten(sentence))
    return backend.probabilities(messages, ["yes", "no"], reply_prefix=prompt.reply_prefix).get("yes", 0.0)


def stance_of(
    sentence: str, backend: Backend, settings: StanceSettings | None = None, verdicts: dict[str, str] | None = None
) -> str:
    """``reported`` or ``opinion`` for one sentence; ``verdicts`` (sentence -> stance) is read and filled."""
    settings = settings or StanceSettings()
    key = flatten(sentence)
    if verdicts is not None and key in verdicts:
        return verdicts[key]
    c = cue(sentence)
    if c <= -1.0 or c >= 1.0:
        stance = REPORTED if c < 0 else OPINION
    else:
        score = _p_opinion(backend, sentence) + settings.modal_weight * c
        stance = OPINION if score >= settings.opinion_bar else REPORTED
    if verdicts is not None:
        verdicts[key] = stance
    return stance


def with_stance(
    citations: Iterable[Citation], backend: Backend, settings: StanceSettings, verdicts: dict[str, str]
) -> list[Citation]:
    """The citations, each carrying the stance of the sentence it quotes."""
    return [replace(c, stance=stance_of(c.quote, backend, settings, verdicts)) for c in citations]
