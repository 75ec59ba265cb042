"""Prompts live as YAML files in ``prompts/`` (shipped inside the wheel); this module renders them.

A prompt file has ``system``, a list of worked ``examples`` (each ``user`` vars + ``reply``), a
``user`` template and, optionally, ``reply_prefix``: the opening of the JSON reply its examples
show, which callers put in the model's mouth before reading P("yes"). The system text and the
examples form a fixed prefix, identical for every call, which the llama.cpp backend evaluates once
and caches.

Only ``user`` is a template: Jinja2 (``{{ question }}``), rendered with ``StrictUndefined`` in a
sandbox, without autoescaping or whitespace trimming. A value is never read as template text,
whatever braces it holds. The variables passed must be exactly those the template names: a missing
one or an extra one is a :class:`PromptError`. ``system`` and the examples' replies are plain text.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import jinja2
import jinja2.meta
import yaml
from jinja2.sandbox import ImmutableSandboxedEnvironment

from .config import prompts_dir

__all__ = ["Prompt", "PromptError", "load_prompt"]

# Plain text in, plain text out: no HTML escaping, no trimming around tags, the template's newlines
# kept as written (render_user strips the ends, as it always did), a missing variable an error.
_ENV = ImmutableSandboxedEnvironment(
    autoescape=False,
    undefined=jinja2.StrictUndefined,
    keep_trailing_newline=True,
    trim_blocks=False,
    lstrip_blocks=False,
)


class PromptError(ValueError):
    """A prompt file that cannot be used, or a render with the wrong variables (a bug, not user input)."""


@dataclass(frozen=True)
class Prompt:
    name: str
    system: str
    user: str
    examples: tuple[dict[str, Any], ...]
    reply_prefix: str = ""
    template: jinja2.Template = field(init=False, repr=False, compare=False)
    variables: frozenset[str] = field(init=False, repr=False, compare=False)
    reply_keys: tuple[str, ...] = field(init=False, repr=False, compare=False)
    _prefix: tuple[dict, ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        try:
            template = _ENV.from_string(self.user)
            variables = frozenset(jinja2.meta.find_undeclared_variables(_ENV.parse(self.user)))
        except jinja2.TemplateSyntaxError as exc:
            raise PromptError(f"prompt {self.name!r}: bad user template, line {exc.lineno}: {exc.message}") from exc
        object.__setattr__(self, "template", template)
        object.__setattr__(self, "variables", variables)
        # The prefix is fixed: render it once, so a broken example fails when the prompt is loaded.
        messages = [{"role": "system", "content": self.system.strip()}]
        for i, ex in enumerate(self.examples):
            if not isinstance(ex, dict) or not isinstance(ex.get("user"), dict) or "reply" not in ex:
                raise PromptError(f"prompt {self.name!r}: example {i + 1} needs 'user' (a mapping) and 'reply'")
            messages.append({"role": "user", "content": self.render_user(**ex["user"])})
            reply = ex["reply"]
            content = reply if isinstance(reply, str) else json.dumps(reply, ensure_ascii=False)
            if not content.startswith(self.reply_prefix):
                raise PromptError(
                    f"prompt {self.name!r}: example {i + 1}'s reply {content!r} does not start with the "
                    f"reply_prefix {self.reply_prefix!r}"
                )
            messages.append({"role": "assistant", "content": content})
        object.__setattr__(self, "_prefix", tuple(messages))
        # The keys of the JSON object the worked examples reply with, in order (empty for plain text).
        keys = {tuple(ex["reply"]) for ex in self.examples if isinstance(ex["reply"], dict)}
        if len(keys) > 1:
            raise PromptError(f"prompt {self.name!r}: the examples reply with different keys: {sorted(keys)}")
        object.__setattr__(self, "reply_keys", next(iter(keys), ()))

    def render_user(self, **values: Any) -> str:
        missing = self.variables - values.keys()
        extra = values.keys() - self.variables
        if missing or extra:
            problems = []
            if missing:
                problems.append(f"missing variable(s) {', '.join(sorted(missing))}")
            if extra:
                problems.append(f"unexpected variable(s) {', '.join(sorted(extra))}")
            wanted = ", ".join(sorted(self.variables)) or "none"
            raise PromptError(f"prompt {self.name!r}: {'; '.join(problems)} (the template takes: {wanted})")
        try:
            return self.template.render(**values).strip()
        except jinja2.UndefinedError as exc:  # e.g. an attribute a value lacks
            raise PromptError(f"prompt {self.name!r}: {exc.message}") from exc

    def prefix(self) -> list[dict]:
        """System message plus the worked examples as earlier turns (fresh dicts on every call)."""
        return [dict(m) for m in self._prefix]

    def messages(self, **values: Any) -> list[dict]:
        return self.prefix() + [{"role": "user", "content": self.render_user(**values)}]


@lru_cache(maxsize=None)
def load_prompt(name: str) -> Prompt:
    path = prompts_dir() / f"{name}.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    return Prompt(
        name=name,
        system=data["system"],
        user=data["user"],
        examples=tuple(data.get("examples") or ()),
        reply_prefix=data.get("reply_prefix") or "",
    )
