"""The model of one assistant: made on first use, its fixed prompt prefixes evaluated ahead of the first answer
(now, or in a background thread while the question is searched), and closed once at the end."""

from __future__ import annotations

import threading
from typing import Callable

from .backends.base import Backend
from .errors import StorydeskError
from .prompts import load_prompt

__all__ = ["LazyModel", "WARMED_PROMPTS", "PREFETCHED_PROMPTS"]

WARMED_PROMPTS = (
    "read_article",
    "check_instruction",
    "same_answer",
    "same_subject",
    "check_stance",
)  # warmed by ``warm()``, before a server's first visitor
# What a question's background prefetch warms: only what its answer needs first. The model takes one call at a
# time, so a prefix warmed in the background while the articles are read evicts the article's KV state and
# costs the reading its question's tokens again; each stage warms its own prompt when it first needs it.
PREFETCHED_PROMPTS = ("read_article",)


class LazyModel:
    """A backend made by ``make`` on first use (unless one is given), under ``lock``."""

    def __init__(self, make: Callable[[], Backend], backend: Backend | None, lock: threading.RLock) -> None:
        self._make, self._backend, self._lock = make, backend, lock
        self._prefetch: threading.Thread | None = None
        self._closing = threading.Event()  # set by stop(): a background warm-up stops at its next step

    @property
    def backend(self) -> Backend:
        with self._lock:
            if self._backend is None:
                self._backend = self._make()
            return self._backend

    def prefetch(self) -> None:
        """Load the model and warm ``PREFETCHED_PROMPTS`` in the background (once). Not a daemon thread: a process that
        ends while the model loads waits for the load (a daemon thread killed inside llama.cpp at exit can crash
        the process after its answer was printed); ``close()`` cuts the rest short."""
        with self._lock:
            if self._prefetch is None and not self._closing.is_set():
                self._prefetch = threading.Thread(
                    target=self._warm, args=(PREFETCHED_PROMPTS,), name="storydesk-prefetch"
                )
                self._prefetch.start()

    def _warm(self, names: tuple[str, ...]) -> None:
        try:
            self.warm(names)
        except StorydeskError:
            pass  # reported by the call that needs the model

    def warm(self, names: tuple[str, ...] = WARMED_PROMPTS) -> None:
        """Load the model and evaluate these prompts' fixed prefixes now, each once; stops early once stopped."""
        backend = self.backend
        for name in names:
            if self._closing.is_set():
                return
            backend.warm(load_prompt(name).prefix())

    def stop(self) -> None:
        """No warm-up starts after this, and one under way stops at its next prompt."""
        self._closing.set()

    def close(self) -> None:
        """Stop, wait out a model load already under way, and free the model if it was made."""
        self.stop()
        if self._prefetch is not None:
            self._prefetch.join()
        with self._lock:
            if self._backend is not None:
                self._backend.close()
