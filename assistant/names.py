"""What a reader calls an article: its headline, else the outlet or writer its text names, else "Article N".

Decided by form alone (length and punctuation, and the conventional shapes of a byline and of a wire
dateline), never by word lists, so any corpus is named the same way:

- a headline is the first non-empty line when more text follows it and it reads as one: a few words (at most
  ``MAX_WORDS``, ``MAX_CHARS``), mostly letters, not starting in lower case, with no full stop (or comma,
  colon, ellipsis, dash) at its end and no sentence break inside. A long lede is never cut into a name;
- else the outlet of a wire dateline near the top ("LONDON (Reuters) –" gives "Reuters");
- else a byline line near the top ("By Helen Carver, Political Editor" gives "Article by Helen Carver");
- else, in a corpus, "Article N": N is the article's 1-based place among the corpus's doc ids sorted, so it
  is stable for a given set of articles and never shows a file id. Two articles that would share a name
  each get their number too ("Wire story (Article 2)"), so an answer never names two articles alike.
"""

from __future__ import annotations

import re
from collections import Counter
from typing import Mapping

__all__ = ["own_name", "article_names", "MAX_WORDS", "MAX_CHARS"]

HEAD_CHARS = 2000  # only the top of an article is read: a headline, byline or dateline sits there
TOP_LINES = 4  # the non-empty lines where a byline or a dateline may sit
MAX_WORDS = 16
MAX_CHARS = 110
MAX_BYLINE_WORDS = 12  # a byline line: the name and perhaps a role ("By Helen Carver, Political Editor")
MAX_NAME_WORDS = 5

_MARKUP = "#*_> \t"  # markdown heading, emphasis and quote marks around a line
_CLOSERS = "\"'”’)]»"
_NOT_FINAL = ".,;:…-–—/"  # a line ending in these is a sentence, a lead-in or a fragment, not a headline
_SENTENCE_BREAK = re.compile(r"\b[a-z]{2,}[.!?][\"'”’)]*\s+\S")  # "…was contained. Residents…": two sentences
_BYLINE = re.compile(r"by[:\s]\s*(?P<who>[^,|(–—]+)(?:[,|(–—].*)?", re.IGNORECASE)
_DATELINE = re.compile(r"[A-Z][A-Z .,'’-]{1,40}\((?P<outlet>[^()\d]{2,40})\)\s*[-–—]")
_NON_SPACE = re.compile(r"\S")


def _clean(line: str) -> str:
    return line.strip().strip(_MARKUP).strip()


def _top_lines(text: str) -> list[tuple[str, int]]:
    """The first non-empty lines of the text, cleaned, each with the offset where its line ends."""
    head = text[:HEAD_CHARS]
    out, pos = [], 0
    for raw in head.splitlines(keepends=True):
        pos += len(raw)
        if pos >= len(head) and len(text) > len(head):
            break  # a line cut short by the window: not whole, never a name
        if _clean(raw):
            out.append((_clean(raw), pos))
            if len(out) == TOP_LINES:
                break
    return out


def _byline(line: str) -> str:
    """The name in a byline line ("By Helen Carver and Tom Ash, staff" -> "Helen Carver and Tom Ash"), else ""."""
    m = _BYLINE.fullmatch(line)
    if not m or len(line.split()) > MAX_BYLINE_WORDS or line.rstrip(_CLOSERS).endswith((".", ":", ";")):
        return ""
    words = m.group("who").strip().rstrip(".").split()
    if not 1 <= len(words) <= MAX_NAME_WORDS or any(ch.isdigit() for w in words for ch in w):
        return ""
    # Every word a name (capitalised) but for short joiners inside ("and", "de", "van"); first and last capitalised.
    capitalised = [w[:1].isupper() for w in words]
    if not (capitalised[0] and capitalised[-1]) or any(not c and len(w) > 3 for w, c in zip(words, capitalised)):
        return ""
    return " ".join(words)


def _dateline_outlet(line: str) -> str:
    """The outlet a wire dateline credits ("SALTMOUTH (Coastwire) – About…" -> "Coastwire"), else ""."""
    m = _DATELINE.match(line)
    outlet = m.group("outlet").strip() if m else ""
    return outlet if outlet[:1].isupper() and len(outlet.split()) <= MAX_NAME_WORDS else ""


def is_headline(line: str) -> bool:
    """Whether one (cleaned) line reads as a headline, by its form."""
    words = line.split()
    if not 1 <= len(words) <= MAX_WORDS or len(line) > MAX_CHARS:
        return False
    if sum(ch.isalpha() for ch in line) * 2 < sum(len(w) for w in words):
        return False  # mostly digits and signs: a date or a number, not a headline
    if not any(ch.isupper() or ch.isdigit() for ch in words[0]):
        return False  # "and then it happened": a fragment
    end = line.rstrip(_CLOSERS)[-1:]
    if not end or end in _NOT_FINAL or _SENTENCE_BREAK.search(line):
        return False
    return not _byline(line)


def own_name(text: str) -> str:
    """The name the article's own text gives it: its headline, else its dateline's outlet, else "Article by"
    its byline's name; "" when it gives none (a long lede, and nothing else at the top)."""
    top = _top_lines(text)
    if not top:
        return ""
    first, end = top[0]
    if is_headline(first) and _NON_SPACE.search(text, end):  # a headline heads more text
        return first
    for outlet in map(_dateline_outlet, (line for line, _ in top)):
        if outlet:
            return outlet
    for who in map(_byline, (line for line, _ in top)):
        if who:
            return f"Article by {who}"
    return ""


def article_names(own: Mapping[str, str]) -> dict[str, str]:
    """Each article's name in a corpus, by doc id, from the names their texts give (``own``, "" for none):
    that name when no other article shares it, else it with the article's number; "Article N" without one."""
    number = {doc_id: n for n, doc_id in enumerate(sorted(own), 1)}
    names = {doc_id: name or f"Article {number[doc_id]}" for doc_id, name in own.items()}
    counts = Counter(name.casefold() for name in names.values())
    return {
        doc_id: f"{name} (Article {number[doc_id]})" if counts[name.casefold()] > 1 and own[doc_id] else name
        for doc_id, name in names.items()
    }
