"""The library entry point: ``Assistant().ask("...") -> Answer``.

Everything heavy (model, index) loads on first use and is then reused, so an ``Assistant`` kept
alive (the chat page, an eval run) answers without start-up cost. Calls are serialised: the
embedded model runs one request at a time.
"""

from __future__ import annotations

import hashlib
import json
import threading
from dataclasses import replace
from pathlib import Path
from typing import Iterable, Iterator, Sequence

from .answer import OnEvent, answer_question, answer_steps
from .backends.base import Backend
from .backends.registry import make_backend
from .config import cache_dir as default_cache_dir
from .config import default_corpus_dir
from .corpus import add_article, load_corpus
from .embeddings import MiniLM
from .errors import StorydeskError
from .followup import standalone_question
from .index import StoryIndex, load_or_build
from .index_worker import build_in_worker
from .prompts import load_prompt
from .question import parse_question
from .reader import prepare
from .settings import ReadingSettings, RetrievalSettings, Settings
from .story_map import StoryMap, build_map, load_map, map_key, map_points, save_map
from .types import AddedArticles, Answer, Article, Corpus, Encoder, Event, Progress

__all__ = ["Assistant", "make_backend"]

_PROMPTS = (
    "read_article",
    "check_instruction",
    "same_answer",
    "same_subject",
    "check_stance",
)  # warmed in the background before the first answer


class _Stopped(Exception):
    """Raised inside a background map build when the assistant closes."""


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
        cache_dir: str | Path | None = None,
        store: str | None = None,
        settings: Settings | None = None,
        retrieval: RetrievalSettings | None = None,
        reading: ReadingSettings | None = None,
        progress: Progress | None = None,
        encoder: Encoder | None = None,
    ) -> None:
        self.corpus_dir = Path(corpus) if corpus else default_corpus_dir()
        self.cache_dir = Path(cache_dir) if cache_dir else default_cache_dir()
        # Where the index lives: None for files under the cache directory, or a PostgreSQL URL (pg_store.py).
        self.store = store
        base = settings or Settings()
        self.settings = replace(base, retrieval=retrieval or base.retrieval, reading=reading or base.reading)
        self.progress = progress
        self._backend = backend
        self._backend_args = dict(model_path=model_path, base_url=base_url, model=model, api_key=api_key)
        self._encoder = encoder or MiniLM()  # shareable: several corpora, one loaded encoder
        self._index: StoryIndex | None = None
        self._lock = threading.RLock()  # held only briefly: to create or swap the model and the index
        self._reindexing = threading.Lock()  # one rebuild at a time; answering goes on meanwhile
        # Whether a sentence of the articles is a planted instruction does not depend on the question:
        # the verdicts are kept for the life of the Assistant (the text is the key, so edits re-check).
        self._instruction_verdicts: dict[str, bool] = {}
        self._stances: dict[str, str] = {}  # sentence -> reported/opinion: no question changes it either
        self._prefetch: threading.Thread | None = None
        self._closing = threading.Event()  # set by close(): a background warm-up stops at its next step
        self._map_thread: threading.Thread | None = None
        self.map_status = ""  # how far a background map build is ("" when none runs)

    @property
    def retrieval(self) -> RetrievalSettings:
        return self.settings.retrieval

    @property
    def reading(self) -> ReadingSettings:
        return self.settings.reading

    @property
    def backend(self) -> Backend:
        with self._lock:
            if self._backend is None:
                self._backend = make_backend(cache=self.cache_dir, progress=self.progress, **self._backend_args)
            return self._backend

    @property
    def encoder(self) -> Encoder:
        """The sentence encoder: shareable between assistants over different corpora."""
        return self._encoder

    @property
    def index(self) -> StoryIndex:
        with self._lock:
            if self._index is None:
                self._index, _ = self._open(self._load_corpus(), self.progress)
            return self._index

    def _open(self, corpus: Corpus, progress: Progress | None, rebuild: bool = False) -> tuple[StoryIndex, bool]:
        """The corpus's index in this assistant's store, brought up to date. Returns (index, built)."""
        if self.store:
            from .pg_store import open_pg_index

            return open_pg_index(corpus, self.store, self._encoder, self.settings.store, progress, rebuild=rebuild)
        return load_or_build(
            corpus, self.cache_dir, self._encoder, progress, rebuild=rebuild, settings=self.settings.files
        )

    @property
    def corpus(self) -> Corpus:
        return self.index.corpus

    def _load_corpus(self) -> Corpus:
        return load_corpus(self.corpus_dir, self.settings.corpus)

    def reindex(
        self, rebuild: bool = False, *, progress: Progress | None = None, worker: bool = False
    ) -> tuple[StoryIndex, bool]:
        """Reload the corpus from disk, rebuilding the index if the articles changed. Returns (index, built).

        Questions asked meanwhile are answered from the current index, which is replaced only once the
        new one is complete. With ``worker`` the build runs in a separate process at a lower CPU
        priority (the chat page's uploads): answering keeps its share of the machine too.
        """
        progress = progress or self.progress
        with self._reindexing:
            corpus = self._load_corpus()
            built = False
            # A database is written in place (answering reads it meanwhile); the worker process embeds with MiniLM.
            in_worker = worker and not self.store and isinstance(self._encoder, MiniLM)
            if in_worker:
                built = build_in_worker(
                    corpus, self.cache_dir, rebuild=rebuild, progress=progress, settings=self.settings.files
                )
            index, built_here = self._open(corpus, progress, rebuild=rebuild and not in_worker)
            with self._lock:
                self._index = index
            return index, built or built_here

    def add_articles(
        self,
        files: Iterable[str | Path],
        *,
        max_bytes: int | None = None,
        progress: Progress | None = None,
        worker: bool = True,
    ) -> AddedArticles:
        """Copy article files into the corpus and index them; the current index answers until the new one
        is swapped in. Files whose text is already an article add nothing (uploading twice is harmless);
        a file that cannot be an article is reported in ``problems``, by name, and the rest go on."""
        target = self._writable_corpus()
        known = {d.doc_id for d in self.corpus}
        added: list[str] = []
        present: list[str] = []
        problems: list[str] = []
        for f in files:
            path = Path(str(f))
            try:
                doc_id = add_article(target, path, path.name, max_bytes, self.settings.corpus)
            except StorydeskError as err:
                problems.append(str(err).replace(str(path), path.name))  # never a server temp path
                continue
            (present if doc_id in known or doc_id in added else added).append(doc_id)
        if added:
            self.reindex(progress=progress, worker=worker)
        return AddedArticles(tuple(added), tuple(present), tuple(problems))

    def _writable_corpus(self) -> Path:
        """Added articles need a directory we may write: the bundled corpus is first copied to a workspace
        in the cache, which then becomes this assistant's corpus."""
        if self.corpus_dir.resolve() != default_corpus_dir().resolve():
            return self.corpus_dir
        workspace = self.cache_dir / "workspace" / "default"
        if not workspace.exists():
            workspace.mkdir(parents=True)
            for doc in self.corpus:
                source = Path(doc.path)
                if source.is_file():
                    (workspace / source.name).write_bytes(source.read_bytes())
        self.corpus_dir = workspace
        return workspace

    def prefetch(self) -> None:
        """Load the model and its prompt prefixes in the background (once), while the caller parses the
        question and searches: llama.cpp loads with the GIL released, so the two overlap. Not a daemon
        thread: a process that ends while the model loads waits for the load (a daemon thread killed inside
        llama.cpp at exit can crash the process after its answer was printed); ``close()`` cuts the rest short."""
        with self._lock:
            if self._prefetch is None and not self._closing.is_set():
                self._prefetch = threading.Thread(target=self._warm, name="storydesk-prefetch")
                self._prefetch.start()

    def _warm(self) -> None:
        try:
            self.warm()
        except StorydeskError:
            pass  # reported by the call that needs the model

    def warm(self) -> None:
        """Load the model and evaluate its fixed prompt prefixes now (a server does this before its first user)."""
        backend = self.backend
        for name in _PROMPTS:
            if self._closing.is_set():
                return
            backend.warm(load_prompt(name).prefix())

    def prepare_reading(self) -> int:
        """Compute each article's reading state (the model's KV state after reading it) now, so that every
        question later costs only its own tokens; kept on disk beside the index. Returns how many."""
        index = self.index
        articles = [Article(doc, tuple(index.spans_of(doc.doc_id))) for doc in index.corpus]
        return prepare(self.backend, articles, self.settings.reading)

    # -- the story map ----------------------------------------------------------------------------
    @property
    def _maps(self) -> Path:
        return self.cache_dir / "maps"

    def _pins_file(self) -> Path:
        where = hashlib.sha256(str(self.corpus_dir.resolve()).encode("utf-8")).hexdigest()[:16]
        return self._maps / f"pinned-{where}.json"

    def pinned_questions(self) -> list[str]:
        """Questions pinned to this corpus's story map (from the chat), oldest first."""
        try:
            return [q for q in json.loads(self._pins_file().read_text(encoding="utf-8")) if isinstance(q, str)]
        except (OSError, ValueError):
            return []

    def pin_question(self, question: str) -> list[str]:
        """Add ``question`` to the story map (a row of its own, first); returns the pinned questions."""
        text = parse_question(question).text  # a bad question fails here, with one line
        pins = [q for q in self.pinned_questions() if q != text] + [text]
        self._maps.mkdir(parents=True, exist_ok=True)
        self._pins_file().write_text(json.dumps(pins, ensure_ascii=False), encoding="utf-8")
        return pins

    def story_map(self, refresh: bool = False, on_event: OnEvent | None = None) -> StoryMap:
        """Where the sources part ways, without a question: rows are the points the story turns on, columns
        the articles, each cell an article's answer with its verified citation (``story_map.py``). Built
        once and cached with the index; served from the cache until an article, the model, a prompt, a
        setting or the pinned questions change (or ``refresh``)."""
        index, backend, pins = self.index, self.backend, self.pinned_questions()
        key = map_key(index, backend, self.settings, pins)
        cached = None if refresh else load_map(self._maps, key)
        if cached is not None:
            return cached
        points_key = "points-" + map_key(index, backend, self.settings, ())
        known = None if refresh else load_map(self._maps, points_key)
        points = (
            known.points
            if known
            else map_points(index, backend, self._encoder, self.settings, on_event, self._instruction_verdicts)
        )
        save_map(self._maps, StoryMap([], [], points_key, 0.0, points))
        built = build_map(
            index,
            backend,
            self._encoder,
            self.settings,
            pins,
            points,
            on_event,
            self._instruction_verdicts,
            self._stances,
        )
        built.key = key
        save_map(self._maps, built)
        return built

    def start_story_map(self) -> None:
        """Build the story map in the background (one build at a time); ``map_status`` says how far it is,
        ``cached_story_map()`` gives it when ready. ``close()`` stops it at its next step."""
        with self._lock:
            if self._closing.is_set() or (self._map_thread is not None and self._map_thread.is_alive()):
                return
            self.map_status = "Building the map: finding the points the story turns on…"
            self._map_thread = threading.Thread(target=self._build_map, name="storydesk-map")
            self._map_thread.start()

    def _build_map(self) -> None:
        def progress(event: Event) -> None:
            if self._closing.is_set():
                raise _Stopped
            self.map_status = f"Building the map: {event.detail}"

        try:
            self.story_map(on_event=progress)
            self.map_status = ""
        except _Stopped:
            self.map_status = "The map was not finished."
        except StorydeskError as err:
            self.map_status = f"The map could not be built: {err}"

    def cached_story_map(self) -> StoryMap | None:
        """The story map if it is already built for the corpus as it is now; None otherwise (nothing runs)."""
        return load_map(self._maps, map_key(self.index, self.backend, self.settings, self.pinned_questions()))

    def standalone(self, question: str, history: Sequence[str]) -> str:
        """``question`` rewritten to stand alone given the earlier questions of a conversation ("and when
        did it start?" after "who hacked the system?"); itself when it needs no context."""
        return (
            standalone_question(question, list(history), self.backend, self.settings.followup) if history else question
        )

    def ask(self, question: str, on_event: OnEvent | None = None) -> Answer:
        """The answer to ``question``; ``on_event`` (optional) sees each progress event on the way."""
        parsed, index, backend = self._begin(question)
        # Not under the lock: endpoint backends take several requests at once; the embedded
        # backend serialises its own calls.
        return answer_question(
            parsed,
            index,
            backend,
            self._encoder,
            self.settings,
            on_event=on_event,
            verdicts=self._instruction_verdicts,
            stances=self._stances,
        )

    def ask_events(self, question: str) -> Iterator[Event]:
        """The answer to ``question`` as typed progress events, the last a ``done`` event carrying the answer."""
        parsed, index, backend = self._begin(question)
        yield from answer_steps(
            parsed, index, backend, self._encoder, self.settings, self._instruction_verdicts, self._stances
        )

    def _begin(self, question: str):
        parsed = parse_question(question)  # a bad question fails fast, before any model or index loads
        self.prefetch()
        with self._lock:
            return parsed, self.index, self.backend

    def close(self) -> None:
        """Stop any background warm-up (waiting out a model load already under way) and free the model."""
        self._closing.set()
        for thread in (self._prefetch, self._map_thread):
            if thread is not None:
                thread.join()
        with self._lock:
            if self._backend is not None:
                self._backend.close()

    def __enter__(self) -> "Assistant":
        return self

    def __exit__(self, *exc) -> None:
        self.close()
