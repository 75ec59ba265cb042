"""What an OpenAI-compatible server can do beyond the OpenAI API, and how to ask it for it.

The reader needs two things a plain chat endpoint does not give: the reply's opening words already
written (``reply_prefix``: the answer's words come after "yes:"), and decoding constrained to a run of the
article's words. Two server families can do both; each is a *kind*:

- ``llama.cpp``: llama-cpp-python's server (``llama-cpp-python[server]``) and llama.cpp's ``llama-server``.
  A GBNF ``grammar`` field on chat completions; ``logprobs``/``top_logprobs`` read from the model's raw
  logits (before the grammar); ``seed``. It cannot continue an assistant turn, so the reply's opening is
  the grammar's first, fixed words.
- ``vllm``: ``structured_outputs: {"grammar": ...}`` (vLLM 0.12 and later; xgrammar reads the same GBNF),
  ``top_logprobs``, ``continue_final_message`` with ``add_generation_prompt: false`` to continue an
  assistant turn that holds the reply's opening, ``seed``.
- ``plain``: none of these (OpenAI itself, most hosted APIs): the model writes freely and the pipeline
  keeps only the words it finds in the article.

``auto`` asks the server: vLLM and llama-server name themselves in ``/models`` (``owned_by``); otherwise one
two-token request with a grammar no model would follow unasked tells llama-cpp-python's server (whose
``owned_by`` says nothing) from a plain endpoint.
"""

from __future__ import annotations

import re
from typing import Any, Callable, Sequence

from ..text import flatten

__all__ = [
    "KINDS",
    "PROBE_WORDS",
    "Step",
    "after_tokens",
    "copy_grammar",
    "copy_steps",
    "detect",
    "ends",
    "gbnf_literal",
    "token_grammar",
    "with_opening",
]

Step = tuple[str, float, dict[str, float]]  # a reply token, its log-probability, the alternatives' (token: logprob)

KINDS = ("auto", "llama.cpp", "vllm", "plain")
PROBE_WORDS = "qz qz"  # the probe grammar's only sentence: no model writes it unless the grammar makes it
_OWNERS = {"vllm": "vllm", "llamacpp": "llama.cpp"}  # /models owned_by -> kind, where servers say it


def gbnf_literal(text: str) -> str:
    """``text`` as a GBNF string literal (quotes, backslashes and control characters escaped)."""
    out = []
    for ch in text:
        if ch in '"\\':
            out.append("\\" + ch)
        elif ord(ch) < 0x20 or ch == "\x7f":
            out.append(f"\\x{ord(ch):02x}")
        else:
            out.append(ch)
    return '"' + "".join(out) + '"'


# Where a copy may start or end: a word, a number, one punctuation mark, or one character of a script written
# without spaces (the embedded copier works on characters; a run of these units is as close as a grammar
# of one rule per position gets without a rule per character).
_UNIT = re.compile(r"[\u0e00-\u0e7f\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af]|[^\W\d_]+|\d+|\S")


def copy_grammar(source: str) -> str:
    """A GBNF grammar whose sentences are an optional space and then any run of ``source``, whitespace collapsed, that starts and ends at unit boundaries (``_UNIT``): one rule per unit, each
    either ending there or going on to the next unit (with the space between them, where there is one)."""
    flat = flatten(source)
    units = list(_UNIT.finditer(flat))
    if not units:
        raise ValueError("nothing to copy from: the source has no words")
    rules = ['root ::= " "? start']
    rules.append("start ::= " + " | ".join(f"w{k}" for k in range(len(units))))
    for k, unit in enumerate(units):
        tail = ""
        if k + 1 < len(units):
            gap = flat[unit.end() : units[k + 1].start()]
            tail = f" ({gbnf_literal(gap) + ' ' if gap else ''}w{k + 1})?"
        rules.append(f"w{k} ::= {gbnf_literal(unit.group())}{tail}")
    return "\n".join(rules) + "\n"


def detect(owners: Callable[[], Sequence[str]], grammar_followed: Callable[[str], bool]) -> str:
    """The kind of the server behind ``owners`` (the ``owned_by`` of each model it lists; raises or returns
    nothing where it cannot say) and ``grammar_followed`` (whether a two-token request with a GBNF
    ``grammar`` field got back exactly that grammar's sentence)."""
    try:
        named = {_OWNERS[o] for o in owners() if o in _OWNERS}
    except Exception:  # noqa: BLE001 - a server without /models is still a server: the probe decides
        named = set()
    if len(named) == 1:
        return named.pop()
    try:
        followed = grammar_followed(f"root ::= {gbnf_literal(PROBE_WORDS)}\n")
    except Exception:  # noqa: BLE001 - a server that rejects the field is plain
        followed = False
    return "llama.cpp" if followed else "plain"


def with_opening(kind: str, messages: Sequence[dict], opening: str) -> tuple[list[dict], dict[str, Any]]:
    """The messages and extra request fields that make ``kind``'s reply begin with ``opening`` (vLLM
    continues an assistant turn that holds it; llama.cpp writes it as the grammar's first words, which
    the caller adds)."""
    if kind == "vllm" and opening:
        turn = {"role": "assistant", "content": opening}
        return [*messages, turn], {"continue_final_message": True, "add_generation_prompt": False}
    return list(messages), {}


def after_tokens(grammar: str | None, tokens: Sequence[int]) -> str:
    """``grammar`` (any text where None) with ``tokens`` written first, as token literals: the reply's opening
    spelled the way the tokenizer spells it, not in whatever pieces the model finds likeliest."""
    body = grammar.replace("root ::=", "reply ::=", 1) if grammar else "reply ::= [^\\x00]*\n"
    return f"root ::= {' '.join(f'<[{t}]>' for t in tokens)} reply\n" + body


def token_grammar(tokens: Sequence[int]) -> str:
    """A grammar whose only sentence is ``tokens``, token by token."""
    return f"root ::= {' '.join(f'<[{t}]>' for t in tokens)}\n"


def ends(token: str) -> bool:
    """Whether a reply token ends a copy: a control token (empty text, or spelled ``<|...|>``) or a line end."""
    return not token or "\n" in token or (token.startswith("<|") and token.endswith("|>"))


def copy_steps(steps: Sequence[Step], limit: int, candidates: int) -> int:
    """How many of a grammar-constrained reply's steps the embedded model's copier (``copying.Copier``) takes:
    it stops where an end token (or a line break) is likelier than the token the grammar chose, once a word
    is written; where the chosen token is not among the likeliest ``candidates`` (seen only when the server
    gave that many alternatives); and after ``limit`` tokens."""
    written = ""
    for k, (token, logprob, alternatives) in enumerate(steps[:limit]):
        if ends(token):
            return k
        ranked = sorted(alternatives.values(), reverse=True)
        if len(ranked) >= candidates and logprob < ranked[candidates - 1]:
            return k
        if written.strip() and any(ends(t) and lp > logprob for t, lp in alternatives.items()):
            return k
        written += token
    return min(len(steps), limit)
