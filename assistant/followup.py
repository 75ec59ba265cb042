"""Follow-up questions in a conversation: detect one, and rewrite it into a standalone question.

Retrieval only sees one question, so "and how long did it last?" after a question about the
breach must become "How long did the breach last?". The model does the rewrite (a prompt in
prompts/); the result is checked and shown to the user, and a failed rewrite falls back to
joining the two questions.
"""

from __future__ import annotations

import re
from typing import Sequence

from .backends.base import Backend
from .prompts import load_prompt
from .settings import FollowupSettings

__all__ = ["needs_context", "standalone_question"]

_REFERRING = re.compile(
    r"\b(it|its|they|them|their|theirs|that|this|those|these|he|him|his|she|her|hers|there|then|the same|the other|"
    r"the former|the latter|which one|what about|how about|and|also|else)\b",
    re.I,
)
_LEADING = re.compile(r"^\s*(and|but|so|also|what about|how about|then|why)\b", re.I)


def needs_context(question: str, history: Sequence[str], settings: FollowupSettings | None = None) -> bool:
    """A short question that opens with 'and…' or refers back ('it', 'they', 'that') after an earlier one."""
    if not history:
        return False
    short = len(question.split()) <= (settings or FollowupSettings()).max_words
    return bool(_LEADING.match(question)) or (short and bool(_REFERRING.search(question)))


def _clean(text: str) -> str:
    line = text.strip().splitlines()[0] if text.strip() else ""
    line = re.sub(r"^(standalone question|question|rewritten)\s*:\s*", "", line, flags=re.I).strip(" \"'“”")
    return line if line.endswith("?") else (line + "?" if line else "")


def standalone_question(
    question: str, history: Sequence[str], backend: Backend, settings: FollowupSettings | None = None
) -> str:
    """The follow-up as a question that stands alone (the question itself when it already does)."""
    settings = settings or FollowupSettings()
    if not needs_context(question, history, settings):
        return question
    previous = history[-1]
    prompt = load_prompt("rewrite_followup")
    try:
        reply = backend.generate(
            prompt.messages(previous=previous, followup=question), None, max_tokens=settings.max_rewrite_tokens
        )
    except Exception:  # a rewrite is a convenience: never lose the question over it
        reply = ""
    rewritten = _clean(reply) if isinstance(reply, str) else ""  # free text was asked for: anything else failed
    limit = 2 * len(question.split()) + len(previous.split()) + settings.rewrite_slack_words
    too_long = len(rewritten.split()) > limit
    if not rewritten or too_long or rewritten.lower() == previous.lower():
        return f"{previous.rstrip(' ?')}: {question.strip()}"
    return rewritten
