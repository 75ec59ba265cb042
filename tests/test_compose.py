from assistant.compose import compose, not_answered, premise_contradicted
from assistant.grounding import Citations
from assistant.question import parse_question
from assistant.spans import document_spans
from assistant.types import Corpus, Document, Evidence, Finding, Group

DOCS = {
    "a": "It lasted eighteen months. Nothing else.",
    "b": "It lasted several months. Other text.",
    "c": "The breach went on for several months.",
}
CORPUS = Corpus("mem", tuple(Document(k, v) for k, v in DOCS.items()))


def finding(doc: str, phrase: str, n: int) -> Finding:
    return Finding(doc, Evidence(n, document_spans(CORPUS[doc])[0], 0.5), phrase)


def test_disagreement_has_one_position_per_side_each_with_its_own_citations():
    q = parse_question("How long did it last?")
    groups = [
        Group([finding("b", "several months", 2), finding("c", "for several months", 3)]),
        Group([finding("a", "eighteen months", 1)]),
    ]
    answer = compose(q, groups, Citations(CORPUS))
    assert answer.answerable and "disagree" in answer.text
    (conflict,) = answer.conflicts
    assert [p.claim for p in conflict.positions] == ["several months", "eighteen months"]
    by_id = {c.id: c for c in answer.citations}
    assert {by_id[i].doc_id for i in conflict.positions[0].citations} == {"b", "c"}
    assert {by_id[i].doc_id for i in conflict.positions[1].citations} == {"a"}
    for c in answer.citations:
        assert f"[{c.id}]" in answer.text and DOCS[c.doc_id][c.start : c.end] == c.quote


def test_agreement_is_one_statement_citing_every_holder():
    q = parse_question("How long did it last?")
    answer = compose(
        q, [Group([finding("b", "several months", 1), finding("c", "several months", 2)])], Citations(CORPUS)
    )
    assert answer.conflicts == [] and "agree" in answer.text and "[1][2]" in answer.text


def test_no_findings_means_the_articles_do_not_say():
    answer = compose(parse_question("When did it start?"), [], Citations(CORPUS))
    assert not answer.answerable and answer.citations == [] and "do not say" in answer.text
    assert not_answered(parse_question("Who?"), "why").text.endswith("(why).")


def test_false_premise_is_corrected():
    q = parse_question("Why did Northwind admit the hack?")
    group = Group([finding("a", "Northwind denied the claims", 1)])
    assert premise_contradicted(q, [group])
    answer = compose(q, [group], Citations(CORPUS))
    assert answer.text.startswith("The articles do not support the premise")
    assert "admitted" not in answer.text


def test_statement_questions_list_quotes_without_a_conflict():
    q = parse_question("What did the CEO say?")
    groups = [Group([finding("a", "eighteen months", 1)]), Group([finding("b", "several months", 2)])]
    answer = compose(q, groups, Citations(CORPUS), complementary=True)
    assert answer.conflicts == [] and answer.text.count("says") == 2
