import pytest

from assistant.errors import BadQuestion
from assistant.question import parse_question


@pytest.mark.parametrize(
    "text,kind",
    [
        ("How long did the intrusion last?", "duration"),
        ("For how long were the servers compromised?", "duration"),
        ("On what exact date did the breach begin?", "date"),
        ("When was the alert issued?", "date"),
        ("How much was the research programme worth?", "quantity"),
        ("What is the unit number of the hacking group?", "quantity"),
        ("Who is accused of stealing the technology?", "agent"),
        ("Which newspaper received the briefing?", "agent"),
        ("Where was the complaint filed?", "location"),
        ("Why did the company deny it?", "reason"),
        ("How was the breach detected?", "manner"),
        ("What was stolen?", None),
    ],
)
def test_answer_types(text, kind):
    assert parse_question(text).answer_type == kind


@pytest.mark.parametrize(
    "text,scope",
    [
        ("According to the watchdog's report, who was behind it?", ("watchdog",)),
        ("What did Dario Amodei say?", ()),  # a person asked about is never a source restriction
        ("Who is Eleanor Marsh and what did she warn about?", ()),
        ("In Julian Vane's piece, who is blamed?", ("julian", "vane")),
        ("According to GCHQ, what could the models be used for?", ("gchq",)),
        ("According to the articles, who did it?", ()),
        ("Who did it?", ()),
    ],
)
def test_source_scope(text, scope):
    assert parse_question(text).scope_terms == scope


def test_question_words_are_not_search_terms():
    assert parse_question("What exactly did they say?").terms == ()
    assert "intrus" in parse_question("How long did the intrusion last?").terms


@pytest.mark.parametrize(
    "bad,message",
    [
        ("", "empty"),
        ("   \n ", "empty"),
        ("?!", "no words"),
        ("x" * 5000, "limit"),
        (None, "text"),
    ],
)
def test_bad_questions_are_one_line_errors(bad, message):
    with pytest.raises(BadQuestion, match=message) as err:
        parse_question(bad)
    assert "\n" not in str(err.value)


def test_a_two_part_question_is_split_into_its_parts():
    assert parse_question("Who is Eleanor Marsh and what did she warn about?").parts == (
        "Who is Eleanor Marsh?",
        "What did she warn about?",
    )
    assert parse_question("Who accused Alibaba and SenseTime?").parts == ("Who accused Alibaba and SenseTime?",)
