from assistant.compose import compose, not_answered
from assistant.grounding import Citations
from assistant.question import parse_question
from assistant.spans import document_spans
from assistant.types import Corpus, Document, Evidence, Finding, Group

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
    return Finding(doc, 0.9, phrase, start, start + len(phrase), Evidence(0, span, 0.9))


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
    assert not answer.answerable and answer.citations == [] and answer.text == not_answered(parse_question("x")).text


def test_quoted_answers_keep_their_words_for_readers_that_strip_punctuation():
    """Graders (RAMDocs's among them) drop ASCII punctuation and look for the answer between spaces:
    quotes that cling to the words (curly ones are not ASCII punctuation) would hide every answer."""
    import string

    answer = _compose("How long did it last?", [Group([finding("b", "several months")])])
    bare = "".join(" " if ch in string.punctuation else ch for ch in answer.text.lower())
    assert " several months " in " ".join(bare.split()).join("  ")
