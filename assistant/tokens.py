"""Token counting with tiktoken's bundled cl100k file (no download): budgets for evidence in prompts.

cl100k is not the local model's tokenizer, but it counts English news text within a few percent of
it, and the same counter works for any endpoint model.
"""

from __future__ import annotations

from functools import lru_cache

from . import config  # noqa: F401  (points TIKTOKEN_CACHE_DIR at llama-index's bundled files)

__all__ = ["count_tokens"]


@lru_cache(maxsize=1)
def _encoding():
    import tiktoken

    return tiktoken.get_encoding("cl100k_base")


def count_tokens(text: str) -> int:
    return len(_encoding().encode(text, disallowed_special=()))
