import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from assistant.backends.scripted import ScriptedBackend
from assistant.question import parse_question
from assistant.reading import (ReadingSettings, answer_schema, p_right, read_articles, shown_text, substring_pattern,
                               verbatim_words)
from assistant.spans import Span
from assistant.types import Evidence

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
    assert list(answer_schema(sentence, 10)["properties"]) == ["answers", "words"]


def test_verbatim_words_reject_paraphrase():
    sentence = "Alibaba has  categorically denied any wrongdoing."
    assert verbatim_words("categorically denied", sentence) == "categorically denied"
    assert verbatim_words("Alibaba denied everything", sentence) == ""


def test_scripted_backend_records_and_runs_out():
    backend = ScriptedBackend([{"answers": "yes", "words": "x"}])
    assert backend.generate([{"role": "user", "content": "q"}], {}) == {"answers": "yes", "words": "x"}
    with pytest.raises(AssertionError, match="no reply queued"):
        backend.generate([], None)


def test_a_runaway_sentence_is_cut_to_the_token_budget():
    from assistant.tokens import count_tokens

    long = " ".join(["figure"] * 2000)
    text = shown_text(Evidence(1, Span("d", 0, 0, 0, len(long), long), 1.0), budget=100)
    assert count_tokens(text) <= 100 and long.startswith(text)


class Reader(ScriptedBackend):
    """P(yes) per sentence and per checked phrase from fixed tables; the words are the whole sentence."""

    def __init__(self, sentence_p: dict[str, float], check_p: dict[str, float] | None = None) -> None:
        super().__init__(default=self._words)
        self.sentence_p, self.check_p = sentence_p, check_p or {}

    def probabilities(self, messages, options, reply_prefix=""):
        user = messages[-1]["content"]
        if "Proposed answer:" in user:
            phrase = user.split("Proposed answer: ", 1)[1]
            p = next((v for k, v in self.check_p.items() if k in phrase), 0.9)
        else:
            sentence = user.split("Sentence: ", 1)[1]
            p = next((v for k, v in self.sentence_p.items() if k in sentence), 0.05)
        return {"yes": p, "no": 1 - p}

    def _words(self, messages, schema):
        return {"answers": "yes", "words": messages[-1]["content"].split("Sentence: ", 1)[1].split(" ")[0]}


def evidence(doc: str, n: int, text: str, score: float = 0.5) -> Evidence:
    return Evidence(n, Span(doc, n, 0, 0, len(text), text), score)


def test_every_article_that_answers_is_heard_however_well_another_matches():
    groups = {"a": [evidence("a", 1, "The leak lasted nine days.", 0.95)],
              "b": [evidence("b", 2, "Gas escaped for four hours.", 0.3)]}
    backend = Reader({"nine days": 0.99, "four hours": 0.6})
    findings = read_articles(backend, parse_question("How long did the leak last?"), groups, ReadingSettings())
    assert [f.doc_id for f in findings if f.answers] == ["a", "b"]


def test_a_phrase_that_fails_the_answer_check_is_no_answer_but_stays_the_nearest_miss():
    groups = {"a": [evidence("a", 1, "Regulators demanded an inquiry.", 0.5)]}
    backend = Reader({"demanded": 0.8}, {"Regulators": 0.1})
    (finding,) = read_articles(backend, parse_question("What fine did regulators impose?"), groups)
    assert not finding.answers and finding.evidence.id == 1 and finding.p_yes == pytest.approx(0.8)


def test_a_count_question_needs_a_number_in_the_sentence():
    groups = {"a": [evidence("a", 1, "Residents were evacuated over several hours.", 0.6)],
              "b": [evidence("b", 2, "About 1,800 residents were evacuated.", 0.6)]}
    backend = Reader({"evacuated": 0.9})
    findings = read_articles(backend, parse_question("How many residents were evacuated?"), groups)
    assert [f.doc_id for f in findings if f.answers] == ["b"] and "1,800" in findings[1].claim


def test_the_answer_rule_rises_with_every_signal_and_turns_away_what_nothing_supports():
    s = ReadingSettings()
    base = p_right(0.5, 0.3, 0.5, False, s)
    assert p_right(0.9, 0.3, 0.5, False, s) > base and p_right(0.5, 0.6, 0.5, False, s) > base
    assert p_right(0.5, 0.3, 0.9, False, s) > base
    backend = Reader({"blamed": 0.9}, {"port": 0.02})
    q = parse_question("What did residents blame?")
    assert not read_articles(backend, q, {"a": [evidence("a", 1, "Residents blamed the port.", 0.2)]})[0].answers
    sure = Reader({"blamed": 0.95}, {"port": 0.95})
    assert read_articles(sure, q, {"a": [evidence("a", 1, "Residents blamed the port.", 0.6)]})[0].answers
