"""The answer pipeline: retrieve -> read each article -> compare in code -> compose with citations."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Callable

from .backends.base import Backend
from .compare import group_findings, idf_from_counts
from .question import is_statement_question
from .compose import compose, not_answered
from .grounding import Citations
from .index import StoryIndex
from .question import parse_question
from .reading import ReadingSettings, read_articles
from .retrieve import RetrievalSettings, retrieve
from .types import Answer

__all__ = ["answer_question", "Stage"]

Stage = Callable[[str, str], None]  # (stage name, human detail) for progress displays


@dataclass
class _Clock:
    start: float
    marks: dict

    @classmethod
    def begin(cls) -> "_Clock":
        return cls(time.perf_counter(), {})

    def lap(self, name: str, since: float) -> float:
        now = time.perf_counter()
        self.marks[name] = (now - since) * 1000.0
        return now


def answer_question(
    question_text: str,
    index: StoryIndex,
    backend: Backend,
    embed,
    settings: RetrievalSettings | None = None,
    on_stage: Stage | None = None,
    reading: ReadingSettings | None = None,
) -> Answer:
    stage = on_stage or (lambda name, detail: None)
    question = parse_question(question_text)
    clock = _Clock.begin()
    stage("retrieving", "Searching the articles")
    retrieval = retrieve(index, question, embed, settings)
    t = clock.lap("retrieve", clock.start)
    if retrieval.out_of_scope:
        answer = not_answered(question, "no article mentions the source the question names")
    elif not retrieval.evidence:
        answer = not_answered(question)
    else:
        findings = read_articles(
            backend, retrieval, reading,
            on_article=lambda n, total, doc: stage("reading", f"Reading article {n} of {total} ({doc})"),
        )
        t = clock.lap("generate", t)
        stage("comparing", "Comparing what the articles say")
        idf = idf_from_counts(index.term_df, len(index.spans))
        groups = group_findings(findings, question, idf, index.lowercase_words)
        answer = compose(question, groups, Citations(index.corpus), complementary=is_statement_question(question))
        clock.lap("compare", t)
    answer.model = getattr(backend, "name", "")
    answer.timings_ms = dict(clock.marks, total=(time.perf_counter() - clock.start) * 1000.0)
    stage("answer", "Done")
    return answer
