"""Evidence ids -> exact citations. A citation that does not verify against the article is dropped.

The model only ever names evidence ids; this is the one place that turns them into
``(doc_id, start, end, quote)``, and it re-reads the article to check ``quote == text[start:end]``
rather than trusting anything upstream.
"""

from __future__ import annotations

from .text import quote_matches
from .types import Citation, Corpus, Evidence

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

    def cite(self, evidence: Evidence) -> int | None:
        """The citation number for this evidence, or None when it does not verify (then never shown)."""
        key = (evidence.doc_id, evidence.span.start, evidence.span.end)
        if key in self._by_span:
            return self._by_span[key].id
        candidate = Citation(
            id=len(self._by_span) + 1,
            doc_id=evidence.doc_id,
            start=evidence.span.start,
            end=evidence.span.end,
            quote=evidence.span.text,
        )
        if not verify_citation(self.corpus, candidate):
            return None
        self._by_span[key] = candidate
        return candidate.id

    @property
    def citations(self) -> list[Citation]:
        return sorted(self._by_span.values(), key=lambda c: c.id)
