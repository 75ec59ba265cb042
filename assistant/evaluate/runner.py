"""Run gold suites through an engine, resumably: results are appended as they arrive, and a case
already answered under the same configuration hash is never asked again.

    run_eval(["eval/suites/story.jsonl"], out_dir="runs/x", engines=["storydesk", "llamaindex-citation"])
"""

from __future__ import annotations

import hashlib
import json
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, Callable, Sequence

from ..api import Assistant
from ..config import prompts_dir
from ..errors import StorydeskError
from .judge import Judge, calibrate, load_pairs, support
from .metrics import aggregate, score_case
from .suites import load_suite
from .types import CaseResult, EvalRun, SuiteSummary

__all__ = ["run_eval", "config_hash", "ENGINES", "DEFAULT_JUDGE_PAIRS"]

ENGINES = ("storydesk", "llamaindex-citation")
DEFAULT_JUDGE_PAIRS = Path(__file__).resolve().parents[2] / "eval" / "judge"
Progress = Callable[[str, int, int], None]


_PACKAGE = Path(__file__).resolve().parents[1]
# Modules that cannot change an answer: a change to them must not invalidate a run's cached answers.
_NOT_IN_ANSWERS = {"cli.py", "web.py", "render.py", "followup.py", "__init__.py"}


def _code_hash() -> str:
    files = sorted(p for p in _PACKAGE.rglob("*.py") if "evaluate" not in p.parts and p.name not in _NOT_IN_ANSWERS)
    return hashlib.sha256(b"".join(p.read_bytes() for p in files)).hexdigest()


def config_hash(engine: str, assistant: Assistant) -> str:
    """Everything an engine's answers depend on: model, corpus content, and for Storydesk its
    settings, prompts and code. Same hash, same answers (greedy decoding)."""
    backend = assistant.backend.describe()
    parts = {"engine": engine, "corpus": assistant.corpus.fingerprint,
             "backend": {k: backend.get(k) for k in ("name", "base_url", "path") if backend.get(k)}}
    if engine == "storydesk":
        parts.update(retrieval=repr(assistant.retrieval), reading=repr(assistant.reading), code=_code_hash(),
                     prompts=hashlib.sha256(b"".join(p.read_bytes() for p in sorted(prompts_dir().glob("*.yaml")))).hexdigest())
    else:
        parts["baseline"] = (Path(__file__).parent / "baseline.py").read_bytes().decode("utf-8")
    return hashlib.sha256(json.dumps(parts, sort_keys=True).encode("utf-8")).hexdigest()[:12]


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


def _answer_fn(engine: str, assistant: Assistant) -> Callable[[str], dict]:
    if engine == "storydesk":
        return lambda q: assistant.ask(q).to_dict()
    if engine == "llamaindex-citation":
        from .baseline import CitationEngine

        baseline = CitationEngine(assistant.index, assistant.backend, assistant._encoder)
        return baseline.ask
    raise StorydeskError(f"unknown engine {engine!r}: choose from {', '.join(ENGINES)}")


def _one(case: dict, suite: str, engine: str, config: str, ask: Callable[[str], dict], docs: dict[str, str], judge: Judge | None) -> CaseResult:
    t0 = time.perf_counter()
    try:
        answer = ask(case["question"])
        error = None
    except StorydeskError as err:
        answer, error = {"question": case["question"], "answer": "", "answerable": True, "citations": [], "conflicts": []}, str(err)
    seconds = time.perf_counter() - t0
    metrics, failures, passed = score_case(case, answer, docs, seconds)
    judged = support(answer, judge) if judge else None
    if judged and judged["unsupported"]:
        failures = failures + [f"unsupported by its citations: {c!r}" for c in judged["unsupported"]]
    if error:
        failures, passed = [f"engine error: {error}"] + failures, False
    return CaseResult(suite, engine, config, case, answer, round(seconds, 2), metrics, judged, failures, passed, error)


def run_eval(
    suites: Sequence[str | Path],
    out_dir: str | Path,
    *,
    engines: Sequence[str] = ("storydesk",),
    assistant: Assistant | None = None,
    judge: Judge | None = None,
    judge_pairs: Sequence[str | Path] | None = None,
    concurrency: int = 1,
    progress: Progress | None = None,
) -> EvalRun:
    """Answer every case of every suite with every engine; write results.jsonl, summary.json, report.html."""
    from .report import write_reports

    assistant = assistant or Assistant()
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    results_path = out / "results.jsonl"
    done = _load_done(results_path)
    docs = {d.doc_id: d.text for d in assistant.corpus}
    loaded = [(Path(s).stem, load_suite(s, assistant.corpus)) for s in suites]
    lock = threading.Lock()
    results: list[CaseResult] = []
    calibration = calibrate(judge, load_pairs(judge_pairs or sorted(DEFAULT_JUDGE_PAIRS.glob("*.jsonl")))) if judge else None
    with results_path.open("a", encoding="utf-8") as sink:
        for engine in engines:
            config = config_hash(engine, assistant)
            todo = [(name, c) for name, cases in loaded for c in cases if (name, engine, config, c["id"]) not in done]
            results += [done[(name, engine, config, c["id"])] for name, cases in loaded for c in cases if (name, engine, config, c["id"]) in done]
            if not todo:
                continue
            ask = _answer_fn(engine, assistant)
            finished = 0

            def work(item):
                nonlocal finished
                name, case = item
                result = _one(case, name, engine, config, ask, docs, judge)
                with lock:
                    sink.write(json.dumps(result.to_dict(), ensure_ascii=False) + "\n")
                    sink.flush()
                    results.append(result)
                    finished += 1
                    if progress:
                        progress(f"{engine}", finished, len(todo))
                return result

            # The embedded model runs one request at a time; endpoints can take several in flight.
            workers = concurrency if assistant.backend.describe().get("base_url") else 1
            if workers <= 1:
                for item in todo:  # in this thread, so Ctrl-C stops at once, after the last written case
                    work(item)
            else:
                with ThreadPoolExecutor(max_workers=workers) as pool:
                    list(pool.map(work, todo))
    summaries = _summaries(results, loaded, engines)
    run = EvalRun(str(out), {"engines": list(engines), "suites": [str(s) for s in suites], "model": assistant.backend.name,
                             "judge": judge.name if judge else None}, summaries, results, calibration)
    write_reports(run, docs)
    return run


def _summaries(results: list[CaseResult], loaded, engines: Sequence[str]) -> list[SuiteSummary]:
    order = {(name, c["id"]): i for name, cases in loaded for i, c in enumerate(cases)}
    out = []
    for engine in engines:
        for name, _ in loaded:
            rows = sorted((r for r in results if r.engine == engine and r.suite == name), key=lambda r: order.get((name, r.case_id), 0))
            if rows:
                metrics = aggregate([r.metrics for r in rows], [r.passed for r in rows], [r.support for r in rows])
                out.append(SuiteSummary(name, engine, rows[0].config, len(rows), metrics))
    return out


def print_progress_lines(label: str, done: int, total: int, _clock: dict = {}) -> None:  # noqa: B006 - one clock per label
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
