import re

from assistant.backends.scripted import ScriptedBackend
from assistant.evaluate.judge import Judge, calibrate, statements, support


class KeywordJudge(ScriptedBackend):
    """Says 'supported' when every capitalised word and number of the claim is in the passages."""

    def probabilities(self, messages, options, reply_prefix=""):
        text = messages[-1]["content"]
        claim = re.search(r"Claim: (.*)", text).group(1)
        passages = text.split("Passages:", 1)[1]
        keys = re.findall(r"\b(?:[A-Z]\w+|\d+|eighteen|several)\b", claim)
        yes = all(k in passages for k in keys) and "(none)" not in passages
        return {"yes": 0.95 if yes else 0.05, "no": 0.05 if yes else 0.95}


ANSWER = {
    "answer": "The sources disagree. One article (a) says “eighteen months” [1]. One article (b) says “several months” [2]; “Paris” [3].",
    "citations": [{"id": 1, "quote": "It lasted eighteen months."}, {"id": 2, "quote": "It lasted several months."},
                  {"id": 3, "quote": "It was in Rome."}],
    "conflicts": [{"topic": "t", "positions": [{"claim": "eighteen months", "citations": [1]}]}],
}


def test_statements_are_the_quoted_claims_with_their_markers():
    assert statements(ANSWER) == [("eighteen months", [1]), ("several months", [2]), ("Paris", [3])]


def test_support_counts_unsupported_sentences_and_imprecise_citations():
    result = support(ANSWER, Judge(KeywordJudge()))
    assert result["statements"] == 3 and result["supported"] == 2 and result["unsupported"] == ["Paris"]
    assert result["citations"] == 3 and result["precise"] == 2


def test_an_answer_without_cited_claims_is_not_judged():
    assert support({"answer": "The articles do not say.", "citations": []}, Judge(KeywordJudge()))["statements"] == 0


def test_calibration_accuracy_by_label():
    pairs = [
        {"claim": "Bob left in 2020.", "passage": "Bob left in 2020.", "label": "entailed", "supported": True},
        {"claim": "Bob left in 2021.", "passage": "Bob left in 2020.", "label": "contradicted", "supported": False},
        {"claim": "Ann won.", "passage": "Bob left in 2020.", "label": "unrelated", "supported": False},
        {"claim": "Bob left in 2020 for Rome.", "passage": "Bob left in 2020.", "label": "partial", "supported": False},
    ]
    cal = calibrate(Judge(KeywordJudge()), pairs)
    assert cal.pairs == 4 and cal.accuracy == 1.0 and set(cal.by_label) == {"entailed", "contradicted", "unrelated", "partial"}
