"""Repeats: the one place that tells whether an article repeats another, for every stage that asks.

- **Near-copies** (whole articles): the distinct words of two articles, lower case, overlap so much (token
  Jaccard at least ``GatherSettings.near_copy``) that one is a copy of the other, perhaps with a point changed.
  The reading list spends its cap on articles that are not near-copies of one already chosen; gathering calls
  a group of near-copies of a better-supported article's text "disputed". ``Repeats`` computes each article's
  word set once, however many pairs it is compared in.
- **Repeated statements** (sentences): the same words in the same order, whitespace and case aside (wire copy,
  a reprinted quote). Retrieval ranks the articles whose best sentence repeats a better-ranked one's last.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Callable, Iterable, Mapping, Sequence

from .text import WORD, flatten

if TYPE_CHECKING:
    from .types import Corpus, Document

__all__ = ["Repeats", "repeated_statements_last"]


class Repeats:
    """Near-copies among the articles of ``documents`` (doc id -> article: a corpus, or the articles read)."""

    def __init__(self, documents: Corpus | Mapping[str, Document], threshold: float) -> None:
        self.documents = documents
        self.threshold = threshold
        self._words: dict[str, frozenset[str]] = {}

    def words(self, doc_id: str) -> frozenset[str]:
        """The distinct words of an article, lower case (computed once)."""
        if doc_id not in self._words:
            self._words[doc_id] = frozenset(WORD.findall(self.documents[doc_id].text.lower()))
        return self._words[doc_id]

    def near_copy(self, a: str, b: str) -> bool:
        """Whether one of two articles is a near-copy of the other; never for an article without words."""
        wa, wb = self.words(a), self.words(b)
        return bool(wa and wb) and len(wa & wb) / len(wa | wb) >= self.threshold

    def copy_of(self, doc_id: str, among: Iterable[str]) -> str:
        """The first article of ``among`` that ``doc_id`` is a near-copy of; "" for none."""
        return next((other for other in among if self.near_copy(doc_id, other)), "")


def repeated_statements_last(ranked: Sequence[str], statement: Callable[[str], str]) -> list[str]:
    """``ranked`` (doc ids, best first) with each article whose ``statement`` (a sentence of it) says, word for
    word, what a better-ranked article's says moved after those that say something new; order kept in each."""
    seen: set[str] = set()
    first, later = [], []
    for doc_id in ranked:
        said = flatten(statement(doc_id)).lower()
        (later if said in seen else first).append(doc_id)
        seen.add(said)
    return first + later
