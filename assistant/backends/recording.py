"""A request log: every model call the answer path makes, with what came back, one JSON line each.

``RecordingBackend`` wraps any backend and writes each call (``generate``, ``probabilities``, ``copy_span``, ``likelihood``)
as it returns. Given the log of an earlier run (``replay``), a call asked exactly as before gets the answer
it got then without reaching the model, and one asked differently is counted and goes to the model: two
runs of the same questions make the same requests, in the same order, exactly when the code between the
question and the model behaves the same. ``bench/requests.py`` records and compares such logs;
``STORYDESK_REQUEST_LOG=FILE`` records any command's calls (``backends.registry``).
"""

from __future__ import annotations

import json
import threading
from pathlib import Path
from typing import Any, Sequence

from .base import Backend, Copied, Message

__all__ = ["RecordingBackend", "request_key", "read_log"]


def request_key(call: str, **request: Any) -> str:
    """One call's identity: its kind and every argument, as canonical JSON."""
    return json.dumps({"call": call, **request}, ensure_ascii=False, sort_keys=True)


def read_log(path: str | Path) -> list[dict]:
    """The calls of a request log, in the order they were made."""
    with Path(path).open(encoding="utf-8") as lines:
        return [json.loads(line) for line in lines if line.strip()]


class RecordingBackend(Backend):
    """``inner`` with every call written to ``log`` (appended); with ``replay`` (an earlier log's calls), a
    call made exactly as before is answered from it. ``inner`` may be None when every call must replay."""

    def __init__(self, inner: Backend | None, log: str | Path, replay: Sequence[dict] = ()) -> None:
        self.inner = inner
        self.log = Path(log)
        self.log.parent.mkdir(parents=True, exist_ok=True)
        self._known = {request_key(r["call"], **r["request"]): r["result"] for r in replay}
        self._lock = threading.Lock()
        self.replayed = 0
        self.missed = 0
        model = inner if inner is not None else self
        self.name = getattr(inner, "name", "replay")
        for flag in ("supports_logprobs", "supports_schema", "concurrent", "supports_copy", "supports_likelihood"):
            setattr(self, flag, bool(getattr(model, flag, False)) if inner is not None else True)

    def _call(self, call: str, request: dict, ask) -> Any:
        key = request_key(call, **request)
        if key in self._known:
            result = self._known[key]
            with self._lock:
                self.replayed += 1
        else:
            if self.inner is None:
                raise LookupError(f"no recorded reply for this {call} request and no model to ask")
            result = ask()
            with self._lock:
                self.missed += 1
        with self._lock, self.log.open("a", encoding="utf-8") as sink:
            sink.write(json.dumps({"call": call, "request": request, "result": result}, ensure_ascii=False) + "\n")
        return result

    def generate(self, messages: Sequence[Message], schema: dict | None = None, *, max_tokens: int = 256) -> dict | str:
        request = {"messages": list(messages), "schema": schema, "max_tokens": max_tokens}
        return self._call("generate", request, lambda: self.inner.generate(messages, schema, max_tokens=max_tokens))

    def probabilities(
        self, messages: Sequence[Message], options: Sequence[str], reply_prefix: str = ""
    ) -> dict[str, float]:
        request = {"messages": list(messages), "options": list(options), "reply_prefix": reply_prefix}
        return self._call("probabilities", request, lambda: self.inner.probabilities(messages, options, reply_prefix))

    def copy_span(
        self,
        messages: Sequence[Message],
        source: str,
        *,
        reply_prefix: str = "",
        max_tokens: int = 32,
        candidates: int = 64,
    ) -> Copied:
        request = {"messages": list(messages), "source": source, "reply_prefix": reply_prefix, "max_tokens": max_tokens}
        if candidates != 64:  # the default is left out, so logs from before the knob existed still compare
            request["candidates"] = candidates

        def ask() -> list:
            copied = self.inner.copy_span(
                messages, source, reply_prefix=reply_prefix, max_tokens=max_tokens, candidates=candidates
            )
            return list(copied)

        return Copied(*self._call("copy_span", request, ask))

    def likelihood(self, messages: Sequence[Message], reply: str, skip: tuple[int, int] | None = None) -> float:
        request = {"messages": list(messages), "reply": reply, **({"skip": list(skip)} if skip else {})}
        return self._call("likelihood", request, lambda: self.inner.likelihood(messages, reply, skip))

    def warm(self, prefix: Sequence[Message]) -> None:
        if self.inner is not None:
            self.inner.warm(prefix)

    def has_state(self, prefix: Sequence[Message]) -> bool | None:
        return self.inner.has_state(prefix) if self.inner is not None else None

    def describe(self) -> dict[str, Any]:
        return self.inner.describe() if self.inner is not None else {"name": self.name}

    def close(self) -> None:
        if self.inner is not None:
            self.inner.close()
