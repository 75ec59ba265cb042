"""Text utilities the stages share: the BM25 analysis (stemmed, stopword-free terms), the vocabulary of
answer shapes (spelled-out numbers, read by text2num; units, months, currencies; the sentence shapes that
retrieval and acceptance look for), span location (abbreviations, paragraph bounds, the verbatim-quote check),
answer keys (how reading's answers are compared, by gathering and by the count of articles not read), the
``[n]`` citation-marker pattern and terminal-safe output. Whether an article repeats another is repeats.py's."""

from __future__ import annotations

import json
import math
import re
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from typing import Iterator

from text_to_num import Token, find_numbers, text2num

from .errors import StorydeskError

__all__ = [
    "analyze",
    "stem",
    "stemmer",
    "stopwords",
    "WORD",
    "MARKER",
    "EDGE_PUNCT",
    "VAGUE_QUANTITY_PATTERN",
    "UNIT_PATTERN",
    "MONTH_PATTERN",
    "SENTENCE_SHAPES",
    "NumberShape",
    "number_words_as_digits",
    "is_abbreviation",
    "paragraph_bounds",
    "quote_matches",
    "locate",
    "answer_key",
    "numbers_of",
    "contains_words",
    "flatten",
    "printable",
    "json_line",
    "jsonl_records",
]

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
    """Stemmed, stopword-free terms: the same analysis the BM25 retrievers apply (stemmed in one C call)."""
    global _STEMMER
    if _STEMMER is None:
        _STEMMER = stemmer()
    stop = stopwords()
    return _STEMMER.stemWords([w for w in WORD.findall(text.lower()) if w not in stop])


def flatten(text: str) -> str:
    """Whitespace runs collapsed to single spaces."""
    return " ".join(text.split())


def printable(text: str) -> str:
    """``text`` without terminal escape sequences and control characters (tab and newline stay)."""
    return _CONTROLS.sub("", _ESCAPES.sub("", text))


def jsonl_records(path: Path) -> Iterator[tuple[int, object]]:
    """(line number, value) for each non-blank line of a JSON Lines file; a line that is not JSON is a
    one-line ``StorydeskError`` naming the file and the line."""
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            yield n, json.loads(line)
        except json.JSONDecodeError as err:
            raise StorydeskError(f"{path}:{n}: not JSON ({err.msg})") from None


def json_line(obj: object) -> str:
    """One line of JSON, readable UTF-8, with every control character escaped (never raw on a terminal)."""
    return _JSON_UNSAFE.sub(lambda m: f"\\u{ord(m.group()):04x}", json.dumps(obj, ensure_ascii=False))


# --- Answer shapes: the words that make a phrase a duration, a date, an amount -------------------------

# Spelled-out numbers are read by text2num ("eighteen", "two hundred and twelve", "four-day"), never by a
# table of ours: answer keys and the number shapes below see them as digits. English only: the shapes around
# them ("days", "for", "per cent") are English, and words of the other languages text2num reads are English
# words too ("cent" is French 100, "once" Spanish 11, "elf" German 11).
_NUMBER_LANGUAGE = "en"
# Quantities said without a number: they give a phrase the shape of an amount or a duration, but they are no
# value ("several months" never says 18 months).
VAGUE_QUANTITY_PATTERN = r"(?:several|a few|many|dozens? of)"
_LETTERS = re.compile(r"[^\W\d_]+(?:['’][^\W\d_]+)*")  # the words text2num is shown ("o'clock" is one)
_NUMBER_BEFORE = re.compile(r"(?<![\w.,])\d+(?:,\d{3})*(?:\.\d+)?\s*$")  # "2.5" of "2.5 million"


class _Word(Token):
    """A word of a text, as text2num's number finder reads it."""

    __slots__ = ("word", "start", "end", "joined")

    def __init__(self, match: re.Match, joined: bool):
        self.word, self.start, self.end, self.joined = match.group(), match.start(), match.end(), joined

    def text(self) -> str:
        return self.word

    def nt_separated(self, previous: Token) -> bool:
        return not self.joined

    def not_a_number_part(self) -> bool:
        return self.word.endswith("s")  # no English number ends in s: a plural ("thousands of") is vague


@lru_cache(maxsize=1 << 16)
def _is_number_word(word: str) -> bool:
    """Whether text2num reads ``word`` alone as a number: the cheap test before a text's words are read."""
    try:
        text2num(word, _NUMBER_LANGUAGE)
    except ValueError:
        return False
    return True


def _times(number: str, scale: float) -> str:
    """``number`` (digits) times a scale word's value: "2.5" and a million are "2500000"."""
    return format((Decimal(number.replace(",", "")) * Decimal(int(scale))).normalize(), "f")


def number_words_as_digits(text: str) -> str:
    """``text`` with its spelled-out numbers in digits: "eighteen months" -> "18 months", "two hundred and
    twelve" -> "212", "four-day" -> "4-day", "2.5 million" -> "2500000". Vague quantities ("several", "a few",
    "thousands of") and ordinals ("first", "a second") stay words, as does a lone "zero" ("zero-day")."""
    if not any(map(_is_number_word, _LETTERS.findall(text.lower()))):
        return text  # most sentences: no word is a number
    words: list[_Word] = []
    for match in _LETTERS.finditer(text):
        # Only spaces and hyphens join the words of one number ("twenty-three"): "twenty, three" are two.
        joined = bool(words) and not text[words[-1].end : match.start()].replace("-", " ").strip()
        words.append(_Word(match, joined))
    head, done = "", 0
    # threshold=1: a number standing alone is read from "one" up ("zero-day", "net zero" stay words). An ordinal is
    # a rank, not an amount, and "second" is a unit of time too: it stays a word.
    for number in find_numbers(words, _NUMBER_LANGUAGE, threshold=1):
        if number.is_ordinal:
            continue
        head, digits = head + text[done : words[number.start].start], number.text
        scale = number.end - number.start == 1 and number.value >= 100 and math.log10(number.value).is_integer()
        before = scale and _NUMBER_BEFORE.search(head)
        if before:  # a scale word after a number: "2.5 million", "two point five million" (not "2020 one hundred")
            head, digits = head[: before.start()], _times(before.group().rstrip(), number.value)
        head, done = head + digits, words[number.end - 1].end
    return head + text[done:]


class NumberShape:
    """A sentence shape that reads spelled-out numbers as digits: ``search`` as ``re.Pattern.search``, on the
    text with its numbers in digits (a match's offsets count in that form: a shape is searched, never cut out)."""

    __slots__ = ("pattern",)

    def __init__(self, pattern: re.Pattern):
        self.pattern = pattern

    def search(self, text: str) -> re.Match | None:
        return self.pattern.search(number_words_as_digits(text))


UNIT_PATTERN = r"(?:seconds?|minutes?|hours?|days?|weeks?|months?|years?|decades?)"
MONTH_PATTERN = r"(?:January|February|March|April|May|June|July|August|September|October|November|December)"
_WEEKDAYS = r"\b(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday)\b"


def _any_of(*alternatives: str, flags: int = re.I) -> re.Pattern:
    """One pattern matching any of the alternatives (kept as a list so each stays readable)."""
    return re.compile("|".join(alternatives), flags)


# answer type -> (pattern in the question, pattern a sentence must contain to be that shape)
SENTENCE_SHAPES: dict[str, re.Pattern | NumberShape] = {
    "duration": NumberShape(
        _any_of(
            rf"\b(?:\d+|{VAGUE_QUANTITY_PATTERN})[\s-]+{UNIT_PATTERN}\b",
            rf"\b(?:for|over|during|within)\s+(?:\w+\s+){{0,2}}{UNIT_PATTERN}\b",
        )
    ),
    "date": _any_of(
        rf"\b{MONTH_PATTERN}\b",
        r"\b(?:19|20)\d\d\b",
        _WEEKDAYS,
        r"\b(?:last|next|this) (?:year|month|week)\b",
        r"\b\w+ (?:days|weeks|months|years) (?:ago|before|after|earlier|later)\b",
        r"\byesterday\b",
    ),
    "quantity": NumberShape(
        _any_of(
            r"[£$€¥]\s?\d[\d,.]*(?:\s?(?:million|billion|trillion|bn|m|k)\b)?",
            r"\b\d[\d,.]*\s?(?:%|percent|per cent|million|billion|trillion|bn|m)?\b",
            r"\b(?:million|billion|trillion|terabytes?|gigabytes?|petabytes?)\b",
            rf"\b{VAGUE_QUANTITY_PATTERN}\b",
        )
    ),
    "agent": _any_of(r"(?<![.!?]\s)(?<!^)\b[A-Z][\w’'-]*[A-Za-z]", r"\b[A-Z]{2,}\b", flags=0),
    "location": _any_of(r"\b(?:in|at|from|to|with|into|across)\s+(?:the\s+)?[A-Z]\w+", flags=0),
    "reason": _any_of(
        r"\b(?:because|due to|in order to|so that|aims?|aimed|seeking|motive|reason|purpose|intend\w*)\b"
    ),
    "manner": _any_of(r"\b(?:through|by|using|via|exploit\w*|techniques?|methods?|means)\b"),
}

# --- Span location ---------------------------------------------------------------------------------

EDGE_PUNCT = " \t,;:.!?\"'“”‘’()[]—–-"  # what may be trimmed off either end of a quoted phrase
# Words that end in a full stop without ending a sentence.
_ABBREVIATIONS = frozenset(
    """mr mrs ms dr prof sr jr st mt vs etc e.g i.e inc ltd co corp plc no nos gen col lt sgt capt
    sen rep gov pres dept univ approx est fig al jan feb mar apr jun jul aug sep sept oct nov dec
    u.s u.k u.n e.u a.m p.m""".split()
)


def is_abbreviation(word: str) -> bool:
    """Whether ``word`` (its full stop optional) is a title, an initial or a short form, not an ending."""
    bare = word.rstrip(".")
    # A lone capital ("J. Smith") is an initial, not the end of a sentence.
    return bare.lower() in _ABBREVIATIONS or (len(bare) == 1 and bare.isupper())


def paragraph_bounds(text: str, start: int, end: int, reach: int | None = None) -> tuple[int, int]:
    """The [lo, hi) of the paragraph (line) holding text[start:end]; with ``reach``, trimmed at word
    boundaries to at most that many characters on either side of the span."""
    lo, hi = text.rfind("\n", 0, start) + 1, text.find("\n", end)
    hi = len(text) if hi < 0 else hi
    if reach is not None and start - lo > reach:
        lo = text.find(" ", start - reach, start) + 1 or start
    if reach is not None and hi - end > reach:
        cut = text.rfind(" ", end, end + reach)
        hi = cut if cut > end else end
    return lo, hi


def quote_matches(text: str, start: object, end: object, quote: object) -> bool:
    """The one citation check: ``quote`` is exactly ``text[start:end]``, a non-empty span inside ``text``."""
    return (
        isinstance(start, int)
        and isinstance(end, int)
        and 0 <= start < end <= len(text)
        and isinstance(quote, str)
        and bool(quote)
        and text[start:end] == quote
    )


def locate(phrase: str, text: str) -> tuple[int, int] | None:
    """[start, end) of ``phrase`` in ``text``, whitespace runs matching any whitespace run (the model sees
    an article's words, not its line breaks); an exact-case match first, then any case. None: not there."""
    words = phrase.split()
    if not words:
        return None
    pattern = r"\s+".join(re.escape(w) for w in words)
    match = re.search(pattern, text) or re.search(pattern, text, re.I)
    return (match.start(), match.end()) if match else None


# --- Comparing short answers -----------------------------------------------------------------------

_PUNCT = re.compile(r"(?<!\d)\.|\.(?!\d)|[^\w\s.]")  # punctuation, but not a decimal point
_ARTICLES = re.compile(r"\b(?:a|an|the)\b")
_DIGITS = re.compile(r"\d+(?:[.,]\d+)*")


def _number_key(match: re.Match) -> str:
    number = match.group().replace(",", "")
    return number if number.count(".") <= 1 else number.replace(".", " ")  # 5.5 is one number; 1.8.1866 three


def answer_key(phrase: str) -> str:
    """An answer as compared: lower case, punctuation and articles dropped, spelled-out numbers as digits,
    "1,066" as "1066", "%" as "per cent" ("eighteen months" and "18 months" have one key, "five million" and
    "5,000,000" too; "5.5%" keeps its decimal point, so it never contains "5 per cent")."""
    text = number_words_as_digits(phrase.lower().replace("’", "'").replace("%", " per cent"))
    text = _PUNCT.sub(" ", _DIGITS.sub(_number_key, text))
    return " ".join(_ARTICLES.sub(" ", text).split())


def numbers_of(phrase: str) -> frozenset[str]:
    """The numbers an answer states (digits, spelled-out numbers as digits): two answers with different numbers
    never say the same thing, however alike their words."""
    return frozenset(w for w in answer_key(phrase).split() if w[:1].isdigit())


def contains_words(longer: str, shorter: str) -> bool:
    """Whether ``shorter``'s words appear, in order and whole, inside ``longer`` (both answer keys)."""
    return bool(shorter) and f" {shorter} " in f" {longer} "
