"""RAMDocs cases: scored exactly like ramdocs_grade.py (its copy in tests/data/gold/eval, and ../shared/eval's
when present), answered from their own documents."""

from __future__ import annotations

import importlib.util
import json
import sys

import pytest
from conftest import ROOT

from assistant.evaluate.metrics import aggregate
from assistant.evaluate.ramdocs import holds, norm, score_ramdocs

DOCS = [
    {
        "text": "Deadfall (1993 film) Deadfall is a 1993 crime drama film directed by Christopher Coppola.",
        "type": "correct",
        "answer": "Christopher Coppola",
    },
    {
        "text": "Deadfall (2012 film) Deadfall is a 2012 American crime drama film directed by Stefan Ruzowitzky.",
        "type": "correct",
        "answer": "Stefan Ruzowitzky",
    },
    {
        "text": "Deadfall (1993 film) Deadfall is a 1993 crime drama film directed by Bryan Singer.",
        "type": "misinfo",
        "answer": "Bryan Singer",
    },
    {"text": "v t e Retrieved from Categories : 1993 films", "type": "noise", "answer": "unknown"},
]
CASE = {
    "id": "ramdocs-900",
    "kind": "ramdocs",
    "split": "tune",
    "question": 'Who is the director of the film "Deadfall"?',
    "documents": DOCS,
    "disambig_entity": ["Deadfall (1993 film)", "Deadfall (2012 film)"],
    "gold_answers": ["Christopher Coppola", "Stefan Ruzowitzky"],
    "wrong_answers": ["Bryan Singer"],
}


def cite(i: int, doc: int, quote: str) -> dict:
    start = DOCS[doc]["text"].index(quote)
    return {"id": i, "doc_id": f"doc{doc:02d}", "start": start, "end": start + len(quote), "quote": quote}


C1, C2 = cite(1, 0, "directed by Christopher Coppola"), cite(2, 1, "directed by Stefan Ruzowitzky")
C3 = cite(3, 2, "Bryan Singer")
ANSWERS = {
    "gold_first": {
        "answer": "Two films: the 1993 one was directed by Christopher Coppola [1], the 2012 one by Stefan "
        "Ruzowitzky [2]; one document says Bryan Singer [3].",
        "answerable": True,
        "citations": [C1, C2, C3],
        "conflicts": [
            {
                "topic": "director",
                "positions": [
                    {"claim": "Christopher Coppola", "citations": [1]},
                    {"claim": "Bryan Singer", "citations": [3]},
                ],
            }
        ],
    },
    "wrong_first": {
        "answer": "Bryan Singer [3] directed it; others name Christopher Coppola [1] and Stefan Ruzowitzky [2].",
        "answerable": True,
        "citations": [C1, C2, C3],
        "conflicts": [],
    },
    "missing_gold": {
        "answer": "It was directed by Christopher Coppola [1].",
        "answerable": True,
        "citations": [C1],
        "conflicts": [],
    },
    "forged": {
        "answer": "Christopher Coppola [1] and Stefan Ruzowitzky [2].",
        "answerable": True,
        "conflicts": [],
        "citations": [C1, dict(C2, quote="directed by Stefan Ruzowitzky and Bryan Singer")],
    },
    "abstains": {"answer": "The documents do not say.", "answerable": False, "citations": [], "conflicts": []},
}
EXPECTED = {  # by hand, from ramdocs_grade.py's definitions
    "gold_first": dict(
        em=False,
        all_gold=True,
        gold_recall=1.0,
        lead_gold=True,
        wrong_in=True,
        conflict=True,
        verbatim=True,
        cites_gold=True,
        answerable=True,
    ),
    "wrong_first": dict(
        em=False,
        all_gold=True,
        gold_recall=1.0,
        lead_gold=False,
        wrong_in=True,
        conflict=False,
        verbatim=True,
        cites_gold=True,
        answerable=True,
    ),
    "missing_gold": dict(
        em=False,
        all_gold=False,
        gold_recall=0.5,
        lead_gold=True,
        wrong_in=False,
        conflict=False,
        verbatim=True,
        cites_gold=True,
        answerable=True,
    ),
    "forged": dict(
        em=True,
        all_gold=True,
        gold_recall=1.0,
        lead_gold=True,
        wrong_in=False,
        conflict=False,
        verbatim=False,
        cites_gold=True,
        answerable=True,
    ),
    "abstains": dict(
        em=False,
        all_gold=False,
        gold_recall=0.0,
        lead_gold=False,
        wrong_in=False,
        conflict=False,
        verbatim=True,
        cites_gold=None,
        answerable=False,
    ),
}
PASSES = {"gold_first": True, "wrong_first": False, "missing_gold": False, "forged": False, "abstains": False}


@pytest.mark.parametrize("name", list(ANSWERS))
def test_hand_made_answers_score_as_worked_out_by_hand(name):
    m, failures, passed = score_ramdocs(CASE, ANSWERS[name], 1.5)
    assert {k: m[k] for k in EXPECTED[name]} == EXPECTED[name]
    assert passed is PASSES[name] and bool(failures) is not passed


def test_failures_say_what_went_wrong():
    assert any("('Bryan Singer') comes before every gold" in f for f in score_ramdocs(CASE, ANSWERS["wrong_first"])[1])
    assert "missing gold answer: 'Stefan Ruzowitzky'" in score_ramdocs(CASE, ANSWERS["missing_gold"])[1]
    assert any("[2] is not verbatim" in f for f in score_ramdocs(CASE, ANSWERS["forged"])[1])


def test_a_gold_answer_glued_to_a_curly_quote_is_not_found_as_in_the_grader():
    quoted = dict(ANSWERS["gold_first"], answer="“directed by Christopher Coppola” [1] and Stefan Ruzowitzky [2].")
    m = score_ramdocs(CASE, quoted)[0]
    # “ ” are not in string.punctuation, so "coppola”" is one word to the grader
    assert m["gold_recall"] == 0.5 and not m["all_gold"]


def test_norm_and_holds_follow_the_grader():
    assert norm("The Population, of St. Paul!") == "population of st paul"
    assert holds("born on 22 October 1828.", "22 October 1828") and not holds("1,0660 people", "1,066")


def test_suite_aggregate_matches_the_graders_summary():
    rows = [score_ramdocs(CASE, ANSWERS[n], 2.0)[0] for n in ANSWERS]
    agg = aggregate(rows, [PASSES[n] for n in ANSWERS])
    assert agg["em"] == 0.2 and agg["all_gold"] == 0.6 and agg["gold_recall"] == 0.7 and agg["lead_gold"] == 0.6
    # of the two answers holding Bryan Singer, one reports a conflict
    assert agg["wrong_in"] == 0.4 and agg["flagged"] == 0.5
    assert agg["verbatim"] == 0.8 and agg["cites_gold"] == 1.0 and agg["abstained"] == 0.2 and agg["pass_rate"] == 0.2
    assert "keypoint_rate" not in agg  # story metrics are not made up for a RAMDocs-only suite


# The RAMDocs grader as shipped in tests/data/gold/eval (a copy of ../shared/eval/ramdocs_grade.py, so a clean
# clone anywhere runs this comparison), and the original too when this checkout sits beside ../shared.
GRADERS = {"copy": ROOT / "tests" / "data" / "gold" / "eval" / "ramdocs_grade.py"}
if (ROOT.parent / "shared" / "eval" / "ramdocs_grade.py").is_file():
    GRADERS["shared"] = ROOT.parent / "shared" / "eval" / "ramdocs_grade.py"


def _grader(path):
    spec = importlib.util.spec_from_file_location("ramdocs_grade", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("where", list(GRADERS))
@pytest.mark.parametrize("name", list(ANSWERS))
def test_same_scores_as_ramdocs_grade_py_itself(name, where, tmp_path):
    grader = _grader(GRADERS[where])
    answer_file = tmp_path / "answer.json"
    answer_file.write_text(json.dumps(ANSWERS[name]), encoding="utf-8")
    script = tmp_path / "say.py"
    script.write_text("import sys\nprint(open(sys.argv[1], encoding='utf-8').read())\n", encoding="utf-8")
    theirs = grader.run_case(f"{sys.executable} {script} {answer_file}", CASE, 60)
    ours = score_ramdocs(CASE, ANSWERS[name])[0]
    keys = (
        "em",
        "all_gold",
        "gold_recall",
        "lead_gold",
        "wrong_in",
        "conflict",
        "verbatim",
        "cites_gold",
        "answerable",
    )
    assert {k: ours[k] for k in keys} == {k: theirs[k] for k in keys}


def test_the_ramdocs_suite_keeps_every_field_and_splits_60_40():
    shared = ROOT.parent / "shared" / "eval" / "ramdocs-dev.jsonl"
    lines = (ROOT / "eval" / "suites" / "ramdocs.jsonl").read_text(encoding="utf-8").splitlines()
    cases = [json.loads(line) for line in lines]
    assert [c["id"] for c in cases[:2]] == ["ramdocs-000", "ramdocs-001"] and {c["kind"] for c in cases} == {"ramdocs"}
    assert [c["split"] for c in cases] == ["tune"] * 60 + ["heldout"] * 40
    if shared.is_file():
        original = [json.loads(line) for line in shared.read_text(encoding="utf-8").splitlines()]
        assert [{k: v for k, v in c.items() if k not in ("id", "kind", "split")} for c in cases] == original
