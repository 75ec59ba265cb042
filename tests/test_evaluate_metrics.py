"""Every metric on hand-made answers: each is shown to fail when it should."""

from assistant.evaluate.metrics import aggregate, score_case

DOCS = {
    "a": "The breach lasted eighteen months. Alibaba denied it.",
    "b": "The breach lasted several months. Officials were alarmed.",
}
CONFLICT = {
    "id": "dur",
    "kind": "conflict",
    "question": "How long?",
    "must_mention": [["eighteen months"], ["several months"]],
    "must_not_mention": ["three years"],
    "evidence": [{"doc": "a", "quote": "lasted eighteen months"}, {"doc": "b", "quote": "lasted several months"}],
    "docs": ["a", "b"],
    "conflict": True,
    "sides": [["a"], ["b"]],
    "answerable": True,
}
UNANSWERABLE = {
    "id": "date",
    "kind": "unanswerable",
    "question": "When?",
    "must_mention": [],
    "must_not_mention": ["January"],
    "evidence": [],
    "docs": [],
    "conflict": False,
    "sides": [],
    "answerable": False,
}
SINGLE = {
    "id": "deny",
    "kind": "single",
    "question": "Who denied it?",
    "must_mention": [["Alibaba"]],
    "must_not_mention": [],
    "evidence": [{"doc": "a", "quote": "Alibaba denied it."}],
    "docs": ["a"],
    "conflict": False,
    "sides": [],
    "answerable": True,
}


def cite(i, doc, quote):
    start = DOCS[doc].find(quote)
    return {"id": i, "doc_id": doc, "start": start, "end": start + len(quote), "quote": quote}


PERFECT = {
    "answer": "The sources disagree. One says “eighteen months” [1]. One says “several months” [2].",
    "answerable": True,
    "citations": [
        cite(1, "a", "The breach lasted eighteen months."),
        cite(2, "b", "The breach lasted several months."),
    ],
    "conflicts": [
        {
            "topic": "how long",
            "positions": [
                {"claim": "eighteen months", "citations": [1]},
                {"claim": "several months", "citations": [2]},
            ],
        }
    ],
}


def test_perfect_answer_passes_every_check():
    m, failures, passed = score_case(CONFLICT, PERFECT, DOCS, 3.2)
    assert passed and failures == []
    assert m["verbatim"] == 2 and m["citations_valid"] and m["keypoints"] == 2 and m["doc_recall"] == 1.0
    assert m["span_recall"] == 1.0 and m["conflict_found"] and m["answerable_ok"] and m["fabricated"] == []


def test_forged_quote_fails_verbatim_and_validity():
    forged = dict(
        PERFECT,
        citations=[dict(PERFECT["citations"][0], quote="The breach lasted three years."), PERFECT["citations"][1]],
    )
    m, failures, passed = score_case(CONFLICT, forged, DOCS)
    assert not passed and m["verbatim"] == 1 and not m["citations_valid"]
    assert any("not verbatim" in f for f in failures)


def test_unresolved_marker_and_unreferenced_citation_fail_validity():
    broken = dict(PERFECT, answer="The sources disagree [7].", conflicts=[])
    m, failures, _ = score_case(CONFLICT, broken, DOCS)
    assert m["unresolved_markers"] == [7] and m["unreferenced_citations"] == [1, 2] and not m["citations_valid"]
    assert any("marker [7]" in f for f in failures)


def test_missed_conflict_fails():
    merged = dict(PERFECT, conflicts=[])
    m, failures, passed = score_case(CONFLICT, merged, DOCS)
    assert not passed and m["conflict_found"] is False and any("missed the disagreement" in f for f in failures)


def test_conflict_whose_positions_cite_one_side_only_is_not_found():
    one_side = dict(
        PERFECT,
        conflicts=[{"topic": "t", "positions": [{"claim": "x", "citations": [1]}, {"claim": "y", "citations": [1]}]}],
    )
    assert score_case(CONFLICT, one_side, DOCS)[0]["conflict_found"] is False


def test_missing_key_point_and_fabrication_fail():
    thin = dict(PERFECT, answer="It lasted three years [1] [2].", conflicts=PERFECT["conflicts"][:0])
    m, failures, passed = score_case(CONFLICT, thin, DOCS)
    assert not passed and m["keypoints"] == 0 and m["fabricated"] == ["three years"]
    assert any("missing key point" in f for f in failures) and any("fabricated" in f for f in failures)


def test_wrong_abstention_fails_both_ways():
    abstain = {"answer": "The articles do not say.", "answerable": False, "citations": [], "conflicts": []}
    m, failures, passed = score_case(CONFLICT, abstain, DOCS)
    assert not passed and not m["answerable_ok"] and any("wrongly said" in f for f in failures)
    m, _, passed = score_case(UNANSWERABLE, abstain, DOCS)
    assert passed and m["answerable_ok"]
    m, failures, passed = score_case(UNANSWERABLE, PERFECT, DOCS)
    assert not passed and any("answered a question" in f for f in failures)


def test_false_alarm_on_a_single_source_fact():
    alarm = {
        "answer": "Disagree: “Alibaba” [1].",
        "answerable": True,
        "citations": [cite(1, "a", "Alibaba denied it.")],
        "conflicts": [{"topic": "t", "positions": [{"claim": "Alibaba", "citations": [1]}]}],
    }
    m, failures, passed = score_case(SINGLE, alarm, DOCS)
    assert m["conflict_false_alarm"] and not passed and any("single-source" in f for f in failures)


def test_aggregate_rates():
    rows, passed = [], []
    for case, answer in [(CONFLICT, PERFECT), (CONFLICT, dict(PERFECT, conflicts=[])), (UNANSWERABLE, PERFECT)]:
        m, _, p = score_case(case, answer, DOCS, 2.0)
        rows.append(m)
        passed.append(p)
    agg = aggregate(rows, passed, [{"statements": 2, "supported": 1, "citations": 2, "precise": 2}, None, None])
    assert (
        agg["pass_rate"] == round(1 / 3, 3)
        and agg["conflict_recall"] == 0.5
        and agg["abstention_acc"] == round(2 / 3, 3)
    )
    assert agg["citation_recall"] == 0.5 and agg["citation_precision"] == 1.0 and agg["p50_s"] == 2.0
