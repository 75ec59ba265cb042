"""Any OpenAI-compatible chat endpoint (OpenAI, vLLM, a llama.cpp server) through the ``openai`` client.

Structured output goes through ``response_format`` (json_schema); servers that ignore it still
work, because every reply is parsed leniently and checked by the pipeline. Failures to reach the
server become one-line BackendUnavailable errors.

Servers that take a grammar and give log-probabilities (``endpoint_kinds``: llama.cpp, vLLM) read the way
the embedded model does: P("yes") from the first reply token's log-probabilities with no extra turn, and
the answer's words decoded under a grammar that admits only runs of the article (``supports_copy``), then
cut where the in-process copier would have stopped (``copy_steps``). Requests to them are deterministic
(temperature 0, seed 0).
"""

from __future__ import annotations

import logging
import math
import os
import threading
from typing import Any, Sequence

import httpx

from ..errors import BackendUnavailable, BadModelReply
from .base import Backend, Copied, Message, mean_outside, option_variants, parse_json_reply
from .endpoint_kinds import (
    KINDS,
    PROBE_WORDS,
    Step,
    after_tokens,
    copy_grammar,
    copy_steps,
    detect,
    token_grammar,
    with_opening,
)

__all__ = ["OpenAICompatBackend"]

log = logging.getLogger(__name__)


class OpenAICompatBackend(Backend):
    supports_logprobs = True  # asked for; turned off for this instance when the server gives none
    supports_schema = True  # response_format json_schema; replies are parsed leniently either way

    def __init__(
        self,
        base_url: str | None = None,
        model: str | None = None,
        api_key: str | None = None,
        *,
        kind: str = "auto",  # endpoint_kinds.KINDS: what the server can do beyond the OpenAI API
        timeout: float = 300.0,  # a CPU server reading a whole article with requests queued ahead takes minutes
        max_retries: int = 2,  # the client retries with exponential backoff (connection errors, 429, 5xx)
        top_logprobs: int = 20,  # alternatives per token asked for (OpenAI's own ceiling)
    ) -> None:
        try:
            import openai
        except ImportError as err:  # pragma: no cover - a declared dependency
            raise BackendUnavailable("the openai package is not installed") from err
        if kind not in KINDS:
            raise BackendUnavailable(f"unknown endpoint kind {kind!r}: choose one of {', '.join(KINDS)}")
        self.base_url = base_url
        self.model = model or os.environ.get("STORYDESK_MODEL") or "gpt-4o-mini"
        self.name = self.model
        key = api_key or os.environ.get("OPENAI_API_KEY") or "not-needed"  # local servers accept any key
        self._openai = openai
        self.timeout = timeout
        self.top_logprobs = top_logprobs
        self._declared = kind
        self._kind: str | None = None if kind == "auto" else kind
        self._kind_lock = threading.Lock()
        self._token_ids: dict[str, list[int]] = {}
        self._slots: int | None = None
        self._client = openai.OpenAI(base_url=base_url, api_key=key, timeout=timeout, max_retries=max_retries)

    # -- what the server can do ------------------------------------------------------------------------
    @property
    def kind(self) -> str:
        """The server's kind (``endpoint_kinds``), asked of the server once when it was not declared."""
        with self._kind_lock:
            if self._kind is None:
                self._kind = detect(self._owners, self._follows)
                log.info("the endpoint at %s is a %s server", self._where, self._kind)
            return self._kind

    @property
    def supports_copy(self) -> bool:  # type: ignore[override]
        return self.kind != "plain"

    @property
    def supports_likelihood(self) -> bool:  # type: ignore[override]
        return self.kind != "plain"

    @property
    def concurrent(self) -> bool:  # type: ignore[override]
        """Several requests at once, except to a llama.cpp server with one slot: one request at a time keeps
        the order in which it computes and reuses prompt prefixes, and with it the numbers it gives, the same
        run to run. A llama-server started with ``--parallel N`` (N > 1) computes N requests at once in one
        batch, so it is sent several; its numbers then depend on which requests share a batch."""
        return self.kind != "llama.cpp" or self.slots > 1

    @property
    def slots(self) -> int:
        """How many requests a llama.cpp server computes at once: llama-server says so at ``/props``
        (``total_slots``); a server without that endpoint (llama-cpp-python's) serves one at a time."""
        if self._slots is None:
            found = 1
            try:
                reply = httpx.get(self._root + "/props", timeout=self.timeout)
                if reply.status_code == 200:
                    found = max(1, int(reply.json().get("total_slots", 1)))
            except (httpx.HTTPError, ValueError, TypeError, AttributeError):
                pass
            self._slots = found
        return self._slots

    @property
    def _root(self) -> str:
        """The server's own address, under which its non-OpenAI endpoints sit (``/props``, ``/tokenize``)."""
        return (self.base_url or "").rstrip("/").removesuffix("/v1")

    @property
    def _where(self) -> str:
        return self.base_url or "api.openai.com"

    def _owners(self) -> list[str]:
        return [str(getattr(m, "owned_by", "")) for m in self._client.models.list().data]

    def _follows(self, grammar: str) -> bool:
        reply = self._call(
            messages=[{"role": "user", "content": "Say hello."}], max_tokens=8, extra_body={"grammar": grammar}
        )
        return (reply.choices[0].message.content or "").strip() == PROBE_WORDS

    def _call(self, **kwargs: Any):
        if self._kind not in (None, "plain"):
            kwargs.setdefault("seed", 0)
        try:
            return self._client.chat.completions.create(model=self.model, temperature=0, **kwargs)
        except self._openai.APITimeoutError:
            raise BackendUnavailable(
                f"the model endpoint at {self._where} did not answer within {self.timeout:g} s"
            ) from None
        except self._openai.APIConnectionError:
            raise BackendUnavailable(f"cannot reach the model endpoint at {self._where}") from None
        except self._openai.AuthenticationError:
            raise BackendUnavailable(
                f"the endpoint at {self._where} rejected the API key (set OPENAI_API_KEY)"
            ) from None
        except self._openai.NotFoundError:
            raise BackendUnavailable(f"the endpoint at {self._where} has no model {self.model!r}") from None
        except self._openai.APIStatusError as err:
            raise BackendUnavailable(f"the endpoint at {self._where} answered HTTP {err.status_code}") from None
        except self._openai.APIError as err:
            raise BackendUnavailable(
                f"the endpoint at {self._where} failed: {str(err).splitlines()[0][:160]}"
            ) from None

    def _tokenize(self, text: str) -> list[int]:
        """``text``'s token ids from the server's own tokenizer (llama-cpp-python: /extras/tokenize;
        llama-server and vLLM: /tokenize), kept for the next time."""
        if text not in self._token_ids:
            asks = [("/tokenize", {"model": self.model, "prompt": text, "add_special_tokens": False})]
            if self.kind == "llama.cpp":
                asks = [("/extras/tokenize", {"input": text}), ("/tokenize", {"content": text})]
            for path, body in asks:
                try:
                    reply = httpx.post(self._root + path, json=body, timeout=self.timeout)
                    if reply.status_code == 200:
                        self._token_ids[text] = [int(t) for t in reply.json()["tokens"]]
                        break
                except (httpx.HTTPError, ValueError, KeyError, TypeError):
                    continue
            else:
                raise BadModelReply(f"the {self.kind} server at {self._where} has no tokenize endpoint")
        return self._token_ids[text]

    def _constrained(
        self, messages: Sequence[Message], opening: str, grammar: str | None, max_tokens: int, **extra: Any
    ) -> list[Step]:
        """A reply that begins with ``opening`` and then follows ``grammar`` (free where None), as steps:
        each token after the opening, its log-probability and its alternatives'."""
        kind = self.kind
        messages, fields = with_opening(kind, messages, opening)
        fields.update(extra)
        skip = 0
        if kind == "llama.cpp":
            if opening:
                skip = len(opened := self._tokenize(opening))
                grammar = after_tokens(grammar, opened)
            if grammar:
                fields["grammar"] = grammar
        elif grammar:
            fields["structured_outputs"] = {"grammar": grammar}
        response = self._call(
            messages=messages,
            max_tokens=max_tokens + skip,
            logprobs=True,
            top_logprobs=self.top_logprobs,
            extra_body=fields,
        )
        content = getattr(response.choices[0], "logprobs", None) and response.choices[0].logprobs.content
        if not content:
            raise BadModelReply(f"the {kind} server at {self._where} gave no logprobs (try --endpoint plain)")
        return [(c.token, c.logprob, {t.token: t.logprob for t in c.top_logprobs or ()}) for c in content[skip:]]

    # -- the Backend interface ---------------------------------------------------------------------------
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
            raise BadModelReply(f"the model at {self._where} did not reply with JSON") from None

    def probabilities(
        self, messages: Sequence[Message], options: Sequence[str], reply_prefix: str = ""
    ) -> dict[str, float]:
        """P(option) from the log-probabilities of the first reply token after ``reply_prefix``: on a
        llama.cpp or vLLM server as the embedded model reads them (its first tokens' variants, no extra
        turn); elsewhere see ``_plain_probabilities``."""
        if self.kind == "plain":
            return self._plain_probabilities(messages, options)
        steps = self._constrained(messages, reply_prefix, None, 1)
        alternatives = steps[0][2] if steps else {}
        mass = {o: sum(math.exp(lp) for t, lp in alternatives.items() if t in option_variants(o)) for o in options}
        total = sum(mass.values())
        if total == 0:
            return {o: 1.0 / len(options) for o in options}
        return {o: v / total for o, v in mass.items()}

    def copy_span(
        self,
        messages: Sequence[Message],
        source: str,
        *,
        reply_prefix: str = "",
        max_tokens: int = 32,
        candidates: int = 64,
    ) -> Copied:
        """On a llama.cpp or vLLM server: decoding under a grammar of the source's word runs, cut where the
        embedded model's copier would have stopped (``copy_steps``); elsewhere free text (``Backend``)."""
        if self.kind == "plain":
            return super().copy_span(messages, source, reply_prefix=reply_prefix, max_tokens=max_tokens)
        steps = self._constrained(messages, reply_prefix, copy_grammar(source), max_tokens)
        taken = steps[: copy_steps(steps, max_tokens, candidates)]
        text = "".join(t for t, _, _ in taken).strip()
        return Copied(text, sum(lp for _, lp, _ in taken) / len(taken) if taken else None)

    def likelihood(self, messages: Sequence[Message], reply: str, skip: tuple[int, int] | None = None) -> float:
        """On a llama.cpp or vLLM server: the mean log-probability the server reads for ``reply``'s tokens (as
        its tokenizer spells them; outside ``skip``: see ``mean_outside``): on llama.cpp the reply decoded under a
        grammar of exactly those tokens (log-probabilities are read before the grammar), on vLLM the reply as a
        continued assistant turn with ``prompt_logprobs``."""
        if self.kind == "plain":
            return super().likelihood(messages, reply, skip)
        tokens = self._tokenize(reply)
        if self.kind == "llama.cpp":
            taken = [(text, lp) for text, lp, _ in self._constrained(messages, "", token_grammar(tokens), len(tokens))]
        else:
            taken = self._prompt_logprobs(messages, reply, len(tokens))
        return mean_outside([len(text) for text, _ in taken], [lp for _, lp in taken], skip)

    def _prompt_logprobs(self, messages: Sequence[Message], reply: str, count: int) -> list[tuple[str, float]]:
        """vLLM: the last ``count`` prompt tokens (as spelled) and their log-probabilities, ``reply`` being the last
        turn."""
        turns, fields = with_opening("vllm", messages, reply)
        response = self._call(messages=turns, max_tokens=1, extra_body=dict(fields, prompt_logprobs=0))
        scored = (getattr(response, "model_extra", None) or {}).get("prompt_logprobs") or []
        tail = [entry for entry in scored if entry][-count:]
        if len(tail) < count:
            raise BadModelReply(f"the vllm server at {self._where} gave no prompt logprobs")
        own = [next(iter(entry.values())) for entry in tail]  # with 0 asked: the token's own
        return [(str(e.get("decoded_token") or ""), float(e["logprob"])) for e in own]

    def _plain_probabilities(self, messages: Sequence[Message], options: Sequence[str]) -> dict[str, float]:
        """Top log-probabilities of the first reply token, after a turn that asks for one word. A server
        that gives none is noted once, with a warning, and from then on the reply's first word counts as
        certainty (``supports_logprobs`` turns False, and eval run configs record it)."""
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
                "the endpoint at %s gives no logprobs: its yes/no checks count as 0 or 1 from now on", self._where
            )
        if sum(mass.values()) == 0:  # no usable logprobs: the text of the reply
            said = (choice.message.content or "").strip().lower()
            mass = {o: (1.0 if said.startswith(o.lower()) else 0.0) for o in options}
        total = sum(mass.values()) or 1.0
        return {o: v / total for o, v in mass.items()}

    def describe(self) -> dict[str, Any]:
        return {"name": self.model, "base_url": self.base_url, "endpoint": self._kind or self._declared}
