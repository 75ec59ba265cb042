"""The library entry point: ``Assistant().ask("...") -> Answer``.

Everything heavy (model, index) loads on first use and is then reused, so an ``Assistant`` kept
alive (the chat page, an eval run) answers without start-up cost. Calls are serialised: the
embedded model runs one request at a time. ``Assistant`` is a facade over the parts that do the work: the
articles and their index (``workspace.Workspace``), the model and its warm-up (``warmup.LazyModel``), the
story map (``map_service.MapService``) and what is learnt about sentences on the way (``caches.Caches``). While a
question is answered (``turns.Turns``) a background map build pauses between its model calls.
"""

from __future__ import annotations

import threading
from dataclasses import replace
from pathlib import Path
from typing import Iterator, Sequence

from .answer import AnswerContext, OnEvent, answer_question, answer_steps, prepare_articles
from .backends.base import Backend
from .backends.registry import make_backend
from .caches import Caches, StanceStore, VerdictStore
from .config import cache_dir as default_cache_dir
from .config import default_corpus_dir
from .embeddings import MiniLM
from .followup import standalone_question
from .index import StoryIndex
from .map_service import MapService
from .question import check_question, parse_question
from .settings import ReadingSettings, RetrievalSettings, Settings
from .story_map import StoryMap
from .turns import Turns
from .types import AddedArticles, Answer, Corpus, Encoder, Event, Progress
from .warmup import LazyModel
from .workspace import Files, Workspace

__all__ = ["Assistant", "make_backend"]


class Assistant:
    """Grounded question answering over one corpus of articles."""

    def __init__(
        self,
        corpus: str | Path | None = None,
        *,
        backend: Backend | None = None,
        model_path: str | Path | None = None,
        base_url: str | None = None,
        model: str | None = None,
        api_key: str | None = None,
        endpoint: str = "auto",
        cache_dir: str | Path | None = None,
        store: str | None = None,
        settings: Settings | None = None,
        retrieval: RetrievalSettings | None = None,
        reading: ReadingSettings | None = None,
        progress: Progress | None = None,
        encoder: Encoder | None = None,
    ) -> None:
        self.cache_dir = Path(cache_dir) if cache_dir else default_cache_dir()
        self.store = store  # where the index lives: None for files under the cache directory, or a PostgreSQL URL
        base = settings or Settings()
        self.settings = replace(base, retrieval=retrieval or base.retrieval, reading=reading or base.reading)
        self.progress = progress
        self._encoder = encoder or MiniLM()  # shareable: several corpora, one loaded encoder
        self._lock = lock = threading.RLock()  # held only briefly: to create or swap the model and the index
        options = dict(model_path=model_path, base_url=base_url, model=model, api_key=api_key, endpoint=endpoint)
        self.model = LazyModel(lambda: make_backend(cache=self.cache_dir, progress=progress, **options), backend, lock)
        corpus_dir = Path(corpus) if corpus else default_corpus_dir()
        self.workspace = Workspace(corpus_dir, self.cache_dir, store, self._encoder, self.settings, progress, lock)
        # No question changes what they learn: kept on disk for the next process.
        self.caches = Caches(VerdictStore(self.cache_dir / "screens"), StanceStore(self.cache_dir / "stances.jsonl"))
        self.turns = Turns()  # the questions being answered now: a background map build gives way to them
        self.maps = MapService(self)

    @property
    def backend(self) -> Backend:
        return self.model.backend

    @property
    def encoder(self) -> Encoder:  # shareable between assistants over different corpora
        return self._encoder

    @property
    def index(self) -> StoryIndex:
        return self.workspace.index

    @property
    def corpus(self) -> Corpus:
        return self.index.corpus

    @property
    def corpus_dir(self) -> Path:
        """The articles' directory: the bundled corpus's copy in the cache once articles were added to it."""
        return self.workspace.corpus_dir

    retrieval = property(lambda self: self.settings.retrieval)
    reading = property(lambda self: self.settings.reading)
    map_status = property(lambda self: self.maps.status, doc="How far a background map build is ('' when none).")

    def reindex(
        self, rebuild: bool = False, *, progress: Progress | None = None, worker: bool = False
    ) -> tuple[StoryIndex, bool]:
        """Reload the corpus from disk, rebuilding the index if the articles changed. Returns (index, built).
        Questions asked meanwhile are answered from the current index until the new one is complete; with
        ``worker`` the build runs in a separate, lower-priority process (the chat page's uploads)."""
        return self.workspace.reindex(rebuild, progress=progress, worker=worker)

    def add_articles(
        self, files: Files, *, max_bytes: int | None = None, progress: Progress | None = None, worker: bool = True
    ) -> AddedArticles:
        """Copy article files into the corpus and index them; the current index answers until the new one
        is swapped in. Files whose text is already an article add nothing (uploading twice is harmless);
        a file that cannot be an article is reported in ``problems``, by name, and the rest go on."""
        return self.workspace.add_articles(files, max_bytes=max_bytes, progress=progress, worker=worker)

    def prefetch(self) -> None:
        """Load the model and the reader's prompt prefix in the background (once), overlapping the question's search."""
        self.model.prefetch()

    def warm(self) -> None:
        """Load the model and evaluate its fixed prompt prefixes now (a server does this before its first user)."""
        self.model.warm()

    def prepare_reading(self) -> int:
        """Screen each article for planted instructions and compute its reading state (the model's KV state after
        reading it) now, so that every question later costs only its own tokens; both kept on disk. Returns how many."""
        return prepare_articles(AnswerContext(self.index, self.backend, self._encoder, self.settings, self.caches))

    def story_map(self, refresh: bool = False, on_event: OnEvent | None = None) -> StoryMap:
        """Where the sources part ways, without a question (``story_map.py``): rows are the points the story
        turns on, columns the articles; cached until an article, the model, a prompt or a setting changes."""
        return self.maps.story_map(refresh, on_event)

    def start_story_map(self) -> None:
        """Build the story map in the background (one build at a time); ``map_status`` says how far it is,
        ``cached_story_map()`` gives it when ready. ``close()`` stops it at its next step."""
        self.maps.start()

    def cached_story_map(self) -> StoryMap | None:
        """The story map if it is already built for the corpus as it is now; None otherwise (nothing runs)."""
        return self.maps.cached_story_map()

    def pin_question(self, question: str) -> list[str]:
        """Add ``question`` to the story map (a row of its own, first); returns the pinned questions."""
        return self.maps.pin_question(question)

    def pinned_questions(self) -> list[str]:  # oldest first
        return self.maps.pinned_questions()

    def standalone(self, question: str, history: Sequence[str]) -> str:
        """``question`` rewritten to stand alone given a conversation's earlier questions (itself if it needs none)."""
        if not history:
            return question
        with self.turns.question():
            return standalone_question(question, list(history), self.backend, self.settings.followup)

    def ask(self, question: str, on_event: OnEvent | None = None) -> Answer:
        """The answer to ``question``; ``on_event`` (optional) sees each progress event on the way."""
        with self.turns.question():
            parsed, index, backend = self._begin(question)
            # Not under the lock: endpoint backends take several requests at once; the embedded one serialises its own.
            return answer_question(parsed, index, backend, self._encoder, self.settings, on_event, self.caches)

    def ask_events(self, question: str) -> Iterator[Event]:
        """The answer to ``question`` as typed progress events, the last a ``done`` event carrying the answer."""
        with self.turns.question():
            parsed, index, backend = self._begin(question)
            yield from answer_steps(parsed, index, backend, self._encoder, self.settings, self.caches)

    def _begin(self, question: str):
        cleaned = check_question(question)  # a bad question fails fast, before any model or index loads
        self.prefetch()  # the model loads while the question is parsed and its articles searched
        parsed = parse_question(cleaned)
        with self._lock:
            return parsed, self.index, self.backend

    def close(self) -> None:
        """Stop any background warm-up and map build (waiting out a model load already under way), free the model."""
        self.model.stop()
        self.maps.close()
        self.model.close()

    def __enter__(self) -> "Assistant":
        return self

    def __exit__(self, *exc) -> None:
        self.close()
