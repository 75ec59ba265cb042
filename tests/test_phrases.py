from assistant.phrases import answer_phrase, clause_around
from assistant.question import parse_question


def test_agent_answer_stops_at_the_actors_name():
    sentence = "The report accused Alibaba of orchestrating the theft of customer records."
    question = parse_question("Who was accused of the theft?")
    assert answer_phrase("Alibaba of orchestrating the theft", sentence, question) == "Alibaba"


def test_titles_and_initials_do_not_cut_a_name_short():
    sentence = "Dr. J. Smith of the institute said the attack came from abroad."
    question = parse_question("Who said the attack came from abroad?")
    assert answer_phrase("Dr. J. Smith of the institute", sentence, question) == "Dr. J. Smith"


def test_duration_answer_is_the_duration_with_its_lead_in():
    sentence = "The intruders stayed inside the network over a period of eighteen months, the firm said."
    question = parse_question("How long did the intrusion last?")
    phrase = answer_phrase("eighteen months", sentence, question)
    assert "eighteen months" in phrase and phrase in sentence


def test_phrase_is_always_taken_from_the_sentence():
    sentence = "Officials denied any involvement, calling the claims baseless."
    question = parse_question("How did officials respond?")
    phrase = answer_phrase("words the model invented", sentence, question)
    assert phrase in sentence


def test_clause_around_keeps_the_clause_of_the_match():
    sentence = "According to the filing, the attackers used stolen credentials; nobody noticed for weeks."
    start = sentence.index("stolen")
    clause = clause_around(sentence, start, start + len("stolen credentials"))
    assert "stolen credentials" in clause and "nobody noticed" not in clause
