import json
import re

from assistant.backends.scripted import ScriptedBackend
from assistant.evaluate.calibration import calibrate, fit_judge, halves, load_pairs, prepare_judge, score_pairs
from assistant.evaluate.judge import Judge, statements, support


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
    "answer": "The sources disagree. One article (a) says “eighteen months” [1]. "
    "One article (b) says “several months” [2]; “Paris” [3].",
    "citations": [
        {"id": 1, "quote": "It lasted eighteen months."},
        {"id": 2, "quote": "It lasted several months."},
        {"id": 3, "quote": "It was in Rome."},
    ],
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
    assert (
        cal.pairs == 4
        and cal.accuracy == 1.0
        and set(cal.by_label) == {"entailed", "contradicted", "unrelated", "partial"}
    )


# ---- cheap judging: what deterministic checks decide never reaches the model ---------------------


class TableJudge(ScriptedBackend):
    """P(yes) looked up by claim (``default`` otherwise); records every claim it was asked about."""

    def __init__(self, table=None, default=0.5):
        super().__init__()
        self.table, self.p_default, self.claims = dict(table or {}), default, []

    def probabilities(self, messages, options, reply_prefix=""):
        claim = re.search(r"Claim: (.*)", messages[-1]["content"]).group(1)
        self.claims.append(claim)
        p = self.table.get(claim, self.p_default)
        return {"yes": p, "no": 1 - p}


DOC = "The breach lasted eighteen months. Alibaba denied it."


def _cite(i, quote, doc="a"):
    start = DOC.find(quote)
    return {"id": i, "doc_id": doc, "start": start, "end": start + len(quote), "quote": quote}


def test_a_claim_found_verbatim_in_its_quote_is_supported_without_a_model_call():
    backend = TableJudge(default=0.0)  # would say "no" to anything it were asked
    judge = Judge(backend)
    answer = {
        "answer": "One says “LASTED   eighteen months” [1].",
        "citations": [_cite(1, "The breach lasted eighteen months.")],
    }
    result = support(answer, judge, {"a": DOC})
    assert result["statements"] == 1 and result["supported"] == 1 and result["precise"] == 1
    assert backend.claims == [] and result["model_calls"] == 0 and result["skipped"] == 1
    assert judge.stats["skipped_verbatim"] == 1 and judge.stats["model_calls"] == 0
    partial_word = {"answer": "One says “eighteen month” [1].", "citations": answer["citations"]}
    assert support(partial_word, judge, {"a": DOC})["supported"] == 0 and backend.claims == ["eighteen month."]


def test_a_claim_without_a_valid_citation_is_unsupported_without_a_model_call():
    backend = TableJudge(default=1.0)  # would say "yes" to anything it were asked
    judge = Judge(backend)
    forged = {
        "answer": "It says “Alibaba admitted it” [1]. The breach was in May [7].",
        "citations": [dict(_cite(1, "Alibaba denied it."), quote="Alibaba admitted it.")],
    }
    result = support(forged, judge, {"a": DOC})
    assert result["statements"] == 2 and result["supported"] == 0
    assert result["citations"] == 1 and result["precise"] == 0
    assert result["unsupported"] == ["Alibaba admitted it", "The breach was in May."]
    assert backend.claims == [] and judge.stats["skipped_no_citation"] == 2


def test_identical_questions_are_asked_once_per_run():
    backend = TableJudge(default=0.9)
    judge = Judge(backend)
    answer = {"answer": "Alibaba was blamed by the watchdog [1].", "citations": [_cite(1, "Alibaba denied it.")]}
    first, second = support(answer, judge, {"a": DOC}), support(answer, judge, {"a": DOC})
    assert first["supported"] == second["supported"] == 1
    assert backend.claims == ["Alibaba was blamed by the watchdog."]
    assert first["model_calls"] == 1 and second["model_calls"] == 0
    assert judge.stats == {"model_calls": 1, "reused": 1, "skipped_verbatim": 0, "skipped_no_citation": 0}


def test_calls_for_one_claim_run_back_to_back():
    backend = TableJudge(default=0.9)
    answer = {
        "answer": "The watchdog blamed Alibaba [1]. The firm called it baseless [2].",
        "citations": [_cite(1, "Alibaba denied it."), _cite(2, "The breach lasted eighteen months.")],
        "conflicts": [{"topic": "t", "positions": [{"claim": "The watchdog blamed Alibaba", "citations": [1, 2]}]}],
    }
    support(answer, Judge(backend), {"a": DOC})
    # the sentence and the conflict position make one claim: its three calls come first, back to back
    assert backend.claims == ["The watchdog blamed Alibaba."] * 3 + ["The firm called it baseless."]


# ---- the threshold: fitted on one half, reported on the other -----------------------------------


def _pairs(prefix, n=6):
    labels = ["entailed"] * n + ["contradicted"] * n + ["unrelated"] * (n // 2)
    return [
        {
            "id": f"{prefix}-{k}",
            "claim": f"{prefix} claim {k}.",
            "doc": "d",
            "passage": "p",
            "label": label,
            "supported": label == "entailed",
        }
        for k, label in enumerate(labels)
    ]


def _write(path, pairs):
    path.write_text("".join(json.dumps(p) + "\n" for p in pairs), encoding="utf-8")
    return path


def test_halves_are_deterministic_stratified_and_about_even():
    pairs = [dict(p, file="a.jsonl") for p in _pairs("a", 9)]
    half = halves(pairs)
    assert half == halves(list(reversed(pairs)))
    for label in ("entailed", "contradicted", "unrelated"):
        mine = [half[p["id"]] for p in pairs if p["label"] == label]
        assert abs(mine.count("fit") - mine.count("report")) <= 1


def test_threshold_is_fitted_on_one_half_and_reported_on_the_other(tmp_path):
    files = [_write(tmp_path / "a.jsonl", _pairs("a")), _write(tmp_path / "b.jsonl", _pairs("b"))]
    pairs = load_pairs(files)
    half = halves(pairs)
    # Fit half: entailed 0.7, unsupported 0.3 (any threshold in (0.3, 0.7] is perfect). Report half:
    # entailed 0.9, unsupported 0.6 -- a threshold fitted on all pairs would move above 0.6.
    fit_p, report_p = {True: 0.7, False: 0.3}, {True: 0.9, False: 0.6}
    table = {p["claim"]: (fit_p if half[p["id"]] == "fit" else report_p)[p["supported"]] for p in pairs}
    judge = Judge(TableJudge(table), name="judge-x")
    record = fit_judge(judge, files, out=tmp_path / "threshold.json")
    assert 0.3 < record["threshold"] <= 0.6 and judge.threshold == record["threshold"]
    assert record["fit"]["balanced_accuracy"] == 1.0
    report = record["report"]
    assert report["pairs"] == sum(1 for v in half.values() if v == "report")
    assert record["fit"]["pairs"] + report["pairs"] == len(pairs)
    assert report["balanced_accuracy"] == 0.5
    assert report["by_label"] == {"contradicted": 0.0, "entailed": 1.0, "unrelated": 0.0}
    assert set(report["by_file"]) == {"a.jsonl", "b.jsonl"} and report["by_file"]["a.jsonl"]["balanced_accuracy"] == 0.5
    stored = json.loads((tmp_path / "threshold.json").read_text(encoding="utf-8"))
    assert stored["judge"] == "judge-x" and stored["threshold"] == record["threshold"]
    assert len(stored["pairs_sha256"]) == 64


def test_a_run_uses_the_stored_threshold_and_warns_when_pairs_or_model_change(tmp_path):
    files = [_write(tmp_path / "a.jsonl", _pairs("a"))]
    table = {p["claim"]: 0.55 if p["supported"] else 0.35 for p in load_pairs(files)}
    fit_judge(Judge(TableJudge(table), name="judge-x"), files, out=tmp_path / "t.json")
    fresh = TableJudge(table)
    cal = prepare_judge(Judge(fresh, name="judge-x"), files, tmp_path / "t.json")
    assert cal.warnings == [] and fresh.claims == [] and cal.source.startswith("stored")
    assert cal.balanced_accuracy == 1.0
    assert 0.35 < cal.threshold <= 0.55 and cal.fit_pairs + cal.pairs == len(table)
    other = prepare_judge(Judge(TableJudge(table), name="judge-y"), files, tmp_path / "t.json")
    assert any("'judge-x'" in w and "'judge-y'" in w for w in other.warnings)
    assert other.source == "re-checked in this run"
    _write(
        files[0], _pairs("a") + [{"id": "new", "claim": "c.", "passage": "p", "label": "entailed", "supported": True}]
    )
    changed = prepare_judge(Judge(TableJudge(table), name="judge-x"), files, tmp_path / "t.json")
    assert any("pairs changed" in w and "a.jsonl" in w for w in changed.warnings)
    unfitted = prepare_judge(Judge(TableJudge(table), name="judge-x"), files, tmp_path / "none.json")
    assert unfitted.threshold == 0.8 and any("never fitted" in w for w in unfitted.warnings)


def test_balanced_accuracy_weighs_both_classes_equally():
    pairs = [{"label": "entailed", "supported": True}] + [{"label": "unrelated", "supported": False}] * 9
    scored = score_pairs(pairs, [0.0] + [0.0] * 9, 0.5)  # says "no" to everything
    assert scored["accuracy"] == 0.9 and scored["balanced_accuracy"] == 0.5


def test_the_ramdocs_pairs_are_verbatim_labelled_and_from_the_tuning_lines():
    from conftest import ROOT

    pairs = load_pairs([ROOT / "eval" / "judge" / "ramdocs_pairs.jsonl"])
    assert len(pairs) >= 40 and {p["label"] for p in pairs} == {"entailed", "contradicted", "unrelated", "partial"}
    # the RAMDocs suite holds ramdocs-dev.jsonl's cases line for line (test_evaluate_ramdocs checks it against the
    # original when ../shared is present), so a clean clone checks every passage too
    lines = (ROOT / "eval" / "suites" / "ramdocs.jsonl").read_text(encoding="utf-8").splitlines()
    for p in pairs:
        assert p["supported"] == (p["label"] == "entailed")
        line = int(p["source"].split(":")[1])
        assert p["source"].startswith("ramdocs-dev.jsonl:") and 1 <= line <= 60  # never from the held-out lines
        assert p["passage"] in json.loads(lines[line - 1])["documents"][int(p["doc"][3:])]["text"], p["id"]
    half = halves(pairs)
    assert 0.4 <= sum(v == "fit" for v in half.values()) / len(half) <= 0.6


def test_calibrate_judge_command_writes_the_threshold_file(tmp_path, monkeypatch, capsys):
    from assistant import api, cli
    from assistant.evaluate import calibration

    pairs = _write(tmp_path / "pairs.jsonl", _pairs("c"))
    table = {p["claim"]: 0.75 if p["supported"] else 0.25 for p in load_pairs([pairs])}
    monkeypatch.setattr(api, "make_backend", lambda **kw: TableJudge(table))
    monkeypatch.setattr(calibration, "THRESHOLD_FILE", tmp_path / "threshold.json")
    assert cli.main(["eval", "--calibrate-judge", "--judge-pairs", str(pairs)]) == 0
    printed = json.loads(capsys.readouterr().out)
    stored = json.loads((tmp_path / "threshold.json").read_text(encoding="utf-8"))
    assert printed["threshold"] == stored["threshold"] and 0.25 < stored["threshold"] <= 0.75
    assert stored["report"]["balanced_accuracy"] == 1.0 and stored["judge"] == "scripted"
    assert cli.main(["eval"]) == 2  # neither a suite nor --calibrate-judge
