"""Per-case corpora: a case may bring its own articles instead of using the run's corpus.

- ``"corpus": "rel/dir"``: a directory of articles, relative to the suite file;
- ``"documents": [{"text": ...}, ...]`` (RAMDocs): written to a temporary directory as doc00.txt,
  doc01.txt, … exactly as ../shared/eval/ramdocs_grade.py does, and deleted after the run.

Cases are grouped by corpus; each group is answered by an Assistant over its corpus that shares
the run's one loaded backend and encoder (and every settings object of the run's Assistant).
"""

from __future__ import annotations

import hashlib
import inspect
import json
import shutil
import tempfile
from pathlib import Path

from ..api import Assistant
from ..corpus import load_corpus
from ..types import Corpus

__all__ = ["BASE", "case_corpus", "inline_documents", "write_documents", "sibling", "CorpusGroups"]

BASE = ("base",)  # the run's own corpus (--corpus, or the bundled story)
# Assistant arguments that a sibling sets itself; every other one the base has is copied as is.
_OWN = {"self", "corpus", "backend", "encoder", "cache_dir", "progress", "model_path", "base_url", "model", "api_key"}


def inline_documents(case: dict) -> dict[str, str]:
    """doc id -> text for a case's inline documents, named as ramdocs_grade.py names them."""
    return {f"doc{i:02d}": doc["text"] for i, doc in enumerate(case["documents"])}


def case_corpus(case: dict, suite_path: str | Path) -> tuple:
    """The key of the corpus a case is answered from: BASE, ("dir", absolute path) or ("inline", content hash)."""
    if case.get("documents") is not None:
        blob = json.dumps([d.get("text") for d in case["documents"]], ensure_ascii=False).encode("utf-8")
        return ("inline", hashlib.sha256(blob).hexdigest()[:16])
    if case.get("corpus"):
        return ("dir", str((Path(suite_path).resolve().parent / case["corpus"]).resolve()))
    return BASE


def write_documents(docs: dict[str, str], directory: Path) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    for name, text in docs.items():
        (directory / f"{name}.txt").write_text(text, encoding="utf-8")  # as ramdocs_grade.py writes them
    return directory


def sibling(base: Assistant, corpus_dir: str | Path) -> Assistant:
    """An Assistant over another corpus with the base's backend, encoder, cache and settings."""
    params = inspect.signature(Assistant.__init__).parameters
    settings = {
        name: getattr(base, name) for name in params if name not in _OWN and getattr(base, name, None) is not None
    }
    return Assistant(
        corpus=corpus_dir, backend=base.backend, encoder=base.encoder, cache_dir=base.cache_dir, **settings
    )


class CorpusGroups:
    """The corpora of a run's cases, materialised on first use and cleaned up on exit.

    with CorpusGroups(base) as groups:
        key = groups.key(case, suite_path); groups.corpus(key).fingerprint; groups.assistant(key)
    """

    def __init__(self, base: Assistant) -> None:
        self.base = base
        self._tmp: Path | None = None
        self._dirs: dict[tuple, Path] = {}
        self._corpora: dict[tuple, Corpus] = {}
        self._inline: dict[tuple, dict[str, str]] = {}
        self._assistant: tuple[tuple, Assistant] | None = None

    def __enter__(self) -> "CorpusGroups":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def key(self, case: dict, suite_path: str | Path) -> tuple:
        key = case_corpus(case, suite_path)
        if key[0] == "inline" and key not in self._inline:
            self._inline[key] = inline_documents(case)
        return key

    def directory(self, key: tuple) -> Path:
        if key == BASE:
            return Path(self.base.corpus_dir)
        if key[0] == "dir":
            return Path(key[1])
        if key not in self._dirs:
            if self._tmp is None:
                self._tmp = Path(tempfile.mkdtemp(prefix="storydesk-eval-"))
            self._dirs[key] = write_documents(self._inline[key], self._tmp / key[1])
        return self._dirs[key]

    def corpus(self, key: tuple) -> Corpus:
        if key not in self._corpora:
            self._corpora[key] = load_corpus(self.directory(key))
        return self._corpora[key]

    def docs(self, key: tuple) -> dict[str, str]:
        return {d.doc_id: d.text for d in self.corpus(key)}

    def assistant(self, key: tuple) -> Assistant:
        """The base Assistant for BASE, else one sibling at a time (the last group's is let go)."""
        if key == BASE:
            return self.base
        if self._assistant is None or self._assistant[0] != key:
            self._assistant = (key, sibling(self.base, self.directory(key)))
        return self._assistant[1]

    def close(self) -> None:
        self._assistant = None
        if self._tmp is not None:
            shutil.rmtree(self._tmp, ignore_errors=True)
            self._tmp = None
            self._dirs.clear()
