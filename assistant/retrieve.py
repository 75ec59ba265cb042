"""Hybrid, source-balanced retrieval: question -> numbered evidence, grouped by article.

Every sentence is scored on four signals (dense and BM25, each at sentence and paragraph grain),
plus BM25 on query terms expanded through the corpus's own vocabulary and a bonus when the sentence
has the shape the question asks for. Then balance: every article whose best sentence is close
enough to the best overall contributes its own top sentences, because a disagreement is only
visible when both sides are in the evidence.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Sequence

import numpy as np

from .settings import RetrievalSettings
from .text import analyze, stem
from .types import Evidence, Question, Retrieval

if TYPE_CHECKING:  # the index is the data retrieval reads; only its type is named here
    from .index import StoryIndex

__all__ = ["retrieve", "score_sentences", "expansion_terms"]


def _bm25_scores(bm25, terms: Sequence[str], weights: Sequence[float] | None = None) -> np.ndarray:
    """BM25 is a sum over query terms, so weighted expansion terms are a weighted sum of per-term scores."""
    n = int(bm25.scores["num_docs"])
    total = np.zeros(n, dtype=np.float32)
    for i, term in enumerate(terms):
        if term in bm25.vocab_dict:
            total += (weights[i] if weights else 1.0) * bm25.get_scores([term]).astype(np.float32)
    return total


def _normalise(x: np.ndarray) -> np.ndarray:
    top = float(x.max()) if x.size else 0.0
    return x / top if top > 0 else x


def expansion_terms(
    index: StoryIndex, question: Question, embed, settings: RetrievalSettings
) -> tuple[list[str], list[float]]:
    """Corpus words close in meaning to the question's words ("intrusion" -> "breach", "infiltrated")."""
    if not index.vocabulary or not question.terms:
        return [], []
    words = [w for w in dict.fromkeys(question.text.lower().replace("’", "'").split()) if analyze(w)]
    words = [w.strip("?.,!;:'\"()") for w in words]
    words = [w for w in words if w and analyze(w) and analyze(w)[0] in question.terms]
    if not words:
        return [], []
    sims = embed.embed(words) @ index.vocabulary_vectors.T
    chosen: dict[str, float] = {}
    own = set(question.terms)
    for row in sims:
        for j in np.argsort(-row)[: settings.expansion_per_term * 3]:
            if row[j] < settings.expansion_min_similarity:
                break
            term = stem(index.vocabulary[j])
            if term not in own and len(chosen) < settings.expansion_max_terms:
                chosen[term] = max(chosen.get(term, 0.0), float(row[j]))
    return list(chosen), list(chosen.values())


def score_sentences(index: StoryIndex, question: Question, embed, settings: RetrievalSettings) -> np.ndarray:
    qvec = embed.embed([question.text])[0]
    dense_s = index.sentence_vectors @ qvec
    dense_p = (index.paragraph_vectors @ qvec)[index.span_paragraph]
    bm25_s = _normalise(_bm25_scores(index.sentence_bm25, question.terms))
    bm25_p = _normalise(_bm25_scores(index.paragraph_bm25, question.terms))[index.span_paragraph]
    terms, weights = expansion_terms(index, question, embed, settings)
    bm25_x = _normalise(_bm25_scores(index.sentence_bm25, terms, weights)) if terms else np.zeros_like(dense_s)
    shape = question.sentence_shape
    bonus = np.array([1.0 if shape and shape.search(s.text) else 0.0 for s in index.spans], dtype=np.float32)
    lead = np.array([1.0 / (1.0 + s.paragraph) for s in index.spans], dtype=np.float32)
    w = settings.weights
    return (
        w.dense_sentence * dense_s
        + w.dense_paragraph * dense_p
        + w.bm25_sentence * bm25_s
        + w.bm25_paragraph * bm25_p
        + w.bm25_expanded * bm25_x
        + w.answer_shape * bonus
        + w.lead * lead
    )


def _in_scope(index: StoryIndex, question: Question) -> set[str] | None:
    """Articles mentioning the source the question names; None when it names none."""
    if not question.scope_terms:
        return None
    needed = max(1, (len(question.scope_terms) + 1) // 2)
    keep = set()
    for doc in index.corpus:
        terms = set(analyze(doc.text))
        if sum(t in terms for t in question.scope_terms) >= needed:
            keep.add(doc.doc_id)
    return keep


def retrieve(index: StoryIndex, question: Question, embed, settings: RetrievalSettings | None = None) -> Retrieval:
    settings = settings or RetrievalSettings()
    scores = score_sentences(index, question, embed, settings)
    scope = _in_scope(index, question)
    unmatched = scope is not None and not scope
    if unmatched:  # no article can be matched to the source it names: all of them answer, and the answer says so
        scope = None
    best_per_doc: dict[str, float] = {}
    for i, span in enumerate(index.spans):
        if scope is None or span.doc_id in scope:
            best_per_doc[span.doc_id] = max(best_per_doc.get(span.doc_id, -1.0), float(scores[i]))
    if not best_per_doc:
        return Retrieval(question, [], scores, scope_unmatched=unmatched)
    ranked = sorted(best_per_doc.items(), key=lambda kv: -kv[1])
    docs = [d for d, s in ranked if s >= settings.absolute_floor][: settings.max_articles]
    evidence: list[Evidence] = []
    for doc_id in docs:
        members = [i for i, s in enumerate(index.spans) if s.doc_id == doc_id]
        ranked = sorted(members, key=lambda i: -scores[i])[: settings.per_article]
        for i in ranked:
            evidence.append(Evidence(id=len(evidence) + 1, span=index.spans[i], score=float(scores[i])))
    return Retrieval(question, evidence, scores, scope_unmatched=unmatched)
