import pytest

from assistant import language
from assistant.errors import BadQuestion
from assistant.question import parse_question, question_parts


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
        # Invented questions about invented stories: the type comes from the parse, not from a list of phrasings.
        ("What year did the flour mill close?", "date"),  # a time unit asked about
        ("When was the lighthouse built?", "date"),
        ("For how many weeks was the coast road shut?", "duration"),  # how many + a time unit
        ("Over what period were the ledgers falsified?", "duration"),
        ("How big was the fine the orchard paid?", "quantity"),  # how + a degree
        ("How many growers lost their crops?", "quantity"),
        ("What did the roof repairs cost?", "quantity"),  # the predicate stranded at the end
        ("What was the stolen painting worth?", "quantity"),
        ("What is the name of the new ferry operator?", "agent"),
        ("Which builder won the bridge contract?", "agent"),  # the subject of a deed names a doer
        ("Which councillor was arrested?", None),  # a singular noun with no deed: no type claimed
        ("In which town did the flooding start?", "location"),
        ("How exactly did the burglars get in?", "manner"),  # "exactly" is no degree
        ("so who actually signed the permit?", "agent"),  # not only at the start
        ("The mill has closed. Why did Rosa Delgado resign?", "reason"),
        ("What language did the mayor use when announcing the cuts?", None),  # "when" relates, it does not ask
        ("When the alarm sounded, who called the fire brigade?", "agent"),
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
        "What did Eleanor Marsh warn about?",
    )
    assert parse_question("Who accused Alibaba and SenseTime?").parts == ("Who accused Alibaba and SenseTime?",)
    # one question about two people is not two questions
    assert question_parts("Which mayor and which councillor resigned?") == (
        "Which mayor and which councillor resigned?",
    )


@pytest.mark.parametrize(
    "text,parts",
    [
        # a pronoun in a later part is replaced by the name it stands for: subject, possessive, object
        ("Who is Rosa Delgado and what did she promise?", ("Who is Rosa Delgado?", "What did Rosa Delgado promise?")),
        (
            "Who is Rosa Delgado and what did her office announce?",
            ("Who is Rosa Delgado?", "What did Rosa Delgado's office announce?"),
        ),
        ("Why did Tomas Ruiz resign and who replaced him?", ("Why did Tomas Ruiz resign?", "Who replaced Tomas Ruiz?")),
        (
            "When did the flooding begin, and where did it start?",
            ("When did the flooding begin?", "Where did the flooding start?"),
        ),
        # "they" founded it: the answer to the first part, not a name in it; "it" is Brightwater
        (
            "Who founded Brightwater and when did they sell it?",
            ("Who founded Brightwater?", "When did they sell Brightwater?"),
        ),
    ],
)
def test_a_later_part_keeps_the_subject_a_pronoun_stands_for(text, parts):
    assert question_parts(text) == parts


@pytest.mark.parametrize(
    "text",
    [
        "Which bakeries were closed by the inspectors?",  # a plural noun asked about
        "What repairs did the ferry operator promise?",
        "Which mayor and which councillor resigned over the scandal?",  # coordinated
        "Who are the suspects in the orchard fires?",
        "What did Tomas Ruiz tell the growers?",  # open content: what a named agent said or did
        "What did the water board tell farmers?",
        "What did the curator do after the burglary?",
        "what has ruiz said about the harvest?",
        "Who is Rosa Delgado and what did she promise?",  # one part asks several things
    ],
)
def test_questions_asking_for_several_things(text):
    assert parse_question(text).several


@pytest.mark.parametrize(
    "text",
    [
        "Who is accused of poisoning the river?",
        "How long did the blackout last?",
        "What was stolen from the museum?",
        "When did the bridge reopen?",
        "How many fishermen lost their boats?",
        "Which company built the dam?",
        "Whose boats were damaged?",  # one owner
        "What is the population of Ferndale?",
        "What did the roof repairs cost?",  # an amount, however it is asked
        "What did the mayor compare the flood to?",  # an oblique of a verb with its own object
        "What does it mean?",
        "What caused the fire?",
    ],
)
def test_questions_asking_for_one_value(text):
    assert not parse_question(text).several


def test_a_question_is_parsed_once(monkeypatch):
    calls = []
    pipeline = language.nlp()

    def counting(text):
        calls.append(text)
        return pipeline(text)

    monkeypatch.setattr(language, "nlp", lambda: counting)
    parse_question("Who is Lena Voss and what did she sign at the quayside?")
    assert len(calls) == 1
