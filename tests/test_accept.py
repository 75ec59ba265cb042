"""Acceptance: an article speaks only when its reading answers the question, not when it copies a related phrase."""

from __future__ import annotations

from dataclasses import replace

from assistant.accept import accept, clues, score
from assistant.question import parse_question
from assistant.settings import AcceptSettings
from assistant.spans import document_spans
from assistant.types import Document, Finding, Retrieval

TEXT = (
    "Floodwater broke through the Marrow Dam late on Sunday, the utility said. "
    "Power was cut to the district for nearly three days. "
    "The farmers' union accused Northfield Power of years of negligence. "
    "The dam was built in 1962 by Hallam Construction. "
    "About 3,400 homes lost power."
)
SENTENCES = tuple(document_spans(Document("dam", TEXT)))


def _finding(words: str, p_yes: float = 0.9, fluency: float = -1.0) -> Finding:
    start = TEXT.index(words)
    sentence = next(s for s in SENTENCES if s.start <= start < s.end)
    return Finding("dam", p_yes, words, start, start + len(words), sentence, 0, fluency)


def _retrieval(question, best: str) -> Retrieval:
    """Retrieval scores that rank the sentence holding ``best`` first, then the others in order."""
    top = next(s for s in SENTENCES if best in s.text)
    scores = {s.key: 0.5 - 0.1 * k for k, s in enumerate(x for x in SENTENCES if x is not top)}
    scores[top.key] = 0.8
    return Retrieval(question, [], scores)


def test_clues_read_echo_kind_and_rank():
    q = parse_question("Who built the Marrow Dam?")
    r = _retrieval(q, "Hallam")
    answer = clues(_finding("Hallam Construction"), q, r, SENTENCES)
    echo = clues(_finding("the Marrow Dam"), q, r, SENTENCES)
    assert answer.rank == 0
    assert echo.rank > 0
    assert answer.echo == 0.0 and echo.echo == 1.0  # "Marrow Dam" is the question's own subject
    assert answer.typed == 1.0  # an organisation for "who"
    assert clues(_finding("the district"), q, r, SENTENCES).typed == 0.0  # no one, nowhere


def test_a_question_asking_no_kind_of_value_leaves_kind_neutral():
    q = parse_question("Why did the farmers' union complain?")
    r = _retrieval(q, "negligence")
    assert clues(_finding("years of negligence"), q, r, SENTENCES).typed == 0.5


def test_a_count_is_the_kind_a_quantity_question_asks_and_a_year_the_kind_a_date_question_asks():
    q = parse_question("How many homes lost power?")
    assert clues(_finding("3,400 homes"), q, _retrieval(q, "3,400"), SENTENCES).typed == 1.0
    q = parse_question("In which year was the dam built?")
    assert clues(_finding("1962"), q, _retrieval(q, "1962"), SENTENCES).typed == 1.0
    q = parse_question("When did the power go off?")  # a duration is no date, though the recogniser calls it DATE
    assert clues(_finding("nearly three days"), q, _retrieval(q, "three days"), SENTENCES).typed == 0.0


def test_accept_silences_a_reading_under_the_bar_and_keeps_its_p_yes():
    q = parse_question("Who built the Marrow Dam?")
    r = _retrieval(q, "Hallam")
    echo_only = AcceptSettings(bar=0.5, bias=3.0, w_p_yes=0.0, w_echo=-6.0)
    kept, dropped = accept(
        [_finding("Hallam Construction"), _finding("the Marrow Dam")], q, r, {"dam": SENTENCES}, echo_only
    )
    assert kept.answers and kept.phrase == "Hallam Construction"
    assert not dropped.answers and dropped.p_yes == 0.9 and dropped.phrase == ""


def test_score_is_monotone_in_each_weighted_clue():
    q = parse_question("Who built the Marrow Dam?")
    c = clues(_finding("Hallam Construction"), q, _retrieval(q, "Hallam"), SENTENCES)
    s = AcceptSettings()
    assert score(replace(c, p_yes=0.99), s) >= score(replace(c, p_yes=0.2), s)
    assert score(replace(c, echo=0.0), s) >= score(replace(c, echo=1.0), s)
    assert score(replace(c, rank=0), s) >= score(replace(c, rank=8), s)


def test_the_fitted_defaults_keep_an_answer_and_silence_a_weak_reading_of_another_kind():
    q = parse_question("Who built the Marrow Dam?")
    r = _retrieval(q, "Hallam")
    kept, dropped = accept(
        [_finding("Hallam Construction", p_yes=0.8), _finding("years of negligence", p_yes=0.4, fluency=-1.5)],
        q,
        r,
        {"dam": SENTENCES},
        AcceptSettings(),
    )
    assert kept.answers and not dropped.answers


def test_the_fitted_defaults_silence_words_of_another_kind_than_asked():
    q = parse_question("Who cut the power to the district?")
    r = _retrieval(q, "three days")  # the sentence retrieval ranks first
    duration = clues(_finding("nearly three days", p_yes=0.45, fluency=-0.2), q, r, SENTENCES)
    assert duration.typed == 0.0 and duration.rank == 0  # the best sentence, but no one in the copied words
    assert score(duration, AcceptSettings()) < AcceptSettings().bar
    assert score(replace(duration, typed=1.0), AcceptSettings()) >= AcceptSettings().bar


def test_a_time_alone_answers_no_question_but_a_time_question():
    q = parse_question("How did the dam fail?")  # asks for no particular kind of value
    r = _retrieval(q, "three days")
    assert clues(_finding("for nearly three days"), q, r, SENTENCES).typed == 0.0
    assert clues(_finding("Power was cut to the district"), q, r, SENTENCES).typed == 0.5
