"""The library entry point: adding articles while questions are being answered."""

from __future__ import annotations

import threading
import time

import pytest

from assistant import AddedArticles, Assistant
from assistant.settings import ReadingSettings
from tests.test_index_worker import long_article

RULES = {r"how long": (r"months", r"(over a period of )?\w+ months")}


@pytest.fixture
def assistant(corpus_dir, cache, rule_model):
    return Assistant(corpus_dir, backend=rule_model(RULES), cache_dir=cache, reading=ReadingSettings())


def test_questions_are_answered_from_the_old_index_while_an_upload_is_indexed(assistant, tmp_path):
    assistant.ask("How long did the intrusion last?")  # index built, model warm
    upload = tmp_path / "upload"
    upload.mkdir()
    (upload / "long_report.txt").write_text(long_article(2400), encoding="utf-8")
    stages: list[str] = []
    result: list[AddedArticles] = []
    adding = threading.Thread(
        target=lambda: result.append(
            assistant.add_articles(
                [upload / "long_report.txt"], progress=lambda label, done, total: stages.append(label)
            )
        )
    )
    adding.start()
    deadline = time.time() + 120
    while "embedding sentences" not in stages and time.time() < deadline:
        time.sleep(0.05)
    assert adding.is_alive(), "the article was indexed before a question could be asked during it"
    started = time.perf_counter()
    answer = assistant.ask("How long did the intrusion last?")
    took = time.perf_counter() - started
    still_indexing = adding.is_alive()
    adding.join(timeout=300)
    assert still_indexing, f"the answer ({took:.1f} s) waited for the indexing to finish"
    assert {c.doc_id for c in answer.citations} <= {"a_wire", "b_daily", "c_blog"} and answer.citations
    assert result == [AddedArticles(added=("long_report",))]
    assert "long_report" in assistant.corpus and not assistant.reindex()[1]  # swapped in, and on disk


def test_standalone_asks_the_model_only_when_there_is_a_conversation(corpus_dir, cache):
    from assistant.backends.scripted import ScriptedBackend

    backend = ScriptedBackend(default="When did the intrusion into the water system start?")
    assistant = Assistant(corpus_dir, backend=backend, cache_dir=cache)
    assert assistant.standalone("And when did it start?", []) == "And when did it start?"
    assert backend.requests == []
    rewritten = assistant.standalone(
        "And when did it start?", ["How long did the intrusion into the water system last?"]
    )
    assert len(backend.requests) == 1 and rewritten == "When did the intrusion into the water system start?"
