"""Which backend serves a model, chosen from the user's options: the one place a new backend is added.

Each ``BackendKind`` says when it is the one asked for and how to build it; the first that matches wins,
so order runs from the most specific option to the default. Building imports the backend's module only
then: answering with an endpoint never loads llama.cpp. What a backend can do is declared on the class
(``Backend.supports_logprobs``, ``supports_schema``, ``concurrent``), and callers read those flags.
A new backend is its module in ``backends/`` plus one row in ``BACKENDS``.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from ..config import cache_dir as default_cache_dir
from ..types import Progress
from .base import Backend

__all__ = ["ModelOptions", "BackendKind", "BACKENDS", "make_backend"]


@dataclass(frozen=True)
class ModelOptions:
    """What the user said about the model (``Assistant(...)`` arguments, CLI flags)."""

    model_path: str | Path | None = None  # a GGUF file to run with llama.cpp
    base_url: str | None = None  # an OpenAI-compatible endpoint
    model: str | None = None  # the model's name at the endpoint
    api_key: str | None = None
    endpoint: str = "auto"  # what the endpoint can do beyond the OpenAI API (endpoint_kinds.KINDS)
    cache: Path | None = None  # where the llama.cpp backend keeps its prompt-prefix states
    progress: Progress | None = None  # reports the embedded model's first-run preparation


@dataclass(frozen=True)
class BackendKind:
    name: str
    chosen: Callable[[ModelOptions], bool]  # do these options ask for this backend?
    build: Callable[[ModelOptions], Backend]


def _endpoint(options: ModelOptions) -> Backend:
    from .openai_compat import OpenAICompatBackend

    return OpenAICompatBackend(
        base_url=options.base_url, model=options.model, api_key=options.api_key, kind=options.endpoint
    )


def _state_dir(options: ModelOptions) -> Path:
    return (options.cache or default_cache_dir()) / "prefix-states"


def _gguf(options: ModelOptions) -> Backend:
    from .llamacpp import LlamaCppBackend

    return LlamaCppBackend(options.model_path, state_dir=_state_dir(options))


def _embedded(options: ModelOptions) -> Backend:
    from ..model_store import DEFAULT_MODEL, prepare_model
    from .llamacpp import LlamaCppBackend

    path = prepare_model(progress=options.progress)
    return LlamaCppBackend(path, name=DEFAULT_MODEL.name, state_dir=_state_dir(options))


BACKENDS: tuple[BackendKind, ...] = (
    BackendKind("endpoint", lambda o: bool(o.base_url), _endpoint),
    BackendKind("gguf", lambda o: bool(o.model_path), _gguf),
    BackendKind("embedded", lambda o: True, _embedded),  # the default: offline, shipped in the package index
)


def make_backend(**options) -> Backend:
    """The backend the options ask for: an endpoint when ``base_url`` is given, else a GGUF file, else the
    embedded default model."""
    chosen = ModelOptions(**options)
    backend = next(kind for kind in BACKENDS if kind.chosen(chosen)).build(chosen)
    log = os.environ.get("STORYDESK_REQUEST_LOG")
    if log:  # every call and its reply, one JSON line each (backends/recording.py; bench/requests.py compares)
        from .recording import RecordingBackend

        return RecordingBackend(backend, log)
    return backend
