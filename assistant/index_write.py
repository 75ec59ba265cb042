"""Bringing the on-disk store (index_store.py) to a corpus, article by article.

An article removed or edited is forgotten: its term, length and word counts are subtracted from the
statistics, its rows left masked. One added or edited is appended: its rows (index_rows.py), vectors embedded
only if its text never was (vectors.ArticleVectors), its counts added. When the masked rows reach
``FilesStoreSettings.compact_share`` the live rows are rewritten in corpus order under a new base.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Sequence

import numpy as np

from .index_rows import ArticleRows, article_rows, embed_rows
from .index_store import (
    ARTICLE_GRAINS,
    GRAINS,
    State,
    StoreError,
    append,
    check,
    clear_base,
    commit,
    cut,
    gather_index,
    locked,
    next_base,
    read_rows,
    read_state,
    text_hash,
)
from .types import Corpus, Document, Progress
from .vectors import ArticleVectors, vocabulary_vectors

__all__ = ["update"]


class _Writer:
    """The statistics as arrays while a batch of changes is applied; ``finish`` puts them back in the state."""

    def __init__(self, directory: Path, state: State) -> None:
        self.directory, self.state = directory, state
        self.rows = dict(state.rows)
        self.term_ids = {t: i for i, t in enumerate(state.terms)}
        self.word_ids = {w: i for i, w in enumerate(state.words)}
        self.df = {
            "sentence_postings": np.asarray(state.sentence_df, dtype=np.int64),
            "paragraph_postings": np.asarray(state.paragraph_df, dtype=np.int64),
        }
        self.length = {"sentences": state.sentence_length, "paragraphs": state.paragraph_length}
        self.word_articles = np.asarray(state.word_articles, dtype=np.int64)

    def forget(self, doc_id: str) -> None:
        """Subtract an article's counts and drop it from the manifest (its rows stay, masked)."""
        for grain, name in (("sentence_postings", "sentence_postings"), ("paragraph_postings", "paragraph_postings")):
            terms = read_rows(self.directory, self.state, name, *self.state.range(doc_id, grain))[:, 1]
            self.df[grain] -= np.bincount(terms, minlength=len(self.df[grain]))
        for grain, name in (("sentences", "sentence_rows"), ("paragraphs", "paragraph_rows")):
            self.length[grain] -= int(
                read_rows(self.directory, self.state, name, *self.state.range(doc_id, grain))[:, -1].sum()
            )
        words = read_rows(self.directory, self.state, "article_words", *self.state.range(doc_id, "article_words"))[:, 0]
        self.word_articles -= np.bincount(words, minlength=len(self.word_articles))
        del self.state.docs[doc_id]

    def add(self, corpus: Corpus, docs: Sequence[Document], embed, vectors: ArticleVectors | None, progress, known):
        """Append the rows of ``docs``, in their order, and add their counts."""
        if not docs:
            return
        articles = [article_rows(doc) for doc in docs]
        sentence_vectors, paragraph_vectors = embed_rows(corpus, articles, embed, vectors, progress)
        self._add_words(articles, embed, known, progress)
        columns: dict[str, list] = {name: [] for name in ("sentence_rows", "paragraph_rows", "article_words")}
        columns |= {"sentence_postings": [], "paragraph_postings": []}
        for article, doc in zip(articles, docs):
            self._add_article(article, text_hash(doc.text), columns)
        append(self.directory, self.state, "sentence_vectors", sentence_vectors)
        append(self.directory, self.state, "paragraph_vectors", paragraph_vectors)
        for name, rows in columns.items():
            append(self.directory, self.state, name, np.asarray(rows, dtype=np.int64).reshape(-1, _width(name)))
        for grain in ("sentence_postings", "paragraph_postings"):
            ids = np.asarray(columns[grain], dtype=np.int64).reshape(-1, 3)[:, 1]
            self.df[grain] = _grown(self.df[grain], len(self.state.terms)) + np.bincount(
                ids, minlength=len(self.state.terms)
            )
        for grain, name in (("sentences", "sentence_rows"), ("paragraphs", "paragraph_rows")):
            self.length[grain] += sum(row[-1] for row in columns[name])

    def _add_words(self, articles: Sequence[ArticleRows], embed, known, progress) -> None:
        new = list(dict.fromkeys(w for a in articles for w in a.words if w not in self.word_ids))
        for word in new:
            self.word_ids[word] = len(self.state.words)
            self.state.words.append(word)
        append(self.directory, self.state, "word_vectors", vocabulary_vectors(new, embed, known or {}, progress))
        self.rows["words"] += len(new)
        ids = [self.word_ids[w] for a in articles for w in a.words]
        self.word_articles = _grown(self.word_articles, len(self.state.words)) + np.bincount(
            np.asarray(ids, dtype=np.int64), minlength=len(self.state.words)
        )

    def _term(self, term: str) -> int:
        if term not in self.term_ids:
            self.term_ids[term] = len(self.state.terms)
            self.state.terms.append(term)
        return self.term_ids[term]

    def _add_article(self, a: ArticleRows, digest: str, columns: dict[str, list]) -> None:
        for span, paragraph, terms in zip(a.spans, a.span_paragraph, a.sentence_terms):
            columns["sentence_rows"].append((span.paragraph, span.start, span.end, paragraph, terms.total()))
        for (number, start, end), terms in zip(a.paragraphs, a.paragraph_terms):
            columns["paragraph_rows"].append((number, start, end, terms.total()))
        for grain, counted in (("sentence_postings", a.sentence_terms), ("paragraph_postings", a.paragraph_terms)):
            columns[grain] += [(row, self._term(t), n) for row, terms in enumerate(counted) for t, n in terms.items()]
        columns["article_words"] += [(self.word_ids[w],) for w in a.words]
        counts = {
            "sentences": len(a.spans),
            "sentence_postings": sum(len(t) for t in a.sentence_terms),
            "paragraphs": len(a.paragraphs),
            "paragraph_postings": sum(len(t) for t in a.paragraph_terms),
            "article_words": len(a.words),
        }
        entry: list = [digest]
        for grain in ARTICLE_GRAINS:
            entry += [self.rows[grain], self.rows[grain] + counts[grain]]
            self.rows[grain] += counts[grain]
        self.state.docs[a.doc_id] = entry

    def finish(self, key: str) -> State:
        return replace(
            self.state,
            key=key,
            rows=self.rows,
            sentence_df=self.df["sentence_postings"].tolist(),
            paragraph_df=self.df["paragraph_postings"].tolist(),
            sentence_length=int(self.length["sentences"]),
            paragraph_length=int(self.length["paragraphs"]),
            word_articles=self.word_articles.tolist(),
        )


def _width(name: str) -> int:
    return next(columns[name][1] for columns in GRAINS.values() if name in columns)


def _grown(counts: np.ndarray, n: int) -> np.ndarray:
    return np.concatenate([counts, np.zeros(n - len(counts), dtype=np.int64)])


def compact(directory: Path, state: State, corpus: Corpus) -> State:
    """The live rows alone, in corpus order, under a new base; terms and words no live row uses are dropped."""
    new = State(model=state.model, dimensions=state.dimensions, base=next_base(directory, state), key=state.key)
    clear_base(directory, new.base)
    order = [d.doc_id for d in corpus if d.doc_id in state.docs]
    terms = (np.asarray(state.sentence_df) > 0) | (np.asarray(state.paragraph_df) > 0)
    words = np.asarray(state.word_articles) > 0
    maps = {"term": np.cumsum(terms) - 1, "word": np.cumsum(words) - 1}
    all_ranges = state.ranges(order)
    for grain in ARTICLE_GRAINS:
        ranges = all_ranges[grain]
        index = gather_index(ranges)
        for name in GRAINS[grain]:
            rows = np.array(read_rows(directory, state, name)[index])
            if grain.endswith("postings"):
                rows[:, 1] = maps["term"][rows[:, 1]]
            elif grain == "article_words":
                rows[:, 0] = maps["word"][rows[:, 0]]
            append(directory, new, name, rows)
        ends = np.cumsum(ranges[:, 1] - ranges[:, 0])
        for doc_id, lo, hi in zip(order, ends - (ranges[:, 1] - ranges[:, 0]), ends):
            new.docs.setdefault(doc_id, [state.docs[doc_id][0]]).extend([int(lo), int(hi)])
        new.rows[grain] = int(ends[-1]) if len(ends) else 0
    append(directory, new, "word_vectors", np.array(read_rows(directory, state, "word_vectors")[words]))
    new.rows["words"] = int(words.sum())
    new.terms = [t for t, keep in zip(state.terms, terms) if keep]
    new.sentence_df = [n for n, keep in zip(state.sentence_df, terms) if keep]
    new.paragraph_df = [n for n, keep in zip(state.paragraph_df, terms) if keep]
    new.words = [w for w, keep in zip(state.words, words) if keep]
    new.word_articles = [n for n, keep in zip(state.word_articles, words) if keep]
    new.sentence_length, new.paragraph_length = state.sentence_length, state.paragraph_length
    return new


def _current(directory: Path, model: str, fresh: bool) -> State | None:
    """The committed state to update, or None to build afresh (asked to, or nothing usable is there)."""
    state = None if fresh else read_state(directory, model)
    if state is not None:
        try:
            check(directory, state)
        except (StoreError, OSError):
            return None
    return state


def update(
    directory: Path,
    corpus: Corpus,
    key: str,
    embed,
    compact_share: float,
    *,
    vectors: ArticleVectors | None = None,
    progress: Progress | None = None,
    fresh: bool = False,
    known_words: dict[str, np.ndarray] | None = None,
) -> State:
    """Bring the store in ``directory`` to ``corpus`` (``key``: its index_key); ``fresh`` builds it anew under a
    new base, the old one readable until the commit. Returns the committed state."""
    with locked(directory):
        state = _current(directory, embed.model_name, fresh)
        if state is not None and state.key == key:
            return state
        if state is None:
            state = State(model=embed.model_name, dimensions=embed.dimensions, base=next_base(directory, None))
            clear_base(directory, state.base)
        else:
            cut(directory, state)
        writer = _Writer(directory, state)
        hashes = {doc.doc_id: text_hash(doc.text) for doc in corpus}
        for doc_id in [d for d, entry in state.docs.items() if hashes.get(d) != entry[0]]:
            writer.forget(doc_id)
        writer.add(corpus, [d for d in corpus if d.doc_id not in state.docs], embed, vectors, progress, known_words)
        state = writer.finish(key)
        if state.masked_share() >= compact_share and state.masked_share() > 0:
            state = compact(directory, state, corpus)
        commit(directory, state)
    return state
