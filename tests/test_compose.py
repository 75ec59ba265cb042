from hypothesis import given
from hypothesis import strategies as st

from assistant.compose import compose
from assistant.grounding import Citations
from assistant.question import parse_question
from assistant.settings import GatherSettings
from assistant.spans import document_spans
from assistant.types import Corpus, Document, Finding, Group, Span

DOCS = {
    "a": "Water board report\nIt lasted eighteen months. Nothing else.",
    "b": "City daily\nIt lasted several months. Other text.",
    "c": "Night blog\nThe breach went on for several months.",
    "d": "Copy of the blog\nThe breach went on for five years.",
}
CORPUS = Corpus("mem", tuple(Document(k, v) for k, v in DOCS.items()))
DOCS_BY_ID = {d.doc_id: d for d in CORPUS}


def finding(doc: str, phrase: str) -> Finding:
    span = document_spans(CORPUS[doc])[1]
    start = CORPUS[doc].text.index(phrase)
    return Finding(doc, 0.9, phrase, start, start + len(phrase), span)


def _compose(question: str, groups):
    return compose(parse_question(question), [(question, groups)], DOCS_BY_ID, Citations(CORPUS), total=len(CORPUS))


def test_disagreement_has_one_position_per_side_each_with_its_own_citations():
    groups = [
        Group([finding("b", "several months"), finding("c", "several months")]),
        Group([finding("a", "eighteen months")], relation="disagrees"),
    ]
    answer = _compose("How long did it last?", groups)
    assert answer.answerable and answer.text.startswith("The sources disagree.")
    assert 'Two of the four articles say "several months" [1][2]' in answer.text
    assert '"Water board report" says "eighteen months" [3]' in answer.text  # named by headline, not file id
    (conflict,) = answer.conflicts
    assert [p.claim for p in conflict.positions] == ["several months", "eighteen months"]
    by_id = {c.id: c for c in answer.citations}
    assert {by_id[i].doc_id for i in conflict.positions[0].citations} == {"b", "c"}
    assert {by_id[i].doc_id for i in conflict.positions[1].citations} == {"a"}


def test_one_group_is_stated_without_a_conflict():
    answer = _compose("How long did it last?", [Group([finding("b", "several months")])])
    assert answer.answerable and answer.conflicts == [] and "disagree" not in answer.text
    assert answer.text == '"City daily" says "several months" [1].'


def test_different_subjects_are_several_answers_not_a_disagreement():
    groups = [Group([finding("b", "several months")]), Group([finding("a", "eighteen months")], relation="distinct")]
    answer = _compose("How long did it last?", groups)
    assert answer.conflicts == [] and "disagree" not in answer.text
    assert "different subject of the same name" in answer.text and '"eighteen months" [2]' in answer.text


def test_a_near_copy_with_a_changed_fact_is_reported_as_disputed_without_repeating_it_as_fact():
    groups = [
        Group([finding("c", "several months")]),
        Group([finding("d", "five years")], relation="disputed", copy_of="c"),
    ]
    answer = _compose("How long did it last?", groups)
    assert 'near-copy of "Night blog"' in answer.text and "disputed" in answer.text
    assert "five years" not in answer.text  # the changed fact is cited and kept in the conflict, not asserted
    (conflict,) = answer.conflicts
    assert [p.claim for p in conflict.positions] == ["several months", "five years"]


def test_statements_complement_each_other():
    groups = [Group([finding("b", "several months")]), Group([finding("c", "several months")], relation="complements")]
    answer = _compose("What did they say?", groups)
    assert answer.conflicts == [] and answer.text.count("says") == 2


def test_each_part_of_a_two_part_question_is_answered():
    q = parse_question("How long did it last and who said so?")
    answer = compose(
        q,
        [(q.parts[0], [Group([finding("a", "eighteen months")])]), (q.parts[1], [])],
        DOCS_BY_ID,
        Citations(CORPUS),
        total=4,
    )
    assert 'On "How long did it last": "Water board report" says "eighteen months" [1].' in answer.text
    assert 'On "Who said so": the articles do not say.' in answer.text


def test_no_groups_is_a_plain_refusal():
    answer = _compose("When did it start?", [])
    assert not answer.answerable and answer.citations == [] and answer.conflicts == []
    assert answer.text == "The articles do not say. None of them answers this question."


def test_quoted_answers_keep_their_words_for_readers_that_strip_punctuation():
    """Graders (RAMDocs's among them) drop ASCII punctuation and look for the answer between spaces:
    quotes that cling to the words (curly ones are not ASCII punctuation) would hide every answer."""
    import string

    answer = _compose("How long did it last?", [Group([finding("b", "several months")])])
    bare = "".join(" " if ch in string.punctuation else ch for ch in answer.text.lower())
    assert " several months " in " ".join(bare.split()).join("  ")


# --- At scale: counts out of the matching articles, a few citations per position ------------------------

MANY = {f"x{i}": f"Wire copy {i}\nThe breach went on for eighteen months, filing {i}." for i in range(5)} | {
    f"y{i}": f"Local report {i}\nIt lasted several months, report {i} says." for i in range(2)
}
BIG = Corpus("mem", tuple(Document(k, v) for k, v in MANY.items()))


def read(doc: str, phrase: str, p: float) -> Finding:
    text = BIG[doc].text
    span = document_spans(BIG[doc])[1]
    start = text.index(phrase)
    return Finding(doc, p, phrase, start, start + len(phrase), span)


def _at_scale(groups, matching=40, settings=None):
    docs = {d.doc_id: d for d in BIG}
    q = parse_question("How long did it last?")
    return compose(q, [(q.text, groups)], docs, Citations(BIG), len(BIG), matching, settings)


def test_positions_at_scale_say_their_counts_and_cite_a_few_read_articles_most_confident_first():
    x = Group([read(f"x{i}", "eighteen months", p) for i, p in enumerate([0.5, 0.9, 0.7, 0.95, 0.6])])
    x.also = [f"unread{i}" for i in range(6)]
    y = Group([read("y0", "several months", 0.8), read("y1", "several months", 0.9)], relation="disagrees")
    answer = _at_scale([x, y])
    assert answer.text == (
        'The sources disagree. 11 of the 40 matching articles say "eighteen months" [1][2][3]; '
        'two say "several months" [4][5].'
    )
    cited = {c.id: c.doc_id for c in answer.citations}
    assert [cited[i] for i in range(1, 6)] == ["x3", "x1", "x2", "y1", "y0"]  # best P("yes") first, 3 at most
    (conflict,) = answer.conflicts
    assert [p.count for p in conflict.positions] == [11, 2]
    assert conflict.positions[0].doc_ids == ("x0", "x1", "x2", "x3", "x4", *x.also)
    assert conflict.to_dict()["positions"][1] == {
        "claim": "several months",
        "citations": [4, 5],
        "count": 2,
        "doc_ids": ["y0", "y1"],
    }


def test_one_position_at_scale_says_how_many_of_the_matching_articles_hold_it():
    x = Group([read("x0", "eighteen months", 0.9), read("x1", "eighteen months", 0.8)])
    x.also = [f"unread{i}" for i in range(10)]
    answer = _at_scale([x])
    assert answer.text == '12 of the 40 matching articles say "eighteen months" [1][2].' and not answer.conflicts


def test_the_number_of_citations_per_position_is_a_setting():
    x = Group([read(f"x{i}", "eighteen months", 0.9 - i / 10) for i in range(5)])
    answer = _at_scale([x], matching=5, settings=GatherSettings(citations_per_position=1))
    assert answer.text == 'All five matching articles say "eighteen months" [1].'
    assert [c.doc_id for c in answer.citations] == ["x0"]


def test_a_citation_that_does_not_verify_gives_way_to_the_next_article():
    broken = Finding("x0", 0.99, "eighteen", 0, 8, Span("x0", 1, 1, 0, 8, "not text"))
    x = Group([broken, *(read(f"x{i}", "eighteen months", 0.5) for i in range(1, 5))])
    answer = _at_scale([x])
    assert [c.doc_id for c in answer.citations] == ["x1", "x2", "x3"]


@given(
    st.lists(st.floats(0.3, 1.0), min_size=1, max_size=5),
    st.lists(st.floats(0.3, 1.0), min_size=1, max_size=2),
    st.integers(0, 30),
    st.integers(1, 4),
)
def test_citations_are_read_articles_at_most_the_setting_per_position(px, py, unread, per):
    x = Group([read(f"x{i}", "eighteen months", p) for i, p in enumerate(px)])
    x.also = [f"u{i}" for i in range(unread)]
    y = Group([read(f"y{i}", "several months", p) for i, p in enumerate(py)], relation="disagrees")
    answer = _at_scale([x, y], matching=len(px) + len(py) + unread, settings=GatherSettings(citations_per_position=per))
    cited = {c.id: c.doc_id for c in answer.citations}
    # what each side must say, from the inputs alone: every article read or counted unread, and as citations
    # the `per` most confident read ones (ties in input order), best first
    expected = [
        ([f"x{i}" for i in range(len(px))] + [f"u{i}" for i in range(unread)], "x", px),
        ([f"y{i}" for i in range(len(py))], "y", py),
    ]
    (conflict,) = answer.conflicts
    assert len(conflict.positions) == 2
    for position, (doc_ids, side, ps) in zip(conflict.positions, expected):
        best = sorted(range(len(ps)), key=lambda i: -ps[i])[:per]
        assert [cited[i] for i in position.citations] == [f"{side}{i}" for i in best]
        assert list(position.doc_ids) == doc_ids and position.count == len(doc_ids)


def test_an_answer_given_only_in_words_addressed_to_the_reader_is_named_never_quoted():
    groups = [Group([finding("c", "several months")]), Group([finding("d", "five years")], relation="addressed")]
    answer = _compose("How long did it last?", groups)
    assert "five years" not in answer.text and answer.conflicts == [] and "disagree" not in answer.text
    assert answer.text.startswith('"Night blog" says "several months" [1].')
    assert '("Copy of the blog" gives another answer only in words addressed to its reader' in answer.text
    assert {c.doc_id for c in answer.citations} == {"c"}
