"""Count the hand-written rules of the answer path: regular expressions and word lists, per module.

A regular expression is a string literal handed to ``re`` (compile, search, match, fullmatch, sub, findall,
finditer, split) or to a helper that compiles its arguments (``_any_of``); a word list is a literal set,
frozenset, tuple, list or dict of five or more strings, or a string of five or more words split in code
(``"a b c d e".split()``). Prints one row per module and the total, for a checkout (default: this one):

    .venv/bin/python bench/patterns.py [--root DIR]
"""

from __future__ import annotations

import argparse
import ast
from pathlib import Path

ANSWER_PATH = (
    "question",
    "retrieve",
    "injection",
    "reader",
    "accept",
    "gather",
    "grounding",
    "compose",
    "answer",
    "text",
    "types",
    "names",
    "story_map",
)
_RE_CALLS = {"compile", "search", "match", "fullmatch", "sub", "findall", "finditer", "split"}
_COMPILING_HELPERS = {"_any_of"}


def _strings(node: ast.AST) -> int:
    return sum(isinstance(n, ast.Constant) and isinstance(n.value, str) for n in ast.walk(node))


def count(path: Path) -> tuple[int, int]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    patterns = lists = 0
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            f = node.func
            is_re = isinstance(f, ast.Attribute) and f.attr in _RE_CALLS and getattr(f.value, "id", "") == "re"
            helper = isinstance(f, ast.Name) and f.id in _COMPILING_HELPERS
            if is_re or helper:
                args = node.args if helper else node.args[:1]
                patterns += sum(_strings(a) for a in args)
            if isinstance(f, ast.Attribute) and f.attr == "split" and isinstance(f.value, ast.Constant):
                lists += isinstance(f.value.value, str) and len(f.value.value.split()) >= 5
        elif isinstance(node, (ast.Set, ast.Tuple, ast.List)):
            lists += sum(isinstance(e, ast.Constant) and isinstance(e.value, str) for e in node.elts) >= 5
        elif isinstance(node, ast.Dict):
            lists += sum(isinstance(k, ast.Constant) and isinstance(k.value, str) for k in node.keys) >= 5
    return patterns, lists


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--root", type=Path, default=Path(__file__).resolve().parent.parent)
    args = ap.parse_args()
    total = [0, 0]
    for name in ANSWER_PATH:
        path = args.root / "assistant" / f"{name}.py"
        if not path.exists():
            continue
        p, w = count(path)
        total[0] += p
        total[1] += w
        print(f"{name:10s} patterns {p:3d}  word lists {w:3d}")
    print(f"{'total':10s} patterns {total[0]:3d}  word lists {total[1]:3d}")


if __name__ == "__main__":
    main()
