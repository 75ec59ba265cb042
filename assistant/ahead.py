"""Whether what ``storydesk index`` computes ahead of any question is there for the articles a question is about to
read: each article's instruction screen (its verdict, kept in ``caches.VerdictStore``) and its reading state (the
model's state after reading the article whole, kept by the backend: ``Backend.has_state``). A question that finds
them missing computes them first, which can take minutes on a small machine (once measured: 142 s before the first
word); ``first_reading`` says so before that wait, as a ``preparing`` progress event, instead of leaving the asker
in silence. Everything here is told from files and hashes: nothing loads or asks the model.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Iterator

from . import injection, reader
from .backends.base import Backend
from .caches import VerdictStore
from .prompts import load_prompt
from .settings import Settings
from .types import PREPARING, Article, Event, Retrieval

if TYPE_CHECKING:
    from .types import SentenceStore as StoryIndex

__all__ = ["unprepared", "first_reading"]


def unprepared(
    index: StoryIndex, retrieval: Retrieval, backend: Backend, settings: Settings, verdicts: VerdictStore
) -> int | None:
    """How many of the articles ``retrieval`` chose to read have no screen verdict yet, or no reading state kept for
    the way they are shown (an article shown in part keeps none: it has nothing to prepare); None when the backend
    cannot tell whether it keeps a state (an endpoint), so nothing can be said."""
    if backend.has_state(load_prompt(reader.PROMPT).prefix()) is None:
        return None
    missing = 0
    for doc_id, best in retrieval.by_article().items():
        document = index.corpus[doc_id]
        removed = verdicts.get(injection.verdict_key(backend, document, settings.injection))
        if removed is None:  # screened first, then read
            missing += 1
            continue
        prefix = reader.kept_prefix(
            Article(document, tuple(index.spans_of(doc_id)), tuple(best), removed), settings.reading
        )
        missing += prefix is not None and backend.has_state(prefix) is False
    return missing


def first_reading(
    index: StoryIndex, retrieval: Retrieval, backend: Backend, settings: Settings, verdicts: VerdictStore
) -> Iterator[Event]:
    """One ``preparing`` event (``done`` of ``total`` articles read for the first time) when some of the articles
    about to be read were not prepared ahead; nothing when all were, or when the backend cannot tell."""
    missing = unprepared(index, retrieval, backend, settings, verdicts)
    if missing:
        total = len(retrieval.by_article())
        verb = "is" if missing == 1 else "are"
        detail = f"{missing} of {total} article{'' if total == 1 else 's'} {verb} read for the first time"
        yield Event(PREPARING, f"{detail}, which takes longer", missing, total)
