"""The notes compose.py writes around an answer from the facts answering passes (compose.Coverage)."""

from assistant.compose import Coverage, noted
from assistant.types import OPINION, REPORTED, Answer, Citation


def _answer(*stances: str, answerable: bool = True) -> Answer:
    citations = [Citation(k, "a", 0, 4, "Text", s) for k, s in enumerate(stances, 1)]
    return Answer("Q?", "It says so [1].", answerable, citations)


def test_every_note_in_its_place_and_words():
    coverage = Coverage(total=30, matching=16, unread=12, scope_unmatched=True, screened=("Wire story", "Article 3"))
    assert noted(_answer(OPINION, OPINION), coverage).text == (
        "No article could be matched to the source the question names, so every article was read. "
        "It says so [1]. (Every passage this answer rests on is the writer's opinion, not reported fact.)"
        " (4 of the 16 matching articles were read; each of the others counts for the answer its own text states,"
        " and for none when it states two.)"
        ' (Instructions addressed to AI systems in "Wire story", "Article 3" were not followed or quoted.)'
    )


def test_no_note_without_its_fact():
    assert noted(_answer(OPINION, REPORTED), Coverage(total=3, matching=3)).text == "It says so [1]."
    assert noted(_answer(), Coverage(total=3)).text == "It says so [1]."  # no citation is no opinion-only answer


def test_a_refusal_never_counts_the_articles_read():
    refusal = noted(_answer(answerable=False), Coverage(total=30, matching=16, unread=12))
    assert refusal.text == "It says so [1]." and not refusal.answerable


def test_counts_are_out_of_the_matching_articles_only_when_some_went_unread():
    assert Coverage(total=30, matching=16, unread=12).out_of == 16 and Coverage(total=30, matching=16).out_of == 0
