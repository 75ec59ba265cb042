"""Any OpenAI-compatible chat endpoint (OpenAI, vLLM, a llama.cpp server) through the ``openai`` client.

Structured output goes through ``response_format`` (json_schema); servers that ignore it still
work, because every reply is parsed leniently and checked by the pipeline. Failures to reach the
server become one-line BackendUnavailable errors.
"""

from __future__ import annotations

import logging
import math
import os
from typing import Any, Sequence

from ..errors import BackendUnavailable, BadModelReply
from .base import Backend, Message, parse_json_reply

__all__ = ["OpenAICompatBackend"]

log = logging.getLogger(__name__)


class OpenAICompatBackend(Backend):
    supports_logprobs = True  # asked for; turned off for this instance when the server gives none
    supports_schema = True  # response_format json_schema; replies are parsed leniently either way
    concurrent = True  # a server takes several requests at once

    def __init__(
        self,
        base_url: str | None = None,
        model: str | None = None,
        api_key: str | None = None,
        *,
        timeout: float = 300.0,  # a CPU server reading a whole article with requests queued ahead takes minutes
        max_retries: int = 2,  # the client retries with exponential backoff (connection errors, 429, 5xx)
    ) -> None:
        try:
            import openai
        except ImportError as err:  # pragma: no cover - a declared dependency
            raise BackendUnavailable("the openai package is not installed") from err
        self.base_url = base_url
        self.model = model or os.environ.get("STORYDESK_MODEL") or "gpt-4o-mini"
        self.name = self.model
        key = api_key or os.environ.get("OPENAI_API_KEY") or "not-needed"  # local servers accept any key
        self._openai = openai
        self.timeout = timeout
        self._client = openai.OpenAI(base_url=base_url, api_key=key, timeout=timeout, max_retries=max_retries)

    def _call(self, **kwargs: Any):
        where = self.base_url or "api.openai.com"
        try:
            return self._client.chat.completions.create(model=self.model, temperature=0, **kwargs)
        except self._openai.APITimeoutError:
            raise BackendUnavailable(
                f"the model endpoint at {where} did not answer within {self.timeout:g} s"
            ) from None
        except self._openai.APIConnectionError:
            raise BackendUnavailable(f"cannot reach the model endpoint at {where}") from None
        except self._openai.AuthenticationError:
            raise BackendUnavailable(f"the endpoint at {where} rejected the API key (set OPENAI_API_KEY)") from None
        except self._openai.NotFoundError:
            raise BackendUnavailable(f"the endpoint at {where} has no model {self.model!r}") from None
        except self._openai.APIStatusError as err:
            raise BackendUnavailable(f"the endpoint at {where} answered HTTP {err.status_code}") from None
        except self._openai.APIError as err:
            raise BackendUnavailable(f"the endpoint at {where} failed: {str(err).splitlines()[0][:160]}") from None

    def generate(self, messages: Sequence[Message], schema: dict | None = None, *, max_tokens: int = 256) -> dict | str:
        kwargs: dict[str, Any] = {"messages": list(messages), "max_tokens": max_tokens}
        if schema is not None:
            kwargs["response_format"] = {"type": "json_schema", "json_schema": {"name": "reply", "schema": schema}}
        response = self._call(**kwargs)
        text = response.choices[0].message.content or ""
        if schema is None:
            return text.strip()
        try:
            return parse_json_reply(text)
        except ValueError:
            raise BadModelReply(f"the model at {self.base_url or 'api.openai.com'} did not reply with JSON") from None

    def probabilities(
        self, messages: Sequence[Message], options: Sequence[str], reply_prefix: str = ""
    ) -> dict[str, float]:
        """Top log-probabilities of the first reply token. A server that gives none is noted once, with
        a warning, and from then on the reply's first word counts as certainty (``supports_logprobs``
        turns False, and eval run configs record it)."""
        instruction = {"role": "user", "content": f"Reply with exactly one word: {' or '.join(options)}."}
        asked = self.supports_logprobs
        extra = {"logprobs": True, "top_logprobs": 10} if asked else {}
        response = self._call(messages=list(messages) + [instruction], max_tokens=2, **extra)
        choice = response.choices[0]
        mass = {o: 0.0 for o in options}
        content = getattr(choice, "logprobs", None) and choice.logprobs.content
        if content:
            for candidate in content[0].top_logprobs or ():
                token = candidate.token.strip().lower()
                for o in options:
                    if token and o.lower().startswith(token):
                        mass[o] += math.exp(candidate.logprob)
        elif asked:
            self.supports_logprobs = False
            log.warning(
                "the endpoint at %s gives no logprobs: its yes/no checks count as 0 or 1 from now on",
                self.base_url or "api.openai.com",
            )
        if sum(mass.values()) == 0:  # no usable logprobs: the text of the reply
            said = (choice.message.content or "").strip().lower()
            mass = {o: (1.0 if said.startswith(o.lower()) else 0.0) for o in options}
        total = sum(mass.values()) or 1.0
        return {o: v / total for o, v in mass.items()}

    def describe(self) -> dict[str, Any]:
        return {"name": self.model, "base_url": self.base_url}
