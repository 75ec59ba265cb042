"""What one session learns about sentences that no question changes, kept for the session's life.

Whether a sentence of the articles is a planted instruction, and whether it reports or gives the writer's
view, depends on the sentence alone: an ``Assistant`` keeps one ``Caches`` and hands it to every answer and
story map, so each sentence is checked once. The text is the key, so an edited sentence is checked again.
"""

from __future__ import annotations

from dataclasses import dataclass, field

__all__ = ["Caches"]


@dataclass
class Caches:
    """The per-session caches, filled as answers are made (the stages read and fill plain dicts)."""

    verdicts: dict[str, bool] = field(default_factory=dict)  # sentence -> is a planted instruction
    stances: dict[str, str] = field(default_factory=dict)  # sentence -> reported/opinion
