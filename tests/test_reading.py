import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from assistant.backends.scripted import ScriptedBackend
from assistant.reading import answer_schema, substring_pattern, verbatim_phrase
from assistant.text import clean_phrase

WORD = st.text(alphabet=st.sampled_from(list("abcXYZ£1’“”,.()'")), min_size=1, max_size=6)


def _runs(words, max_words):
    return {" ".join(words[i:j]) for i in range(len(words)) for j in range(i + 1, min(len(words), i + max_words) + 1)}


@settings(max_examples=150, deadline=None)
@given(st.lists(WORD, min_size=1, max_size=8), st.integers(1, 8))
def test_pattern_accepts_every_run_of_words(words, max_words):
    pattern = re.compile(substring_pattern(" ".join(words), max_words))
    for run in _runs(words, max_words):
        assert pattern.fullmatch(run), run


@settings(max_examples=150, deadline=None)
@given(st.lists(WORD, min_size=1, max_size=8), st.text(max_size=12))
def test_pattern_accepts_only_words_of_the_sentence(words, candidate):
    sentence = " ".join(words)
    if re.fullmatch(substring_pattern(sentence, 8), candidate):
        assert candidate in sentence  # never a word the sentence does not have
        assert not candidate.startswith(" ") and not candidate.endswith(" ")


def test_edge_punctuation_is_optional():
    pattern = re.compile(substring_pattern("leaked to The Guardian, suggest", 10))
    assert pattern.fullmatch("The Guardian") and pattern.fullmatch("The Guardian,")
    assert not pattern.fullmatch("Guardian suggest")


def test_json_specials_are_escaped_for_the_grammar():
    sentence = 'He said "no" \\ twice'
    pattern = substring_pattern(sentence, 10)
    assert '[\\\\]"' in pattern and "[\\\\][\\\\]" in pattern
    schema = answer_schema(sentence, 10)
    assert list(schema["properties"]) == ["answers", "words"]


def test_verbatim_phrase_rejects_paraphrase():
    sentence = "Alibaba has  categorically denied any wrongdoing."
    assert verbatim_phrase("categorically denied", sentence) == "categorically denied"
    assert verbatim_phrase("Alibaba denied everything", sentence) == ""
    assert clean_phrase(" “baseless”, ") == "baseless"


def test_scripted_backend_records_and_runs_out():
    backend = ScriptedBackend([{"answers": "yes", "words": "x"}])
    assert backend.generate([{"role": "user", "content": "q"}], {}) == {"answers": "yes", "words": "x"}
    assert backend.requests[0]["messages"][0]["content"] == "q"
    with pytest.raises(AssertionError, match="no reply queued"):
        backend.generate([], None)


def test_a_runaway_sentence_is_cut_to_the_token_budget():
    from assistant.reading import shown_text
    from assistant.tokens import count_tokens
    from assistant.types import Evidence, Span

    long = " ".join(["figure"] * 2000)
    text = shown_text(Evidence(1, Span("d", 0, 0, 0, len(long), long), 1.0), budget=100)
    assert count_tokens(text) <= 100 and long.startswith(text)
