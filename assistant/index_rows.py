"""One article as the index's rows: its sentences (exact offsets), its paragraphs, each row's BM25 terms and
the vocabulary words it uses, all computed from the article alone; and the vectors of a batch of articles.

Everything a row holds depends on its article's text only (the corpus-wide statistics are kept apart, by
index_store.py), which is what lets one article be added or removed without touching the others.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Sequence

import numpy as np

from .bm25 import term_counts
from .spans import document_spans
from .text import WORD, stopwords
from .types import Corpus, Document, Progress, Span
from .vectors import ArticleVectors, pooled, sentence_vectors

__all__ = ["ArticleRows", "article_rows", "vocabulary_words", "embed_rows"]


@dataclass
class ArticleRows:
    doc_id: str
    spans: list[Span]
    paragraphs: list[tuple[int, int, int]]  # (number, start, end) of each paragraph holding a sentence
    span_paragraph: list[int]  # each sentence's paragraph, counted from the article's first
    sentence_terms: list[Counter]
    paragraph_terms: list[Counter]
    words: list[str]  # the article's vocabulary words (vocabulary_words), sorted


def vocabulary_words(text: str) -> set[str]:
    """The words of ``text`` that query expansion may propose: alphabetic, longer than two letters, no stopword."""
    stop = stopwords()
    return {w for w in WORD.findall(text.lower()) if w.isalpha() and len(w) > 2 and w not in stop}


def article_rows(doc: Document) -> ArticleRows:
    """A paragraph is a run of sentences on one line; its text runs from its first sentence to its last."""
    spans = document_spans(doc)
    paragraphs: list[tuple[int, int, int]] = []
    span_paragraph: list[int] = []
    for span in spans:
        if paragraphs and paragraphs[-1][0] == span.paragraph:
            paragraphs[-1] = (span.paragraph, paragraphs[-1][1], span.end)
        else:
            paragraphs.append((span.paragraph, span.start, span.end))
        span_paragraph.append(len(paragraphs) - 1)
    return ArticleRows(
        doc_id=doc.doc_id,
        spans=spans,
        paragraphs=paragraphs,
        span_paragraph=span_paragraph,
        sentence_terms=[term_counts(s.text) for s in spans],
        paragraph_terms=[term_counts(doc.text[start:end]) for _, start, end in paragraphs],
        words=sorted(vocabulary_words(doc.text)),
    )


def embed_rows(
    corpus: Corpus,
    articles: Sequence[ArticleRows],
    embed,
    store: ArticleVectors | None,
    progress: Progress | None,
) -> tuple[np.ndarray, np.ndarray]:
    """The sentence and paragraph vectors of ``articles``, in their order: sentences embedded together (an
    article's stored vectors taken instead when its text was embedded before), paragraphs pooled from them."""
    spans = [span for a in articles for span in a.spans]
    vectors = sentence_vectors(corpus, spans, embed, store, progress)
    span_paragraph, first = [], 0
    for a in articles:
        span_paragraph += [first + p for p in a.span_paragraph]
        first += len(a.paragraphs)
    paragraph_vectors = pooled(vectors, np.asarray(span_paragraph, dtype=np.int64), first)
    return vectors, paragraph_vectors
