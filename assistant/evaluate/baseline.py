"""The stock llama-index CitationQueryEngine on the same model and corpus, for side-by-side reports.

It runs unchanged (its own prompts, chunking and synthesis); only its output is translated into
the answer contract: each "[N]" source is mapped back to an exact span of the article it came
from, and a source that cannot be found verbatim is dropped, exactly as Storydesk's own are.
"""

from __future__ import annotations

import re
import time
from typing import Any

from ..backends.base import Backend
from ..embeddings import MiniLM, llama_index_embedding
from ..index import StoryIndex
from ..text import MARKER

__all__ = ["CitationEngine", "backend_llm"]

_SOURCE_HEAD = re.compile(r"^Source \d+:\n")


def backend_llm(backend: Backend, context_window: int = 4096, num_output: int = 256):
    """Any Storydesk backend as a llama-index LLM (greedy, plain text)."""
    from llama_index.core.llms import CompletionResponse, CustomLLM, LLMMetadata
    from llama_index.core.llms.callbacks import llm_completion_callback
    from pydantic import PrivateAttr

    class BackendLLM(CustomLLM):
        _backend: Any = PrivateAttr()

        def __init__(self, backend: Backend) -> None:
            super().__init__()
            self._backend = backend

        @property
        def metadata(self) -> LLMMetadata:
            return LLMMetadata(context_window=context_window, num_output=num_output, model_name=self._backend.name)

        @llm_completion_callback()
        def complete(self, prompt: str, formatted: bool = False, **kwargs: Any) -> CompletionResponse:
            text = self._backend.generate([{"role": "user", "content": prompt}], None, max_tokens=num_output)
            return CompletionResponse(text=str(text))

        @llm_completion_callback()
        def stream_complete(self, prompt: str, formatted: bool = False, **kwargs: Any):
            yield self.complete(prompt, formatted=formatted, **kwargs)

    return BackendLLM(backend)


def _locate(chunk: str, text: str) -> tuple[int, int] | None:
    at = text.find(chunk)
    if at >= 0:
        return at, at + len(chunk)
    words = chunk.split()
    if not words:
        return None
    match = re.search(r"\s+".join(re.escape(w) for w in words), text)  # the splitter may re-space
    return (match.start(), match.end()) if match else None


class CitationEngine:
    """llama-index's CitationQueryEngine over the corpus, answering in Storydesk's JSON contract."""

    name = "llamaindex-citation"

    def __init__(
        self, index: StoryIndex, backend: Backend, encoder: MiniLM | None = None, top_k: int = 3, chunk_size: int = 256
    ) -> None:
        from llama_index.core import Document, Settings, VectorStoreIndex
        from llama_index.core.node_parser import SentenceSplitter
        from llama_index.core.query_engine import CitationQueryEngine

        self.index = index
        self.backend = backend
        embed = llama_index_embedding(encoder or MiniLM())
        llm = backend_llm(backend)
        Settings.llm, Settings.embed_model = llm, embed  # never llama-index's OpenAI defaults
        docs = [Document(text=d.text, metadata={"doc_id": d.doc_id}, id_=d.doc_id) for d in index.corpus]
        vector_index = VectorStoreIndex.from_documents(
            docs, embed_model=embed, transformations=[SentenceSplitter(chunk_size=512, chunk_overlap=20)]
        )
        self.engine = CitationQueryEngine.from_args(
            vector_index, llm=llm, similarity_top_k=top_k, citation_chunk_size=chunk_size
        )

    def ask(self, question: str) -> dict:
        t0 = time.perf_counter()
        response = self.engine.query(question)
        citations = []
        for n, source in enumerate(response.source_nodes, 1):
            doc_id = source.node.metadata.get("doc_id")
            if doc_id not in self.index.corpus:
                continue
            text = self.index.corpus[doc_id].text
            chunk = _SOURCE_HEAD.sub("", source.node.get_content()).strip()
            where = _locate(chunk, text)
            if where:
                citations.append(
                    {"id": n, "doc_id": doc_id, "start": where[0], "end": where[1], "quote": text[where[0] : where[1]]}
                )
        answer = str(response.response or "").strip()
        used = {int(m) for m in MARKER.findall(answer)}
        citations = [c for c in citations if c["id"] in used]
        return {
            "question": question,
            "answer": answer,
            "answerable": bool(citations),
            "citations": citations,
            "conflicts": [],
            "model": self.backend.name,
            "timings_ms": {"total": round((time.perf_counter() - t0) * 1000, 1)},
        }
