"""The answer pipeline, the one place that calls the stages in order: question -> retrieve (per part)
-> screen out instructions planted in articles -> read each article -> compare in code -> compose."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Callable

from .backends.base import Backend
from .compare import CompareSettings, group_findings
from .compose import ComposeSettings, PartResult, compose
from .grounding import Citations
from .index import StoryIndex
from .injection import InjectionSettings, screen
from .question import Question
from .reading import ReadingSettings, check_premise, read_articles
from .retrieve import RetrievalSettings, retrieve
from .types import Answer, Evidence

__all__ = ["answer_question", "Stage", "Settings"]

Stage = Callable[[str, str], None]  # (stage name, human detail) for progress displays
# Kinds of question that take an event for granted ("why did X admit…", "what fine was imposed…"): only
# their answers are checked for contradicting the premise (a count or a date rarely carries one).
PRESUPPOSING = frozenset({"reason", "manner", "thing", "statement", "amount", None})


@dataclass(frozen=True)
class Settings:
    """Every tunable number of the answer path, by stage."""

    retrieval: RetrievalSettings = field(default_factory=RetrievalSettings)
    reading: ReadingSettings = field(default_factory=ReadingSettings)
    compare: CompareSettings = field(default_factory=CompareSettings)
    compose: ComposeSettings = field(default_factory=ComposeSettings)
    injection: InjectionSettings = field(default_factory=InjectionSettings)


class _Clock:
    def __init__(self) -> None:
        self.start = self.last = time.perf_counter()
        self.marks: dict[str, float] = {}

    def lap(self, name: str) -> None:
        now = time.perf_counter()
        self.marks[name] = self.marks.get(name, 0.0) + (now - self.last) * 1000.0
        self.last = now


def _paragraphs(index: StoryIndex) -> Callable[[Evidence], list[str]]:
    """Evidence -> the sentences of its paragraph (for the instruction screen), computed once per paragraph."""
    seen: dict[tuple[str, int], list[str]] = {}

    def sentences(ev: Evidence) -> list[str]:
        key = (ev.doc_id, ev.span.paragraph)
        if key not in seen:
            seen[key] = [index.spans[i].text for i in index.spans_of(ev.doc_id)
                         if index.spans[i].paragraph == ev.span.paragraph] or [ev.text]
        return seen[key]
    return sentences


def answer_question(question: Question, index: StoryIndex, backend: Backend, embed,
                    settings: Settings | None = None, on_stage: Stage | None = None,
                    verdicts: dict[str, bool] | None = None) -> Answer:
    """The answer to ``question`` from ``index``. ``verdicts`` (sentence -> is a planted instruction) may
    be shared between calls: the screen's model checks do not depend on the question."""
    settings = settings or Settings()
    stage = on_stage or (lambda name, detail: None)
    clock = _Clock()
    order = {doc.doc_id: i for i, doc in enumerate(index.corpus)}
    parts = []
    screened = verdicts if verdicts is not None else {}  # sentence -> is an instruction, shared by the parts
    paragraph = _paragraphs(index)
    for n, part in enumerate(question.parts or (question,), 1):
        label = f" (part {n} of {len(question.parts)})" if question.parts else ""
        stage("retrieving", f"Searching the articles{label}")
        retrieval = retrieve(index, part, embed, settings.retrieval)
        clock.lap("retrieve")
        groups, instructions = screen(backend, retrieval.by_article(), paragraph, settings.injection, screened)
        findings = read_articles(
            backend, part, groups, settings.reading,
            on_article=lambda k, total, doc: stage("reading", f"Reading article {k} of {total}{label}"),
        ) if groups else []
        clock.lap("generate")
        stage("comparing", "Comparing what the articles say")
        grouped = group_findings(findings, embed, part, order, settings.compare)
        premise_false = (bool(grouped) and part.kind in PRESUPPOSING
                         and check_premise(backend, part, grouped[0].claim) >= settings.reading.premise)
        parts.append(PartResult(part, grouped, findings, out_of_scope=retrieval.out_of_scope,
                                premise_false=premise_false, instructions=instructions))
        clock.lap("compare")
    answer = compose(question, parts, Citations(index.corpus), settings.compose)
    clock.lap("compose")
    answer.model = getattr(backend, "name", "")
    answer.timings_ms = dict(clock.marks, total=(time.perf_counter() - clock.start) * 1000.0)
    stage("answer", "Done")
    return answer
