"""Every tunable number of Storydesk, one frozen dataclass per stage, gathered in ``Settings``.

``Assistant(settings=Settings(...))`` takes them; eval runs record them (``answer_settings`` in a run's
config) and a changed value gives a new run hash. Stages read their own dataclass from here, so changing
a number never means editing a stage.
"""

from __future__ import annotations

from dataclasses import dataclass, field

__all__ = [
    "CorpusLimits",
    "RetrievalWeights",
    "RetrievalSettings",
    "InjectionSettings",
    "ReadingSettings",
    "CompareSettings",
    "Settings",
]

_MIB = 1024 * 1024


@dataclass(frozen=True)
class CorpusLimits:
    """How much text one corpus may hold. Indexing costs about 48 s per MB of new text here (2 cores; the
    embedding of every sentence is nearly all of it), so these bound the work one file or one
    directory can ask for. Raise them on purpose, for a bigger machine."""

    max_article_bytes: int = 10 * _MIB  # a bigger file is skipped and named, never read
    max_corpus_bytes: int = 256 * _MIB  # all articles together: over it, loading stops with an error


@dataclass(frozen=True)
class RetrievalWeights:
    """How much each signal counts in a sentence's fused retrieval score."""

    dense_sentence: float = 0.30  # MiniLM similarity of the sentence to the question
    dense_paragraph: float = 0.15  # ... of its paragraph (news names the subject one sentence earlier)
    bm25_sentence: float = 0.25
    bm25_paragraph: float = 0.10
    bm25_expanded: float = 0.10  # BM25 on corpus words close in meaning to the question's words
    answer_shape: float = 0.10  # the sentence has the shape asked for (a duration for "how long")
    lead: float = 0.10  # news puts the who/what/how of a story in its first paragraphs


@dataclass(frozen=True)
class RetrievalSettings:
    per_article: int = 5  # sentences shown to the model for each article (cut to the token budget)
    max_articles: int = 6
    relative_floor: float = 0.35  # an article joins when its best score >= this x the best overall
    absolute_floor: float = 0.18
    expansion_min_similarity: float = 0.62
    expansion_per_term: int = 3
    expansion_max_terms: int = 64
    weights: RetrievalWeights = field(default_factory=RetrievalWeights)


@dataclass(frozen=True)
class InjectionSettings:
    strong: float = 1.0  # a cue score at or above this screens the sentence without asking the model
    ask: float = 0.5  # a score at or above this (and below strong) is put to the model
    model_bar: float = 0.5  # P("yes") of the model's check at or above which the sentence is screened


@dataclass(frozen=True)
class ReadingSettings:
    candidates: int = 3  # sentences judged per article, strongest retrieval first
    candidate_floor: float = 0.7  # ...and only those scoring >= this x the article's best
    accept: float = 2.0  # bar for confidence = logit(P(yes)) + retrieval_weight * retrieval score
    margin: float = 3.0  # ...and an article must come within this of the most confident article
    veto: float = 0.2  # a clear "no" from the model (P(yes) below this) is never overruled by retrieval
    # A runner-up sentence of an accepted article is cited too when the model is this sure of it and
    # it is this close to the winner: articles often state a fact twice, in different words.
    second_p: float = 0.7
    second_gap: float = 2.5
    retrieval_weight: float = 10.0
    max_answer_words: int = 16
    max_sentence_tokens: int = 200  # a sentence is cut to this many tokens (tiktoken); news runs 20-80


@dataclass(frozen=True)
class CompareSettings:
    """When two articles' answers count as the same answer (compare.py): a disagreement is reported
    only when two answering sentences fail these tests."""

    same_content: float = 0.5  # weighted share of distinctive terms at or above which two answers agree
    same_deed: float = 0.6  # ...the share needed when they name different actors ("X denied" / "Y denied")
    # A name in over this share of all sentences ("AI" in a story about AI) is background, not an actor...
    common_share: float = 0.25
    common_min: int = 10  # ...once the corpus has this many sentences containing it


@dataclass(frozen=True)
class Settings:
    """Every tunable number of the answer path, by stage, and the corpus limits (recorded in eval run configs)."""

    retrieval: RetrievalSettings = field(default_factory=RetrievalSettings)
    reading: ReadingSettings = field(default_factory=ReadingSettings)
    injection: InjectionSettings = field(default_factory=InjectionSettings)
    compare: CompareSettings = field(default_factory=CompareSettings)
    corpus: CorpusLimits = field(default_factory=CorpusLimits)  # what loading and uploads accept
