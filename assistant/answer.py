"""The answer pipeline, the one place that calls the stages in order: retrieve -> screen out instructions
planted in articles -> read each article -> compare in code -> compose with citations.

``answer_steps`` yields typed progress events (``types.Event``) as it goes and ends with a ``done`` event
carrying the answer; ``answer_question`` is the same without the events (or with a callback for them).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Callable, Iterator

from .backends.base import Backend
from .compare import group_findings, idf_from_counts
from .compose import compose, not_answered
from .grounding import Citations
from .injection import screen
from .reading import reading_steps
from .retrieve import retrieve
from .settings import Settings
from .types import Answer, Event, Evidence, Question

if TYPE_CHECKING:
    from .index import StoryIndex

__all__ = ["answer_question", "answer_steps", "OnEvent"]

OnEvent = Callable[[Event], None]  # receives each progress event of one answer, for displays


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


def answer_steps(
    question: Question,
    index: StoryIndex,
    backend: Backend,
    embed,
    settings: Settings | None = None,
    verdicts: dict[str, bool] | None = None,
) -> Iterator[Event]:
    """The answer to the parsed ``question`` from ``index``, as progress events ending in ``done``.
    ``verdicts`` (sentence -> is a planted instruction) may be shared between calls: the screen's model
    checks do not depend on the question."""
    settings = settings or Settings()
    clock = _Clock.begin()
    yield Event("searching", "Searching the articles")
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
        findings = yield from reading_steps(backend, retrieval, settings.reading)
        t = clock.lap("generate", t)
        yield Event("comparing", "Comparing what the articles say")
        idf = idf_from_counts(index.term_df, len(index.spans), settings.compare)
        groups = group_findings(findings, question, idf, index.lowercase_words, settings.compare)
        answer = compose(question, groups, Citations(index.corpus), complementary=question.statement)
        clock.lap("compare", t)
    if screened:
        answer.text += f" (Instructions addressed to AI systems in {', '.join(screened)} were not followed or quoted.)"
    answer.model = getattr(backend, "name", "")
    answer.timings_ms = dict(clock.marks, total=(time.perf_counter() - clock.start) * 1000.0)
    yield Event("done", "Done", answer=answer)


def answer_question(
    question: Question,
    index: StoryIndex,
    backend: Backend,
    embed,
    settings: Settings | None = None,
    on_event: OnEvent | None = None,
    verdicts: dict[str, bool] | None = None,
) -> Answer:
    """``answer_steps`` run to the end: the answer, with each event passed to ``on_event`` on the way."""
    for event in answer_steps(question, index, backend, embed, settings, verdicts):
        if on_event:
            on_event(event)
        if event.answer is not None:
            return event.answer
    raise AssertionError("the answer pipeline ended without an answer")  # answer_steps always ends in "done"
