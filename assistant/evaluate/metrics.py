"""The suite metrics, as data: each is one ``Metric`` in ``METRICS``.

The summary (``aggregate``), the one-line summary and ``storydesk eval compare`` (report.py) and
the HTML report (html.py) all iterate that list, so a new metric is one entry there with its
function of a suite's ``Cases``; plus, if it needs a per-case value the checks do not give yet,
that value in checks.score_case (story cases), ramdocs.score_ramdocs (RAMDocs cases) or
stances.score_stance (stance cases).
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable, Sequence

__all__ = ["Metric", "METRICS", "FAMILIES", "SCOPES", "KINDS", "Cases", "aggregate", "stored_order"]

# Which cases a metric is computed over, and when a summary has it; summary.json lists the metrics
# scope by scope in this order (as it always has).
SCOPES = (
    "cases",  # every case; always there
    "story",  # story cases the engine answered; there unless the suite is all RAMDocs or stance cases
    "ramdocs",  # RAMDocs cases the engine answered; there when the suite has a RAMDocs case
    "stance",  # stance sentences the engine labelled; there when the suite has a stance case
    "latency",  # every case; always there
    "judged",  # the cases the judge found statements in; there when some were judged
)
KINDS = ("rate", "count", "seconds")  # how a value is shown: a share (as a percentage), a number, seconds
# The report's charts, in order; a family is drawn only when some summary has one of its metrics.
FAMILIES = (
    "Citations",
    "Answers",
    "Disagreement",
    "RAMDocs answers",
    "RAMDocs evidence",
    "Stance",
    "Support (judged)",
    "Latency",
)


@dataclass(frozen=True)
class Cases:
    """One suite's per-case metric dicts, sorted the ways the suite metrics need them."""

    every: list[dict[str, Any]]  # every case, the ones the engine failed on included
    passed: list[bool]
    story: list[dict[str, Any]]  # story cases with an answer
    ramdocs: list[dict[str, Any]]  # RAMDocs cases with an answer
    judged: list[dict[str, Any]]  # the support (judge.py) of the cases with judged statements
    has_ramdocs: bool  # a RAMDocs case, answered or not
    stance: list[dict[str, Any]] = field(default_factory=list)  # stance cases (stances.py) with a label
    has_stance: bool = False  # a stance case, labelled or not

    @classmethod
    def of(cls, rows: list[dict[str, Any]], passed: list[bool], support: list[dict | None] | None = None) -> "Cases":
        ramdocs = [r for r in rows if "all_gold" in r]
        stance = [r for r in rows if "stance_gold" in r]
        # A case the engine failed on has no answer to measure: it counts as failed in the pass rate, never
        # as an answer with valid citations (a dead endpoint once scored citation validity 1.0).
        story = [r for r in rows if r and "all_gold" not in r and "stance_gold" not in r and not r.get("engine_error")]
        return cls(
            every=rows,
            passed=passed,
            story=story,
            ramdocs=[r for r in ramdocs if not r.get("engine_error")],
            judged=[s for s in (support or []) if s and s.get("statements")],
            has_ramdocs=bool(ramdocs),
            stance=[r for r in stance if not r.get("engine_error")],
            has_stance=bool(stance),
        )

    @property
    def seconds(self) -> list[float]:
        return [r["seconds"] for r in self.every if r]

    def has(self, scope: str) -> bool:
        """Whether a summary of these cases has the metrics of ``scope``."""
        if scope == "story":
            return bool(self.story) or not (self.has_ramdocs or self.has_stance)
        if scope == "ramdocs":
            return self.has_ramdocs
        if scope == "stance":
            return self.has_stance
        if scope == "judged":
            return bool(self.judged)
        return True


@dataclass(frozen=True)
class Metric:
    """One suite metric: how it is computed, and how the summary, the report and compare show it."""

    name: str  # its key in a summary's metrics
    label: str  # in words: beside its bars in the report's charts
    family: str | None  # its chart (FAMILIES); None: never charted (a count has no place on a 0-100 % axis)
    value: Callable[[Cases], Any]  # the suite's value, from its cases
    scope: str = "story"  # which cases it is computed over, and when a summary has it (SCOPES)
    kind: str = "rate"  # how it is shown (KINDS)
    lower_is_better: bool = False
    short: str = ""  # the report table's column header, as HTML (soft hyphens let a column narrow); "": label
    headline: bool = True  # in the one-line summary and in `storydesk eval compare`
    in_report: bool = True  # a column of the report's score table (and bars in its family's chart)
    stored_after: str | None = None  # listed after this metric in summary.json, instead of in METRICS order

    def __post_init__(self) -> None:
        if self.scope not in SCOPES or self.kind not in KINDS or self.family not in FAMILIES + (None,):
            raise ValueError(f"metric {self.name!r}: scope, kind or family is not one of SCOPES, KINDS, FAMILIES")


def _ratio(part: float, whole: float) -> float | None:
    return round(part / whole, 3) if whole else None


def _share(values: Iterable[Any]) -> float | None:
    """The mean of booleans (or of shares), as sum / count."""
    vals = list(values)
    return _ratio(sum(vals), len(vals))


def _share_of(scope: str, key: str) -> Callable[[Cases], float | None]:
    """The mean of the per-case value ``key`` over the cases of ``scope`` ("story" or "ramdocs")."""
    return lambda c: _share(r[key] for r in getattr(c, scope))


def _mean(values: Iterable[float | None]) -> float | None:
    """The mean of the values that are not None (a case with nothing to recall has None). statistics.mean,
    not sum / count as in _share: the recalls have always been computed so, and a last digit can differ."""
    vals = [v for v in values if v is not None]
    return round(statistics.mean(vals), 3) if vals else None


def _errors(c: Cases) -> int:
    return sum(bool(r.get("engine_error")) for r in c.every)


def _verbatim_rate(c: Cases) -> float | None:  # of all citations, not a mean over cases
    return _ratio(sum(r["verbatim"] for r in c.story), sum(r["n_citations"] for r in c.story))


def _keypoint_rate(c: Cases) -> float:  # of all key points; 0 (not None) when no case has any
    return round(sum(r["keypoints"] for r in c.story) / max(1, sum(r["keypoints_of"] for r in c.story)), 3)


def _conflict_recall(c: Cases) -> float | None:  # over the cases with a gold disagreement
    return _share(r["conflict_found"] for r in c.story if "conflict_found" in r)


def _false_alarm(c: Cases) -> float | None:  # over the single-source cases
    return _share(r["conflict_false_alarm"] for r in c.story if r.get("conflict_false_alarm") is not None)


def _flagged(c: Cases) -> float | None:  # of the answers holding a wrong answer, the share that report a conflict
    return _share(r["conflict"] for r in c.ramdocs if r["wrong_in"])


def _cites_gold(c: Cases) -> float | None:  # over the answers that hold a gold answer
    return _share(r["cites_gold"] for r in c.ramdocs if r["cites_gold"] is not None)


def _citation_recall(c: Cases) -> float:
    return round(sum(s["supported"] for s in c.judged) / sum(s["statements"] for s in c.judged), 3)


def _citation_precision(c: Cases) -> float | None:
    return _ratio(sum(s["precise"] for s in c.judged), sum(s["citations"] for s in c.judged))


def _confusion(gold: str, predicted: str) -> Callable[[Cases], int]:
    """How many sentences labelled ``gold`` the engine called ``predicted``."""
    return lambda c: sum(r["stance_gold"] == gold and r["stance_predicted"] == predicted for r in c.stance)


def _of_label(gold: str | None, predicted: str | None) -> Callable[[Cases], float | None]:
    """Of the sentences labelled ``gold`` (any, when None) and called ``predicted`` (any, when None), the share
    called right: precision of a label when only ``predicted`` is given, recall when only ``gold`` is."""

    def value(c: Cases) -> float | None:
        rows = [r for r in c.stance if gold in (None, r["stance_gold"]) and predicted in (None, r["stance_predicted"])]
        return _share(r["stance_correct"] for r in rows)

    return value


def _p50(c: Cases) -> float | None:
    return round(statistics.median(c.seconds), 2) if c.seconds else None


def _max(c: Cases) -> float | None:
    return round(max(c.seconds), 2) if c.seconds else None


# Every suite metric, in the order the report's table, the one-line summary and compare show them. Laid
# out as a table (the formatter would give every argument a line of its own); its rows are alike on
# purpose: a metric is one row. Columns: name, label, family, value, scope, then what differs from the
# defaults.
# fmt: off
METRICS: tuple[Metric, ...] = (
    Metric("cases", "cases", None, lambda c: len(c.every), "cases", "count", headline=False, in_report=False),
    Metric("errors", "engine errors", None, _errors, "cases", "count", headline=False, in_report=False),
    Metric("pass_rate", "pass rate", "Answers", lambda c: _ratio(sum(c.passed), len(c.every)), "cases", short="pass"),
    Metric("verbatim_rate", "verbatim", "Citations", _verbatim_rate),
    Metric("citation_validity", "citation validity", "Citations", _share_of("story", "citations_valid"),
           short="cit. valid"),
    Metric("keypoint_rate", "key points", "Answers", _keypoint_rate),
    Metric("doc_recall", "doc recall", "Citations", lambda c: _mean(r["doc_recall"] for r in c.story)),
    Metric("span_recall", "span recall", "Citations", lambda c: _mean(r["span_recall"] for r in c.story)),
    Metric("conflict_recall", "conflict recall", "Disagreement", _conflict_recall),
    Metric("conflict_false_alarm", "false alarm", "Disagreement", _false_alarm, lower_is_better=True),
    Metric("spurious_conflicts", "spurious conflicts", None,
           lambda c: sum(bool(r.get("spurious_conflict")) for r in c.story),
           kind="count", lower_is_better=True, short="spurious", headline=False),
    Metric("abstention_acc", "abstention", "Answers", _share_of("story", "answerable_ok"), short="abstain"),
    Metric("fabrications", "fabrications", None, lambda c: sum(len(r["fabricated"]) for r in c.story),
           kind="count", lower_is_better=True, short="fabri&shy;cated"),
    # RAMDocs: ramdocs_grade.main's summary, which lists wrong_in before lead_gold; summary.json keeps that order.
    Metric("em", "exact match (paper)", "RAMDocs answers", _share_of("ramdocs", "em"), "ramdocs", short="EM"),
    Metric("all_gold", "all gold answers", "RAMDocs answers", _share_of("ramdocs", "all_gold"), "ramdocs",
           short="all gold"),
    Metric("gold_recall", "gold recall", "RAMDocs answers", _share_of("ramdocs", "gold_recall"), "ramdocs"),
    Metric("lead_gold", "gold answer first", "RAMDocs answers", _share_of("ramdocs", "lead_gold"), "ramdocs",
           short="gold first", stored_after="wrong_in"),
    Metric("wrong_in", "repeats misinformation", "RAMDocs evidence", _share_of("ramdocs", "wrong_in"), "ramdocs",
           lower_is_better=True, short="wrong in"),
    Metric("flagged", "misinformation flagged", "RAMDocs evidence", _flagged, "ramdocs", short="flag&shy;ged"),
    Metric("verbatim", "all citations verbatim", "RAMDocs evidence", _share_of("ramdocs", "verbatim"), "ramdocs",
           short="all verb&shy;atim"),
    Metric("cites_gold", "cites gold docs", "RAMDocs evidence", _cites_gold, "ramdocs", short="cites gold"),
    Metric("abstained", "abstained", "RAMDocs evidence", lambda c: _share(r["answerable"] is False for r in c.ramdocs),
           "ramdocs", lower_is_better=True, short="abs&shy;tained"),
    # Stance (stances.py): a sentence of eval/stance/ labelled reported or opinion; "opinion" is the positive class.
    Metric("stance_accuracy", "stance accuracy", "Stance", _of_label(None, None), "stance", short="stance acc."),
    Metric("opinion_precision", "opinion precision", "Stance", _of_label(None, "opinion"), "stance",
           short="opinion preci&shy;sion"),
    Metric("opinion_recall", "opinion recall", "Stance", _of_label("opinion", None), "stance", short="opinion recall"),
    Metric("reported_recall", "reported recall", "Stance", _of_label("reported", None), "stance",
           short="reported recall"),
    Metric("stance_n", "sentences labelled", None, lambda c: len(c.stance), "stance", "count", short="sen&shy;tences"),
    Metric("opinion_as_opinion", "opinion called opinion", None, _confusion("opinion", "opinion"), "stance", "count",
           short="op. → op."),
    Metric("opinion_as_reported", "opinion called reported", None, _confusion("opinion", "reported"), "stance",
           "count", lower_is_better=True, short="op. → rep."),
    Metric("reported_as_opinion", "reported called opinion", None, _confusion("reported", "opinion"), "stance",
           "count", lower_is_better=True, short="rep. → op."),
    Metric("reported_as_reported", "reported called reported", None, _confusion("reported", "reported"), "stance",
           "count", short="rep. → rep."),
    Metric("citation_recall", "citation recall", "Support (judged)", _citation_recall, "judged", short="cit. recall"),
    Metric("citation_precision", "citation precision", "Support (judged)", _citation_precision, "judged",
           short="cit. preci&shy;sion"),
    Metric("p50_s", "p50 s", "Latency", _p50, "latency", "seconds", short="p50"),
    Metric("max_s", "max s", "Latency", _max, "latency", "seconds", short="max", headline=False),
)
# fmt: on


def stored_order(metrics: Sequence[Metric] = METRICS) -> list[Metric]:
    """``metrics`` in summary.json's order: scope by scope (SCOPES), each in list order but for ``stored_after``."""
    ordered = sorted(metrics, key=lambda m: SCOPES.index(m.scope))
    for m in [m for m in ordered if m.stored_after]:
        names = [o.name for o in ordered if o is not m]
        if m.stored_after in names:
            ordered.remove(m)
            ordered.insert(names.index(m.stored_after) + 1, m)
    return ordered


def aggregate(
    rows: list[dict[str, Any]],
    passed: list[bool],
    support: list[dict | None] | None = None,
    metrics: Sequence[Metric] = METRICS,
) -> dict[str, Any]:
    """Suite-level metrics from per-case metric dicts: story metrics over story cases, RAMDocs
    metrics over RAMDocs cases, pass rate and latency over all (errors count as failed cases)."""
    cases = Cases.of(rows, passed, support)
    return {m.name: m.value(cases) for m in stored_order(metrics) if cases.has(m.scope)}
