"""Hybrid, source-balanced retrieval: question -> scored evidence, grouped by article; and which articles are read.

The store's own indexes propose candidate sentences (on PostgreSQL: HNSW and full text; a small on-disk
index: every sentence), so the cost grows with the answer, not the archive. Each candidate is scored on
four signals (dense and BM25, each at sentence and paragraph grain), plus BM25 on query terms expanded
through the corpus's own vocabulary and a bonus when the sentence has the shape the question asks for.
Then balance: every article whose best sentence is close enough to the best overall contributes its own top
sentences, because a disagreement is only visible when both sides are in the evidence.

Retrieval also chooses the articles to read (``reading_list``): when more match than
``RetrievalSettings.max_articles``, the cap is spent on distinct articles, and the matching articles left
unread are counted by their text (gather.py); when those read all give one answer, a ``second_look`` reads
the best ranked of the unread ones that did not state it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Mapping, Sequence

import numpy as np

from .repeats import Repeats, repeated_statements_last
from .settings import RetrievalSettings
from .text import analyze, stem
from .types import Encoder, Evidence, Group, Question, Retrieval, Signals, Span

if TYPE_CHECKING:
    from .types import SentenceStore as StoryIndex  # either store: the on-disk index or PostgreSQL

__all__ = ["retrieve", "score_sentences", "expansion_terms", "Reading", "reading_list", "second_look", "passages"]


def _key_words(question: Question) -> list[str]:
    """The question's own words whose analysed term is one of its key terms."""
    if not question.terms:
        return []
    words = [w for w in dict.fromkeys(question.text.lower().replace("’", "'").split()) if analyze(w)]
    words = [w.strip("?.,!;:'\"()") for w in words]
    return [w for w in words if w and analyze(w) and analyze(w)[0] in question.terms]


def expansion_terms(
    index: StoryIndex,
    question: Question,
    encoder: Encoder,
    settings: RetrievalSettings,
    vectors: np.ndarray | None = None,
) -> tuple[list[str], list[float]]:
    """Corpus words close in meaning to the question's words ("intrusion" -> "breach", "infiltrated");
    ``vectors`` are the key words' vectors when the caller embedded them already."""
    words = _key_words(question)
    if not words:
        return [], []
    chosen: dict[str, float] = {}
    own = set(question.terms)
    vectors = encoder.embed(words) if vectors is None else vectors
    for row in index.nearest_words(vectors, settings.expansion_per_term * settings.expansion_oversample):
        for word, similarity in row:
            if similarity < settings.expansion_min_similarity:
                break
            term = stem(word)
            if term not in own and len(chosen) < settings.expansion_max_terms:
                chosen[term] = max(chosen.get(term, 0.0), similarity)
    return list(chosen), list(chosen.values())


def _fused(signals: Signals, question: Question, settings: RetrievalSettings) -> np.ndarray:
    shape = question.sentence_shape
    bonus = np.array([1.0 if shape and shape.search(s.text) else 0.0 for s in signals.spans], dtype=np.float32)
    lead = np.array([1.0 / (1.0 + s.paragraph) for s in signals.spans], dtype=np.float32)
    w = settings.weights
    return (
        w.dense_sentence * signals.dense_sentence
        + w.dense_paragraph * signals.dense_paragraph
        + w.bm25_sentence * signals.bm25_sentence
        + w.bm25_paragraph * signals.bm25_paragraph
        + w.bm25_expanded * signals.bm25_expanded
        + w.answer_shape * bonus
        + w.lead * lead
    )


def score_sentences(
    index: StoryIndex, question: Question, encoder: Encoder, settings: RetrievalSettings
) -> tuple[list[Span], np.ndarray]:
    """The candidate sentences the store's indexes propose for ``question``, and each one's fused score."""
    vectors = encoder.embed([question.text] + _key_words(question))  # one encoder call (a text's vector is its own)
    qvec = vectors[0]
    terms, weights = expansion_terms(index, question, encoder, settings, vectors[1:])
    signals = index.candidates(question.terms, qvec, terms, weights, settings)
    return signals.spans, _fused(signals, question, settings)


def _in_scope(index: StoryIndex, question: Question, doc_ids: set[str], settings: RetrievalSettings) -> set[str] | None:
    """Of ``doc_ids``, the articles mentioning the source the question names (``settings.scope_share`` of its
    terms); None when it names none."""
    if not question.scope_terms:
        return None
    needed = max(1, math.ceil(len(question.scope_terms) * settings.scope_share))
    return {d for d in doc_ids if sum(t in index.article_terms(d) for t in question.scope_terms) >= needed}


def _new_statements_first(ranked: list[str], members: dict[str, list[int]], spans: list[Span], scores) -> list[str]:
    """When more articles match than can be read, an article whose best sentence says, word for word, what a
    better-ranked article's best sentence says (wire copy, a reprinted quote) goes after those that say
    something new: the reading cap is spent on distinct statements, and the copies still count."""
    return repeated_statements_last(ranked, lambda d: spans[max(members[d], key=lambda i: scores[i])].text)


def retrieve(
    index: StoryIndex, question: Question, encoder: Encoder, settings: RetrievalSettings | None = None
) -> Retrieval:
    settings = settings or RetrievalSettings()
    spans, scores = score_sentences(index, question, encoder, settings)
    scope = _in_scope(index, question, {s.doc_id for s in spans}, settings)
    unmatched = scope is not None and not scope
    if unmatched:  # no article can be matched to the source it names: all of them answer, and the answer says so
        scope = None
    members: dict[str, list[int]] = {}
    for i, span in enumerate(spans):
        if scope is None or span.doc_id in scope:
            members.setdefault(span.doc_id, []).append(i)
    keyed = {span.key: float(score) for span, score in zip(spans, scores)}
    best = {doc_id: max(float(scores[i]) for i in rows) for doc_id, rows in members.items()}
    ranked = sorted(best, key=lambda d: -best[d])
    matching = [d for d in ranked if best[d] >= settings.absolute_floor]
    if len(matching) > settings.max_articles:
        matching = _new_statements_first(matching, members, spans, scores)
    docs = matching[: settings.max_articles]
    evidence: list[Evidence] = []
    for doc_id in docs:
        for i in sorted(members[doc_id], key=lambda i: -scores[i])[: settings.per_article]:
            evidence.append(Evidence(id=len(evidence) + 1, span=spans[i], score=float(scores[i])))
    return Retrieval(question, evidence, keyed, scope_unmatched=unmatched, matching=tuple(matching))


@dataclass(frozen=True)
class Reading:
    """The articles chosen to read for one question: ``retrieval``, whose evidence is their best sentences; the
    matching articles left unread, best first; and for each near-copy left unread, the article read it copies."""

    retrieval: Retrieval
    unread: tuple[str, ...] = ()
    copies: Mapping[str, str] = field(default_factory=dict)

    def adding(self, doc_ids: Sequence[str], evidence: list[Evidence]) -> Reading:
        """The reading list with ``doc_ids`` read too, ``evidence`` their best sentences."""
        more = replace(self.retrieval, evidence=self.retrieval.evidence + evidence)
        return Reading(more, tuple(d for d in self.unread if d not in doc_ids), self.copies)


def best_sentences(index: StoryIndex, retrieval: Retrieval, doc_id: str, n: int) -> list[Evidence]:
    """An article's ``n`` best sentences by retrieval's scores (for an article past retrieval's own cap)."""
    scored = [(retrieval.scores[s.key], s) for s in index.spans_of(doc_id) if s.key in retrieval.scores]
    return [Evidence(0, span, score) for score, span in sorted(scored, key=lambda x: -x[0])[:n]]


def passages(index: StoryIndex, retrieval: Retrieval, doc_ids: Sequence[str], n: int) -> list[Evidence]:
    """The best sentences of each of ``doc_ids``, in their order."""
    return [ev for d in doc_ids for ev in best_sentences(index, retrieval, d, n)]


def reading_list(index: StoryIndex, retrieval: Retrieval, repeats: Repeats, settings: RetrievalSettings) -> Reading:
    """The articles to read, and each matching near-copy left unread -> the article read that it copies.

    When more articles match than ``settings.max_articles``, the cap is spent on distinct articles: best first,
    an article that is a near-copy (``repeats``) of one already chosen is not read (twenty wire copies cannot push
    the other side out). When they all fit, all are read, copies too (a doctored copy is then read and shown as
    disputed). The chosen articles past retrieval's own first ``max_articles`` get their best sentences from its
    scores."""
    cap, matching = settings.max_articles, retrieval.matching
    copies: dict[str, str] = {}
    if len(matching) > cap:
        chosen: list[str] = []
        for doc_id in matching:
            original = repeats.copy_of(doc_id, chosen)
            if original:
                copies[doc_id] = original
            elif len(chosen) < cap:
                chosen.append(doc_id)
        retrieved = retrieval.by_article()
        evidence = [
            ev for d in chosen for ev in (retrieved.get(d) or best_sentences(index, retrieval, d, settings.per_article))
        ]
        retrieval = replace(retrieval, evidence=evidence)
    read = retrieval.by_article()
    return Reading(retrieval, tuple(d for d in retrieval.matching if d not in read), copies)


def second_look(reading: Reading, groups: Sequence[Sequence[Group]], n: int) -> tuple[str, ...]:
    """When the articles read all give one answer to some part (``groups``: each part's) while matching articles
    went unread, the best ranked of those that were not counted for it (they may say something else, or
    nothing): at most ``n``. The reading cap samples the best-ranked articles; a minority answer can sit just
    past it."""
    if n <= 0 or not reading.unread or not any(len(part) == 1 for part in groups):
        return ()
    counted = {d for part in groups for g in part for d in g.also}
    return tuple(d for d in reading.unread if d not in counted and d not in reading.copies)[:n]
