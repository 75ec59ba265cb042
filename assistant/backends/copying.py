"""Constrained copying: greedy decoding that can only reproduce a run of a source text.

At each step the likeliest token (of the model's top candidates) whose text keeps the reply a run of the
source, whitespace collapsed, is taken; an end token ends the reply once it holds a word. No grammar is
compiled (a grammar over every run of a 1,000-word article is large); the check is a substring test per
candidate. The mean log-probability the model gave the taken tokens, unconstrained, is the reply's
fluency: how readily the model would have written those words itself.
"""

from __future__ import annotations

from typing import Callable

import numpy as np

from ..text import flatten
from .base import Copied

__all__ = ["Copier"]


class Copier:
    def __init__(self, source: str, ends: set[int], detokenize: Callable[[int], bytes], top: int = 64) -> None:
        self.flat = flatten(source)
        self.ends = ends
        self.detokenize = detokenize
        self.top = top
        self.written = b""
        self.logprobs: list[float] = []

    def step(self, logits: np.ndarray) -> int | None:
        """The next token to copy given the model's logits, or None when the reply ends here."""
        order = np.argpartition(-logits, self.top)[: self.top]
        for token in order[np.argsort(-logits[order])]:
            token = int(token)
            if token in self.ends or b"\n" in (piece := self.detokenize(token)):
                if self.written.strip():
                    return None
                continue
            text = flatten((self.written + piece).decode("utf-8", errors="ignore"))
            if text and (text + (" " if piece[-1:].isspace() else "")) in self.flat:
                peak = float(logits.max())
                self.logprobs.append(float(logits[token]) - peak - float(np.log(np.exp(logits - peak).sum())))
                self.written += piece
                return token
        return None  # no likely token continues a run of the source: stop here

    def result(self) -> Copied:
        text = self.written.decode("utf-8", errors="ignore").strip()
        return Copied(text, float(np.mean(self.logprobs)) if self.logprobs else None)
