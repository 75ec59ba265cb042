"""Where things live, and the process settings that keep every library offline.

Importing this module sets the environment before llama-index, tiktoken or gradio are imported:
they would otherwise try to download BPE files, call home, or look for an OpenAI key.
"""

from __future__ import annotations

import importlib.util
import os
from importlib import resources
from pathlib import Path

__all__ = ["cache_dir", "default_corpus_dir", "prompts_dir", "ensure_offline_env"]


def _llama_index_tiktoken_cache() -> str | None:
    try:
        spec = importlib.util.find_spec("llama_index.core")
    except ModuleNotFoundError:  # no llama_index at all
        return None
    if spec is None or not spec.submodule_search_locations:
        return None
    path = Path(list(spec.submodule_search_locations)[0]) / "_static" / "tiktoken_cache"
    return str(path) if path.is_dir() else None


def ensure_offline_env() -> None:
    """Point every library at local files; never overrides what the user set."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    if "TIKTOKEN_CACHE_DIR" not in os.environ:
        static = _llama_index_tiktoken_cache()
        if static:
            os.environ["TIKTOKEN_CACHE_DIR"] = static


def cache_dir() -> Path:
    """The user's cache: joined model file, persisted indexes, prompt-prefix states."""
    root = os.environ.get("STORYDESK_CACHE_DIR")
    if root:
        path = Path(root)
    else:
        base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
        path = Path(base) / "storydesk"
    path.mkdir(parents=True, exist_ok=True)
    return path


def default_corpus_dir() -> Path:
    """The five seed articles, shipped inside the package."""
    return Path(str(resources.files("assistant.data") / "corpus"))


def prompts_dir() -> Path:
    """``prompts/`` at the top of the checkout, installed as ``assistant.prompt_files`` in a wheel."""
    # prompt_files has no __init__.py (it is the prompts/ directory), so it is a namespace package:
    # resources.files() gives a MultiplexedPath whose str() is not a path. Its spec has the directory.
    try:
        spec = importlib.util.find_spec("assistant.prompt_files")
    except ModuleNotFoundError:
        spec = None
    if spec is not None and spec.submodule_search_locations:
        return Path(next(iter(spec.submodule_search_locations)))
    return Path(__file__).resolve().parent.parent / "prompts"


ensure_offline_env()
