"""Cited sentences -> exact, numbered citations. A citation that does not verify against the article is dropped.

The model never writes a citation: it copies an article's words, and code cites the sentence they sit in
(reader.py). This is the one place that turns such a sentence into ``(doc_id, start, end, quote)``, and it
re-reads the article to check ``quote == text[start:end]`` rather than trusting anything upstream.
"""

from __future__ import annotations

from .text import quote_matches
from .types import Citation, Corpus, Span

__all__ = ["verify_citation", "Citations"]


def verify_citation(corpus: Corpus, citation: Citation) -> bool:
    if citation.doc_id not in corpus:
        return False
    return quote_matches(corpus[citation.doc_id].text, citation.start, citation.end, citation.quote)


class Citations:
    """Numbers citations 1..n in the order the answer first uses them; one number per span."""

    def __init__(self, corpus: Corpus) -> None:
        self.corpus = corpus
        self._by_span: dict[tuple[str, int, int], Citation] = {}

    def cite(self, sentence: Span) -> int | None:
        """The citation number for this sentence, or None when it does not verify (then never shown)."""
        key = (sentence.doc_id, sentence.start, sentence.end)
        if key in self._by_span:
            return self._by_span[key].id
        candidate = Citation(
            id=len(self._by_span) + 1,
            doc_id=sentence.doc_id,
            start=sentence.start,
            end=sentence.end,
            quote=sentence.text,
        )
        if not verify_citation(self.corpus, candidate):
            return None
        self._by_span[key] = candidate
        return candidate.id

    @property
    def citations(self) -> list[Citation]:
        return sorted(self._by_span.values(), key=lambda c: c.id)
