"""What is learnt about the articles that no question changes, kept and handed to every answer and story map.

Which sentences of an article are planted instructions depends on the article's text (and the model, prompts
and settings) alone: ``VerdictStore`` keeps the instruction screen's verdict per article under a key the
screen computes, in memory and, given a directory, on disk, so each article is screened once, by
``storydesk index`` or by the first question that reads it. Whether a sentence reports or gives the writer's
view depends on the sentence alone (``stances``, for the session's life). An edited text has another key,
so it is checked again.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

__all__ = ["Caches", "VerdictStore"]


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


@dataclass
class Caches:
    """The per-session caches, filled as answers are made."""

    verdicts: VerdictStore = field(default_factory=VerdictStore)  # article -> its sentences screened out
    stances: dict[str, str] = field(default_factory=dict)  # sentence -> reported/opinion
