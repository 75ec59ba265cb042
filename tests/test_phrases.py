from hypothesis import given, settings
from hypothesis import strategies as st

from assistant.phrases import answer_phrase, quotation_around

BREACH = ("The breach, believed to have occurred over several months, involved the exploitation of zero-day "
          "vulnerabilities in third-party data management systems.")
CENTRE = ("The UK’s National Cyber Security Centre (NCSC) has been placed on standby, marking the incident as a "
          "potential watershed moment for digital sovereignty.")
FIRM = ("The Chinese firm, identified as a subsidiary of Beijing AI giant SenseTime, has denied the allegations, "
        'calling them "baseless and smacking of McCarthyist paranoia" in a statement released via state media.')


def test_a_modifier_grows_to_the_phrase_it_modifies():
    assert answer_phrase("over several", BREACH) == "over several months"
    assert answer_phrase("a subsidiary of Beijing AI", FIRM) == "a subsidiary of Beijing AI giant SenseTime"


def test_a_possessive_grows_to_what_it_owns():
    assert answer_phrase("The UK", CENTRE) == "The UK’s National Cyber Security Centre (NCSC)"


def test_a_name_or_value_is_never_cut():
    sentence = "Hackers stayed inside the network over a period of eighteen months, officials said."
    assert "eighteen months" in answer_phrase("eighteen", sentence)


def test_quoted_words_give_the_whole_quotation():
    assert answer_phrase("baseless and smacking", FIRM) == "baseless and smacking of McCarthyist paranoia"
    said = "Mayor Lena Ortiz said: “We will rebuild every home that was lost.”"
    assert answer_phrase("We will rebuild", said) == "We will rebuild every home that was lost"
    assert quotation_around(said, said.index("rebuild"), said.index("rebuild") + 7) is not None
    assert quotation_around(BREACH, 10, 20) is None


def test_a_clause_cut_out_of_a_sentence_drops_its_conjunction():
    sentence = ("The accusation paints a picture of an espionage operation, though Alibaba has categorically "
                "denied any wrongdoing, calling the claims baseless and defamatory.")
    phrase = answer_phrase("Alibaba has categorically denied", sentence)
    assert phrase.startswith("Alibaba has categorically denied any wrongdoing")


def test_words_the_sentence_does_not_have_give_the_whole_sentence():
    assert answer_phrase("words the model invented", BREACH) == BREACH


def test_a_phrase_covering_most_of_the_sentence_is_the_whole_sentence():
    sentence = "GCHQ issued an alert."
    assert answer_phrase("GCHQ issued an alert", sentence) == sentence


WORDS = st.sampled_from("the firm said that Alibaba “denied” it over several months, (NCSC) £200m and 18 "
                        "days of e-commerce giant’s data".split())


@settings(max_examples=120, deadline=None)
@given(st.lists(WORDS, min_size=3, max_size=30), st.integers(0, 29), st.integers(1, 8), st.text(max_size=20))
def test_the_phrase_is_always_a_run_of_the_sentence(words, start, length, junk):
    sentence = " ".join(words)
    picked = " ".join(words[start % len(words) : start % len(words) + length])
    for candidate in (picked, junk):
        phrase = answer_phrase(candidate, sentence)
        assert phrase and phrase in sentence


def test_the_parse_says_who_did_what_to_whom():
    from assistant.phrases import role_argument

    active = ("Anthropic, the San Francisco based AI safety company, has publicly accused Chinese e-commerce "
              "and cloud computing giant Alibaba of orchestrating a sophisticated cyber heist.")
    at = role_argument(active, "accuse", "patient")
    assert active[slice(*at)] == "Chinese e-commerce and cloud computing giant Alibaba"
    assert active[slice(*role_argument(active, "accuse", "agent"))].startswith("Anthropic")
    passive = "Alibaba was accused by the watchdog of stealing the models."
    assert passive[slice(*role_argument(passive, "accuse", "patient"))] == "Alibaba"
    assert passive[slice(*role_argument(passive, "accuse", "agent"))] == "the watchdog"
    assert role_argument(passive, "deny", "agent") is None


def test_a_subject_alone_grows_to_its_clause_for_a_how_question():
    from assistant.phrases import clause_of_argument

    sentence = "The UK watchdog has demanded an immediate investigation, officials said."
    at = clause_of_argument(sentence, (0, len("The UK watchdog")))
    assert sentence[slice(*at)].startswith("The UK watchdog has demanded an immediate investigation")
    inside = sentence.index("investigation")
    assert clause_of_argument(sentence, (inside, inside + 13)) == (inside, inside + 13)
