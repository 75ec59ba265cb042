"""Who goes first on an assistant's model: a person's question. The embedded model runs one call at a time on
the machine's cores, so a story map built in the background and a question asked meanwhile would take turns call
by call and the question would wait for the whole map. Instead, ``Turns`` counts the questions being answered
(``Assistant.ask``, ``ask_events``, ``standalone``, the chat page's handler), and the background build's model
(``GivingWay``) waits before each call while that count is above zero: a question waits at most for the one
call the build had already begun, and the build goes on once the questions are answered.
"""

from __future__ import annotations

import threading
from contextlib import contextmanager
from typing import Any, Callable, Iterator, Sequence

from .backends.base import Backend, Copied, Message

__all__ = ["Turns", "GivingWay"]


class Turns:
    """The questions one assistant is answering now, and the background work that gives way to them."""

    def __init__(self) -> None:
        self._changed = threading.Condition()
        self._asking = 0

    @property
    def asking(self) -> int:
        """How many questions are being answered now."""
        return self._asking

    @contextmanager
    def question(self) -> Iterator[None]:
        """Hold while a question is answered (several at once, and nested, are counted)."""
        with self._changed:
            self._asking += 1
        try:
            yield
        finally:
            with self._changed:
                self._asking -= 1
                self._changed.notify_all()

    def give_way(self, stop: threading.Event, on_pause: Callable[[], None] | None = None) -> bool:
        """Return once no question is being answered (at once when none is), or once ``stop`` is set and
        ``wake`` called; ``on_pause`` is called first when it has to wait. Returns whether it waited."""
        with self._changed:
            if not self._asking or stop.is_set():
                return False
            if on_pause is not None:
                on_pause()
            while self._asking and not stop.is_set():
                self._changed.wait()
            return True

    def wake(self) -> None:
        """Have every ``give_way`` waiting look at its ``stop`` again (after setting it)."""
        with self._changed:
            self._changed.notify_all()


class GivingWay(Backend):
    """``inner`` with ``before`` called ahead of each model call (it waits its turn, or raises to stop the work);
    what ``inner`` is and can do is unchanged, and so is every request it is sent."""

    def __init__(self, inner: Backend, before: Callable[[], None]) -> None:
        self.inner, self._before = inner, before
        self.name = inner.name
        for flag, value in inner.capabilities().items():
            setattr(self, flag, value)

    def generate(self, messages: Sequence[Message], schema: dict | None = None, *, max_tokens: int = 256) -> dict | str:
        self._before()
        return self.inner.generate(messages, schema, max_tokens=max_tokens)

    def probabilities(
        self, messages: Sequence[Message], options: Sequence[str], reply_prefix: str = ""
    ) -> dict[str, float]:
        self._before()
        return self.inner.probabilities(messages, options, reply_prefix)

    def copy_span(
        self,
        messages: Sequence[Message],
        source: str,
        *,
        reply_prefix: str = "",
        max_tokens: int = 32,
        candidates: int = 64,
    ) -> Copied:
        self._before()
        return self.inner.copy_span(
            messages, source, reply_prefix=reply_prefix, max_tokens=max_tokens, candidates=candidates
        )

    def likelihood(self, messages: Sequence[Message], reply: str) -> float:
        self._before()
        return self.inner.likelihood(messages, reply)

    def warm(self, prefix: Sequence[Message]) -> None:
        self._before()  # computing a prefix's state is model work too (an article's: many seconds)
        self.inner.warm(prefix)

    def has_state(self, prefix: Sequence[Message]) -> bool | None:
        return self.inner.has_state(prefix)  # no model call: nothing to wait for

    def describe(self) -> dict[str, Any]:
        return self.inner.describe()

    def close(self) -> None:
        """Nothing: the model belongs to its assistant, which closes it."""
