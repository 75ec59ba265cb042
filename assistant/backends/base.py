"""One small interface for every model: ``generate(messages, schema) -> dict | str``.

Like simonw/llm's ``Model.execute`` and smolagents' ``Model.generate``: the pipeline only ever
speaks chat messages in and a JSON object (when a schema is given) or text out, so the embedded
llama.cpp model, any OpenAI-compatible endpoint and the tests' scripted fake are interchangeable.
"""

from __future__ import annotations

import json
from abc import ABC, abstractmethod
from typing import Any, Sequence

__all__ = ["Backend", "Message", "parse_json_reply"]

Message = dict  # {"role": "system" | "user" | "assistant", "content": str}


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


class Backend(ABC):
    """A chat model. Implementations must be safe to call from one thread at a time (callers lock).

    Capability flags, as simonw/llm's ``Model`` declares ``supports_schema``: callers read these instead
    of guessing from the class or its ``describe()``.
    """

    name: str = "model"
    supports_logprobs: bool = False  # probabilities() reads the model's own token probabilities, not a 0/1 pick
    supports_schema: bool = False  # generate() constrains a reply to the JSON schema it is given
    concurrent: bool = False  # several requests may be in flight at once (a server), so callers need not queue

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

    def warm(self, prefix: Sequence[Message]) -> None:
        """Hint: many calls will start with ``prefix``; backends that can cache it should."""

    def describe(self) -> dict[str, Any]:
        return {"name": self.name}

    def capabilities(self) -> dict[str, bool]:
        """The flags, as recorded in eval run configs."""
        return {f: bool(getattr(self, f)) for f in ("supports_logprobs", "supports_schema", "concurrent")}

    def close(self) -> None:
        """Release the model; the default has nothing to release."""
