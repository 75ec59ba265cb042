"""Prompts live as YAML files in ``prompts/`` (shipped inside the wheel); this module renders them.

A prompt file has ``system``, a list of worked ``examples`` (each ``user`` vars + ``reply``) and a
``user`` template. The system text and the examples form a fixed prefix, identical for every
call, which the llama.cpp backend evaluates once and caches.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import yaml

from .config import prompts_dir

__all__ = ["Prompt", "load_prompt"]


@dataclass(frozen=True)
class Prompt:
    name: str
    system: str
    user: str
    examples: tuple[dict[str, Any], ...]

    def render_user(self, **values: Any) -> str:
        return self.user.format(**values).strip()

    def prefix(self) -> list[dict]:
        """System message plus the worked examples as earlier turns."""
        messages = [{"role": "system", "content": self.system.strip()}]
        for ex in self.examples:
            messages.append({"role": "user", "content": self.render_user(**ex["user"])})
            reply = ex["reply"]
            messages.append(
                {
                    "role": "assistant",
                    "content": reply if isinstance(reply, str) else json.dumps(reply, ensure_ascii=False),
                }
            )
        return messages

    def messages(self, **values: Any) -> list[dict]:
        return self.prefix() + [{"role": "user", "content": self.render_user(**values)}]


@lru_cache(maxsize=None)
def load_prompt(name: str) -> Prompt:
    path = prompts_dir() / f"{name}.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    return Prompt(name=name, system=data["system"], user=data["user"], examples=tuple(data.get("examples") or ()))
