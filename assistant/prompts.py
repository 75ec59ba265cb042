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

__all__ = ["Prompt", "PromptError", "Messages", "load_prompt"]

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
    # Optional: a template for a user turn of its own before ``user`` (a whole article), so that every
    # call about the same context shares the prompt up to the end of that turn (its KV state is reused).
    context: str = ""
    template: jinja2.Template = field(init=False, repr=False, compare=False)
    context_template: jinja2.Template | None = field(init=False, repr=False, compare=False)
    variables: frozenset[str] = field(init=False, repr=False, compare=False)
    context_variables: frozenset[str] = field(init=False, repr=False, compare=False)
    user_variables: frozenset[str] = field(init=False, repr=False, compare=False)
    reply_keys: tuple[str, ...] = field(init=False, repr=False, compare=False)
    _prefix: tuple[dict, ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        template, variables = self._compile(self.user, "user")
        context, context_vars = self._compile(self.context, "context") if self.context else (None, frozenset())
        object.__setattr__(self, "template", template)
        object.__setattr__(self, "context_template", context)
        object.__setattr__(self, "context_variables", context_vars)
        object.__setattr__(self, "user_variables", variables)
        object.__setattr__(self, "variables", variables | context_vars)
        # The prefix is fixed: render it once, so a broken example fails when the prompt is loaded.
        messages = [{"role": "system", "content": self.system.strip()}]
        for i, ex in enumerate(self.examples):
            if not isinstance(ex, dict) or not isinstance(ex.get("user"), dict) or "reply" not in ex:
                raise PromptError(f"prompt {self.name!r}: example {i + 1} needs 'user' (a mapping) and 'reply'")
            messages.extend(self._user_turns(ex["user"]))
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

    def _compile(self, text: str, part: str) -> tuple[jinja2.Template, frozenset[str]]:
        try:
            return _ENV.from_string(text), frozenset(jinja2.meta.find_undeclared_variables(_ENV.parse(text)))
        except jinja2.TemplateSyntaxError as exc:
            raise PromptError(f"prompt {self.name!r}: bad {part} template, line {exc.lineno}: {exc.message}") from exc

    def _user_turns(self, values: dict[str, Any]) -> list[dict]:
        """The user turn(s) for ``values``: the context turn first when the prompt has one."""
        text = self.render_user(**values)  # checks the variables, context's included
        if self.context_template is None:
            return [{"role": "user", "content": text}]
        return [self.render_context(values), {"role": "user", "content": text}]

    def render_context(self, values: dict[str, Any]) -> dict:
        """The context turn alone, from the values it names (others are ignored)."""
        missing = self.context_variables - values.keys()
        if missing:
            raise PromptError(f"prompt {self.name!r}: missing variable(s) {', '.join(sorted(missing))} (context)")
        text = self._render(self.context_template, {k: values[k] for k in self.context_variables})
        return {"role": "user", "content": text}

    def _render(self, template: jinja2.Template, values: dict[str, Any]) -> str:
        try:
            return template.render(**values).strip()
        except jinja2.UndefinedError as exc:  # e.g. an attribute a value lacks
            raise PromptError(f"prompt {self.name!r}: {exc.message}") from exc

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
        return self._render(self.template, {k: v for k, v in values.items() if k in self.user_variables})

    def prefix(self) -> list[dict]:
        """System message plus the worked examples as earlier turns (fresh dicts on every call)."""
        return [dict(m) for m in self._prefix]

    def context_prefix(self, **values: Any) -> list[dict]:
        """The fixed prefix plus the context turn: what every call about this context starts with."""
        return self.prefix() + [self.render_context(values)]

    def messages(self, **values: Any) -> "Messages":
        """The whole request; it also carries the prompt's name and the values it was rendered from, so a
        test's fake model reads the request's variables instead of parsing rendered text."""
        return Messages(self.prefix() + self._user_turns(values), prompt=self.name, variables=dict(values))


class Messages(list):
    """Chat messages (a plain list to every backend) that remember which prompt and values made them."""

    def __init__(self, messages: list[dict], *, prompt: str = "", variables: dict[str, Any] | None = None) -> None:
        super().__init__(messages)
        self.prompt = prompt
        self.variables = variables or {}


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
        context=data.get("context") or "",
    )
