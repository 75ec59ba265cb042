"""The answer pipeline, the one place that calls the stages in order: retrieve -> screen out instructions
planted in articles -> read each article -> compare in code -> compose with citations."""

from __future__ import annotations

import time
from dataclasses import dataclass, field, replace
from typing import Callable

from .backends.base import Backend
from .compare import group_findings, idf_from_counts
from .compose import compose, not_answered
from .corpus import CorpusLimits
from .grounding import Citations
from .index import StoryIndex
from .injection import InjectionSettings, screen
from .question import Question, is_statement_question
from .reading import ReadingSettings, read_articles
from .retrieve import RetrievalSettings, retrieve
from .types import Answer, Evidence

__all__ = ["answer_question", "Stage", "Settings"]

Stage = Callable[[str, str], None]  # (stage name, human detail) for progress displays


@dataclass(frozen=True)
class Settings:
    """Every tunable number of the answer path, by stage, and the corpus limits (recorded in eval run configs)."""

    retrieval: RetrievalSettings = field(default_factory=RetrievalSettings)
    reading: ReadingSettings = field(default_factory=ReadingSettings)
    injection: InjectionSettings = field(default_factory=InjectionSettings)
    corpus: CorpusLimits = field(default_factory=CorpusLimits)  # what loading and uploads accept


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


def _paragraphs(index: StoryIndex) -> Callable[[Evidence], list[str]]:
    """Evidence -> the sentences of its paragraph (for the instruction screen), computed once per paragraph."""
    seen: dict[tuple[str, int], list[str]] = {}

    def sentences(ev: Evidence) -> list[str]:
        key = (ev.doc_id, ev.span.paragraph)
        if key not in seen:
            seen[key] = [
                index.spans[i].text for i in index.spans_of(ev.doc_id) if index.spans[i].paragraph == ev.span.paragraph
            ] or [ev.text]
        return seen[key]

    return sentences


def answer_question(
    question: Question,
    index: StoryIndex,
    backend: Backend,
    embed,
    settings: Settings | None = None,
    on_stage: Stage | None = None,
    verdicts: dict[str, bool] | None = None,
) -> Answer:
    """The answer to the parsed ``question`` from ``index``. ``verdicts`` (sentence -> is a planted
    instruction) may be shared between calls: the screen's model checks do not depend on the question."""
    settings = settings or Settings()
    stage = on_stage or (lambda name, detail: None)
    clock = _Clock.begin()
    stage("retrieving", "Searching the articles")
    retrieval = retrieve(index, question, embed, settings.retrieval)
    kept, screened = screen(
        backend,
        retrieval.by_article(),
        _paragraphs(index),
        settings.injection,
        verdicts if verdicts is not None else {},
    )
    keep = {id(ev) for evs in kept.values() for ev in evs}
    retrieval = replace(retrieval, evidence=[ev for ev in retrieval.evidence if id(ev) in keep])
    t = clock.lap("retrieve", clock.start)
    if retrieval.out_of_scope:
        answer = not_answered(question, "no article mentions the source the question names")
    elif not retrieval.evidence:
        answer = not_answered(question)
    else:
        findings = read_articles(
            backend,
            retrieval,
            settings.reading,
            on_article=lambda n, total, doc: stage("reading", f"Reading article {n} of {total} ({doc})"),
        )
        t = clock.lap("generate", t)
        stage("comparing", "Comparing what the articles say")
        idf = idf_from_counts(index.term_df, len(index.spans))
        groups = group_findings(findings, question, idf, index.lowercase_words)
        answer = compose(question, groups, Citations(index.corpus), complementary=is_statement_question(question))
        clock.lap("compare", t)
    if screened:
        answer.text += f" (Instructions addressed to AI systems in {', '.join(screened)} were not followed or quoted.)"
    answer.model = getattr(backend, "name", "")
    answer.timings_ms = dict(clock.marks, total=(time.perf_counter() - clock.start) * 1000.0)
    stage("answer", "Done")
    return answer
