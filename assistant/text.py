"""Text utilities every stage shares: the BM25 analysis (stemmed, stopword-free terms), the ``[n]``
citation-marker pattern and terminal-safe output. No stage-specific logic lives here."""

from __future__ import annotations

import json
import re

__all__ = ["analyze", "stem", "stopwords", "WORD", "MARKER", "flatten", "printable", "json_line"]

WORD = re.compile(r"(?u)\b\w\w+\b")
MARKER = re.compile(r"\[(\d+)\]")  # a citation marker in answer text
# Terminal escape sequences (colour, cursor moves, OSC titles and links) and the remaining control
# characters but tab and newline: an article or a question holding them must not drive the terminal.
_ESCAPES = re.compile(
    r"\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?|\x1b[@-Z\\-_]?|\x9b[0-?]*[ -/]*[@-~]"
)
_CONTROLS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_JSON_UNSAFE = re.compile(r"[\x7f-\x9f\u2028\u2029]")  # json.dumps(ensure_ascii=False) leaves these raw


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


def flatten(text: str) -> str:
    """Whitespace runs collapsed to single spaces."""
    return " ".join(text.split())


def printable(text: str) -> str:
    """``text`` without terminal escape sequences and control characters (tab and newline stay)."""
    return _CONTROLS.sub("", _ESCAPES.sub("", text))


def json_line(obj: object) -> str:
    """One line of JSON, readable UTF-8, with every control character escaped (never raw on a terminal)."""
    return _JSON_UNSAFE.sub(lambda m: f"\\u{ord(m.group()):04x}", json.dumps(obj, ensure_ascii=False))
