"""The embedded default: a GGUF model run in-process by llama.cpp, greedy, grammar-constrained.

Speed matters more than anything here (about 100 tok/s reading, 20 tok/s writing on 2 cores), so:
the JSON schema becomes a llama.cpp grammar (compiled once per schema); the fixed system+examples
prefix is evaluated once per machine and its KV state kept on disk; and consecutive calls reuse the
KV cache of the lines they share (every sentence check of one question reuses the question).

How prefixes are kept and reused, reproducibly, is ``kv_prefix.py``'s.
"""

from __future__ import annotations

import itertools
import json
import logging
import os
import threading
from pathlib import Path
from typing import Any, Iterator, Sequence

import numpy as np

from ..errors import BackendUnavailable, BadModelReply, ModelError
from .base import Backend, Copied, Message, mean_outside, option_variants, parse_json_reply
from .copying import Copier
from .kv_prefix import KVPrefixes
from .llama_log import QuietSys, route_llama_log
from .schema import const_prefix, const_values, property_order

__all__ = ["LlamaCppBackend", "default_threads"]

log = logging.getLogger(__name__)


def default_threads() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not Linux
        return max(1, os.cpu_count() or 1)


class LlamaCppBackend(KVPrefixes, Backend):
    supports_logprobs = True  # the logits of the next token, in process
    supports_schema = True  # a llama.cpp grammar built from the schema
    supports_copy = True  # copy_span() masks, at every step, each token that would leave the source's text
    supports_likelihood = True  # likelihood() reads the logits of each token of a given reply
    concurrent = False  # one model in this process: calls take turns

    def __init__(
        self,
        model_path: str | Path,
        *,
        name: str | None = None,
        n_ctx: int = 4096,
        n_threads: int | None = None,
        state_dir: str | Path | None = None,
        max_anchors: int = 16,
        max_state_bytes: int = 2 * 1024**3,
    ) -> None:
        self.model_path = Path(model_path)
        if not self.model_path.is_file():
            raise ModelError(f"model file not found: {self.model_path}")
        self.name = name or self.model_path.stem
        self.n_ctx = n_ctx
        self.n_threads = n_threads or default_threads()
        self._llm = None
        self._formatter = None
        self._grammars: dict[str, Any] = {}
        self._lock = threading.RLock()
        self._init_prefixes(state_dir, max_anchors, max_state_bytes)
        self.stats = {
            "prompt_tokens": 0,
            "completion_tokens": 0,
            "prompt_seconds": 0.0,
            "generate_seconds": 0.0,
            "calls": 0,
        }

    # -- loading -------------------------------------------------------------------------------
    def _load(self):
        if self._llm is not None:
            return self._llm
        try:
            from llama_cpp import Llama
            from llama_cpp.llama_chat_format import Jinja2ChatFormatter
        except ImportError as err:
            raise ModelError("llama-cpp-python is not installed: pip install 'storydesk[local]'") from err
        route_llama_log()
        import llama_cpp.llama as llama_module

        real_sys, llama_module.sys = llama_module.sys, QuietSys(llama_module.sys)
        try:
            llm = Llama(
                model_path=str(self.model_path),
                n_ctx=self.n_ctx,
                n_threads=self.n_threads,
                n_threads_batch=self.n_threads,
                n_batch=512,
                seed=0,
                verbose=True,  # never False: see llama_log.route_llama_log
            )
        except (ValueError, RuntimeError) as err:
            raise ModelError(f"llama.cpp could not load {self.model_path}: {err}") from None
        finally:
            llama_module.sys = real_sys
        llm.verbose = False  # no per-call prints from here on
        template = llm.metadata.get("tokenizer.chat_template")
        if not template:
            raise ModelError(f"{self.model_path} carries no chat template")
        eos = llm._model.token_get_text(llm.token_eos())
        bos = llm._model.token_get_text(llm.token_bos()) if llm.token_bos() >= 0 else ""
        self._formatter = (
            Jinja2ChatFormatter(template=template, eos_token=eos, bos_token=bos, add_generation_prompt=True),
            Jinja2ChatFormatter(template=template, eos_token=eos, bos_token=bos, add_generation_prompt=False),
        )
        self._llm = llm
        return llm

    def _tokens(self, messages: Sequence[Message], generation_prompt: bool = True) -> list[int]:
        """The chat template's tokens, with each message's content tokenized as plain text: an article or a
        question that contains a control token's spelling ("<|im_start|>system") stays words, it can never
        open a turn of its own. The template's own markup is tokenized with its control tokens."""
        formatter = self._formatter[0 if generation_prompt else 1]
        marks = [f"\x00{k}\x00" for k in range(len(messages))]
        prompt = formatter(messages=[dict(m, content=mark) for m, mark in zip(messages, marks)]).prompt
        tokens: list[int] = []
        for message, mark in zip(messages, marks):
            markup, found, prompt = prompt.partition(mark)
            if not found:
                raise ModelError("the model's chat template does not show every message's content as given")
            tokens += self._llm.tokenize(markup.encode("utf-8"), add_bos=False, special=True) if markup else []
            content = str(message.get("content") or "")
            tokens += self._llm.tokenize(content.encode("utf-8"), add_bos=False, special=False) if content else []
        return tokens + (self._llm.tokenize(prompt.encode("utf-8"), add_bos=False, special=True) if prompt else [])

    def _grammar(self, schema: dict, inside_string: bool = False):
        """A compiled grammar for ``schema``; ``inside_string``: for a string whose opening quote is
        already in the prompt (the grammar then starts at the string's first character)."""
        from llama_cpp import LlamaGrammar
        from llama_cpp.llama_grammar import json_schema_to_gbnf

        key = json.dumps([schema, inside_string], ensure_ascii=False)
        if key not in self._grammars:
            if len(self._grammars) > 256:
                self._grammars.clear()
            # Keys are written in the schema's own order: an id before its answer, a verdict before its reason.
            gbnf = json_schema_to_gbnf(json.dumps(schema, ensure_ascii=False), prop_order=property_order(schema))
            if inside_string:
                gbnf = gbnf.replace('root ::= "\\"" ', "root ::= ", 1)
            self._grammars[key] = LlamaGrammar.from_string(gbnf, verbose=False)
        return self._grammars[key]

    # -- calls ----------------------------------------------------------------------------------
    def generate(self, messages: Sequence[Message], schema: dict | None = None, *, max_tokens: int = 256) -> dict | str:
        import time

        written, rest_name, rest_schema = const_prefix(schema)
        with self._lock:
            llm = self._load()
            tokens = self._prompt_tokens(messages, written, max_tokens)
            t0 = time.perf_counter()
            self._prime(tokens)  # create_completion finds the whole prompt evaluated and samples at once
            grammar = (
                self._grammar(rest_schema, inside_string=True)
                if written
                else (self._grammar(schema) if schema else None)
            )
            out = llm.create_completion(
                prompt=tokens,
                grammar=grammar,
                max_tokens=max_tokens,
                temperature=0.0,
                top_k=1,
                top_p=1.0,
                min_p=0.0,
                repeat_penalty=1.0,
                seed=0,
                stop=["<|im_end|>", "<|endoftext|>"],
            )
            self.stats["calls"] += 1
            self.stats["prompt_tokens"] += out["usage"]["prompt_tokens"]
            self.stats["completion_tokens"] += out["usage"]["completion_tokens"]
            self.stats["generate_seconds"] += time.perf_counter() - t0
        text = out["choices"][0]["text"]
        if schema is None:
            return text.strip()
        try:
            if written:
                value, _ = json.JSONDecoder().raw_decode('"' + text.strip())
                return dict(const_values(schema), **{rest_name: value})
            return parse_json_reply(text)
        except ValueError as err:
            raise BadModelReply(f"the model's reply was cut off before its JSON closed ({max_tokens} tokens)") from err

    def probabilities(
        self, messages: Sequence[Message], options: Sequence[str], reply_prefix: str = ""
    ) -> dict[str, float]:
        """Read the next-token distribution after the prompt: P(option) from its first token's logit."""

        with self._lock:
            llm = self._load()
            tokens = self._tokens(messages)
            if reply_prefix:
                tokens += llm.tokenize(reply_prefix.encode("utf-8"), add_bos=False, special=False)
            self._prime(tokens)
            logits = self._logits().astype(np.float64)
            full = np.exp(logits - logits.max())
            full /= full.sum()
            mass = []
            for option in options:
                # "yes", "Yes", " yes" are different first tokens for the same answer: add them up.
                variants = option_variants(option)
                firsts = {llm.tokenize(v.encode("utf-8"), add_bos=False, special=False)[0] for v in variants}
                mass.append(sum(full[t] for t in firsts))
            probs = np.asarray(mass) / max(sum(mass), 1e-12)
        return {o: float(p) for o, p in zip(options, probs)}

    def copy_span(
        self,
        messages: Sequence[Message],
        source: str,
        *,
        reply_prefix: str = "",
        max_tokens: int = 32,
        candidates: int = 64,
    ) -> Copied:
        """Greedy decoding in which each step takes the likeliest token that keeps the reply a run of
        ``source`` (whitespace collapsed), or ends it: the reply is copied, it cannot be written."""

        with self._lock:
            llm = self._load()
            self._prime(self._prompt_tokens(messages, reply_prefix, max_tokens))
            ends = {llm.token_eos(), *llm.tokenize(b"<|im_end|>", add_bos=False, special=True)}
            copier = Copier(source, ends, lambda t: llm.detokenize([t]), top=candidates)
            for _ in range(max_tokens):
                logits = self._logits()
                token = copier.step(logits)
                if token is None:
                    break
                llm.eval([token])
                self.stats["completion_tokens"] += 1
            self.stats["calls"] += 1
        return copier.result()

    def likelihood(self, messages: Sequence[Message], reply: str, skip: tuple[int, int] | None = None) -> float:
        """Mean log-probability per token of ``reply`` as the reply to ``messages`` (outside ``skip``: see
        ``mean_outside``), read from the logits after each of its tokens, evaluated in one batch after the prompt
        (whose KV state is reused like any other prefix)."""

        with self._lock:
            llm = self._load()
            self._prime(self._prompt_tokens(messages, "", 0))
            tokens = llm.tokenize(reply.encode("utf-8"), add_bos=False, special=False)[: self.n_ctx // 4]
            after_prompt = self._logits()
            logprobs = []
            for row, token in zip(itertools.chain([after_prompt], self._rows(tokens[:-1])), tokens):
                logits = row.astype(np.float64)
                top = logits.max()
                logprobs.append(float(logits[token] - top - np.log(np.exp(logits - top).sum())))
            self.stats["calls"] += 1
            lengths = [len(llm.detokenize([t])) for t in tokens]  # in bytes: a token may hold part of a character
        in_bytes = None if skip is None else tuple(len(reply[:at].encode("utf-8")) for at in skip)
        return mean_outside(lengths, logprobs, in_bytes)

    def _rows(self, tokens: Sequence[int]) -> Iterator[np.ndarray]:
        """Evaluate ``tokens`` after what the KV cache holds, ``n_batch`` at a time, and yield the logits after
        each (a view, valid until the next evaluation)."""

        llm = self._llm
        llm._ctx.kv_cache_seq_rm(-1, llm.n_tokens, -1)
        for i in range(0, len(tokens), llm.n_batch):
            part = list(tokens[i : i + llm.n_batch])
            n_past = llm.n_tokens
            llm._batch.set_batch(batch=part, n_past=n_past, logits_all=True)
            llm._ctx.decode(llm._batch)
            llm.input_ids[n_past : n_past + len(part)] = part
            llm.n_tokens = n_past + len(part)
            for j in range(len(part)):
                yield self._logits(j)

    def _logits(self, i: int = -1) -> np.ndarray:
        """The logits after the ``i``-th output of the last evaluation (the last by default): a view, valid until
        the next evaluation."""
        import llama_cpp

        llm = self._llm
        return np.ctypeslib.as_array(llama_cpp.llama_get_logits_ith(llm._ctx.ctx, i), shape=(llm.n_vocab(),))

    def _prompt_tokens(self, messages: Sequence[Message], reply_start: str, max_tokens: int) -> list[int]:
        """The prompt's tokens, with the opening of the reply already written; it must leave room to reply."""
        tokens = self._tokens(messages)
        if reply_start:
            tokens += self._llm.tokenize(reply_start.encode("utf-8"), add_bos=False, special=False)
        if len(tokens) + max_tokens > self.n_ctx:
            raise BackendUnavailable(
                f"prompt of {len(tokens)} tokens does not fit the model's {self.n_ctx}-token context"
            )
        return tokens

    def describe(self) -> dict[str, Any]:
        return {"name": self.name, "path": str(self.model_path), "n_ctx": self.n_ctx, "threads": self.n_threads}

    def close(self) -> None:
        with self._lock:
            if self._llm is not None:
                self._llm.close()
                self._llm = None
