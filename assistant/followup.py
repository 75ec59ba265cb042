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

__all__ = ["needs_context", "standalone_question"]

_REFERRING = re.compile(
    r"\b(it|its|they|them|their|theirs|that|this|those|these|he|him|his|she|her|hers|there|then|the same|the other|"
    r"the former|the latter|which one|what about|how about|and|also|else)\b",
    re.I,
)
_LEADING = re.compile(r"^\s*(and|but|so|also|what about|how about|then|why)\b", re.I)
_MAX_FOLLOWUP_WORDS = 14


def needs_context(question: str, history: Sequence[str]) -> bool:
    """A short question that opens with 'and…' or refers back ('it', 'they', 'that') after an earlier one."""
    if not history:
        return False
    words = question.split()
    return bool(_LEADING.match(question)) or (len(words) <= _MAX_FOLLOWUP_WORDS and bool(_REFERRING.search(question)))


def _clean(text: str) -> str:
    line = text.strip().splitlines()[0] if text.strip() else ""
    line = re.sub(r"^(standalone question|question|rewritten)\s*:\s*", "", line, flags=re.I).strip(" \"'“”")
    return line if line.endswith("?") else (line + "?" if line else "")


def standalone_question(question: str, history: Sequence[str], backend: Backend) -> str:
    """The follow-up as a question that stands alone (the question itself when it already does)."""
    if not needs_context(question, history):
        return question
    previous = history[-1]
    prompt = load_prompt("rewrite_followup")
    try:
        rewritten = _clean(
            str(backend.generate(prompt.messages(previous=previous, followup=question), None, max_tokens=48))
        )
    except Exception:  # a rewrite is a convenience: never lose the question over it
        rewritten = ""
    too_long = len(rewritten.split()) > 2 * len(question.split()) + len(previous.split()) + 5
    if not rewritten or too_long or rewritten.lower() == previous.lower():
        return f"{previous.rstrip(' ?')}: {question.strip()}"
    return rewritten
