"""The llama-index query engine over the fixture corpus, with the rule-following fake model (no real model)."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import threading
from dataclasses import dataclass

import pytest
from llama_index.core.base.response.schema import Response
from llama_index.core.callbacks import CallbackManager, CBEventType, LlamaDebugHandler
from llama_index.core.llms import MockLLM
from llama_index.core.query_engine import CustomQueryEngine, RouterQueryEngine
from llama_index.core.selectors import EmbeddingSingleSelector
from llama_index.core.tools import QueryEngineTool

from assistant import Assistant
from assistant.embeddings import llama_index_embedding
from assistant.llama_index import StorydeskQueryEngine, answer_to_response
from assistant.settings import ReadingSettings
from assistant.types import Answer, Citation, Corpus, Document
from tests.conftest import ROOT

RULES = {
    r"who .*(behind|blamed|responsible)": (r"Northwind|Southgate", r"(Northwind Ltd|Southgate Systems)"),
    r"cost|pay": (r"£", r"£2 million"),
}
CULPRIT = "Who was behind the water hack?"  # a_wire and b_daily say Northwind, c_blog says Southgate
REFUSED = "What was the name of the mayor's dog?"


@pytest.fixture
def assistant(corpus_dir, cache, rule_model):
    return Assistant(corpus_dir, backend=rule_model(RULES), cache_dir=cache, reading=ReadingSettings())


def _nodes(response: Response) -> list[tuple]:
    return [
        (n.node.node_id, n.node.start_char_idx, n.node.end_char_idx, n.node.get_content(), n.node.metadata, n.score)
        for n in response.source_nodes
    ]


def _assert_matches(response: Response, answer, assistant: Assistant) -> None:
    """``response`` is ``answer``: its text, one exact node per citation, its conflicts."""
    assert isinstance(response, Response) and response.response == answer.text
    assert len(response.source_nodes) == len(answer.citations)
    for scored, citation in zip(response.source_nodes, answer.citations):
        node, document = scored.node, assistant.corpus[citation.doc_id]
        assert (node.start_char_idx, node.end_char_idx) == (citation.start, citation.end)
        assert node.get_content() == citation.quote == document.text[node.start_char_idx : node.end_char_idx]
        expected = {"doc_id": citation.doc_id, "title": document.title, "citation_id": citation.id}
        if getattr(citation, "stance", None) is not None:
            expected["stance"] = citation.stance
        assert node.metadata == expected
        assert node.ref_doc_id == citation.doc_id
    assert response.metadata["conflicts"] == [c.to_dict() for c in answer.conflicts]
    assert response.metadata["answerable"] is answer.answerable
    assert response.metadata["model"] == answer.model == "scripted"


def test_the_engine_answers_with_exact_citations_and_the_conflict(assistant):
    answer = assistant.ask(CULPRIT)
    response = StorydeskQueryEngine(assistant).query(CULPRIT)
    _assert_matches(response, answer, assistant)
    assert {n.node.metadata["doc_id"] for n in response.source_nodes} == {"a_wire", "b_daily", "c_blog"}
    assert any(n.node.start_char_idx > 0 for n in response.source_nodes)  # not only citations at offset 0
    (conflict,) = response.metadata["conflicts"]
    assert {p["claim"] for p in conflict["positions"]} == {"Northwind Ltd", "Southgate Systems"}
    cited = {n.node.metadata["citation_id"] for n in response.source_nodes}
    assert {i for p in conflict["positions"] for i in p["citations"]} == cited
    assert set(response.metadata["timings_ms"]) >= {"retrieve", "total"}


def test_a_refusal_has_no_source_nodes(corpus_dir, cache, rule_model):
    engine = StorydeskQueryEngine(
        corpus=corpus_dir, backend=rule_model(RULES), cache_dir=cache, reading=ReadingSettings()
    )
    response = engine.query(REFUSED)
    assert response.source_nodes == [] and response.metadata["answerable"] is False
    assert response.metadata["conflicts"] == [] and "do not say" in response.response
    answered = engine.query("How much did the council pay for repairs?")  # the same engine still answers
    assert answered.metadata["answerable"] is True and [n.node.get_content() for n in answered.source_nodes] == [
        "The council paid £2 million for repairs."
    ]


def test_an_assistant_and_its_arguments_are_not_both_taken(assistant, corpus_dir):
    with pytest.raises(TypeError, match="corpus"):
        StorydeskQueryEngine(assistant, corpus=corpus_dir)


def test_the_engine_works_as_a_query_engine_tool(assistant):
    answer = assistant.ask(CULPRIT)
    tool = QueryEngineTool.from_defaults(
        query_engine=StorydeskQueryEngine(assistant), name="storydesk", description="News articles on the water hack."
    )
    for output in (tool.call(CULPRIT), tool(input=CULPRIT), asyncio.run(tool.acall(CULPRIT))):
        assert output.tool_name == "storydesk" and output.content == answer.text
        _assert_matches(output.raw_output, answer, assistant)


class _Recipes(CustomQueryEngine):
    """A second, unrelated engine for the router to choose against."""

    def custom_query(self, query_str: str) -> str:
        return "Knead the dough for ten minutes."


def test_a_router_sends_news_questions_to_the_engine(assistant):
    answer = assistant.ask(CULPRIT)
    tools = [
        QueryEngineTool.from_defaults(_Recipes(), name="recipes", description="Recipes for baking bread and cakes."),
        QueryEngineTool.from_defaults(
            StorydeskQueryEngine(assistant), name="news", description="News articles about who hacked the water system."
        ),
    ]
    # A stock router whose selector needs no LLM: it embeds with Storydesk's own encoder (offline).
    selector = EmbeddingSingleSelector.from_defaults(embed_model=llama_index_embedding(assistant.encoder))
    router = RouterQueryEngine(selector=selector, query_engine_tools=tools, llm=MockLLM())
    response = router.query(CULPRIT)
    assert response.metadata["selector_result"].ind == 1
    _assert_matches(response, answer, assistant)
    assert router.query("How long should I knead bread dough?").response == "Knead the dough for ten minutes."


def test_aquery_gives_the_same_answer_off_the_event_loop(assistant):
    engine = StorydeskQueryEngine(assistant)
    expected = engine.query(CULPRIT)
    threads: list[int] = []
    ask = assistant.ask
    assistant.ask = lambda question, **kw: threads.append(threading.get_ident()) or ask(question, **kw)

    async def run() -> tuple[Response, int]:
        return await engine.aquery(CULPRIT), threading.get_ident()

    response, loop_thread = asyncio.run(run())
    assert response.response == expected.response and _nodes(response) == _nodes(expected) and _nodes(response)
    assert {k: v for k, v in response.metadata.items() if k != "timings_ms"} == {
        k: v for k, v in expected.metadata.items() if k != "timings_ms"
    }
    assert len(threads) == 1 and threads[0] != loop_thread  # the answer did not block the event loop


def test_the_engine_reports_its_query_to_the_callback_manager(assistant):
    debug = LlamaDebugHandler()
    response = StorydeskQueryEngine(assistant, callback_manager=CallbackManager([debug])).query(CULPRIT)
    ((start, end),) = debug.get_event_pairs(CBEventType.QUERY)
    assert start.payload["query_str"] == CULPRIT and end.payload["response"] is response


def test_importing_and_making_the_engine_loads_no_model(corpus_dir, cache):
    code = (
        "import sys\nfrom assistant.llama_index import StorydeskQueryEngine\n"
        f"StorydeskQueryEngine(corpus={str(corpus_dir)!r}, cache_dir={str(cache)!r})\n"
        "print(sorted(m for m in ('llama_cpp', 'onnxruntime') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"


@dataclass(frozen=True)
class _StancedCitation(Citation):
    stance: str | None = None


def test_a_citation_stance_is_kept_and_an_article_missing_from_the_corpus_is_titled_by_its_id():
    corpus = Corpus("articles", (Document("kept", "Kept headline\nBody."),))
    citations = [
        _StancedCitation(1, "gone", 4, 9, "quote", stance="supports"),
        _StancedCitation(2, "kept", 0, 4, "Kept"),
    ]
    response = answer_to_response(Answer("q?", "text [1][2]", True, citations=citations, model="m"), corpus)
    assert [n.node.metadata for n in response.source_nodes] == [
        {"doc_id": "gone", "title": "gone", "citation_id": 1, "stance": "supports"},
        {"doc_id": "kept", "title": "Kept headline", "citation_id": 2},
    ]
    assert response.metadata == {"conflicts": [], "answerable": True, "model": "m", "timings_ms": {}}
