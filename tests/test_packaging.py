"""The package as users install it: a built wheel in a fresh environment, not the editable checkout.

An editable install serves every module straight from the source tree, so a package left out of
``pyproject.toml`` (as ``assistant.evaluate`` once was) only breaks for people who ``pip install .``.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest
import tomllib

ROOT = Path(__file__).resolve().parents[1]


def _declared() -> set[str]:
    return set(tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["setuptools"]["packages"])


def test_every_package_directory_is_declared():
    # The prompts ship as ``assistant.prompt_files`` from the top-level prompts/ directory (mapped in
    # package-dir), which automatic discovery cannot express; this test stands in for it.
    on_disk = {".".join(p.parent.relative_to(ROOT).parts) for p in (ROOT / "assistant").rglob("__init__.py")}
    assert on_disk - _declared() == set()
    assert _declared() - on_disk == {"assistant.prompt_files"}


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> Path:
    """A fresh venv holding only the built wheel; the dependencies come from this environment's
    site-packages through a .pth line (whose own .pth files, the editable finder among them, are not run)."""
    work = tmp_path_factory.mktemp("wheel")
    src = work / "src"
    src.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, src / name)
    for name in ("assistant", "prompts"):
        shutil.copytree(ROOT / name, src / name, ignore=shutil.ignore_patterns("__pycache__"))
    pip = [sys.executable, "-m", "pip", "--disable-pip-version-check", "--no-input"]
    subprocess.run(
        pip + ["wheel", "--no-deps", "--no-build-isolation", "-w", str(work / "dist"), str(src)],
        check=True,
        capture_output=True,
    )
    venv = work / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    site = Path(
        subprocess.run(
            [str(venv / "bin" / "python"), "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"],
            check=True,
            capture_output=True,
            text=True,
        ).stdout.strip()
    )
    (site / "deps.pth").write_text(sysconfig.get_path("purelib") + "\n", encoding="utf-8")
    wheel = next((work / "dist").glob("storydesk-*.whl"))
    subprocess.run(
        pip + ["--python", str(venv / "bin" / "python"), "install", "--no-deps", "--no-index", str(wheel)],
        check=True,
        capture_output=True,
    )
    return venv


@pytest.mark.slow
def test_the_wheel_imports_every_module_from_the_install(installed):
    code = (
        "import importlib, pkgutil, assistant, json; "
        "names = [m.name for m in pkgutil.walk_packages(assistant.__path__, 'assistant.')]; "
        "[importlib.import_module(n) for n in names]; "
        "from assistant.config import prompts_dir; from assistant.prompts import load_prompt; "
        "[load_prompt(p.stem) for p in prompts_dir().glob('*.yaml')]; "
        "print(json.dumps({'file': assistant.__file__, 'modules': names, 'prompts': str(prompts_dir())}))"
    )
    out = subprocess.run(
        [str(installed / "bin" / "python"), "-c", code], cwd=installed, check=True, capture_output=True, text=True
    )
    seen = json.loads(out.stdout)
    assert seen["file"].startswith(str(installed)) and seen["prompts"].startswith(str(installed))
    assert {"assistant.evaluate.runner", "assistant.backends.llamacpp", "assistant.web"} <= set(seen["modules"])
    assert {p.name for p in Path(seen["prompts"]).glob("*.yaml")} == {p.name for p in (ROOT / "prompts").glob("*.yaml")}


@pytest.mark.slow
def test_the_installed_command_answers_and_evaluates(installed, tmp_path):
    storydesk = str(installed / "bin" / "storydesk")
    question = "How long did the intrusion last?"
    asked = subprocess.run(
        [storydesk, "ask", "--json", question], cwd=tmp_path, check=True, capture_output=True, text=True, timeout=600
    )
    answer = json.loads(asked.stdout)
    assert answer["citations"] and all(c["quote"] for c in answer["citations"])
    suite = tmp_path / "two.jsonl"
    gold = (ROOT / "tests" / "data" / "gold" / "eval" / "dev.jsonl").read_text(encoding="utf-8").splitlines()
    suite.write_text(
        "".join(line + "\n" for line in gold if json.loads(line)["id"] in ("duration", "no-date")), encoding="utf-8"
    )
    subprocess.run(
        [storydesk, "eval", str(suite), "--judge", "none", "--out", str(tmp_path / "run")],
        cwd=tmp_path,
        check=True,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert (tmp_path / "run").is_dir() and any((tmp_path / "run").iterdir())
