"""The library entry point: ``Assistant().ask("...") -> Answer``.

Everything heavy (model, index) loads on first use and is then reused, so an ``Assistant`` kept
alive (the chat page, an eval run) answers without start-up cost. Calls are serialised: the
embedded model runs one request at a time.
"""

from __future__ import annotations

import threading
from dataclasses import replace
from pathlib import Path
from typing import Callable

from .answer import Settings, Stage, answer_question
from .backends.base import Backend
from .config import cache_dir as default_cache_dir
from .config import default_corpus_dir
from .corpus import Corpus, load_corpus
from .embeddings import MiniLM
from .index import StoryIndex, load_or_build
from .model_store import DEFAULT_MODEL, prepare_model
from .errors import StorydeskError
from .prompts import load_prompt
from .question import parse_question
from .reading import ReadingSettings
from .retrieve import RetrievalSettings
from .types import Answer

__all__ = ["Assistant", "make_backend"]

Progress = Callable[[str, int, int], None]
_PROMPTS = ("read_sentence", "check_instruction")  # warmed in the background before the first answer


def make_backend(
    *, model_path: str | Path | None = None, base_url: str | None = None, model: str | None = None,
    api_key: str | None = None, cache: Path | None = None, progress: Progress | None = None,
) -> Backend:
    """An endpoint when ``base_url`` is given, else a GGUF file, else the embedded default model."""
    if base_url:
        from .backends.openai_compat import OpenAICompatBackend

        return OpenAICompatBackend(base_url=base_url, model=model, api_key=api_key)
    from .backends.llamacpp import LlamaCppBackend

    state_dir = (cache or default_cache_dir()) / "prefix-states"
    if model_path:
        return LlamaCppBackend(model_path, state_dir=state_dir)
    return LlamaCppBackend(prepare_model(progress=progress), name=DEFAULT_MODEL.name, state_dir=state_dir)


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
        settings: Settings | None = None,
        retrieval: RetrievalSettings | None = None,
        reading: ReadingSettings | None = None,
        progress: Progress | None = None,
        encoder: MiniLM | None = None,
    ) -> None:
        self.corpus_dir = Path(corpus) if corpus else default_corpus_dir()
        self.cache_dir = Path(cache_dir) if cache_dir else default_cache_dir()
        base = settings or Settings()
        self.settings = replace(base, retrieval=retrieval or base.retrieval, reading=reading or base.reading)
        self.progress = progress
        self._backend = backend
        self._backend_args = dict(model_path=model_path, base_url=base_url, model=model, api_key=api_key)
        self._encoder = encoder or MiniLM()  # shareable: several corpora, one loaded encoder
        self._index: StoryIndex | None = None
        self._lock = threading.RLock()
        # Whether a sentence of the articles is a planted instruction does not depend on the question:
        # the verdicts are kept for the life of the Assistant (the text is the key, so edits re-check).
        self._instruction_verdicts: dict[str, bool] = {}
        self._prefetch: threading.Thread | None = None

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
    def index(self) -> StoryIndex:
        with self._lock:
            if self._index is None:
                self._index, _ = load_or_build(load_corpus(self.corpus_dir), self.cache_dir, self._encoder,
                                               self.progress)
            return self._index

    @property
    def corpus(self) -> Corpus:
        return self.index.corpus

    def reindex(self, rebuild: bool = False) -> tuple[StoryIndex, bool]:
        """Reload the corpus from disk, rebuilding the index if the articles changed. Returns (index, built)."""
        with self._lock:
            self._index, built = load_or_build(load_corpus(self.corpus_dir), self.cache_dir, self._encoder,
                                               self.progress, rebuild=rebuild)
            return self._index, built

    def prefetch(self) -> None:
        """Load the model and its prompt prefixes in the background (once), while the caller parses the
        question and searches: llama.cpp loads with the GIL released, so the two overlap."""
        with self._lock:
            if self._prefetch is None:
                self._prefetch = threading.Thread(target=self._warm, name="storydesk-prefetch", daemon=True)
                self._prefetch.start()

    def _warm(self) -> None:
        try:
            backend = self.backend
            for name in _PROMPTS:
                backend.warm(load_prompt(name).prefix())
        except StorydeskError:
            pass  # reported by the call that needs the model

    def ask(self, question: str, on_stage: Stage | None = None) -> Answer:
        parsed = parse_question(question)  # a bad question fails fast, before any model or index loads
        self.prefetch()
        with self._lock:
            index, backend = self.index, self.backend
        # Not under the lock: endpoint backends take several requests at once; the embedded
        # backend serialises its own calls.
        return answer_question(parsed, index, backend, self._encoder, self.settings, on_stage=on_stage,
                               verdicts=self._instruction_verdicts)

    def close(self) -> None:
        with self._lock:
            if self._backend is not None:
                self._backend.close()
