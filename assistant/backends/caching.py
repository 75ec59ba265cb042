"""A disk cache in front of any backend: the same request (greedy decoding) gets the same reply.

For experiments and settings sweeps: a rerun with different downstream settings (retrieval,
reading bars, comparison) asks the model only what it has not asked before. Eval runs do not use
it, so that a second run really re-asks the model and shows the scores are reproducible.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
import threading
from pathlib import Path
from typing import Any, Sequence

from .base import Backend, Message

__all__ = ["CachingBackend"]


class CachingBackend(Backend):
    def __init__(self, inner: Backend, path: str | Path, namespace: str = "") -> None:
        self.inner = inner
        self.name = inner.name
        self.namespace = namespace or inner.name
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(str(path), check_same_thread=False)
        self._db.execute("CREATE TABLE IF NOT EXISTS replies (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    def _key(self, kind: str, payload: Any) -> str:
        raw = json.dumps([self.namespace, kind, payload], sort_keys=True, ensure_ascii=False)
        return hashlib.sha256(raw.encode("utf-8")).hexdigest()

    def _cached(self, key: str, compute):
        with self._lock:
            row = self._db.execute("SELECT value FROM replies WHERE key = ?", (key,)).fetchone()
        if row is not None:
            self.hits += 1
            return json.loads(row[0])
        self.misses += 1
        value = compute()
        with self._lock:
            self._db.execute(
                "INSERT OR REPLACE INTO replies VALUES (?, ?)", (key, json.dumps(value, ensure_ascii=False))
            )
            self._db.commit()
        return value

    def generate(self, messages: Sequence[Message], schema: dict | None = None, *, max_tokens: int = 256) -> dict | str:
        key = self._key("generate", [list(messages), schema, max_tokens])
        return self._cached(key, lambda: self.inner.generate(messages, schema, max_tokens=max_tokens))

    def probabilities(
        self, messages: Sequence[Message], options: Sequence[str], reply_prefix: str = ""
    ) -> dict[str, float]:
        key = self._key("probabilities", [list(messages), list(options), reply_prefix])
        return self._cached(key, lambda: self.inner.probabilities(messages, options, reply_prefix=reply_prefix))

    def warm(self, prefix: Sequence[Message]) -> None:
        self.inner.warm(prefix)

    @property
    def supports_logprobs(self) -> bool:  # type: ignore[override]
        return self.inner.supports_logprobs

    @property
    def supports_schema(self) -> bool:  # type: ignore[override]
        return self.inner.supports_schema

    @property
    def concurrent(self) -> bool:  # type: ignore[override]
        return self.inner.concurrent

    def describe(self) -> dict[str, Any]:
        return dict(self.inner.describe(), cache=True)

    def close(self) -> None:
        self.inner.close()
        self._db.close()
