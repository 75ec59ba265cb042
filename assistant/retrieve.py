"""Hybrid, source-balanced retrieval: question -> numbered evidence, grouped by article.

The store's own indexes propose candidate sentences (on PostgreSQL: HNSW and full text; a small on-disk
index: every sentence), so the cost grows with the answer, not the archive. Each candidate is scored on
four signals (dense and BM25, each at sentence and paragraph grain), plus BM25 on query terms expanded
through the corpus's own vocabulary and a bonus when the sentence has the shape the question asks for. Then balance: every article whose best sentence is close
enough to the best overall contributes its own top sentences, because a disagreement is only
visible when both sides are in the evidence.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np

from .settings import RetrievalSettings
from .text import analyze, flatten, stem
from .types import Evidence, Question, Retrieval, Signals, Span

if TYPE_CHECKING:
    from .types import SentenceStore as StoryIndex  # either store: the on-disk index or PostgreSQL

__all__ = ["retrieve", "score_sentences", "expansion_terms"]


def _key_words(question: Question) -> list[str]:
    """The question's own words whose analysed term is one of its key terms."""
    if not question.terms:
        return []
    words = [w for w in dict.fromkeys(question.text.lower().replace("’", "'").split()) if analyze(w)]
    words = [w.strip("?.,!;:'\"()") for w in words]
    return [w for w in words if w and analyze(w) and analyze(w)[0] in question.terms]


def expansion_terms(
    index: StoryIndex, question: Question, embed, settings: RetrievalSettings, vectors: np.ndarray | None = None
) -> tuple[list[str], list[float]]:
    """Corpus words close in meaning to the question's words ("intrusion" -> "breach", "infiltrated");
    ``vectors`` are the key words' vectors when the caller embedded them already."""
    words = _key_words(question)
    if not words:
        return [], []
    chosen: dict[str, float] = {}
    own = set(question.terms)
    vectors = embed.embed(words) if vectors is None else vectors
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
    index: StoryIndex, question: Question, embed, settings: RetrievalSettings
) -> tuple[list[Span], np.ndarray]:
    """The candidate sentences the store's indexes propose for ``question``, and each one's fused score."""
    vectors = embed.embed([question.text] + _key_words(question))  # one encoder call (a text's vector is its own)
    qvec = vectors[0]
    terms, weights = expansion_terms(index, question, embed, settings, vectors[1:])
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
    something new: the reading cap is spent on distinct statements, and the copies still count (answer.py)."""
    seen: set[str] = set()
    first, later = [], []
    for doc_id in ranked:
        top = flatten(spans[max(members[doc_id], key=lambda i: scores[i])].text).lower()
        (later if top in seen else first).append(doc_id)
        seen.add(top)
    return first + later


def retrieve(index: StoryIndex, question: Question, embed, settings: RetrievalSettings | None = None) -> Retrieval:
    settings = settings or RetrievalSettings()
    spans, scores = score_sentences(index, question, embed, settings)
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
