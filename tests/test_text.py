"""Shared text utilities: the one verbatim-quote check, spelled-out numbers as the answer shapes and the
comparison read them, paragraph bounds and abbreviations."""

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from assistant.text import (
    SENTENCE_SHAPES,
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


# An English speller for the tests only: an oracle for numbers the code must read without a table of its own.
_UNITS = (
    "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen "
    "seventeen eighteen nineteen"
).split()
_TENS = "twenty thirty forty fifty sixty seventy eighty ninety".split()


def _spelled(n: int) -> str:
    if n < 20:
        return _UNITS[n]
    if n < 100:
        return _TENS[n // 10 - 2] + (f"-{_UNITS[n % 10]}" if n % 10 else "")
    if n < 1000:
        return f"{_UNITS[n // 100]} hundred" + (f" and {_spelled(n % 100)}" if n % 100 else "")
    return f"{_spelled(n // 1000)} thousand" + (f" {_spelled(n % 1000)}" if n % 1000 else "")


DURATION, AMOUNT = SENTENCE_SHAPES["duration"], SENTENCE_SHAPES["quantity"]
VAGUE = ["several", "a few", "many", "dozens of", "thousands of", "tens of thousands of", "hundreds of millions of"]


@given(st.integers(1, 999_999))
@example(14)  # "fourteen days" is "14 days"
@example(200)  # "two hundred" is "200"
def test_any_spelled_out_number_is_read_as_its_digits(n):
    words = _spelled(n)
    assert answer_key(f"{words.capitalize()} days,") == answer_key(f"{n:,} days") == f"{n} days"
    assert numbers_of(f"about {words} files") == {str(n)}
    assert DURATION.search(f"it lasted {words} days") and DURATION.search(f"a {words}-day strike")
    assert AMOUNT.search(f"they took {words} files")


@given(st.integers(1, 999_999), st.integers(1, 999_999))
@example(18, 14)
@example(212, 212)
def test_numbers_differ_exactly_when_values_do(a, b):
    numbers = numbers_of(f"{_spelled(a)} days")
    assert numbers == numbers_of(f"{a:,} days")
    assert (numbers == numbers_of(f"{_spelled(b)} days")) == (a == b)


@pytest.mark.parametrize("vague", VAGUE)
def test_a_vague_quantity_is_never_a_number(vague):
    assert numbers_of(f"{vague} months") == frozenset()
    assert answer_key(f"{vague} months") not in (answer_key("18 months"), answer_key("1000 months"))


@pytest.mark.parametrize("vague", ["several", "a few", "many", "dozens of"])
def test_a_vague_quantity_still_gives_a_sentence_the_shape_of_a_duration_or_an_amount(vague):
    assert DURATION.search(f"it lasted {vague} months") and AMOUNT.search(f"they took {vague} files")


def test_a_scale_word_multiplies_the_number_before_it():
    assert answer_key("five million") == answer_key("5 million") == answer_key("5,000,000") == "5000000"
    assert answer_key("$2.5 million.") == answer_key("two point five million") == "2500000"
    assert answer_key("a hundred people") == answer_key("one hundred people") == "100 people"
    assert numbers_of("in 2020 one hundred people") == {"2020", "100"}  # a year is no multiplier


def test_ordinals_a_lone_zero_and_other_words_stay_words():
    assert answer_key("the first time") == "first time" and not numbers_of("the twenty-first century")
    assert DURATION.search("it took one second") and numbers_of("one second") == {"1"}
    assert not DURATION.search("a zero-day flaw") and not numbers_of("net zero")
    assert answer_key("nine o’clock") == answer_key("9 o'clock") == "9 o clock"
    assert not DURATION.search("an office of the company") and not AMOUNT.search("someone said so")


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
    assert answer_key("$2.5 million.") == "2500000" and answer_key("1.8.1866") == "1 8 1866"
    assert numbers_of("between 3 and five days") == {"3", "5"}
    assert numbers_of("twenty, three") == {"20", "3"} and numbers_of("twenty three") == {"23"}
    assert contains_words("uk labour party", "labour party") and not contains_words("18 months", "8 months")
