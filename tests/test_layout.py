"""The package's shape, read from its source with ``ast``: no import circle, and no stage of the answer
path importing another stage (stages share types and helpers through common modules; answer.py calls
them in order)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "assistant"
# One module per stage of the answer path (README, "Architecture").
STAGES = frozenset(
    {"corpus", "index", "question", "followup", "retrieve", "injection", "reader", "accept", "gather", "grounding"}
    | {"compose"}
    | {"stance", "pg_store"}
)


def _module_name(path: Path, package: Path) -> str:
    parts = list(path.relative_to(package.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _imported(tree: ast.AST, module: str, is_package: bool, known: set[str]) -> set[str]:
    """The package's modules that ``module`` imports when it runs (anywhere in it, functions included;
    not under ``if TYPE_CHECKING:``, which never runs)."""
    here = module.split(".") if is_package else module.split(".")[:-1]
    found: set[str] = set()

    def visit(node: ast.AST) -> None:
        if isinstance(node, ast.If) and _is_type_checking(node):
            for child in node.orelse:
                visit(child)
            return
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = here[: len(here) - node.level + 1] if node.level else []
            target = ".".join(base + ([node.module] if node.module else []))
            for alias in node.names:  # "from . import language" imports a module; "from .x import y" a name
                found.add(f"{target}.{alias.name}" if f"{target}.{alias.name}" in known else target)
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(tree)
    return {name for name in found if name in known and name != module}


def import_graph(package: Path = PACKAGE) -> dict[str, set[str]]:
    files = {_module_name(p, package): p for p in package.rglob("*.py")}
    known = set(files)
    return {
        name: _imported(ast.parse(path.read_text(encoding="utf-8")), name, path.name == "__init__.py", known)
        for name, path in files.items()
    }


def circles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Every import circle, each as the path that closes it (found by depth-first search)."""
    found, state = [], {}

    def walk(node: str, path: list[str]) -> None:
        state[node] = "open"
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == "open":
                found.append(path[path.index(nxt) :] + [nxt])
            elif nxt not in state:
                walk(nxt, [*path, nxt])
        state[node] = "done"

    for node in sorted(graph):
        if node not in state:
            walk(node, [node])
    return found


def stage_crossings(graph: dict[str, set[str]]) -> list[tuple[str, str]]:
    stage = {f"assistant.{name}" for name in STAGES}
    return sorted((a, b) for a in stage for b in graph.get(a, ()) if b in stage)


def test_every_stage_named_here_is_a_module():
    assert {f"assistant.{s}" for s in STAGES} <= set(import_graph())


def test_no_import_circle():
    assert circles(import_graph()) == []


def test_no_stage_imports_another_stage():
    assert stage_crossings(import_graph()) == []


def _write(root: Path, files: dict[str, str]) -> Path:
    package = root / "assistant"
    for name, text in files.items():
        path = package / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return package


@pytest.mark.parametrize(
    "files, circle",
    [
        ({"__init__.py": "", "a.py": "from .b import x\n", "b.py": "def f():\n    from .a import y\n"}, True),
        ({"__init__.py": "", "cli.py": "", "ev/__init__.py": "", "ev/cli.py": "from ..cli import x\n"}, False),
        (
            {"__init__.py": "", "cli.py": "def f():\n    from .ev.cli import g\n", "ev/__init__.py": ""}
            | {"ev/cli.py": "from ..cli import x\n"},
            True,
        ),
        ({"__init__.py": "", "a.py": "from . import b\n", "b.py": "from . import a\n"}, True),
        (
            {"__init__.py": "", "a.py": "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from .b import B\n"}
            | {"b.py": "from .a import x\n"},
            False,
        ),
    ],
)
def test_the_circle_check_sees_circles_through_lazy_and_relative_imports(tmp_path, files, circle):
    assert bool(circles(import_graph(_write(tmp_path, files)))) == circle


def test_the_stage_check_sees_one_stage_importing_another(tmp_path):
    package = _write(tmp_path, {"__init__.py": "", "reader.py": "from .gather import gather\n", "gather.py": ""})
    assert stage_crossings(import_graph(package)) == [("assistant.reader", "assistant.gather")]


# Only compose.py writes the words of an answer: a stage or the orchestrator that sets an Answer's text (or
# makes an Answer with one) writes policy where no reader of compose.py would look for it.
WRITES_ANSWERS = frozenset({"assistant.compose"})


def answer_text_writers(package: Path) -> list[str]:
    """``module:line`` for each assignment to ``<something>.text`` of an answer (``answer.text = ...``,
    ``answer.text += ...``, ``replace(answer, text=...)``) or ``Answer(...)`` call, outside compose.py."""
    found = []
    for path in sorted(package.rglob("*.py")):
        module = _module_name(path, package)
        if module in WRITES_ANSWERS:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            targets = (
                node.targets
                if isinstance(node, ast.Assign)
                else [node.target]
                if isinstance(node, ast.AugAssign)
                else []
            )
            named = [t for t in targets if isinstance(t, ast.Attribute) and t.attr == "text"]
            if any(isinstance(t.value, ast.Name) and "answer" in t.value.id.lower() for t in named):
                found.append(f"{module}:{node.lineno}")
            if isinstance(node, ast.Call):
                name = node.func.id if isinstance(node.func, ast.Name) else getattr(node.func, "attr", "")
                texts = [k for k in node.keywords if k.arg == "text"]
                first = node.args[0] if node.args else None
                answer_arg = isinstance(first, ast.Name) and "answer" in first.id.lower()
                if name == "Answer" or (name == "replace" and answer_arg and texts):
                    found.append(f"{module}:{node.lineno}")
    return found


def test_only_compose_writes_the_answer_text():
    assert answer_text_writers(PACKAGE) == []


@pytest.mark.parametrize(
    "source",
    [
        "def f(answer):\n    answer.text += ' (a note)'\n",
        "def f(answer):\n    answer.text = 'x'\n",
        "from .types import Answer\ndef f():\n    return Answer('q', 'x')\n",
        "from dataclasses import replace\ndef f(answer):\n    return replace(answer, text='x')\n",
    ],
)
def test_the_answer_text_check_sees_a_stage_writing_words(tmp_path, source):
    package = _write(tmp_path, {"__init__.py": "", "answer.py": source, "compose.py": source})
    found = answer_text_writers(package)
    assert found and all(f.startswith("assistant.answer:") for f in found)  # compose.py may


def test_the_assistant_is_a_small_facade():
    """``Assistant`` delegates (README, "Architecture"): the map service, the workspace, the model and the caches
    live in modules of their own, so the class stays within 150 lines."""
    tree = ast.parse((PACKAGE / "api.py").read_text(encoding="utf-8"))
    (cls,) = [n for n in tree.body if isinstance(n, ast.ClassDef) and n.name == "Assistant"]
    assert cls.end_lineno - cls.lineno + 1 <= 150
