"""Text utilities every stage shares: the BM25 analysis (stemmed, stopword-free terms), number words,
and the ``[n]`` citation-marker pattern. No stage-specific logic lives here."""

from __future__ import annotations

import re

__all__ = ["analyze", "stem", "stopwords", "WORD", "MARKER", "NUMBER_WORDS", "number_value", "flatten"]

WORD = re.compile(r"(?u)\b\w\w+\b")
MARKER = re.compile(r"\[(\d+)\]")  # a citation marker in answer text

NUMBER_WORDS = {
    "zero": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9,
    "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14, "fifteen": 15, "sixteen": 16,
    "seventeen": 17, "eighteen": 18, "nineteen": 19, "twenty": 20, "thirty": 30, "forty": 40, "fifty": 50,
    "sixty": 60, "seventy": 70, "eighty": 80, "ninety": 90, "hundred": 100, "thousand": 1000, "dozen": 12,
    "million": 1_000_000, "billion": 1_000_000_000,
}

_STEMMER = None
_STOP: frozenset[str] | None = None


def stopwords() -> frozenset[str]:
    """The English stopwords the BM25 retrievers drop (bm25s's list)."""
    global _STOP
    if _STOP is None:
        from bm25s.stopwords import STOPWORDS_EN

        _STOP = frozenset(STOPWORDS_EN)
    return _STOP


def stemmer():
    """A fresh Snowball English stemmer (PyStemmer), as llama-index's BM25 retriever is built with."""
    import Stemmer

    return Stemmer.Stemmer("english")


def stem(word: str) -> str:
    global _STEMMER
    if _STEMMER is None:
        _STEMMER = stemmer()
    return _STEMMER.stemWord(word.lower())


def analyze(text: str) -> list[str]:
    """Stemmed, stopword-free terms: the same analysis the BM25 retrievers apply."""
    stop = stopwords()
    return [stem(w) for w in WORD.findall(text.lower()) if w not in stop]


def number_value(token: str) -> float | None:
    """The value of a written number ("18", "1,066", "eighteen", "2.5"), or None."""
    token = token.lower().strip(".,")
    if token in NUMBER_WORDS:
        return float(NUMBER_WORDS[token])
    try:
        return float(token.replace(",", ""))
    except ValueError:
        return None


def flatten(text: str) -> str:
    """Whitespace runs collapsed to single spaces."""
    return " ".join(text.split())
