"""Suites whose cases bring their own corpora (a directory, or inline RAMDocs documents), --split, and
RAMDocs metrics in summaries, reports and comparisons. The answer path is replaced by a fake that
answers from whatever corpus its Assistant was given, so a case answered from the wrong corpus fails."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from assistant import Assistant, api, cli
from assistant.backends.scripted import ScriptedBackend
from assistant.errors import StorydeskError
from assistant.evaluate import compare_runs, run_eval
from assistant.evaluate.suites import load_suite
from assistant.settings import ReadingSettings


def ramdocs_case(cid: str, question: str, texts: list[tuple], gold: list[str], wrong=(), split="tune") -> dict:
    return {
        "id": cid,
        "kind": "ramdocs",
        "split": split,
        "question": question,
        "disambig_entity": [],
        "documents": [{"text": t, "type": k, "answer": a} for t, k, a in texts],
        "gold_answers": gold,
        "wrong_answers": list(wrong),
    }


DEADFALL = ramdocs_case(
    "rd-deadfall",
    "Who directed Deadfall?",
    [
        ("Deadfall is a 1993 crime drama film directed by Christopher Coppola.", "correct", "Christopher Coppola"),
        ("Deadfall is a 1993 crime drama film directed by Bryan Singer.", "misinfo", "Bryan Singer"),
        ("0 % 5 star 4 star 3 star", "noise", "unknown"),
    ],
    ["Christopher Coppola"],
    ["Bryan Singer"],
)
POPLAR = ramdocs_case(
    "rd-poplar",
    "When was Poplar station opened?",
    [("Poplar railway station was opened in 1840 by the Commercial Railway.", "correct", "1840")],
    ["1840"],
    split="heldout",
)
HARBOUR = {
    "id": "hb-wall",
    "kind": "single",
    "question": "When was the harbour wall rebuilt?",
    "must_mention": [["1921"]],
    "must_not_mention": [],
    "evidence": [{"doc": "x_post", "quote": "rebuilt in 1921"}],
    "docs": ["x_post"],
    "conflict": False,
    "sides": [],
    "answerable": True,
    "corpus": "corp_b",
    "split": "heldout",
}
BASE = {
    "id": "cost",
    "kind": "single",
    "question": "How much did the council pay for repairs?",
    "must_mention": [["£2 million"]],
    "must_not_mention": [],
    "evidence": [{"doc": "a_wire", "quote": "£2 million"}],
    "docs": ["a_wire"],
    "conflict": False,
    "sides": [],
    "answerable": True,
}
# What the fake "reads" in its corpus for each question: the first article holding the word is cited.
WORDS = {
    "Who directed Deadfall?": "Christopher Coppola",
    "When was Poplar station opened?": "1840",
    "When was the harbour wall rebuilt?": "1921",
    "How much did the council pay for repairs?": "£2 million",
}


class Reply:
    def __init__(self, d: dict) -> None:
        self.d = d

    def to_dict(self) -> dict:
        return self.d


@pytest.fixture
def asked(monkeypatch):
    """Every question asked, with the Assistant that answered it; answers come from that Assistant's corpus."""
    calls: list[tuple[str, Assistant, dict]] = []
    words = dict(WORDS)

    def ask(self, question, on_event=None):
        texts = {p.stem: p.read_text(encoding="utf-8") for p in sorted(Path(self.corpus_dir).glob("*.txt"))}
        calls.append((question, self, texts))
        word = words[question]
        for doc_id, text in texts.items():
            if word in text:
                at = text.index(word)
                c = {"id": 1, "doc_id": doc_id, "start": at, "end": at + len(word), "quote": word}
                return Reply(
                    {
                        "question": question,
                        "answer": f"It was {word} [1].",
                        "answerable": True,
                        "citations": [c],
                        "conflicts": [],
                    }
                )
        return Reply(
            {
                "question": question,
                "answer": "The articles do not say.",
                "answerable": False,
                "citations": [],
                "conflicts": [],
            }
        )

    monkeypatch.setattr(Assistant, "ask", ask)
    calls_words = calls, words
    return calls_words


@pytest.fixture
def suite(tmp_path, corpus_dir):
    own = tmp_path / "corp_b"
    own.mkdir()
    (own / "x_post.txt").write_text("The harbour wall was rebuilt in 1921 after the storm.\n", encoding="utf-8")
    path = tmp_path / "mixed.jsonl"
    return write(path, DEADFALL, POPLAR, HARBOUR, BASE)


def write(path: Path, *cases: dict) -> Path:
    path.write_text("".join(json.dumps(c, ensure_ascii=False) + "\n" for c in cases), encoding="utf-8")
    return path


@pytest.fixture
def base(corpus_dir, cache):
    return Assistant(corpus_dir, backend=ScriptedBackend(), cache_dir=cache, reading=ReadingSettings(answer_bar=0.5))


def test_each_case_is_answered_from_its_own_corpus_with_the_shared_model(suite, base, asked, tmp_path, corpus_dir):
    calls, _ = asked
    run = run_eval([suite], tmp_path / "run", assistant=base)
    by_question = {q: (a, texts) for q, a, texts in calls}
    assert len(calls) == 4 and run.summary().metrics["pass_rate"] == 1.0
    for case in (DEADFALL, POPLAR):
        answerer, texts = by_question[case["question"]]
        assert texts == {f"doc{i:02d}": d["text"] for i, d in enumerate(case["documents"])}
        assert not Path(answerer.corpus_dir).exists()  # the temporary corpus is gone after the run
    assert Path(by_question[HARBOUR["question"]][0].corpus_dir) == tmp_path / "corp_b"
    assert by_question[BASE["question"]][0] is base
    for _, answerer, _ in calls:  # one loaded model and encoder, the same settings objects
        assert answerer.backend is base.backend and answerer._encoder is base._encoder
        assert answerer.reading is base.reading and answerer.retrieval is base.retrieval
        assert answerer.cache_dir == base.cache_dir
    metrics = json.loads((tmp_path / "run" / "summary.json").read_text(encoding="utf-8"))["summaries"][0]["metrics"]
    assert metrics["em"] == 1.0 and metrics["lead_gold"] == 1.0 and metrics["keypoint_rate"] == 1.0
    page = (tmp_path / "run" / "report.html").read_text(encoding="utf-8")
    assert "<mark>Christopher Coppola</mark>" in page and "<mark>1921</mark>" in page and "NOT VERBATIM" not in page


def test_resuming_reasks_only_the_case_whose_corpus_changed(suite, base, asked, tmp_path):
    calls, _ = asked
    run_eval([suite], tmp_path / "run", assistant=base)
    run_eval([suite], tmp_path / "run", assistant=base)
    assert len(calls) == 4  # nothing asked again
    edited = dict(POPLAR, documents=[dict(POPLAR["documents"][0], text="Poplar station was opened in 1840, twice.")])
    write(suite, DEADFALL, edited, HARBOUR, BASE)
    run = run_eval([suite], tmp_path / "run", assistant=base)
    assert [q for q, _, _ in calls[4:]] == [POPLAR["question"]] and run.summary().cases == 4


def test_evidence_is_checked_in_the_cases_own_corpus(suite, corpus_dir, tmp_path):
    assert len(load_suite(suite)) == 4  # "rebuilt in 1921" is in corp_b, not in the run's corpus
    bad = dict(HARBOUR, evidence=[{"doc": "x_post", "quote": "rebuilt in 1922"}])
    suite.write_text(json.dumps(bad) + "\n", encoding="utf-8")
    with pytest.raises(StorydeskError, match="evidence of 'hb-wall'"):
        load_suite(suite)


def test_split_keeps_only_the_cases_of_that_split(suite, base, asked, tmp_path):
    calls, _ = asked
    run = run_eval([suite], tmp_path / "held", assistant=base, split="heldout")
    assert sorted(q for q, _, _ in calls) == sorted([POPLAR["question"], HARBOUR["question"]])
    assert run.settings["split"] == "heldout" and run.summary().cases == 2
    calls.clear()
    run_eval([suite], tmp_path / "tune", assistant=base, split="tune")  # no split field counts as tune
    assert sorted(q for q, _, _ in calls) == sorted([DEADFALL["question"], BASE["question"]])
    with pytest.raises(StorydeskError, match="unknown split"):
        load_suite(suite, split="test")


def test_cli_split_option(suite, corpus_dir, cache, asked, tmp_path, monkeypatch, capsys):
    calls, _ = asked
    monkeypatch.setattr(api, "make_backend", lambda **kw: ScriptedBackend())
    code = cli.main(
        [
            "eval",
            str(suite),
            "--corpus",
            str(corpus_dir),
            "--out",
            str(tmp_path / "cli"),
            "--judge",
            "none",
            "--split",
            "heldout",
        ]
    )
    assert code == 0 and len(calls) == 2
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert lines[0]["cases"] == 2 and "em" in lines[0] and "all_gold" in lines[0]
    summary = json.loads((tmp_path / "cli" / "summary.json").read_text(encoding="utf-8"))
    assert summary["settings"]["split"] == "heldout"


def test_compare_shows_ramdocs_deltas_and_flips(suite, base, asked, tmp_path, capsys):
    calls, words = asked
    words["Who directed Deadfall?"] = "Bryan Singer"  # run A repeats the misinformation
    run_eval([suite], tmp_path / "a", assistant=base)
    words["Who directed Deadfall?"] = "Christopher Coppola"
    run_eval([suite], tmp_path / "b", assistant=base)
    text = compare_runs(tmp_path / "a", tmp_path / "b")
    rows = {
        line.split()[0]: line.split()[1:]
        for line in text.splitlines()
        if line.startswith("  ") and len(line.split()) == 4
    }
    assert rows["em"] == ["0.500", "1.000", "+0.500"] and rows["wrong_in"] == ["0.500", "0.000", "-0.500"]
    assert rows["all_gold"][2] == "+0.500"
    assert "FIXED  storydesk/mixed/rd-deadfall" in text and "cases that flipped: 1" in text


class Sure(ScriptedBackend):
    """A judge model that gives every claim the same P(yes)."""

    def __init__(self, p: float) -> None:
        super().__init__()
        self.p = p

    def probabilities(self, messages, options, reply_prefix=""):
        self.requests.append({"messages": list(messages)})
        return {"yes": self.p, "no": 1 - self.p}


def test_a_judged_run_records_its_judge_calls_and_rejudges_only_when_the_threshold_moves(suite, base, asked, tmp_path):
    from assistant.evaluate import Judge, fit_judge

    calls, _ = asked
    pairs = tmp_path / "pairs.jsonl"
    pairs.write_text(
        "".join(
            json.dumps(
                {
                    "id": f"p{k}",
                    "claim": f"claim {k}.",
                    "passage": "p",
                    "label": label,
                    "supported": label == "entailed",
                }
            )
            + "\n"
            for k, label in enumerate(["entailed", "unrelated"] * 4)
        ),
        encoding="utf-8",
    )
    fit_judge(Judge(Sure(0.9), name="judge-x"), [pairs], out=tmp_path / "t.json")
    options = dict(assistant=base, judge_pairs=[pairs], judge_threshold_file=tmp_path / "t.json")
    judge = Judge(Sure(0.9), name="judge-x")
    run = run_eval([suite], tmp_path / "run", judge=judge, **options)
    summary = json.loads((tmp_path / "run" / "summary.json").read_text(encoding="utf-8"))
    # four answers "It was X [1].": one claim each, none verbatim in its quote -> four model calls, no calibration calls
    assert summary["judge_calls"] == {
        "model_calls": 4,
        "reused": 0,
        "skipped_verbatim": 0,
        "skipped_no_citation": 0,
        "calibration_model_calls": 0,
    }
    assert summary["judge"]["source"].startswith("stored") and summary["settings"]["judge_threshold"] == judge.threshold
    assert run.summary().metrics["citation_recall"] == 1.0
    page = (tmp_path / "run" / "report.html").read_text(encoding="utf-8")
    assert "pairs.jsonl (balanced)" in page and "4 to the model" in page
    again = Judge(Sure(0.9), name="judge-x")
    run_eval([suite], tmp_path / "run", judge=again, **options)
    # same answers, same judge, same threshold: nothing asked
    assert len(calls) == 4 and again.stats["model_calls"] == 0
    strict = Judge(Sure(0.9), name="judge-x")
    unfitted = dict(options, judge_threshold_file=tmp_path / "none.json")
    run = run_eval([suite], tmp_path / "run", judge=strict, **unfitted)
    assert len(calls) == 4 and strict.threshold == 0.8  # not fitted: the default, and a warning
    assert {r.support["threshold"] for r in run.results} == {0.8}
    assert any("never fitted" in w for w in run.judge.warnings)
