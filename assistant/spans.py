"""Sentences with exact ``[start, end)`` offsets: the unit of evidence and of citation.

A span never includes surrounding whitespace, never crosses a line break (news copy puts one
paragraph per line), and ``text[start:end]`` is the sentence itself, so a citation built from a span
is verbatim by construction.
"""

from __future__ import annotations

import re
from typing import Iterable

from .text import is_abbreviation
from .types import Document, Span

__all__ = ["split_sentences", "document_spans"]

_CLOSERS = "\"'”’)]»"
_OPENERS = "\"'“‘([«"
# A candidate boundary: terminal punctuation, optional closing quotes/brackets, then whitespace.
_BOUNDARY = re.compile(r"[.!?…]+[" + re.escape(_CLOSERS) + r"]*(?=\s+)")
_WORD_BEFORE = re.compile(r"([\w.]+)$")
_MAX_QUOTED = 700


def _is_abbreviation(paragraph: str, dot_at: int) -> bool:
    match = _WORD_BEFORE.search(paragraph, 0, dot_at)
    return bool(match) and is_abbreviation(match.group(1))


def _next_starts_sentence(paragraph: str, pos: int) -> bool:
    rest = paragraph[pos:].lstrip()
    if not rest:
        return True
    first = rest[0]
    if first in _OPENERS:
        rest = rest[1:] or " "
        first = rest[0]
    return first.isupper() or first.isdigit() or first in "£$€#@"


def _inside_quotation(segment: str) -> bool:
    """True while a quotation opened in ``segment`` is still open.

    Quoted speech stays whole with its attribution ("X said: ...") so a cited sentence always
    shows who is speaking; a runaway unbalanced quote stops protecting after _MAX_QUOTED chars.
    """
    if len(segment) > _MAX_QUOTED:
        return False
    return segment.count("“") > segment.count("”") or segment.count('"') % 2 == 1


def _sentence_bounds(paragraph: str) -> Iterable[tuple[int, int]]:
    """Yield (start, end) of each sentence inside one paragraph, whitespace trimmed."""
    start = 0
    for match in _BOUNDARY.finditer(paragraph):
        end = match.end()
        if paragraph[match.start()] == "." and _is_abbreviation(paragraph, match.start()):
            continue
        if not _next_starts_sentence(paragraph, end):
            continue
        if _inside_quotation(paragraph[start:end]):
            continue
        yield start, end
        start = end
    yield start, len(paragraph)


def _trimmed(text: str, start: int, end: int) -> tuple[int, int]:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end


_WHOLE_QUOTE = re.compile(r"^[“\"][^“”\"]*[”\"][.!?]?$")


def _continues_quotation(prev: str, cur: str) -> bool:
    """'“A,” said X. “B.”': the second sentence is X's words too, and says nothing of who spoke."""
    return bool(_WHOLE_QUOTE.match(cur)) and any(q in prev for q in '“"') and len(prev) + len(cur) <= _MAX_QUOTED


def split_sentences(text: str) -> list[tuple[int, int, int]]:
    """(paragraph, start, end) for every sentence of ``text``; offsets index ``text`` itself."""
    out: list[tuple[int, int, int]] = []
    offset = 0
    paragraph_no = 0
    for line in text.splitlines(keepends=True):
        if line.strip():
            for s, e in _sentence_bounds(line):
                s, e = _trimmed(text, offset + s, offset + e)
                if e <= s:
                    continue
                last = out[-1] if out else None
                if last and last[0] == paragraph_no and _continues_quotation(text[last[1] : last[2]], text[s:e]):
                    out[-1] = (paragraph_no, last[1], e)
                else:
                    out.append((paragraph_no, s, e))
            paragraph_no += 1
        offset += len(line)
    return out


def document_spans(doc: Document) -> list[Span]:
    return [
        Span(doc_id=doc.doc_id, index=i, paragraph=p, start=s, end=e, text=doc.text[s:e])
        for i, (p, s, e) in enumerate(split_sentences(doc.text))
    ]
