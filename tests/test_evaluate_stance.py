"""Stance suites: eval/stance/'s gold labels run through stance_of and scored (stances.py, metrics.py)."""

from __future__ import annotations

import json
import re

import pytest
from conftest import ROOT

from assistant import Assistant
from assistant.corpus import load_corpus
from assistant.errors import StorydeskError
from assistant.evaluate import compare_runs, run_eval
from assistant.evaluate.metrics import aggregate
from assistant.evaluate.stances import score_stance
from assistant.evaluate.suites import load_suite
from assistant.spans import document_spans

# One article per split. The first line of "harbour" is a headline: a span of its own, never scored.
ARTICLES = {
    "tune": {
        "harbour": "Ammonia leak at Saltmouth\n"
        "The council met on Monday. The plan is a disgrace. The budget rose by ten percent. "
        "The mayor is a fool. The harbour deserves better.\n"
        "Trains ran late on Tuesday. The ferry left at noon. Officials said the leak was a disgrace.\n",
    },
    "heldout": {
        "quay": "The quay reopened on Friday. The repairs are a triumph.\n",
    },
}
OPINION = {
    "The plan is a disgrace.",
    "The mayor is a fool.",
    "The harbour deserves better.",
    "The repairs are a triumph.",
}
HEADLINES = {"Ammonia leak at Saltmouth"}


def fake_opinion(sentence: str) -> bool:
    """The scripted model's call: right on two of the three tune opinions, wrong on two reported sentences."""
    return bool(re.search(r"disgrace|fool|budget|Tuesday|triumph", sentence))


# On the tune split, with fake_opinion (the attributed last sentence is "reported" by its cue, unasked):
#   gold opinion: disgrace, fool -> opinion; deserves better -> reported      TP 2, FN 1
#   gold reported: budget, Tuesday -> opinion; Monday, noon, said -> reported  FP 2, TN 3
TUNE = {
    "stance_accuracy": round(5 / 8, 3),
    "opinion_precision": round(2 / 4, 3),
    "opinion_recall": round(2 / 3, 3),
    "reported_recall": round(3 / 5, 3),
    "stance_n": 8,
    "opinion_as_opinion": 2,
    "opinion_as_reported": 1,
    "reported_as_opinion": 2,
    "reported_as_reported": 3,
}


def write_labels(directory, name: str, articles: dict[str, str]):
    """Articles in ``directory`` and their gold labels, one record per product span, as eval/stance has them."""
    directory.mkdir()
    for doc_id, text in articles.items():
        (directory / f"{doc_id}.txt").write_text(text, encoding="utf-8")
    records = []
    for doc in load_corpus(directory):
        for s in document_spans(doc):
            text = doc.text[s.start : s.end]
            stance = "headline" if text in HEADLINES else "opinion" if text in OPINION else "reported"
            records.append(
                {"corpus": name, "doc_id": doc.doc_id, "sentence": s.index, "start": s.start, "end": s.end}
                | {"text": text, "stance": stance, "note": ""}
            )
    path = directory.parent / f"{name}.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    return path


@pytest.fixture
def suite(tmp_path):
    """A stance suite with a tune line and a heldout line, each over its own labels and articles."""
    lines = []
    for split, articles in ARTICLES.items():
        labels = write_labels(tmp_path / f"{split}_articles", f"mini_{split}", articles)
        lines.append({"kind": "stance", "labels": labels.name, "corpus": f"{split}_articles", "split": split})
    path = tmp_path / "stance_mini.jsonl"
    path.write_text("".join(json.dumps(line) + "\n" for line in lines), encoding="utf-8")
    return path


@pytest.fixture
def make(tmp_path, cache, rule_model):
    def make(opinion=fake_opinion):
        backend = rule_model({}, opinion=opinion)
        return Assistant(tmp_path / "tune_articles", backend=backend, cache_dir=cache), backend

    return make


def asked(backend) -> list[str]:
    return [r["variables"]["sentence"] for r in backend.requests if r["prompt"] == "check_stance"]


def test_the_metrics_of_a_known_confusion(suite, tmp_path, make):
    assistant, backend = make()
    run = run_eval([suite], tmp_path / "run", assistant=assistant, split="tune")
    metrics = run.summary().metrics
    assert {k: metrics[k] for k in TUNE} == TUNE
    assert metrics["pass_rate"] == TUNE["stance_accuracy"] and metrics["cases"] == 8
    assert "verbatim_rate" not in metrics and "em" not in metrics  # no story or RAMDocs metric on a stance suite
    assert "Officials said the leak was a disgrace." not in asked(backend)  # attributed: decided by its cue


def test_each_case_carries_the_predicted_and_the_gold_stance(suite, tmp_path, make):
    assistant, _ = make()
    run = run_eval([suite], tmp_path / "run", assistant=assistant, split="tune")
    by_text = {r.case["text"]: r for r in run.results}
    missed = by_text["The harbour deserves better."]
    assert missed.metrics["stance_gold"] == "opinion" and missed.metrics["stance_predicted"] == "reported"
    assert missed.answer["stance"] == "reported" and not missed.passed
    assert missed.failures == ["labelled reported, gold opinion"]
    hit = by_text["The plan is a disgrace."]
    assert hit.passed and hit.failures == [] and hit.metrics["stance_predicted"] == "opinion"


def test_headline_records_are_neither_cases_nor_asked(suite, tmp_path, make):
    assert "headline" in (tmp_path / "mini_tune.jsonl").read_text(encoding="utf-8")
    cases = load_suite(suite, split="tune")
    assert len(cases) == 8 and not any(c["text"] in HEADLINES for c in cases)
    assistant, backend = make()
    run = run_eval([suite], tmp_path / "run", assistant=assistant, split="tune")
    assert run.summary().metrics["stance_n"] == 8 and "Ammonia leak at Saltmouth" not in asked(backend)


@pytest.mark.parametrize("split, texts", [("tune", 8), ("heldout", 2), ("all", 10)])
def test_the_split_of_the_suite_line_selects_the_cases(suite, tmp_path, make, split, texts):
    cases = load_suite(suite, split=split)
    assert len(cases) == texts
    assert all(c["split"] == split for c in cases) or split == "all"
    assistant, backend = make()
    run = run_eval([suite], tmp_path / "run", assistant=assistant, split=split)
    assert run.summary().cases == texts
    heldout = {"The quay reopened on Friday.", "The repairs are a triumph."}
    assert bool(heldout & set(asked(backend))) == (split != "tune")
    assert bool(set(asked(backend)) - heldout) == (split != "heldout")
    if split == "heldout":
        assert run.summary().metrics["stance_accuracy"] == 1.0 and run.summary().metrics["opinion_recall"] == 1.0


def test_summary_json_the_printed_summary_and_the_report_show_accuracy(
    suite, tmp_path, monkeypatch, capsys, rule_model
):
    from assistant import api, cli

    backend = rule_model({}, opinion=fake_opinion)
    monkeypatch.setattr(api, "make_backend", lambda **kw: backend)
    out = tmp_path / "cli"
    code = cli.main(["eval", str(suite), "--corpus", str(tmp_path / "tune_articles"), "--out", str(out)])
    assert code == 0
    line = json.loads(capsys.readouterr().out.splitlines()[0])
    assert line["suite"] == "stance_mini" and line["cases"] == 10 and "stance_accuracy" in line
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert summary["settings"]["judge"] is None  # a stance label is never judged (the RuleModel has no judge rule)
    assert summary["summaries"][0]["metrics"]["stance_n"] == 10
    page = (out / "report.html").read_text(encoding="utf-8")
    assert "stance acc." in page and "<figure><h3>Stance</h3>" in page and ">opinion recall</text>" in page
    accuracy = summary["summaries"][0]["metrics"]["stance_accuracy"]
    assert f"{accuracy * 100:.1f}".rstrip("0").rstrip(".") + "%</td>" in page
    assert (
        "labelled <b>reported</b> · gold <b>opinion</b>" in page and "<mark>The harbour deserves better.</mark>" in page
    )


def test_compare_shows_the_stance_deltas_and_the_flipped_sentences(suite, tmp_path, make):
    run_eval([suite], tmp_path / "a", assistant=make()[0], split="tune")
    better = make(lambda s: fake_opinion(s) or "deserves" in s)[0]  # now right on "deserves better"
    run_eval([suite], tmp_path / "b", assistant=better, split="tune")
    text = compare_runs(tmp_path / "a", tmp_path / "b")
    rows = {line.split()[0]: line.split()[1:] for line in text.splitlines() if line.startswith("  ")}
    assert rows["stance_accuracy"] == ["0.625", "0.750", "+0.125"]
    assert rows["opinion_recall"] == ["0.667", "1.000", "+0.333"]
    assert rows["opinion_as_reported"] == ["1", "0", "-1.000"]
    assert "cases that flipped: 1" in text and "FIXED  storydesk/stance_mini/mini_tune/harbour#5" in text


def test_stance_cases_are_storydesk_s_own(suite, tmp_path, make):
    run = run_eval([suite], tmp_path / "run", assistant=make()[0], engines=["storydesk", "llamaindex-citation"])
    assert [(s.engine, s.suite) for s in run.summaries] == [("storydesk", "stance_mini")]


def test_score_and_aggregate_on_hand_made_rows():
    case = {"kind": "stance", "stance": "opinion", "note": "a hard call"}
    m, failures, passed = score_stance(case, {"stance": "reported"}, 0.5)
    assert not passed and failures == ["labelled reported, gold opinion (a hard call)"]
    assert m == {"stance_gold": "opinion", "stance_predicted": "reported", "stance_correct": False, "seconds": 0.5}
    pairs = [("opinion", "opinion")] * 3 + [("opinion", "reported")] + [("reported", "opinion")] * 2
    pairs += [("reported", "reported")] * 4
    rows = [score_stance({"stance": g}, {"stance": p})[0] for g, p in pairs]
    agg = aggregate(rows, [r["stance_correct"] for r in rows])
    assert (agg["stance_accuracy"], agg["opinion_precision"], agg["opinion_recall"]) == (0.7, 0.6, 0.75)
    assert agg["reported_recall"] == round(4 / 6, 3) and agg["stance_n"] == 10
    errored = dict(rows[0], engine_error=True)  # a sentence the engine failed on: counted as failed, never scored
    agg = aggregate([errored] + rows[1:], [False] + [r["stance_correct"] for r in rows[1:]])
    assert agg["stance_n"] == 9 and agg["opinion_as_opinion"] == 2 and agg["pass_rate"] == 0.6


def test_a_label_that_is_not_its_article_s_text_is_an_error(suite, tmp_path):
    labels = tmp_path / "mini_tune.jsonl"
    labels.write_text(labels.read_text(encoding="utf-8").replace("on Monday", "on Sunday"), encoding="utf-8")
    with pytest.raises(StorydeskError, match="is not its article's"):
        load_suite(suite)
    labels.write_text(labels.read_text(encoding="utf-8").replace('"headline"', '"news"'), encoding="utf-8")
    with pytest.raises(StorydeskError, match="unknown stance 'news'"):
        load_suite(suite)


@pytest.mark.parametrize("name, split, n", [("stance_seed", "tune", 148), ("stance_harbour", "heldout", 114)])
def test_the_shipped_stance_suites_load_with_their_split(name, split, n):
    path = ROOT / "eval" / "suites" / f"{name}.jsonl"
    assert len(load_suite(path, split=split)) == n
    assert load_suite(path, split="tune" if split == "heldout" else "heldout") == []
