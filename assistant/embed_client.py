"""Sentence vectors from an OpenAI-compatible embedding server (``--embed-base-url``): vLLM,
text-embeddings-inference, a llama.cpp server or OpenAI itself, through the ``openai`` client.

``ServerEncoder`` stands wherever ``MiniLM`` does (the ``Encoder`` protocol in types.py): rows
L2-normalised, in the order given, a repeated text embedded once. Texts go out in batches, several
batches in flight at once (``EmbedServerSettings``); the client retries with backoff. Whatever goes
wrong is one ``ModelError`` line naming the server: it did not answer, or it answered something that
is not one vector of numbers per text.

``model_name`` names the model, never the host (``openai-embeddings:NAME``): indexes and stored vectors
are kept by it, so the same model served from another machine reuses them, and another model never
mixes its vectors with these.
"""

from __future__ import annotations

import os
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any, List

import numpy as np

from .errors import ModelError
from .settings import EmbedServerSettings

__all__ = ["ServerEncoder", "SERVER_MODEL_PREFIX"]

SERVER_MODEL_PREFIX = "openai-embeddings:"
_PROBE = "dimensions"  # embedded once when the width is asked for before any text was


class ServerEncoder:
    """An ``Encoder`` whose vectors come from ``{base_url}/embeddings``. Thread-safe; nothing is sent
    until first use. ``model`` defaults to the one model the server lists at ``{base_url}/models``."""

    def __init__(
        self,
        base_url: str,
        model: str | None = None,
        api_key: str | None = None,
        settings: EmbedServerSettings | None = None,
    ) -> None:
        try:
            import openai
        except ImportError as err:  # pragma: no cover - a declared dependency
            raise ModelError("the openai package is not installed") from err
        self.base_url = base_url.rstrip("/")
        self.settings = settings or EmbedServerSettings()
        key = api_key or os.environ.get("OPENAI_API_KEY") or "not-needed"  # local servers accept any key
        self._openai = openai
        self._client = openai.OpenAI(
            base_url=self.base_url, api_key=key, timeout=self.settings.timeout_s, max_retries=self.settings.max_retries
        )
        self._model = model
        self._dimensions: int | None = None
        self._lock = threading.Lock()

    # -- identity ---------------------------------------------------------------------------------------

    @property
    def model(self) -> str:
        """The model asked for: as given, else the only one the server lists."""
        with self._lock:
            if self._model is None:
                self._model = self._listed_model()
            return self._model

    @property
    def model_name(self) -> str:
        return SERVER_MODEL_PREFIX + self.model

    @property
    def dimensions(self) -> int:
        """The vectors' width, learned from the server's first reply (one short probe if asked first)."""
        if self._dimensions is None:
            self._embed_batch([_PROBE])
        assert self._dimensions is not None
        return self._dimensions

    def _listed_model(self) -> str:
        try:
            ids = [m.id for m in self._client.models.list()]
        except self._openai.APIError as err:
            raise self._unreachable(err, "listing its models (pass --embed-model)") from None
        except Exception as err:  # a reply the client cannot read as a model list
            raise self._garbage(f"its model list is unreadable ({type(err).__name__})") from None
        if len(ids) != 1 or not isinstance(ids[0], str) or not ids[0]:
            listed = ", ".join(map(str, ids[:5])) + (", ..." if len(ids) > 5 else "") if ids else "none"
            raise ModelError(
                f"the embedding server at {self.base_url} lists {len(ids)} models ({listed}): name one with --embed-model"
            )
        return ids[0]

    # -- embedding --------------------------------------------------------------------------------------

    def embed(self, texts: List[str]) -> np.ndarray:
        """Vectors for ``texts`` as one float32 matrix, rows L2-normalised, in the order given."""
        texts = list(texts)
        distinct = list(dict.fromkeys(texts))
        if len(distinct) < len(texts):  # a repeated line ("Advertisement") is sent once
            rows = {t: i for i, t in enumerate(distinct)}
            return self.embed(distinct)[[rows[t] for t in texts]]
        if not texts:
            return np.zeros((0, self.dimensions), dtype=np.float32)
        size = max(1, self.settings.batch_size)
        batches = [texts[lo : lo + size] for lo in range(0, len(texts), size)]
        if len(batches) == 1 or self.settings.concurrency <= 1:
            parts = [self._embed_batch(b) for b in batches]
        else:
            parts = self._concurrently(batches)
        return np.concatenate(parts).astype(np.float32, copy=False)

    def _concurrently(self, batches: list[list[str]]) -> list[np.ndarray]:
        workers = min(self.settings.concurrency, len(batches))
        pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="storydesk-embed")
        try:
            futures = [pool.submit(self._embed_batch, b) for b in batches]
            return [f.result() for f in futures]  # in the order sent, whichever answered first
        finally:  # on a failure, batches not yet sent are dropped: the first error is the one raised
            pool.shutdown(wait=False, cancel_futures=True)

    def _embed_batch(self, texts: list[str]) -> np.ndarray:
        try:  # the raw reply: the client's own parsing would quietly turn booleans and the like into numbers
            raw = self._client.embeddings.with_raw_response.create(
                model=self.model, input=texts, encoding_format="float"
            )
        except self._openai.APIError as err:
            raise self._unreachable(err, f"embedding {len(texts)} texts") from None
        try:
            reply = raw.http_response.json()
        except ValueError:
            raise self._garbage("a reply that is not JSON") from None
        matrix = self._matrix(reply, len(texts))
        with self._lock:
            if self._dimensions is None:
                self._dimensions = matrix.shape[1]
            elif matrix.shape[1] != self._dimensions:
                raise self._garbage(f"{matrix.shape[1]}-number vectors after {self._dimensions}-number ones")
        norms = np.linalg.norm(matrix, axis=1, keepdims=True)
        return (matrix / np.clip(norms, 1e-12, None)).astype(np.float32)

    def _matrix(self, reply: Any, count: int) -> np.ndarray:
        """One row of numbers per text, placed by the reply's ``index`` (servers may answer out of order)."""
        data = reply.get("data") if isinstance(reply, dict) else None
        if not isinstance(data, list) or not all(isinstance(d, dict) and "embedding" in d for d in data):
            raise self._garbage("no list of embeddings")
        vectors = [d["embedding"] for d in data]
        positions = [d.get("index") for d in data]
        if len(vectors) != count:
            raise self._garbage(f"{len(vectors)} vectors for {count} texts")
        try:
            matrix = np.array(vectors)
        except (ValueError, TypeError):  # rows of different lengths, or of unlike things
            raise self._garbage("vectors of different lengths or kinds") from None
        if matrix.dtype.kind not in "iuf" or matrix.ndim != 2:  # strings, booleans, objects; one vector per token
            raise self._garbage("rows that are not flat lists of numbers")
        if matrix.shape[1] == 0 or not np.isfinite(matrix).all():
            raise self._garbage("empty vectors or numbers that are not finite")
        if any(p is not None for p in positions):
            whole = all(isinstance(p, int) and not isinstance(p, bool) for p in positions)
            if not whole or sorted(positions) != list(range(count)):
                raise self._garbage(f"indexes {positions[:8]} where 0..{count - 1} were due")
            ordered = np.empty_like(matrix)
            ordered[positions] = matrix
            matrix = ordered
        return matrix.astype(np.float32)

    # -- one-line errors --------------------------------------------------------------------------------

    def _garbage(self, why: str) -> ModelError:
        return ModelError(
            f"the embedding server at {self.base_url} answered something that is not an embedding list: {why}"
        )

    def _unreachable(self, err: Exception, doing: str) -> ModelError:
        openai, where = self._openai, f"the embedding server at {self.base_url}"
        if isinstance(err, openai.APITimeoutError):
            why = f"no reply within {self.settings.timeout_s:g} s ({self.settings.max_retries} retries)"
        elif isinstance(err, openai.APIConnectionError):
            why = f"cannot connect ({self.settings.max_retries} retries)"
        elif isinstance(err, openai.AuthenticationError):
            return ModelError(f"{where} rejected the API key (set --embed-api-key or OPENAI_API_KEY)")
        elif isinstance(err, openai.NotFoundError):
            return ModelError(f"{where} answered HTTP 404 to {doing}: no model {self._model!r} or no embeddings there")
        elif isinstance(err, openai.APIStatusError):
            first = (str(err).splitlines() or [""])[0][:160]
            return ModelError(f"{where} answered HTTP {err.status_code} to {doing}: {first}")
        else:
            why = (str(err).splitlines() or [type(err).__name__])[0][:160]
        return ModelError(f"{where} did not answer: {why}")
