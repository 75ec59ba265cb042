"""A scripted fake model for tests, in the manner of llm's ``MockModel``.

Replies are queued (dicts, strings, or callables that see the messages) and handed out in order;
every request is recorded so a test can assert what the pipeline asked.
"""

from __future__ import annotations

from collections import deque
from typing import Any, Callable, Sequence

from .base import Backend, Message

__all__ = ["ScriptedBackend"]

Reply = dict | str | Callable[[Sequence[Message], dict | None], Any]


class ScriptedBackend(Backend):
    name = "scripted"
    supports_schema = True  # replies are whatever the test scripted, dicts included

    def __init__(self, replies: Sequence[Reply] = (), default: Reply | None = None) -> None:
        self.queue: deque[Reply] = deque(replies)
        self.default = default
        self.requests: list[dict] = []

    def generate(self, messages: Sequence[Message], schema: dict | None = None, *, max_tokens: int = 256) -> dict | str:
        self.requests.append({"messages": list(messages), "schema": schema})
        if self.queue:
            reply = self.queue.popleft()
        elif self.default is not None:
            reply = self.default
        else:
            raise AssertionError(f"ScriptedBackend has no reply queued for request #{len(self.requests)}")
        if callable(reply):
            reply = reply(messages, schema)
        return dict(reply) if isinstance(reply, dict) else reply
