"""Text utilities every stage shares: the BM25 analysis (stemmed, stopword-free terms), number words,
and the ``[n]`` citation-marker pattern. No stage-specific logic lives here."""

from __future__ import annotations

import json
import re

__all__ = ["analyze", "stem", "stopwords", "WORD", "MARKER", "NUMBER_WORDS", "number_value", "flatten", "printable",
           "json_line"]

WORD = re.compile(r"(?u)\b\w\w+\b")
MARKER = re.compile(r"\[(\d+)\]")  # a citation marker in answer text
# Terminal escape sequences (colour, cursor moves, OSC titles and links) and the remaining control
# characters but tab and newline: an article or a question holding them must not drive the terminal.
_ESCAPES = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?|\x1b[@-Z\\-_]?|\x9b[0-?]*[ -/]*[@-~]")
_CONTROLS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_JSON_UNSAFE = re.compile(r"[\x7f-\x9f\u2028\u2029]")  # json.dumps(ensure_ascii=False) leaves these raw

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


def printable(text: str) -> str:
    """``text`` without terminal escape sequences and control characters (tab and newline stay)."""
    return _CONTROLS.sub("", _ESCAPES.sub("", text))


def json_line(obj: object) -> str:
    """One line of JSON, readable UTF-8, with every control character escaped (never raw on a terminal)."""
    return _JSON_UNSAFE.sub(lambda m: f"\\u{ord(m.group()):04x}", json.dumps(obj, ensure_ascii=False))
