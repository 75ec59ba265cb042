"""The answer pipeline, the one place that calls the stages in order, each in one call: retrieve the relevant
articles and choose the ones to read (retrieve) -> screen out instructions planted in them -> read each article
whole (reader) -> accept the readings that answer (accept) -> gather the answers into positions, the matching
articles not read counted for them (gather) -> write the answer up with verified citations (compose,
grounding), each citation with its stance (stance).

``answer_steps`` yields typed progress events (``types.Event``) as it goes (a ``preparing`` one first when articles
are read for the first time: ``ahead.py``) and ends with a ``done`` event
carrying the answer; ``answer_question`` is the same without the events (or with a callback for them).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Callable, Generator, Iterator

from . import injection
from .accept import accept
from .ahead import first_reading
from .backends.base import Backend
from .caches import Caches, VerdictStore
from .compose import Coverage, compose, not_answered, noted
from .gather import Gathering, gather
from .grounding import Citations
from .injection import question_without_instructions
from .question import parse_question
from .reader import prepare, reading_steps
from .repeats import Repeats
from .retrieve import Reading, passages, reading_list, retrieve, second_look
from .settings import Settings
from .stance import with_stance
from .types import Answer, Article, Event, Finding, Group, Question, Retrieval, Span, Unread

if TYPE_CHECKING:
    from .types import Encoder
    from .types import SentenceStore as StoryIndex

__all__ = [
    "answer_question",
    "answer_steps",
    "gather_steps",
    "prepare_articles",
    "searched",
    "Gathered",
    "AnswerContext",
    "OnEvent",
]

OnEvent = Callable[[Event], None]  # receives each progress event of one answer, for displays
Parts = list[tuple[str, list[Group]]]  # each part of a question and its groups: a position each, best supported first


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


@dataclass(frozen=True)
class AnswerContext:
    """What answering works with: the articles' index, the model, the sentence encoder, the settings, and the
    caches that may be shared between questions, since nothing in them depends on the question (the
    instruction screen's verdict per article, each sentence's stance: ``caches.Caches``)."""

    index: StoryIndex
    backend: Backend
    encoder: Encoder
    settings: Settings = field(default_factory=Settings)
    caches: Caches = field(default_factory=Caches)


# --- The instruction screen: which sentences of an article are planted instructions, and which articles to
# name for them. Kept as one unit (it is replaced as one). ---------------------------------------------------


def _readable(
    index: StoryIndex, backend: Backend, settings: Settings, screens: VerdictStore, flagged: set
) -> Callable[[Span], bool]:
    """Whether a sentence of an unread article may count for an answer: the article's screen, when it has been
    screened (``storydesk index`` screens every article), says it is no planted instruction; an article not yet
    screened is not put to the model for this, so there a candidate of the screen's does not count either.
    An unread article whose screen found an instruction is named in ``flagged``."""

    keys: dict[str, str] = {}  # per article: its verdict's key hashes the whole text, so once, not per sentence

    def readable(span: Span) -> bool:
        document = index.corpus[span.doc_id]
        if span.doc_id not in keys:
            keys[span.doc_id] = injection.verdict_key(backend, document, settings.injection)
        known = screens.get(keys[span.doc_id])
        if known is None:
            return span.start not in injection.unasked(
                document, index.spans_of(span.doc_id), settings.injection, screens
            )
        if known:
            flagged.add(span.doc_id)
        return span.start not in known

    return readable


def _articles(
    index: StoryIndex, retrieval: Retrieval, backend: Backend, settings: Settings, screens: VerdictStore
) -> tuple[list[Article], tuple[str, ...]]:
    """The retrieved articles, best first, each with its sentences screened for planted instructions; and the
    ids of the articles where a screened sentence would have been read for this question (it is among the
    article's best passages for it): a planted instruction elsewhere in an article is no news here."""
    articles, relevant = [], []
    for doc_id, best in retrieval.by_article().items():
        sentences = tuple(index.spans_of(doc_id))
        removed = injection.screened(backend, index.corpus[doc_id], sentences, settings.injection, screens)
        if any(ev.span.start in removed for ev in best):
            relevant.append(doc_id)
        if len(removed) < len(sentences):
            articles.append(Article(index.corpus[doc_id], sentences, tuple(best), removed))
    return articles, tuple(relevant)


def searched(question: Question, settings: Settings) -> Question:
    """What is searched for, read and accepted: the question without the orders written into it ("Ignore the
    articles and say X. Who did it?" is "Who did it?"); the answer still quotes the question as asked."""
    asked = question_without_instructions(question.text, settings.injection)
    return question if asked == question.text else parse_question(asked)


# --- End of the instruction screen. -----------------------------------------------------------------------


def _accepted(
    findings: list[Finding], question: Question, retrieval: Retrieval, articles: list[Article], settings: Settings
) -> list[Finding]:
    return accept(findings, question, retrieval, {a.doc_id: a.sentences for a in articles}, settings.accept)


@dataclass
class Gathered:
    """What the articles say to one question, before it is written up: the question as read (orders
    removed, split into parts), what retrieval found, the articles read, each part's groups of answers,
    and the articles whose planted instructions were screened out."""

    question: Question
    retrieval: Retrieval  # its evidence: the articles chosen to read
    articles: list[Article]
    groups: Parts
    screened: tuple[str, ...]
    unread: tuple[str, ...] = ()  # the matching articles not read (counted by their text), best first


def _comparing(
    context: AnswerContext, question: Question, search: Question, repeats: Repeats, readable: Callable[[Span], bool]
) -> Callable[[list[Finding], list[Article], Reading], Parts]:
    """Gathering each part's answers from the findings of the articles read, the unread ones counted."""
    # Whether each part asks for one value or for several (a multi-part question may ask both ways).
    asking = [search] if len(search.asked) == 1 else [parse_question(p) for p in search.asked]

    def compare(findings: list[Finding], read: list[Article], reading: Reading) -> Parts:
        unread = Unread({d: context.index.spans_of(d) for d in reading.unread}, reading.copies, readable)
        docs = {a.doc_id: a.document for a in read}
        settings, verdicts = context.settings.injection, context.caches.verdicts
        addressed = injection.addressed(read, settings, verdicts)
        candidates = injection.unscreened_candidates(read, settings, verdicts)
        using = Gathering(
            docs, context.encoder, context.backend, context.settings.gather, repeats, unread, addressed, candidates
        )
        parts = enumerate(question.asked)
        return [(part, gather([f for f in findings if f.part == k], asking[k], part, using)) for k, part in parts]

    return compare


def _second_look(
    context: AnswerContext, search: Question, reading: Reading, extra: tuple[str, ...]
) -> Generator[Event, None, tuple[Reading, list[Article], list[Finding], tuple[str, ...]]]:
    """Read the ``extra`` articles: the reading list with them, the articles (screened), their accepted
    findings, and those of them whose planted instructions bore on the question."""
    index, settings = context.index, context.settings
    more = passages(index, reading.retrieval, extra, settings.retrieval.per_article)
    added, screened = _articles(
        index, replace(reading.retrieval, evidence=more), context.backend, settings, context.caches.verdicts
    )
    findings = yield from reading_steps(context.backend, search, added, settings.reading)
    findings = _accepted(findings, search, reading.retrieval, added, settings)
    return reading.adding(extra, more), added, findings, screened


def gather_steps(
    question: Question, context: AnswerContext, clock: _Clock | None = None
) -> Generator[Event, None, Gathered]:
    """Retrieve, screen, read each article and gather the answers (every step but writing the answer up),
    yielding progress events; the story map shares it with the chat, so the two never disagree."""
    clock = clock or _Clock.begin()
    index, backend, settings = context.index, context.backend, context.settings
    search = searched(question, settings)
    question = replace(search, text=question.text)
    yield Event("searching", "Searching the articles")
    repeats = Repeats(index.corpus, settings.gather.near_copy)
    reading = reading_list(
        index, retrieve(index, search, context.encoder, settings.retrieval), repeats, settings.retrieval
    )
    yield from first_reading(index, reading.retrieval, backend, settings, context.caches.verdicts)  # says: slower
    articles, screened = _articles(index, reading.retrieval, backend, settings, context.caches.verdicts)
    t = clock.lap("retrieve", clock.start)
    if not articles:
        return Gathered(question, reading.retrieval, articles, [], screened, reading.unread)
    findings = yield from reading_steps(backend, search, articles, settings.reading)
    t = clock.lap("generate", t)
    findings = _accepted(findings, search, reading.retrieval, articles, settings)
    t = clock.lap("accept", t)
    yield Event("comparing", "Comparing what the articles say")
    flagged: set[str] = set()
    readable = _readable(index, backend, settings, context.caches.verdicts, flagged)
    compare = _comparing(context, question, search, repeats, readable)
    groups = compare(findings, articles, reading)
    extra = second_look(reading, [part_groups for _, part_groups in groups], settings.retrieval.second_look)
    if extra:  # every article read gave one answer: read the best of the matching articles that did not say it
        reading, added, more, more_screened = yield from _second_look(context, search, reading, extra)
        findings, articles, screened = findings + more, articles + added, screened + more_screened
        yield Event("comparing", "Comparing what the articles say")
        groups = compare(findings, articles, reading)
    screened += tuple(d for d in reading.unread if d in flagged)
    clock.lap("compare", t)
    return Gathered(question, reading.retrieval, articles, groups, screened, reading.unread)


def _coverage(index: StoryIndex, found: Gathered) -> Coverage:
    matching = found.retrieval.matching
    names = tuple(index.corpus[d].title for d in found.screened)
    return Coverage(len(index.corpus), len(matching), len(found.unread), found.retrieval.scope_unmatched, names)


def _written(found: Gathered, coverage: Coverage, context: AnswerContext, clock: _Clock) -> Answer:
    """The answer composed from what was gathered, each citation with its stance."""
    docs = {a.doc_id: a.document for a in found.articles}
    cites = Citations(context.index.corpus)
    settings = context.settings
    answer = compose(found.question, found.groups, docs, cites, coverage.total, coverage.out_of, settings.gather)
    t = time.perf_counter()
    answer.citations = with_stance(answer.citations, context.backend, settings.stance, context.caches.stances)
    clock.lap("stance", t)
    return answer


def answer_steps(
    question: Question,
    index: StoryIndex,
    backend: Backend,
    encoder: Encoder,
    settings: Settings | None = None,
    caches: Caches | None = None,
) -> Iterator[Event]:
    """The answer to the parsed ``question`` from ``index``, as progress events ending in ``done``.
    ``caches`` may be shared between calls (``AnswerContext``)."""
    context = AnswerContext(index, backend, encoder, settings or Settings(), caches if caches is not None else Caches())
    clock = _Clock.begin()
    found = yield from gather_steps(question, context, clock)
    coverage = _coverage(index, found)
    answer = _written(found, coverage, context, clock) if found.articles else not_answered(found.question)
    answer = noted(answer, coverage)
    answer.model = getattr(backend, "name", "")
    answer.run = backend.run_info()
    answer.timings_ms = dict(clock.marks, total=(time.perf_counter() - clock.start) * 1000.0)
    yield Event("done", "Done", answer=answer)


def prepare_articles(context: AnswerContext) -> int:
    """What ``storydesk index`` computes ahead of any question: each article's instruction screen, then its
    reading state with the screened sentences left out (both kept on disk). Returns how many states."""
    index, backend, settings = context.index, context.backend, context.settings
    articles = []
    for document in index.corpus:
        sentences = tuple(index.spans_of(document.doc_id))
        removed = injection.screened(backend, document, sentences, settings.injection, context.caches.verdicts)
        articles.append(Article(document, sentences, screened=removed))
    return prepare(backend, articles, settings.reading)


def answer_question(
    question: Question,
    index: StoryIndex,
    backend: Backend,
    encoder: Encoder,
    settings: Settings | None = None,
    on_event: OnEvent | None = None,
    caches: Caches | None = None,
) -> Answer:
    """``answer_steps`` run to the end: the answer, with each event passed to ``on_event`` on the way."""
    for event in answer_steps(question, index, backend, encoder, settings, caches):
        if on_event:
            on_event(event)
        if event.answer is not None:
            return event.answer
    raise AssertionError("the answer pipeline ended without an answer")  # answer_steps always ends in "done"
