from assistant.compare import group_findings, idf_from_counts, same_answer, signature
from assistant.question import parse_question
from assistant.types import Evidence, Finding, Span

IDF = idf_from_counts({"month": 40, "sever": 30, "deni": 5, "alleg": 20, "weight": 2, "data": 60, "train": 10}, 100)


def finding(doc: str, sentence: str, phrase: str, n: int = 1) -> Finding:
    return Finding(doc, Evidence(n, Span(doc, 0, 0, 0, len(sentence), sentence), 0.5), phrase)


def sig(question: str, sentence: str, phrase: str):
    return signature(finding("d", sentence, phrase), parse_question(question), IDF, set())


def test_different_quantities_of_one_unit_disagree():
    q = "How long did the intrusion last?"
    a = sig(q, "It lasted over several months.", "over several months")
    b = sig(q, "It lasted over a period of eighteen months.", "over a period of eighteen months")
    c = sig(q, "The breach took place over several months, they say.", "took place over several months")
    assert not same_answer(a, b)
    assert same_answer(a, c)


def test_disjoint_names_disagree_but_a_fuller_name_agrees():
    q = "Who is accused?"
    alibaba = sig(q, "They accused Alibaba.", "Alibaba")
    full = sig(q, "They accused Chinese giant Alibaba.", "Chinese giant Alibaba")
    sensetime = sig(q, "A subsidiary of SenseTime was named.", "a subsidiary of SenseTime")
    assert same_answer(alibaba, full)
    assert not same_answer(alibaba, sensetime)


def test_same_action_by_different_actors_agrees():
    q = "How did the accused company respond?"
    a = sig(q, "Alibaba has denied the allegations.", "Alibaba has denied the allegations")
    b = sig(q, "SenseTime has denied the allegations.", "SenseTime has denied the allegations")
    assert same_answer(a, b)


def test_grouping_is_single_link_and_largest_first():
    q = parse_question("How long did the intrusion last?")
    fs = [
        finding("a", "It lasted eighteen months.", "eighteen months", 1),
        finding("b", "It lasted several months.", "several months", 2),
        finding("c", "It went on for several months.", "for several months", 3),
        Finding("d", None),
    ]
    groups = group_findings(fs, q, IDF, set())
    assert [g.doc_ids for g in groups] == [["b", "c"], ["a"]]


def test_answers_without_the_asked_shape_are_dropped():
    q = parse_question("How long did the intrusion last?")
    fs = [
        finding("a", "It lasted eighteen months.", "eighteen months", 1),
        finding("b", "The breach was serious.", "The breach was serious", 2),
    ]
    assert [g.doc_ids for g in group_findings(fs, q, IDF, set())] == [["a"]]


def test_unspecific_answer_to_a_who_question_gives_way_to_a_named_one():
    q = parse_question("Which newspaper received the briefing?")
    fs = [
        finding("a", "It was leaked to The Guardian.", "The Guardian", 1),
        finding("b", "The brief was seen by this publication.", "this publication", 2),
    ]
    assert [g.doc_ids for g in group_findings(fs, q, IDF, set())] == [["a"]]
