"""Which prompt prefixes have a state kept on disk, told from their messages alone (``LlamaCppBackend.has_state``).

A prefix's state file is named by its tokens (``prefix-<hash>.kv``), and only the loaded model can tokenize. So
when the backend keeps or restores a state it also writes a note, named by a digest of the model's identity and
the prefix's messages (the roles and contents the model reads), that holds the state file's name: whether a
prefix is prepared is then a hash and two file lookups, with no model loaded.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Callable, Sequence

from .base import Message

__all__ = ["PrefixNotes"]


class PrefixNotes:
    """The notes in ``directory`` (none kept when it is None); ``identity`` says which model (its file and context)."""

    def __init__(self, directory: Path | None, identity: Callable[[], bytes]) -> None:
        self.directory = directory
        self._identity = identity

    def digest(self, prefix: Sequence[Message]) -> str:
        h = hashlib.sha256(self._identity())
        turns = [[str(m.get("role") or ""), str(m.get("content") or "")] for m in prefix]
        h.update(json.dumps(turns, ensure_ascii=False).encode("utf-8"))
        return h.hexdigest()[:24]

    def _path(self, digest: str) -> Path | None:
        return self.directory / f"messages-{digest}.ref" if self.directory else None

    def kept(self, digest: str) -> bool:
        """Whether the state noted for ``digest`` is on disk."""
        path = self._path(digest)
        try:
            name = path.read_text(encoding="utf-8").strip() if path else ""
        except OSError:
            return False
        return bool(name) and (self.directory / name).is_file()

    def note(self, digest: str, state: Path) -> None:
        """Note that ``digest``'s state is kept in ``state`` (a file in the directory)."""
        path = self._path(digest)
        if path is not None and state.is_file() and not path.is_file():
            tmp = path.with_suffix(f".tmp{os.getpid()}")
            tmp.write_text(state.name, encoding="utf-8")
            tmp.replace(path)

    def sweep(self) -> None:
        """Remove the notes whose state file is gone (pruned)."""
        for path in self.directory.glob("messages-*.ref") if self.directory else ():
            try:
                if not (self.directory / path.read_text(encoding="utf-8").strip()).is_file():
                    path.unlink(missing_ok=True)
            except OSError:  # removed meanwhile (another process pruning)
                continue
