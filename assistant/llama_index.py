"""Storydesk as a llama-index query engine: grounded answers wherever llama-index takes a query engine.

    from assistant.llama_index import StorydeskQueryEngine
    engine = StorydeskQueryEngine(corpus="articles/")  # or StorydeskQueryEngine(assistant)
    response = engine.query("How long did the intrusion last?")
    response.response, response.metadata["conflicts"]
    [(n.node.metadata["doc_id"], n.node.start_char_idx, n.node.end_char_idx) for n in response.source_nodes]

``response.response`` is ``Answer.text``; each source node is one citation, its text the cited quote at its exact
offsets in the article; ``response.metadata`` holds the conflicts, ``answerable``, the model and the timings.
Importing this module loads no model: the wrapped ``Assistant`` loads its model and index on the first question.
"""

from __future__ import annotations

import asyncio
from typing import Any

from llama_index.core.base.base_query_engine import BaseQueryEngine
from llama_index.core.base.response.schema import Response
from llama_index.core.callbacks import CallbackManager, CBEventType, EventPayload
from llama_index.core.prompts.mixin import PromptMixinType
from llama_index.core.schema import NodeRelationship, NodeWithScore, QueryBundle, RelatedNodeInfo, TextNode

from .api import Assistant
from .types import Answer, Citation, Corpus

__all__ = ["StorydeskQueryEngine", "answer_to_response", "citation_node"]


def citation_node(citation: Citation, corpus: Corpus | None = None) -> NodeWithScore:
    """One citation as a llama-index node: the quote, its offsets in the article, and who says it.

    ``text == quote == article text[start_char_idx:end_char_idx]``; the metadata holds ``doc_id``, the article's
    ``title`` (the doc id when ``corpus`` does not hold it), ``citation_id`` and, where the citation has one,
    ``stance``. Citations carry no retrieval score: ``score`` is None.
    """
    doc_id = citation.doc_id
    metadata: dict[str, Any] = {
        "doc_id": doc_id,
        "title": corpus[doc_id].title if corpus is not None and doc_id in corpus else doc_id,
        "citation_id": citation.id,
    }
    stance = getattr(citation, "stance", None)
    if stance is not None:
        metadata["stance"] = stance
    node = TextNode(
        id_=f"{doc_id}:{citation.start}-{citation.end}",
        text=citation.quote,
        start_char_idx=citation.start,
        end_char_idx=citation.end,
        metadata=metadata,
        relationships={NodeRelationship.SOURCE: RelatedNodeInfo(node_id=doc_id)},
    )
    return NodeWithScore(node=node, score=None)


def answer_to_response(answer: Answer, corpus: Corpus | None = None) -> Response:
    """A Storydesk ``Answer`` as a llama-index ``Response`` (one source node per citation, in citation order)."""
    return Response(
        response=answer.text,
        source_nodes=[citation_node(c, corpus) for c in answer.citations],
        metadata={
            "conflicts": [c.to_dict() for c in answer.conflicts],
            "answerable": answer.answerable,
            "model": answer.model,
            "timings_ms": dict(answer.timings_ms),
        },
    )


class StorydeskQueryEngine(BaseQueryEngine):
    """A llama-index ``BaseQueryEngine`` answering with a Storydesk ``Assistant``.

    Give it an ``Assistant``, or the keyword arguments to make one (``corpus=``, ``backend=``, ``cache_dir=``, ...).
    Answers are grounded by Storydesk itself: there are no llama-index prompts, LLM or retriever to configure.
    """

    def __init__(
        self,
        assistant: Assistant | None = None,
        *,
        callback_manager: CallbackManager | None = None,
        **assistant_kwargs: Any,
    ) -> None:
        if assistant is not None and assistant_kwargs:
            raise TypeError(f"give an Assistant or its arguments, not both: {sorted(assistant_kwargs)}")
        self.assistant = assistant if assistant is not None else Assistant(**assistant_kwargs)
        super().__init__(callback_manager=callback_manager)

    def _get_prompt_modules(self) -> PromptMixinType:
        """No llama-index prompt modules: Storydesk's prompts are its own."""
        return {}

    def _query(self, query_bundle: QueryBundle) -> Response:
        """Ask the assistant and turn its answer into a ``Response``."""
        with self.callback_manager.event(
            CBEventType.QUERY, payload={EventPayload.QUERY_STR: query_bundle.query_str}
        ) as event:
            answer = self.assistant.ask(query_bundle.query_str)
            response = answer_to_response(answer, self.assistant.corpus)
            event.on_end(payload={EventPayload.RESPONSE: response})
        return response

    async def _aquery(self, query_bundle: QueryBundle) -> Response:
        """The same answer as ``_query``, computed in a worker thread so that the event loop runs on."""
        return await asyncio.to_thread(self._query, query_bundle)
