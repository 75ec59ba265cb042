"""What is learnt about the articles that no question changes, kept and handed to every answer and story map.

Which sentences of an article are planted instructions depends on the article's text (and the model, prompts
and settings) alone: ``VerdictStore`` keeps the instruction screen's verdict per article under a key the
screen computes, in memory and, given a directory, on disk, so each article is screened once, by
``storydesk index`` or by the first question that reads it. Whether a sentence reports or gives the writer's
view depends on the sentence alone (and the model, prompt and settings): ``StanceStore`` keeps those verdicts
under a key ``stance.py`` computes, in memory and, given a file, on disk, so a sentence cited by one
question is not checked again by the next, in this process or a later one. An edited text has another key,
so it is checked again.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator, MutableMapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

__all__ = ["Caches", "VerdictStore", "StanceStore", "verdict_hash"]


def verdict_hash(backend: Any, settings: Any, text: str, *asked: bytes) -> str:
    """The key a kept verdict is found under: the model's name (none for what code finds alone), the settings (a
    dataclass), the text judged and how it is asked (``asked``: the prompts as they render, the forms looked for)."""
    h = hashlib.sha256()
    for part in (getattr(backend, "name", ""), json.dumps(asdict(settings), sort_keys=True), text):
        h.update(part.encode("utf-8") + b"\0")
    for part in asked:
        h.update(part)
    return h.hexdigest()[:32]


class VerdictStore:
    """Sets of sentence start offsets by key, in memory and, given ``directory``, one small JSON file each."""

    def __init__(self, directory: Path | None = None) -> None:
        self.directory = directory
        self._memory: dict[str, frozenset[int]] = {}

    def get(self, key: str) -> frozenset[int] | None:
        if key not in self._memory and self.directory is not None:
            path = self.directory / f"{key}.json"
            if path.is_file():
                self._memory[key] = frozenset(json.loads(path.read_text(encoding="utf-8")))
        return self._memory.get(key)

    def put(self, key: str, value: frozenset[int], keep: bool = True) -> None:
        """Remember ``value``; on disk too unless ``keep`` is False (a guess made without the model)."""
        self._memory[key] = value
        if keep and self.directory is not None:
            self.directory.mkdir(parents=True, exist_ok=True)
            (self.directory / f"{key}.json").write_text(json.dumps(sorted(value)), encoding="utf-8")


class StanceStore(MutableMapping[str, str]):
    """Stances by key, in memory and, given ``path``, one JSON line each appended to that file (read at first
    use; a line cut short by a crash is skipped), so that what one process learns the next one reads."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = path
        self._memory: dict[str, str] | None = None

    def _held(self) -> dict[str, str]:
        if self._memory is None:
            self._memory = {}
            if self.path is not None and self.path.is_file():
                for line in self.path.read_text(encoding="utf-8").splitlines():
                    try:
                        key, value = json.loads(line)
                    except ValueError:
                        continue
                    self._memory[key] = value
        return self._memory

    def __getitem__(self, key: str) -> str:
        return self._held()[key]

    def __setitem__(self, key: str, value: str) -> None:
        self._held()[key] = value
        if self.path is not None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with self.path.open("a+b") as f:  # after a line a crash cut short, on a line of its own
                cut = f.seek(0, 2) > 0 and f.seek(-1, 2) >= 0 and f.read(1) != b"\n"
                f.write((b"\n" if cut else b"") + json.dumps([key, value]).encode("utf-8") + b"\n")

    def __delitem__(self, key: str) -> None:
        del self._held()[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._held())

    def __len__(self) -> int:
        return len(self._held())


@dataclass
class Caches:
    """The per-session caches, filled as answers are made."""

    verdicts: VerdictStore = field(default_factory=VerdictStore)  # article -> its sentences screened out
    stances: StanceStore = field(default_factory=StanceStore)  # stance.verdict_key -> reported/opinion
