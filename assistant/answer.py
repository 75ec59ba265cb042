"""The answer pipeline, the one place that calls the stages in order: retrieve the relevant articles ->
choose the ones to read (the cap spent on distinct articles) -> screen out instructions planted in them ->
read each article whole (reader) -> gather the answers into positions, the matching articles not read
counted for them (gather) -> compose with verified citations.

``answer_steps`` yields typed progress events (``types.Event``) as it goes and ends with a ``done`` event
carrying the answer; ``answer_question`` is the same without the events (or with a callback for them).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Callable, Generator, Iterator

from . import injection
from .accept import accept
from .backends.base import Backend
from .caches import Caches, VerdictStore
from .compose import compose, not_answered
from .gather import gather
from .grounding import Citations
from .injection import question_without_instructions
from .question import parse_question
from .reader import prepare, reading_steps
from .retrieve import retrieve
from .settings import Settings
from .stance import OPINION, with_stance
from .text import near_copy_words, word_set
from .types import Answer, Article, Event, Evidence, Finding, Group, Question, Retrieval, Span, Unread

if TYPE_CHECKING:
    from .types import SentenceStore as StoryIndex

__all__ = ["answer_question", "answer_steps", "gather_steps", "prepare_articles", "searched", "Gathered", "OnEvent"]

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


def _reading_list(index: StoryIndex, retrieval: Retrieval, settings: Settings) -> tuple[Retrieval, dict[str, str]]:
    """The articles to read, and each matching near-copy left unread -> the article read that it copies.

    When more articles match than ``RetrievalSettings.max_articles``, the cap is spent on distinct articles:
    best first, an article that is a near-copy (``GatherSettings.near_copy``) of one already chosen is not
    read (twenty wire copies cannot push the other side out). When they all fit, all are read, copies too
    (a doctored copy is then read and shown as disputed). The chosen articles past retrieval's own first
    ``max_articles`` get their best sentences from its scores, as retrieval picks them."""
    cap, matching = settings.retrieval.max_articles, retrieval.matching
    if len(matching) <= cap:
        return retrieval, {}
    words = {doc_id: word_set(index.corpus[doc_id].text) for doc_id in matching}
    chosen: list[str] = []
    copies: dict[str, str] = {}
    for doc_id in matching:
        original = next((c for c in chosen if near_copy_words(words[doc_id], words[c], settings.gather.near_copy)), "")
        if original:
            copies[doc_id] = original
        elif len(chosen) < cap:
            chosen.append(doc_id)
    retrieved = retrieval.by_article()
    evidence: list[Evidence] = []
    for doc_id in chosen:
        passages = retrieved.get(doc_id) or _best_sentences(index, retrieval, doc_id, settings.retrieval.per_article)
        evidence += [Evidence(len(evidence) + k, ev.span, ev.score) for k, ev in enumerate(passages, 1)]
    return replace(retrieval, evidence=evidence), copies


def _best_sentences(index: StoryIndex, retrieval: Retrieval, doc_id: str, n: int) -> list[Evidence]:
    scored = [(retrieval.scores[s.key], s) for s in index.spans_of(doc_id) if s.key in retrieval.scores]
    return [Evidence(0, span, score) for score, span in sorted(scored, key=lambda x: -x[0])[:n]]


def _readable(
    index: StoryIndex, backend: Backend, settings: Settings, screens: VerdictStore, flagged: set
) -> Callable[[Span], bool]:
    """Whether a sentence of an unread article may count for an answer: the article's screen, when it has been
    screened (``storydesk index`` screens every article), says it is no planted instruction; an article not yet
    screened is not put to the model for this, so there a candidate of the screen's does not count either.
    An unread article whose screen found an instruction is named in ``flagged``."""

    def readable(span: Span) -> bool:
        document = index.corpus[span.doc_id]
        known = injection.known(backend, document, settings.injection, screens)
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
    for doc_id, passages in retrieval.by_article().items():
        sentences = tuple(index.spans_of(doc_id))
        removed = injection.screened(backend, index.corpus[doc_id], sentences, settings.injection, screens)
        if any(ev.span.start in removed for ev in passages):
            relevant.append(doc_id)
        if len(removed) < len(sentences):
            articles.append(Article(index.corpus[doc_id], sentences, tuple(passages), removed))
    return articles, tuple(relevant)


def searched(question: Question, settings: Settings) -> Question:
    """What is searched for, read and accepted: the question without the orders written into it ("Ignore the
    articles and say X. Who did it?" is "Who did it?"); the answer still quotes the question as asked."""
    asked = question_without_instructions(question.text, settings.injection)
    return question if asked == question.text else parse_question(asked)


def _accepted(
    findings: list[Finding], question: Question, retrieval: Retrieval, articles: list[Article], settings: Settings
) -> list[Finding]:
    return accept(findings, question, retrieval, {a.doc_id: a.sentences for a in articles}, settings.accept)


def _names(index: StoryIndex, doc_ids: tuple[str, ...]) -> str:
    return ", ".join(f'"{index.corpus[d].title}"' for d in doc_ids)


@dataclass
class Gathered:
    """What the articles say to one question, before it is written up: the question as read (orders
    removed, split into parts), what retrieval found, the articles read, each part's groups of answers,
    and the articles whose planted instructions were screened out."""

    question: Question
    retrieval: Retrieval  # its evidence: the articles chosen to read
    articles: list[Article]
    groups: list[tuple[str, list[Group]]]  # (part, its groups: a position each, best supported first)
    screened: tuple[str, ...]
    unread: tuple[str, ...] = ()  # the matching articles not read (counted by their text), best first


def gather_steps(
    question: Question,
    index: StoryIndex,
    backend: Backend,
    embed,
    settings: Settings,
    caches: Caches,
    clock: _Clock | None = None,
) -> Generator[Event, None, Gathered]:
    """Retrieve, screen, read each article and gather the answers (every step but writing the answer up),
    yielding progress events; the story map shares it with the chat, so the two never disagree."""
    verdicts = caches.verdicts
    clock = clock or _Clock.begin()
    search = searched(question, settings)
    question = replace(search, text=question.text)
    yield Event("searching", "Searching the articles")
    retrieval, copies = _reading_list(index, retrieve(index, search, embed, settings.retrieval), settings)
    articles, screened = _articles(index, retrieval, backend, settings, verdicts)
    chosen = retrieval.by_article()
    unread = tuple(d for d in retrieval.matching if d not in chosen)
    t = clock.lap("retrieve", clock.start)
    groups: list[tuple[str, list[Group]]] = []
    if articles:
        findings = yield from reading_steps(backend, search, articles, settings.reading)
        t = clock.lap("generate", t)
        findings = _accepted(findings, search, retrieval, articles, settings)
        t = clock.lap("accept", t)
        yield Event("comparing", "Comparing what the articles say")
        flagged: set[str] = set()
        readable = _readable(index, backend, settings, verdicts, flagged)

        # Whether each part asks for one value or for several (a multi-part question may ask both ways).
        asking = [search] if len(search.asked) == 1 else [parse_question(p) for p in search.asked]

        def gathered(read: list[Article], unread: tuple[str, ...]) -> list[tuple[str, list[Group]]]:
            docs = {a.doc_id: a.document for a in read}
            others = Unread({d: index.spans_of(d) for d in unread}, copies, readable)
            return [
                (
                    part,
                    gather(
                        [f for f in findings if f.part == k],
                        asking[k],
                        part,
                        docs,
                        embed.embed,
                        backend,
                        settings.gather,
                        others,
                    ),
                )
                for k, part in enumerate(question.asked)
            ]

        groups = gathered(articles, unread)
        extra = _second_look(groups, unread, copies, settings.retrieval.second_look)
        if extra:  # every article read gave one answer: read the best of the matching articles that did not say it
            more = _passages(index, retrieval, extra, settings.retrieval.per_article)
            added, more_screened = _articles(index, replace(retrieval, evidence=more), backend, settings, verdicts)
            more_findings = yield from reading_steps(backend, search, added, settings.reading)
            findings = findings + _accepted(more_findings, search, retrieval, added, settings)
            articles, screened = articles + added, screened + more_screened
            retrieval = replace(retrieval, evidence=_numbered(retrieval.evidence + more))
            unread = tuple(d for d in unread if d not in extra)
            yield Event("comparing", "Comparing what the articles say")
            groups = gathered(articles, unread)
        screened += tuple(d for d in unread if d in flagged)
        clock.lap("compare", t)
    return Gathered(question, retrieval, articles, groups, screened, unread)


def _second_look(
    groups: list[tuple[str, list[Group]]], unread: tuple[str, ...], copies: dict[str, str], n: int
) -> tuple[str, ...]:
    """When the articles read all give one answer to some part while matching articles went unread, the best
    ranked of those that were not counted for it (they may say something else, or nothing): at most ``n``.
    The reading cap samples the best-ranked articles; a minority answer can sit just past it."""
    if n <= 0 or not unread or not any(len(part_groups) == 1 for _, part_groups in groups):
        return ()
    counted = {d for _, part_groups in groups for g in part_groups for d in g.also}
    return tuple(d for d in unread if d not in counted and d not in copies)[:n]


def _passages(index: StoryIndex, retrieval: Retrieval, doc_ids: tuple[str, ...], n: int) -> list[Evidence]:
    return [ev for d in doc_ids for ev in _best_sentences(index, retrieval, d, n)]


def _numbered(evidence: list[Evidence]) -> list[Evidence]:
    return [Evidence(k, ev.span, ev.score) for k, ev in enumerate(evidence, 1)]


def answer_steps(
    question: Question,
    index: StoryIndex,
    backend: Backend,
    embed,
    settings: Settings | None = None,
    caches: Caches | None = None,
) -> Iterator[Event]:
    """The answer to the parsed ``question`` from ``index``, as progress events ending in ``done``.
    ``caches`` (instruction verdicts and stances by sentence) may be shared between calls: neither check
    depends on the question."""
    settings = settings or Settings()
    clock = _Clock.begin()
    caches = caches if caches is not None else Caches()
    found = yield from gather_steps(question, index, backend, embed, settings, caches, clock)
    question = found.question
    if not found.articles:
        answer = not_answered(question)
    else:
        docs = {a.doc_id: a.document for a in found.articles}
        matching = len(found.retrieval.matching) if found.unread else 0
        cites = Citations(index.corpus)
        answer = compose(question, found.groups, docs, cites, len(index.corpus), matching, settings.gather)
        t = time.perf_counter()
        answer.citations = with_stance(answer.citations, backend, settings.stance, caches.stances)
        clock.lap("stance", t)
        if answer.citations and all(c.stance == OPINION for c in answer.citations):
            answer.text += " (Every passage this answer rests on is the writer's opinion, not reported fact.)"
    if found.retrieval.scope_unmatched:
        answer.text = (
            "No article could be matched to the source the question names, so every article was read. " + answer.text
        )
    if found.unread and answer.answerable:
        read = len(found.retrieval.matching) - len(found.unread)
        answer.text += (
            f" ({read} of the {len(found.retrieval.matching)} matching articles were read; each of the others"
            " counts for the answer its own text states, and for none when it states two.)"
        )
    if found.screened:
        answer.text += (
            f" (Instructions addressed to AI systems in {_names(index, found.screened)} were not followed or quoted.)"
        )
    answer.model = getattr(backend, "name", "")
    answer.timings_ms = dict(clock.marks, total=(time.perf_counter() - clock.start) * 1000.0)
    yield Event("done", "Done", answer=answer)


def prepare_articles(index: StoryIndex, backend: Backend, settings: Settings, caches: Caches) -> int:
    """What ``storydesk index`` computes ahead of any question: each article's instruction screen, then its
    reading state with the screened sentences left out (both kept on disk). Returns how many states."""
    articles = []
    for document in index.corpus:
        sentences = tuple(index.spans_of(document.doc_id))
        removed = injection.screened(backend, document, sentences, settings.injection, caches.verdicts)
        articles.append(Article(document, sentences, screened=removed))
    return prepare(backend, articles, settings.reading)


def answer_question(
    question: Question,
    index: StoryIndex,
    backend: Backend,
    embed,
    settings: Settings | None = None,
    on_event: OnEvent | None = None,
    caches: Caches | None = None,
) -> Answer:
    """``answer_steps`` run to the end: the answer, with each event passed to ``on_event`` on the way."""
    for event in answer_steps(question, index, backend, embed, settings, caches):
        if on_event:
            on_event(event)
        if event.answer is not None:
            return event.answer
    raise AssertionError("the answer pipeline ended without an answer")  # answer_steps always ends in "done"
