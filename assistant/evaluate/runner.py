"""Run gold suites through an engine, resumably: results are appended as they arrive, and a case
already answered under the same configuration hash is never asked again.

    run_eval(["eval/suites/story.jsonl"], out_dir="runs/x", engines=["storydesk", "llamaindex-citation"])

Cases are answered group by group, one group per corpus (the run's, or a case's own: see
corpora.py); the configuration hash includes the corpus's fingerprint. Stance cases (stances.py) are
labelled by Storydesk's stance classifier instead of asked, and only for the storydesk engine; they
are never judged.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import json
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, Callable, Sequence, TextIO

from ..api import Assistant
from ..config import prompts_dir
from ..corpus import load_corpus
from ..errors import StorydeskError
from ..types import Progress
from .calibration import THRESHOLD_FILE, prepare_judge
from .checks import score
from .corpora import BASE, CorpusGroups, case_corpus
from .judge import Judge, support
from .metrics import aggregate
from .stances import classify, is_stance
from .suites import load_suite
from .types import ENGINES, CaseResult, EvalRun, SuiteSummary

__all__ = ["run_eval", "ENGINES"]

_UNSUPPORTED = "unsupported by its citations: "


_PACKAGE = Path(__file__).resolve().parents[1]
# Modules that cannot change an answer: a change to them must not invalidate a run's cached answers.
_NOT_IN_ANSWERS = {"cli.py", "web.py", "render.py", "followup.py", "__init__.py"}


def _code_hash() -> str:
    files = sorted(p for p in _PACKAGE.rglob("*.py") if "evaluate" not in p.parts and p.name not in _NOT_IN_ANSWERS)
    return hashlib.sha256(b"".join(p.read_bytes() for p in files)).hexdigest()


def _engine_parts(engine: str, assistant: Assistant) -> dict[str, Any]:
    backend = assistant.backend.describe()
    parts: dict[str, Any] = {
        "engine": engine,
        "backend": {k: backend.get(k) for k in ("name", "base_url", "path") if backend.get(k)},
    }
    if engine == "storydesk":
        prompts = b"".join(p.read_bytes() for p in sorted(prompts_dir().glob("*.yaml")))
        parts.update(settings=repr(assistant.settings), code=_code_hash(), prompts=hashlib.sha256(prompts).hexdigest())
        # the vectors retrieval reads, and where the index lives (a store URL without its password)
        parts.update(encoder=assistant.encoder.model_name, store=_store_label(assistant.store))
    else:
        parts["baseline"] = (Path(__file__).parent / "baseline.py").read_bytes().decode("utf-8")
    return parts


def _store_label(store: str | None) -> str:
    if not store:
        return "files"
    from sqlalchemy.engine import make_url

    return make_url(store).render_as_string(hide_password=True)


def _hash(parts: dict[str, Any], fingerprint: str) -> str:
    return hashlib.sha256(json.dumps({**parts, "corpus": fingerprint}, sort_keys=True).encode("utf-8")).hexdigest()[:12]


def _load_done(path: Path) -> dict[tuple, CaseResult]:
    done: dict[tuple, CaseResult] = {}
    if path.exists():
        for line in path.read_text(encoding="utf-8").splitlines():
            try:
                r = CaseResult.from_dict(json.loads(line))
            except (json.JSONDecodeError, TypeError):
                continue  # a line cut short by a kill: that case is simply asked again
            done[(r.suite, r.engine, r.config, r.case_id)] = r
    return done


def _answer_fn(engine: str, assistant: Assistant) -> Callable[[dict], dict]:
    """The engine's answer to a case: its question asked, or (stance cases, storydesk) its sentence labelled."""
    if engine == "storydesk":
        verdicts: dict[str, str] = {}
        return lambda case: (
            classify(case, assistant, verdicts) if is_stance(case) else assistant.ask(case["question"]).to_dict()
        )
    if engine == "llamaindex-citation":
        from .baseline import CitationEngine

        baseline = CitationEngine(assistant.index, assistant.backend, assistant.encoder)
        return lambda case: baseline.ask(case["question"])
    raise StorydeskError(f"unknown engine {engine!r}: choose from {', '.join(ENGINES)}")


def _judged(result: CaseResult, judge: Judge, docs: dict[str, str]) -> CaseResult:
    """The result with its support judged (again) and its unsupported-claim failures renewed."""
    judged = support(result.answer, judge, docs)
    failures = [f for f in result.failures or [] if not f.startswith(_UNSUPPORTED)]
    failures += [_UNSUPPORTED + repr(c) for c in judged["unsupported"]]
    return dataclasses.replace(result, support=judged, failures=failures)


def _stale(result: CaseResult, judge: Judge) -> bool:
    if is_stance(result.case):
        return False  # a stance label makes no claim to judge
    s = result.support
    return s is None or s.get("judge") != judge.name or s.get("threshold") != judge.threshold


def _one(
    case: dict,
    suite: str,
    engine: str,
    config: str,
    ask: Callable[[dict], dict],
    docs: dict[str, str],
    judge: Judge | None,
) -> CaseResult:
    t0 = time.perf_counter()
    try:
        answer = ask(case)
        error = None
    except StorydeskError as err:
        answer = {
            "question": case.get("question", ""),
            "answer": "",
            "answerable": True,
            "citations": [],
            "conflicts": [],
        }
        error = str(err)
    seconds = time.perf_counter() - t0
    metrics, failures, passed = score(case, answer, docs, seconds)
    if error:
        metrics["engine_error"] = True
        failures, passed = [f"engine error: {error}"] + failures, False
    result = CaseResult(suite, engine, config, case, answer, round(seconds, 2), metrics, None, failures, passed, error)
    return _judged(result, judge, docs) if judge and not is_stance(case) else result


def _load_suites(suites: Sequence[str | Path], base: Assistant, split: str) -> list[tuple[str, Path, list[dict]]]:
    loaded = [(Path(s).stem, Path(s), load_suite(s, split=split)) for s in suites]
    if any(case_corpus(c, path) == BASE for _, path, cases in loaded for c in cases):  # evidence in the run's corpus
        corpus = load_corpus(base.corpus_dir)
        loaded = [(Path(s).stem, Path(s), load_suite(s, corpus, split=split)) for s in suites]
    if not any(cases for _, _, cases in loaded):
        raise StorydeskError(f"no cases in split {split!r} of {', '.join(str(s) for s in suites)}")
    return loaded


def run_eval(
    suites: Sequence[str | Path],
    out_dir: str | Path,
    *,
    engines: Sequence[str] = ("storydesk",),
    assistant: Assistant | None = None,
    judge: Judge | None = None,
    judge_pairs: Sequence[str | Path] | None = None,
    judge_threshold_file: str | Path | None = THRESHOLD_FILE,
    recheck_judge: bool = False,
    split: str = "all",
    concurrency: int = 1,
    progress: Progress | None = None,
) -> EvalRun:
    """Answer every case of every suite (of ``split``: "tune", "heldout" or "all") with every engine;
    write results.jsonl, summary.json, report.html."""
    from .report import write_reports

    base = assistant or Assistant()
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    results_path = out / "results.jsonl"
    done = _load_done(results_path)
    loaded = _load_suites(suites, base, split)
    if all(is_stance(c) for _, _, cases in loaded for c in cases):
        judge = None  # nothing to judge: no calibration, no judge in the report
    before = dict(judge.stats) if judge else {}
    calibration = prepare_judge(judge, judge_pairs, judge_threshold_file, recheck_judge) if judge else None
    start = dict(judge.stats) if judge else {}
    with CorpusGroups(base) as groups, results_path.open("a", encoding="utf-8") as sink:
        plan = [(name, case, groups.key(case, path)) for name, path, cases in loaded for case in cases]
        docs = {key: groups.docs(key) for key in dict.fromkeys(key for _, _, key in plan)}
        case_docs = {(name, case["id"]): docs[key] for name, case, key in plan}
        answers = _Answers(sink, judge, progress)
        for engine in engines:
            mine = [p for p in plan if engine == "storydesk" or not is_stance(p[1])]  # stance: Storydesk's own
            todo = _reuse(engine, _engine_parts(engine, base), groups, mine, docs, done, answers)
            # The embedded model runs one request at a time; endpoints can take several in flight.
            _ask(engine, todo, groups, docs, answers, workers=concurrency if base.backend.concurrent else 1)
    summaries = _summaries(answers.results, loaded, engines)
    settings = _settings(base, engines, suites, split, judge)
    run = EvalRun(str(out), settings, summaries, answers.results, calibration, _judge_calls(judge, before, start))
    write_reports(run, case_docs)
    return run


class _Answers:
    """A run's results as they come; each new (or newly judged) one is appended to results.jsonl at once,
    so a run killed half-way keeps every case it finished."""

    def __init__(self, sink: TextIO, judge: Judge | None, progress: Progress | None) -> None:
        self.sink, self.judge, self.progress = sink, judge, progress
        self.results: list[CaseResult] = []
        self.lock = threading.Lock()

    def keep(self, result: CaseResult) -> None:
        with self.lock:
            self.sink.write(json.dumps(result.to_dict(), ensure_ascii=False) + "\n")
            self.sink.flush()
            self.results.append(result)


def _reuse(
    engine: str,
    parts: dict[str, Any],
    groups: CorpusGroups,
    plan: list[tuple[str, dict, tuple]],
    docs: dict[tuple, dict[str, str]],
    done: dict[tuple, CaseResult],
    answers: _Answers,
) -> list[tuple[str, dict, tuple, str]]:
    """Keep the cases ``engine`` already answered under the same configuration; return the others
    (suite, case, corpus key, configuration hash) to ask."""
    configs = {key: _hash(parts, groups.corpus(key).fingerprint) for key in docs}
    todo = []
    for name, case, key in plan:
        cached = done.get((name, engine, configs[key], case["id"]))
        if cached is None:
            todo.append((name, case, key, configs[key]))
        elif answers.judge and _stale(cached, answers.judge):  # judged again from its stored answer, never asked again
            answers.keep(_judged(cached, answers.judge, docs[key]))
        else:
            answers.results.append(cached)
    return todo


def _ask(
    engine: str,
    todo: list[tuple[str, dict, tuple, str]],
    groups: CorpusGroups,
    docs: dict[tuple, dict[str, str]],
    answers: _Answers,
    workers: int,
) -> None:
    """Ask ``engine`` every case of ``todo``, one corpus at a time, ``workers`` cases at once."""
    finished = 0

    def work(item: tuple[str, dict, tuple, str], ask: Callable[[dict], dict]) -> None:
        nonlocal finished
        name, case, key, config = item
        answers.keep(_one(case, name, engine, config, ask, docs[key], answers.judge))
        with answers.lock:
            finished += 1
            if answers.progress:
                answers.progress(engine, finished, len(todo))

    for key in dict.fromkeys(key for _, _, key, _ in todo):
        items = [item for item in todo if item[2] == key]
        ask = _answer_fn(engine, groups.assistant(key))
        if workers <= 1:
            for item in items:  # in this thread, so Ctrl-C stops at once, after the last written case
                work(item, ask)
        else:
            with ThreadPoolExecutor(max_workers=workers) as pool:
                list(pool.map(functools.partial(work, ask=ask), items))


def _settings(
    base: Assistant, engines: Sequence[str], suites: Sequence[str | Path], split: str, judge: Judge | None
) -> dict[str, Any]:
    return {
        "engines": list(engines),
        "suites": [str(s) for s in suites],
        "split": split,
        "model": base.backend.name,
        "model_capabilities": base.backend.capabilities(),  # as they stood at the end (logprobs can turn off)
        "judge": judge.name if judge else None,
        "judge_threshold": judge.threshold if judge else None,
        "answer_settings": dataclasses.asdict(base.settings),
    }  # every tunable number of the answer path


def _judge_calls(judge: Judge | None, before: dict[str, int], start: dict[str, int]) -> dict[str, int] | None:
    """The judge's calls in this run's cases (``start`` is its count after calibration, ``before`` before it)."""
    if not judge:
        return None
    calls = {k: judge.stats[k] - start[k] for k in judge.stats}
    calls["calibration_model_calls"] = start["model_calls"] - before["model_calls"]
    return calls


def _summaries(results: list[CaseResult], loaded, engines: Sequence[str]) -> list[SuiteSummary]:
    order = {(name, c["id"]): i for name, _, cases in loaded for i, c in enumerate(cases)}
    out = []
    for engine in engines:
        for name, _, _ in loaded:
            rows = sorted(
                (r for r in results if r.engine == engine and r.suite == name),
                key=lambda r: order.get((name, r.case_id), 0),
            )
            if rows:
                metrics = aggregate([r.metrics for r in rows], [r.passed for r in rows], [r.support for r in rows])
                configs = sorted({r.config for r in rows})
                config = configs[0] if len(configs) == 1 else f"{len(configs)} corpora"
                out.append(SuiteSummary(name, engine, config, len(rows), metrics))
    return out


def print_progress_lines(
    label: str,
    done: int,
    total: int,
    _clock: dict = {},  # noqa: B006 - one clock per label
) -> None:
    """One line per case for logs and CI, where a redrawn bar would be noise."""
    now = time.monotonic()
    if done <= 1:
        _clock[label] = now  # the first case carries the model's loading; time from after it
    eta = ""
    if done > 1 and label in _clock:
        per_case = (now - _clock[label]) / (done - 1)
        eta = f", about {max(1, round(per_case * (total - done) / 60))} min left" if done < total else ""
    print(f"{label}: {done}/{total} cases{eta}", file=sys.stderr, flush=True)
    if done >= total:
        _clock.pop(label, None)


def print_progress_bar(label: str, done: int, total: int, _bars: dict = {}) -> None:  # noqa: B006 - one bar per label
    from tqdm import tqdm

    bar = _bars.get(label)
    if bar is None:
        bar = _bars[label] = tqdm(total=total, desc=label, unit="case", file=sys.stderr)
    bar.n = done
    bar.refresh()
    if done >= total:
        bar.close()
        _bars.pop(label, None)
