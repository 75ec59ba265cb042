"""The story map of one assistant's corpus, as a service: built on request or in a background thread, cached on
disk under the cache directory (``story_map.load_map``/``save_map``, keyed by ``map_key``), with the questions
pinned to it kept in a file per corpus directory. ``story_map.py`` makes the map; this module decides when. A
background build gives way to a person's question: before each of its model calls it waits while the assistant
answers one (``turns.Turns``), so a question waits at most for the call already under way.
"""

from __future__ import annotations

import hashlib
import json
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Protocol

from .answer import AnswerContext
from .backends.base import Backend
from .caches import Caches
from .errors import StorydeskError
from .question import parse_question
from .settings import Settings
from .story_map import StoryMap, build_map, load_map, map_key, map_points, save_map
from .turns import GivingWay, Turns
from .types import Encoder, Event

if TYPE_CHECKING:
    from .types import SentenceStore as StoryIndex

__all__ = ["MapService", "MapSource"]

OnEvent = Callable[[Event], None]


class MapSource(Protocol):
    """What a map is made from (an ``Assistant`` is one): the index and model are loaded on first use."""

    cache_dir: Path
    settings: Settings
    caches: Caches
    turns: Turns  # the questions being answered now: a background build gives way to them

    @property
    def corpus_dir(self) -> Path: ...  # where the articles are now: pins are kept per corpus directory

    @property
    def index(self) -> StoryIndex: ...

    @property
    def backend(self) -> Backend: ...

    @property
    def encoder(self) -> Encoder: ...


class _Stopped(Exception):
    """Raised inside a background map build when the service closes."""


class MapService:
    """Builds, caches and serves the story map of ``source``; one background build at a time."""

    def __init__(self, source: MapSource) -> None:
        self._source = source
        self._lock = threading.Lock()
        self._closing = threading.Event()  # set by close(): a background build stops at its next step
        self._thread: threading.Thread | None = None
        self.status = ""  # how far a background build is ("" when none runs)

    @property
    def directory(self) -> Path:
        return self._source.cache_dir / "maps"

    def _pins_file(self) -> Path:
        where = hashlib.sha256(str(self._source.corpus_dir.resolve()).encode("utf-8")).hexdigest()[:16]
        return self.directory / f"pinned-{where}.json"

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
        self.directory.mkdir(parents=True, exist_ok=True)
        self._pins_file().write_text(json.dumps(pins, ensure_ascii=False), encoding="utf-8")
        return pins

    def story_map(self, refresh: bool = False, on_event: OnEvent | None = None, *, give_way: bool = False) -> StoryMap:
        """The map, from the cache unless an article, the model, a prompt, a setting or the pinned questions
        changed (or ``refresh``); the points found for a corpus are cached apart, so pinning does not find
        them again. With ``give_way`` (a background build) each model call waits while a question is answered."""
        source = self._source
        index, backend, pins, settings = source.index, source.backend, self.pinned_questions(), source.settings
        key = map_key(index, backend, settings, pins)
        cached = None if refresh else load_map(self.directory, key)
        if cached is not None:
            return cached
        points_key = "points-" + map_key(index, backend, settings, ())
        known = None if refresh else load_map(self.directory, points_key)
        model = GivingWay(backend, self._give_way) if give_way else backend
        context = AnswerContext(index, model, source.encoder, settings, source.caches)
        points = known.points if known else map_points(context, on_event)
        save_map(self.directory, StoryMap([], [], points_key, 0.0, points))
        built = build_map(context, pins, points, on_event)
        built.key = key
        save_map(self.directory, built)
        return built

    def cached_story_map(self) -> StoryMap | None:
        """The story map if it is already built for the corpus as it is now; None otherwise (nothing runs)."""
        source = self._source
        return load_map(self.directory, map_key(source.index, source.backend, source.settings, self.pinned_questions()))

    @property
    def building(self) -> bool:
        """Whether a background build is under way."""
        return self._thread is not None and self._thread.is_alive()

    def start(self) -> None:
        """Build the map in the background unless a build runs or the service is closed; ``status`` says how
        far it is, ``cached_story_map()`` gives it when ready."""
        with self._lock:
            if self._closing.is_set() or self.building:
                return
            self.status = "Building the map: finding the points the story turns on…"
            self._thread = threading.Thread(target=self._build, name="storydesk-map")
            self._thread.start()

    def _build(self) -> None:
        def progress(event: Event) -> None:
            if self._closing.is_set():
                raise _Stopped
            self.status = f"Building the map: {event.detail}"

        try:
            self.story_map(on_event=progress, give_way=True)
            self.status = ""
        except _Stopped:
            self.status = "The map was not finished."
        except StorydeskError as err:
            self.status = f"The map could not be built: {err}"

    def _give_way(self) -> None:
        """Before each model call of a background build: wait while a person's question is answered (the status
        says so meanwhile); stop once the service closes."""
        building = self.status

        def paused() -> None:
            self.status = f"{building} (paused while a question is answered)"

        if self._source.turns.give_way(self._closing, paused):
            self.status = building
        if self._closing.is_set():
            raise _Stopped

    def join(self, timeout: float | None = None) -> None:
        """Wait for a background build to end (at most ``timeout`` seconds)."""
        if self._thread is not None:
            self._thread.join(timeout)

    def close(self) -> None:
        """Stop a background build at its next model call or step and wait for it; no build starts after."""
        self._closing.set()
        self._source.turns.wake()  # a build paused for a question sees it
        if self._thread is not None:
            self._thread.join()
