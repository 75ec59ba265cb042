"""Shared text utilities: the one verbatim-quote check, the number-word table both the answer shapes and the
comparison read, paragraph bounds and abbreviations."""

import re

from hypothesis import given
from hypothesis import strategies as st

from assistant.text import (
    ANSWER_SHAPES,
    NUMBER_WORD_PATTERN,
    NUMBER_WORDS,
    answer_key,
    contains_words,
    is_abbreviation,
    locate,
    numbers_of,
    paragraph_bounds,
    quote_matches,
)


@given(st.text(min_size=1), st.data())
def test_a_slice_of_the_text_always_matches_and_nothing_else_does(text, data):
    start = data.draw(st.integers(0, len(text) - 1))
    end = data.draw(st.integers(start + 1, len(text)))
    quote = text[start:end]
    assert quote_matches(text, start, end, quote)
    assert not quote_matches(text, start, end, quote + "x")
    assert not quote_matches(text, start, end + 1, quote) or text[start : end + 1] == quote


@given(st.text(), st.integers(-5, 50), st.integers(-5, 50), st.one_of(st.text(), st.none(), st.integers()))
def test_the_check_never_raises_and_rejects_what_is_not_a_span(text, start, end, quote):
    ok = quote_matches(text, start, end, quote)
    assert ok == (0 <= start < end <= len(text) and isinstance(quote, str) and text[start:end] == quote)


def test_offsets_that_are_not_integers_never_match():
    assert not quote_matches("abc", 0.0, 2, "ab")
    assert not quote_matches("abc", "0", 2, "ab")


def test_the_shape_number_words_make_durations_and_amounts_and_have_values():
    duration, amount = ANSWER_SHAPES["duration"][1], ANSWER_SHAPES["quantity"][1]
    words = re.findall(r"[a-z]+", NUMBER_WORD_PATTERN.replace("dozens? of", "").replace("a few", ""))
    for word in [*words, "a few", "dozens of"]:
        assert duration.search(f"it lasted {word} days"), word
        assert amount.search(f"they took {word} files"), word
    assert set(words) <= set(NUMBER_WORDS)  # one table: every shape word has the value comparison reads
    assert re.fullmatch(NUMBER_WORD_PATTERN, "dozens of") and re.fullmatch(NUMBER_WORD_PATTERN, "a few")
    assert not duration.search("an office of the company")


@given(st.lists(st.text(alphabet="ab .", min_size=1), min_size=1, max_size=5), st.data())
def test_paragraph_bounds_hold_the_span_and_stop_at_line_breaks(lines, data):
    text = "\n".join(lines)
    start = data.draw(st.integers(0, len(text) - 1))
    end = data.draw(st.integers(start + 1, len(text)))
    lo, hi = paragraph_bounds(text, start, end)
    assert lo <= start and "\n" not in text[lo:start]
    assert "\n" not in text[end:hi] and (hi == len(text) or text[hi] == "\n")


def test_abbreviations_and_initials_do_not_end_sentences_but_words_do():
    assert is_abbreviation("Dr.") and is_abbreviation("J.") and is_abbreviation("u.s.")
    assert not is_abbreviation("months.") and not is_abbreviation("A1.")


def test_locate_finds_words_across_line_breaks_and_case():
    text = "Power was cut for nearly\nthree  days. POWER returned."
    assert locate("for nearly three days", text) == (14, 36)
    assert text[slice(*locate("power returned", text))] == "POWER returned"
    assert locate("for two days", text) is None and locate("", text) is None


def test_answer_keys_read_numbers_as_values():
    assert answer_key("Eighteen months,") == answer_key("18 months") == "18 months"
    assert answer_key("The 3,292 people") == "3292 people"
    assert answer_key("5.5%") == answer_key("5.5 per cent") == "5.5 per cent"  # a decimal point is kept
    assert answer_key("$2.5 million.") == "2.5 million" and answer_key("1.8.1866") == "1 8 1866"
    assert numbers_of("between 3 and five days") == {"3", "5"}
    assert contains_words("uk labour party", "labour party") and not contains_words("18 months", "8 months")
