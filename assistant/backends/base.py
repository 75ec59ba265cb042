"""One small interface for every model: ``generate(messages, schema) -> dict | str``.

Like simonw/llm's ``Model.execute`` and smolagents' ``Model.generate``: the pipeline only ever
speaks chat messages in and a JSON object (when a schema is given) or text out, so the embedded
llama.cpp model, any OpenAI-compatible endpoint and the tests' scripted fake are interchangeable.
"""

from __future__ import annotations

import json
from abc import ABC, abstractmethod
from typing import Any, NamedTuple, Sequence

__all__ = ["Backend", "Copied", "Message", "option_variants", "parse_json_reply"]

Message = dict  # {"role": "system" | "user" | "assistant", "content": str}


class Copied(NamedTuple):
    """What ``copy_span`` returns: the words, and the mean log-probability the model gave them unconstrained
    (how readily it would have written them itself; None when the backend cannot tell)."""

    text: str
    confidence: float | None = None


def option_variants(option: str) -> set[str]:
    """The spellings whose first token begins ``option`` as a reply ("yes", "Yes", " yes"): a backend reading an
    option's probability adds up their first tokens."""
    return {option, option.capitalize(), option.upper(), " " + option, " " + option.capitalize()}


def parse_json_reply(text: str) -> dict:
    """The first JSON object in ``text``; models behind loose endpoints wrap it in prose or fences."""
    start = text.find("{")
    while start != -1:
        try:
            value, _ = json.JSONDecoder().raw_decode(text[start:])
            if isinstance(value, dict):
                return value
        except json.JSONDecodeError:
            pass
        start = text.find("{", start + 1)
    raise ValueError(f"no JSON object in model reply: {text[:120]!r}")


def mean_outside(lengths: Sequence[int], logprobs: Sequence[float], skip: tuple[int, int] | None) -> float:
    """The mean of the tokens' ``logprobs`` (each token ``lengths`` long, in order, in the units of ``skip``)
    over those that do not overlap ``skip``: all of them where nothing is skipped or nothing is left."""
    kept, at = [], 0
    for length, logprob in zip(lengths, logprobs):
        start, at = at, at + length
        if skip is None or not (start < skip[1] and at > skip[0]):
            kept.append(logprob)
    chosen = kept or list(logprobs)
    return sum(chosen) / max(1, len(chosen))


class Backend(ABC):
    """A chat model. Implementations must be safe to call from one thread at a time (callers lock).

    Capability flags, as simonw/llm's ``Model`` declares ``supports_schema``: callers read these instead
    of guessing from the class or its ``describe()``.
    """

    name: str = "model"
    supports_logprobs: bool = False  # probabilities() reads the model's own token probabilities, not a 0/1 pick
    supports_schema: bool = False  # generate() constrains a reply to the JSON schema it is given
    concurrent: bool = False  # several requests may be in flight at once (a server), so callers need not queue
    supports_copy: bool = False  # copy_span() constrains its reply, while decoding, to a run of the source text
    supports_likelihood: bool = False  # likelihood() reads how probable the model finds a given reply

    @abstractmethod
    def generate(self, messages: Sequence[Message], schema: dict | None = None, *, max_tokens: int = 256) -> dict | str:
        """Greedy completion of ``messages``; a dict matching ``schema`` when one is given, else text."""

    def probabilities(
        self, messages: Sequence[Message], options: Sequence[str], reply_prefix: str = ""
    ) -> dict[str, float]:
        """Probability of each option as the start of the reply (after ``reply_prefix``).

        Default: one constrained choice, all mass on it; backends that expose logits do better.
        """
        reply = self.generate(
            messages,
            {"type": "object", "properties": {"answer": {"enum": list(options)}}, "required": ["answer"]},
            max_tokens=16,
        )
        chosen = reply.get("answer") if isinstance(reply, dict) else None
        return {o: (1.0 if o == chosen else 0.0) for o in options}

    def copy_span(
        self,
        messages: Sequence[Message],
        source: str,
        *,
        reply_prefix: str = "",
        max_tokens: int = 32,
        candidates: int = 64,
    ) -> Copied:
        """Greedy reply after ``reply_prefix``, meant to be a run of ``source``'s words.

        Default: free text (what followed ``reply_prefix`` when the model wrote it too); the caller keeps
        it only if it is found in the source. Backends with ``supports_copy`` cannot write anything else:
        each step takes the likeliest of the model's ``candidates`` likeliest tokens that keeps to the source.
        """
        text = self.generate(messages, max_tokens=max_tokens + 8)
        text = text if isinstance(text, str) else ""
        if reply_prefix and text.lower().startswith(reply_prefix.lower()):
            text = text[len(reply_prefix) :]
        return Copied(text.strip())

    def likelihood(self, messages: Sequence[Message], reply: str, skip: tuple[int, int] | None = None) -> float:
        """The mean log-probability per token the model gives ``reply`` as its answer to ``messages``; with
        ``skip``, a range of ``reply``'s characters, over the tokens outside it (``mean_outside``). Only backends
        with ``supports_likelihood`` can tell."""
        raise NotImplementedError(f"{self.name} cannot read the likelihood of a reply")

    def warm(self, prefix: Sequence[Message]) -> None:
        """Hint: many calls will start with ``prefix``; backends that can cache it should."""

    def has_state(self, prefix: Sequence[Message]) -> bool | None:
        """Whether ``warm(prefix)`` would find the prefix's state already computed (kept on disk, or held now), told
        without loading the model or computing anything: True or False; None when the backend cannot tell (the
        default: an endpoint keeps no states of its own)."""
        return None

    def describe(self) -> dict[str, Any]:
        return {"name": self.name}

    def run_info(self) -> dict[str, str]:
        """How this backend reads, as an answer records it: whether the answer's words were copied under a
        constraint or written freely (and kept only where found in the article), and how answerability was
        read."""
        return {
            "copying": "constrained to the article's words"
            if self.supports_copy
            else "free, words not in the article dropped",
            "answerability": "the model's P(yes)" if self.supports_logprobs else "the model's one-word reply",
        }

    def capabilities(self) -> dict[str, bool]:
        """The flags, as recorded in eval run configs."""
        flags = ("supports_logprobs", "supports_schema", "supports_copy", "supports_likelihood", "concurrent")
        return {f: bool(getattr(self, f)) for f in flags}

    def close(self) -> None:
        """Release the model; the default has nothing to release."""
