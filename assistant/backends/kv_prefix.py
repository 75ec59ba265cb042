"""The embedded backend's KV prefixes: a fixed prompt prefix (a prompt's system turn and examples, an
article) is evaluated once, its KV state kept in memory (``max_anchors``) and on disk (``state_dir``, least
recently used pruned past ``max_state_bytes``), and every prompt is evaluated from the longest prefix it
starts with. A state computed from nothing (a prompt's system turn and examples, which every article's state
or check builds on) is a root: roots are few and shared, and pruning keeps them however long they go unused.

Reuse is kept reproducible: llama.cpp gives slightly different logits for the same token when it is
evaluated in a differently shaped batch, so reusing "whatever the last call left" made a result
depend on the call before it, and two near-tied sentences could swap places between runs. Every
prompt is therefore evaluated in a layout fixed by its own tokens (its registered prefix, restored
bit for bit, then one batch per line), and reuse stops only at a line end that layout shares.
"""

from __future__ import annotations

import ctypes
import hashlib
import json
import logging
import os
from pathlib import Path
from typing import Sequence

import numpy as np

from .base import Message
from .prefix_notes import PrefixNotes

__all__ = ["KVPrefixes", "llama_cpp_state_size"]

log = logging.getLogger(__name__)


class KVPrefixes:
    """Mixed into ``LlamaCppBackend`` (``_llm``, ``_lock``, ``_load``, ``_tokens``, ``n_ctx``, ``model_path``), whose
    ``__init__`` calls ``_init_prefixes``."""

    def _init_prefixes(self, state_dir: str | Path | None, max_anchors: int, max_state_bytes: int) -> None:
        self.state_dir = Path(state_dir) if state_dir else None
        self.max_anchors = max(1, max_anchors)  # prefixes whose KV state is kept in memory (one per article read)
        self.max_state_bytes = max_state_bytes  # prefix states kept on disk, least recently used pruned past this
        self._anchors: dict[tuple[int, ...], bytes | memoryview] = {}  # warmed prefixes -> their KV state
        self._held: dict[str, tuple[int, ...]] = {}  # the anchored prefixes: messages (digest) -> tokens (has_state)
        self._notes = PrefixNotes(self.state_dir, self._identity)  # which prefixes' states are on disk (has_state)
        self._kv_anchor: tuple[int, ...] = ()  # the prefix the KV cache currently starts from
        self._canonical = 0  # leading KV tokens computed in the reproducible layout
        self._token_kinds: dict[int, int] = {}

    def _identity(self) -> bytes:
        return f"{self.model_path.stat().st_size}:{self.model_path.name}:{self.n_ctx}".encode()

    def _state_file(self, tokens: list[int]) -> Path | None:
        if not self.state_dir:
            return None
        h = hashlib.sha256(self._identity())
        h.update(np.asarray(tokens, dtype=np.int32).tobytes())
        return self.state_dir / f"prefix-{h.hexdigest()[:24]}.kv"

    def has_state(self, prefix: Sequence[Message]) -> bool:
        """Whether ``warm(prefix)`` finds the prefix's state held in memory or kept on disk, told from its messages
        alone (``prefix_notes.py``): no model is loaded, nothing is tokenized."""
        digest = self._notes.digest(prefix)
        return digest in self._held or self._notes.kept(digest)

    def warm(self, prefix: Sequence[Message]) -> None:
        """Register a fixed prompt prefix: its KV state is computed (or read from disk) once."""
        with self._lock:
            self._load()
            tokens = tuple(self._tokens(prefix, generation_prompt=False))
            if not tokens or len(tokens) >= self.n_ctx or tokens in self._anchors:
                return
            path = self._state_file(list(tokens))
            blob = self._restore(path, list(tokens)) if path and path.is_file() else None
            if blob is not None:
                os.utime(path)  # recently used: pruned last
            else:
                root = not self._base_of(tokens)
                self._prime(list(tokens))  # builds on the longest prefix already warmed (the examples)
                blob = self._snapshot()
                if path:
                    self._persist(path, blob, root)
                    self._prune()
            while len(self._anchors) >= self.max_anchors:
                self._anchors.pop(next(iter(self._anchors)))
            self._anchors[tokens] = blob  # the state just read or computed: not serialised again
            self._kv_anchor, self._canonical = tokens, len(tokens)
            digest = self._notes.digest(prefix)  # for has_state: held now, and kept in ``path``
            self._held = {d: t for d, t in self._held.items() if t in self._anchors and d != digest} | {digest: tokens}
            if path:
                self._notes.note(digest, path)

    def _prune(self) -> None:
        """Keep the prefix states on disk under ``max_state_bytes``, dropping the least recently used."""
        files = sorted(self.state_dir.glob("prefix-*.kv"), key=lambda f: f.stat().st_mtime, reverse=True)
        total, pruned = 0, False
        for f in files:
            total += f.stat().st_size
            if total > self.max_state_bytes and not _is_root(f):
                f.unlink(missing_ok=True)
                f.with_suffix(".json").unlink(missing_ok=True)
                pruned = True
        if pruned:
            self._notes.sweep()

    def _snapshot(self) -> bytes:
        import llama_cpp

        llm = self._llm
        size = llama_cpp_state_size(llm)
        buf = (ctypes.c_uint8 * size)()
        written = llama_cpp.llama_state_get_data(llm._ctx.ctx, buf, size)
        return bytes(buf)[:written]

    def _set_state(self, blob: bytes | memoryview, ids: Sequence[int]) -> bool:
        import llama_cpp

        llm = self._llm
        llm.reset()
        buf = (ctypes.c_uint8 * len(blob)).from_buffer_copy(blob)
        if llama_cpp.llama_state_set_data(llm._ctx.ctx, buf, len(blob)) != len(blob):
            llm.reset()
            return False
        llm.input_ids[: len(ids)] = ids
        llm.n_tokens = len(ids)
        return True

    def _persist(self, path: Path, blob: bytes, root: bool) -> None:
        llm = self._llm
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(f".tmp{os.getpid()}")
        with tmp.open("wb") as fh:
            fh.write(np.asarray(llm.input_ids[: llm.n_tokens], dtype=np.int32).tobytes())
            fh.write(blob)
        header = path.with_suffix(".json")
        header.write_text(
            json.dumps({"n_tokens": int(llm.n_tokens), "state_bytes": len(blob), "root": root}), encoding="utf-8"
        )
        tmp.replace(path)

    def _restore(self, path: Path, tokens: list[int]) -> memoryview | None:
        """The state kept in ``path``, now in the KV cache; None when it is not ``tokens``' or cannot be read."""
        try:
            n = json.loads(path.with_suffix(".json").read_text(encoding="utf-8"))["n_tokens"]
            raw = path.read_bytes()
            ids, blob = np.frombuffer(raw[: 4 * n], dtype=np.int32), memoryview(raw)[4 * n :]
            return blob if list(ids) == tokens and self._set_state(blob, ids) else None
        except (OSError, ValueError, KeyError) as err:
            log.warning("ignoring unreadable prefix cache %s: %s", path, err)
            self._llm.reset()
            return None

    def _token_kind(self, token: int) -> int:
        """0: text, 1: text with a line end, 2: a control token (<|im_start|>, <|im_end|>)."""
        kind = self._token_kinds.get(token)
        if kind is None:
            text = self._llm.detokenize([token])
            kind = 2 if not text and self._llm.detokenize([token], special=True) else int(b"\n" in text)
            self._token_kinds[token] = kind
        return kind

    def _cuts(self, tokens: list[int], begin: int) -> list[int]:
        """Where batches end: after each line of plain text ("Question: ...\n"), and after the line that
        opens the model's reply ("<|im_start|>assistant\n"), a rule that looks only at the tokens before
        the cut, so two prompts sharing a line cut it alike. Other lines with control tokens (the chat
        template's) are not cut: fewer, larger batches are faster. The cut before the reply lets a call
        that continues a reply (the answering words) reuse the whole prompt a probability call read."""
        cuts, plain, line = [begin], True, []
        for i in range(begin, len(tokens)):
            kind = self._token_kind(tokens[i])
            line.append(tokens[i])
            if kind == 2:
                plain = False
            elif kind == 1:
                if plain or self._opens_reply(line):
                    cuts.append(i + 1)
                plain, line = True, []
        return cuts

    def _opens_reply(self, line: list[int]) -> bool:
        return self._llm.detokenize(line).strip() == b"assistant"

    def _base_of(self, tokens: Sequence[int]) -> tuple[int, ...]:
        """The longest warmed prefix that ``tokens`` go on from (``()`` when none): where their evaluation starts."""
        return max(
            (a for a in self._anchors if len(a) < len(tokens) and tuple(tokens[: len(a)]) == a), key=len, default=()
        )

    def _prime(self, tokens: list[int]) -> None:
        """Leave the KV cache holding ``tokens``, computed in the layout fixed by the tokens alone."""
        llm = self._llm
        anchor = self._base_of(tokens)
        holds = llm.n_tokens >= len(anchor) and np.array_equal(llm.input_ids[: len(anchor)], anchor)
        if anchor:  # most recently used last: the shared prefixes (a prompt's examples) are never evicted first
            self._anchors[anchor] = self._anchors.pop(anchor)
        if anchor != self._kv_anchor or not holds:
            if not (anchor and self._set_state(self._anchors[anchor], anchor)):
                anchor = ()
                llm.reset()
            self._kv_anchor, self._canonical = anchor, len(anchor)
        cuts = self._cuts(tokens, len(anchor))
        shared, limit = 0, min(self._canonical, llm.n_tokens, len(tokens) - 1)
        while shared < limit and llm.input_ids[shared] == tokens[shared]:
            shared += 1
        start = max(c for c in cuts if c <= shared)
        llm.n_tokens = start
        ends = [c for c in cuts if c > start and c < len(tokens)] + [len(tokens)]
        for a, b in zip([start] + ends[:-1], ends):
            llm.eval(tokens[a:b])
        # The last batch may end inside a line: the KV after the last cut is not reusable.
        self._canonical = max(c for c in cuts if c <= len(tokens))


def _is_root(state: Path) -> bool:
    """Whether the state kept in ``state`` was computed from nothing (its header says; older headers do not)."""
    try:
        return bool(json.loads(state.with_suffix(".json").read_text(encoding="utf-8")).get("root"))
    except (OSError, ValueError):
        return False


def llama_cpp_state_size(llm) -> int:
    import llama_cpp

    return int(llama_cpp.llama_state_get_size(llm._ctx.ctx))
