"""Mutation testing of the verifiers that guard our promises: how many mutants the fast tests kill.

Targets: assistant/grounding.py, the quote check in assistant/text.py (quote_matches, which uses no helper)
and assistant/gather.py. mutmut (config: [tool.mutmut] in pyproject.toml) mutates them and runs
tests/test_grounding.py, test_text.py and test_gather.py against each mutant: no model, no network.
Every run starts afresh (mutants/ is rebuilt). See a survivor with `.venv/bin/mutmut show NAME`.
"""

from __future__ import annotations

import argparse
import fnmatch
import json
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# target -> (the file mutmut mutates, a glob over the names of the target's mutants)
TARGETS = {
    "grounding.py": ("assistant/grounding.py", "assistant.grounding.*"),
    "text.py:quote_matches": ("assistant/text.py", "assistant.text.x_quote_matches__mutmut_*"),
    "gather.py": ("assistant/gather.py", "assistant.gather.*"),
}


def tally(target: str, path: str, pattern: str) -> dict:
    from mutmut.stats import status_by_exit_code  # mutmut's own reading of a mutant's exit code

    codes = json.loads((ROOT / "mutants" / f"{path}.meta").read_text())["exit_code_by_key"]
    status = {name: status_by_exit_code[code] for name, code in codes.items() if fnmatch.fnmatch(name, pattern)}
    killed = sum(s == "killed" for s in status.values())
    survivors = sorted(name for name, s in status.items() if s == "survived")
    return {
        "target": target,
        "mutants": len(status),
        "killed": killed,
        "survived": len(survivors),
        "other": len(status) - killed - len(survivors),  # timeout, no tests, suspicious, not checked
        "score": round(100 * killed / len(status), 1) if status else 0.0,
        "survivors": survivors,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--json", action="store_true", help="print the results (survivors named) as JSON")
    parser.add_argument("--fail-under", type=float, default=0.0, metavar="PCT", help="exit 1 if a target scores less")
    parser.add_argument("--max-children", type=int, metavar="N", help="mutants tested at once (default: the CPU count)")
    args = parser.parse_args(argv)

    shutil.rmtree(ROOT / "mutants", ignore_errors=True)  # no verdicts cached from older code or tests
    command = [str(Path(sys.executable).with_name("mutmut")), "run", *(glob for _, glob in TARGETS.values())]
    if args.max_children:
        command[2:2] = ["--max-children", str(args.max_children)]
    started = time.monotonic()
    run = subprocess.run(command, cwd=ROOT, capture_output=True, text=True)
    if run.returncode:
        sys.stderr.write(run.stdout[-6000:] + run.stderr[-6000:] + f"\nmutmut failed: exit {run.returncode}\n")
        return run.returncode
    rows = [tally(target, path, glob) for target, (path, glob) in TARGETS.items()]
    seconds = round(time.monotonic() - started)

    if args.json:
        print(json.dumps({"seconds": seconds, "targets": rows}, indent=2))
    else:
        head = ("target", "mutants", "killed", "survived", "timeout/other", "score %")
        print(f"{head[0]:<24}" + "".join(f"{h:>14}" for h in head[1:]))
        for r in rows:
            cells = (r["mutants"], r["killed"], r["survived"], r["other"], f"{r['score']:.1f}")
            print(f"{r['target']:<24}" + "".join(f"{c:>14}" for c in cells))
        for name in (n for r in rows for n in r["survivors"]):
            print(f"survived: {name}")
        print(f"{seconds} s; see a mutant with: .venv/bin/mutmut show NAME")
    return 1 if any(r["score"] < args.fail_under for r in rows) else 0


if __name__ == "__main__":
    sys.exit(main())
