"""Reading through servers that take a grammar and give logprobs (backends/endpoint_kinds.py, openai_compat.py):
the copy grammar admits exactly the runs of the source, the copier's stopping rules are replayed on the
server's steps, and the requests sent to a vLLM-style and a llama.cpp-style server carry the constraint and
logprob fields each needs (stub servers record them; no vLLM runs on CPU here)."""

from __future__ import annotations

import http.server
import json
import math
import re
import threading

import pytest
from hypothesis import given
from hypothesis import strategies as st

from assistant.backends.base import option_variants
from assistant.backends.endpoint_kinds import (
    PROBE_WORDS,
    copy_grammar,
    copy_steps,
    detect,
    gbnf_literal,
)
from assistant.backends.openai_compat import OpenAICompatBackend
from assistant.text import flatten

# -- the grammar, read back by a small interpreter of the forms copy_grammar writes -----------------------------
_RULE = re.compile(r"^(\w+) ::= (.*)$")


def _unquote(literal: str) -> str:
    body = literal[1:-1]
    return re.sub(r"\\x([0-9a-f]{2})|\\(.)", lambda m: chr(int(m.group(1), 16)) if m.group(1) else m.group(2), body)


def _sentences(grammar: str) -> set[str]:
    """Every sentence of a copy grammar (without the optional leading space)."""
    rules = dict(_RULE.match(line).groups() for line in grammar.strip().splitlines())
    assert rules["root"] == '" "? start'

    def runs(name: str) -> set[str]:
        m = re.fullmatch(r'("(?:[^"\\]|\\.)*")(?: \((?:("(?:[^"\\]|\\.)*") )?(w\d+)\)\?)?', rules[name])
        assert m, rules[name]
        own = _unquote(m.group(1))
        out = {own}
        if m.group(3):
            gap = _unquote(m.group(2)) if m.group(2) else ""
            out |= {own + gap + rest for rest in runs(m.group(3))}
        return out

    return set().union(*(runs(alt) for alt in rules["start"].split(" | ")))


def _unit_runs(source: str) -> set[str]:
    """The runs of ``source`` (whitespace collapsed) between unit boundaries, computed without the grammar."""
    flat = flatten(source)
    bounds = sorted(
        {0, len(flat)}
        | {m.start() for m in re.finditer(r"(?<=\s)\S|\s", flat)}
        | {
            i
            for i in range(1, len(flat))
            if flat[i - 1].isalpha() != flat[i].isalpha() and not flat[i].isspace() and not flat[i - 1].isspace()
        }
        | {i for i in range(1, len(flat)) if not flat[i].isalnum() and not flat[i].isspace()}
        | {i + 1 for i in range(len(flat)) if not flat[i].isalnum() and not flat[i].isspace()}
    )
    starts = [b for b in bounds if b < len(flat) and not flat[b].isspace()]
    ends = [b for b in bounds if b > 0 and not flat[b - 1].isspace()]
    return {flat[a:b] for a in starts for b in ends if b > a}


_WORDS = st.sampled_from(["Power", "was", "cut", "12", "km", "3.5", '"said"', "(RLHF)", "state-backed", "Ørsted,"])


@given(st.lists(_WORDS, min_size=1, max_size=6), st.lists(st.sampled_from([" ", "\n", "  "]), min_size=6, max_size=6))
def test_the_copy_grammar_admits_exactly_the_runs_of_the_source(words, gaps):
    source = "".join(w + g for w, g in zip(words, gaps))
    assert _sentences(copy_grammar(source)) == _unit_runs(source)


@given(st.text(max_size=40))
def test_a_gbnf_literal_reads_back_as_the_text(text):
    literal = gbnf_literal(text)
    assert literal.startswith('"') and literal.endswith('"') and "\n" not in literal
    assert _unquote(literal) == text


def test_a_source_without_words_is_refused():
    with pytest.raises(ValueError, match="no words"):
        copy_grammar(" \n ")


# -- the copier's stopping rules, replayed on a server's steps --------------------------------------------------
def test_copy_steps_stop_where_the_embedded_copier_stops():
    def step(token, lp, **alternatives):
        return (token, lp, {token: lp, **{k.replace("_", " "): v for k, v in alternatives.items()}})

    end = {"": -0.1}  # a control token: the server detokenizes it to nothing
    steps = [step(" for", -0.5), step(" nearly", -0.2), step(" three", -0.3), step(" days", -1.0)]
    assert copy_steps(steps, 32, 64) == 4
    assert copy_steps(steps, 2, 64) == 2  # the token limit
    ended = [steps[0], steps[1], (" three", -0.3, {" three": -0.3, **end})]
    assert copy_steps(ended, 32, 64) == 2  # an end likelier than the chosen token ends it once a word is written
    assert copy_steps([(" for", -0.5, {" for": -0.5, **end})], 32, 64) == 1  # but not before one is
    line = [steps[0], (" nearly", -0.9, {" nearly": -0.9, ".\n": -0.4})]
    assert copy_steps(line, 32, 64) == 1  # a line end counts as an end
    many = {f" w{k}": -0.01 * k for k in range(64)}
    assert copy_steps([steps[0], (" far", -5.0, {**many, " far": -5.0})], 32, 64) == 1  # not among the 64 likeliest
    assert copy_steps([steps[0], (" far", -5.0, {**many, " far": -5.0})], 32, 80) == 2


def test_the_server_kind_is_named_or_probed():
    def probe_ok(grammar):
        assert gbnf_literal(PROBE_WORDS) in grammar
        return True

    def refuse(grammar):
        raise RuntimeError("HTTP 400")

    assert detect(lambda: ["vllm"], refuse) == "vllm"
    assert detect(lambda: ["llamacpp"], refuse) == "llama.cpp"
    assert detect(lambda: ["me"], probe_ok) == "llama.cpp"  # llama-cpp-python's server says nothing in /models
    assert detect(lambda: ["openai"], lambda g: False) == "plain"
    assert detect(lambda: (_ for _ in ()).throw(OSError("404")), refuse) == "plain"


# -- what the servers receive -------------------------------------------------------------------------------------
class _Stub(http.server.BaseHTTPRequestHandler):
    """A server of the given kind: lists one model, tokenizes by words, and answers chat completions with the
    scripted steps (token, logprob, alternatives) of ``replies``, recording every request body."""

    owner = "vllm"
    bodies: list[tuple[str, dict]] = []
    replies: list[list[tuple[str, float, dict]]] = []
    prompt_logprobs: list = []
    slots: int | None = None  # llama-server's /props total_slots; None: no /props (llama-cpp-python's server)

    def _send(self, payload):
        data = json.dumps(payload).encode("utf-8")
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        if self.path == "/props":
            if self.slots is None:
                return self.send_error(404)
            return self._send({"total_slots": self.slots, "model_path": "m.gguf"})
        self._send({"object": "list", "data": [{"id": "m", "object": "model", "owned_by": self.owner}]})

    def do_POST(self):
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        type(self).bodies.append((self.path, body))
        if self.path.endswith("tokenize"):
            text = body.get("prompt") or body.get("input") or ""
            return self._send({"tokens": [100 + k for k, _ in enumerate(re.findall(r"\w+|[^\w\s]|\s", text))]})
        steps = type(self).replies.pop(0)
        content = [
            {
                "token": t,
                "logprob": lp,
                "bytes": None,
                "top_logprobs": [{"token": a, "logprob": v, "bytes": None} for a, v in alts.items()],
            }
            for t, lp, alts in steps
        ]
        reply = {
            "id": "x",
            "object": "chat.completion",
            "created": 0,
            "model": "m",
            "choices": [
                {
                    "index": 0,
                    "finish_reason": "stop",
                    "logprobs": {"content": content},
                    "message": {"role": "assistant", "content": "".join(t for t, _, _ in steps)},
                }
            ],
        }
        if body.get("prompt_logprobs") is not None:
            reply["prompt_logprobs"] = type(self).prompt_logprobs
        self._send(reply)

    def log_message(self, *args):
        pass


@pytest.fixture
def stub():
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Stub)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    _Stub.bodies, _Stub.replies, _Stub.slots = [], [], None
    yield f"http://127.0.0.1:{server.server_address[1]}/v1"
    server.shutdown()


ASK = [{"role": "system", "content": "Answer from the article."}, {"role": "user", "content": "How long?"}]
SOURCE = "Power was cut for nearly three days, the utility said."


def test_a_vllm_server_gets_a_grammar_a_continued_turn_and_logprob_requests(stub):
    _Stub.owner = "vllm"
    backend = OpenAICompatBackend(base_url=stub, model="m")
    _Stub.replies = [
        [("yes", -0.1, {"yes": -0.1, "Yes": -2.0, "no": -3.0, "maybe": -4.0})],
        [
            (" for", -0.4, {" for": -0.4}),
            (" nearly", -0.1, {" nearly": -0.1}),
            (" three", -0.2, {" three": -0.2}),
            (" days", -0.3, {" days": -0.3, "": -2.0}),
            ("", -0.05, {"": -0.05}),
        ],
    ]
    p = backend.probabilities(ASK, ["yes", "no"])
    copied = backend.copy_span(ASK, SOURCE, reply_prefix="yes:", max_tokens=24)
    assert backend.kind == "vllm" and backend.supports_copy and backend.supports_likelihood
    want = math.exp(-0.1) + math.exp(-2.0)
    assert p["yes"] == pytest.approx(want / (want + math.exp(-3.0)))
    assert copied.text == "for nearly three days" and copied.confidence == pytest.approx(-0.25)
    chats = [b for path, b in _Stub.bodies if path.endswith("/chat/completions")]
    asked, copying = chats
    assert asked["messages"] == ASK  # no extra turn asking for one word
    assert asked["logprobs"] is True and asked["top_logprobs"] == 20 and asked["max_tokens"] == 1
    assert copying["messages"] == [*ASK, {"role": "assistant", "content": "yes:"}]
    assert copying["continue_final_message"] is True and copying["add_generation_prompt"] is False
    assert copying["structured_outputs"] == {"grammar": copy_grammar(SOURCE)} and "grammar" not in copying
    assert all(b["temperature"] == 0 and b["seed"] == 0 for b in chats)


def test_a_vllm_server_reads_a_replys_likelihood_from_its_prompt_logprobs(stub):
    _Stub.owner = "vllm"
    backend = OpenAICompatBackend(base_url=stub, model="m")
    _Stub.replies = [[("x", -1.0, {})]]
    _Stub.prompt_logprobs = [None, {"7": {"logprob": -9.0}}] + [{str(100 + k): {"logprob": -1.0 - k}} for k in range(4)]
    assert backend.likelihood(ASK, "Stop now.") == pytest.approx(-2.5)  # "Stop", " ", "now", ".": the last four
    tokenize, chat = _Stub.bodies
    assert tokenize[0] == "/tokenize" and tokenize[1]["prompt"] == "Stop now."
    assert chat[1]["prompt_logprobs"] == 0 and chat[1]["messages"][-1] == {"role": "assistant", "content": "Stop now."}
    spelled = [None, {"7": {"logprob": -9.0}}] + [
        {str(100 + k): {"logprob": -1.0 - k, "decoded_token": t}} for k, t in enumerate(["Stop", " ", "now", "."])
    ]
    _Stub.prompt_logprobs, _Stub.replies = spelled, [[("x", -1.0, {})]]
    assert backend.likelihood(ASK, "Stop now.", (5, 8)) == pytest.approx(-7 / 3)  # "now" (-3.0) left out


def test_a_llama_cpp_server_gets_the_opening_as_token_literals_before_the_copy_grammar(stub):
    _Stub.owner = "me"  # llama-cpp-python's server: the probe decides
    backend = OpenAICompatBackend(base_url=stub, model="m")
    _Stub.replies = [
        [("qz", -0.1, {}), (" qz", -0.1, {})],  # the probe, followed
        [
            ("yes", -0.01, {}),
            (":", -0.01, {}),
            (" nearly", -0.2, {" nearly": -0.2}),
            (" three", -0.1, {" three": -0.1}),
            (" days", -0.3, {" days": -0.3}),
        ],
    ]
    copied = backend.copy_span(ASK, SOURCE, reply_prefix="yes:", max_tokens=2)
    assert backend.kind == "llama.cpp" and not backend.concurrent
    assert copied.text == "nearly three" and copied.confidence == pytest.approx(-0.15)  # the opening's steps skipped
    (_, probe), (path, tokenized), (_, copying) = _Stub.bodies
    assert path == "/extras/tokenize" and tokenized == {"input": "yes:"}
    assert copying["grammar"].startswith("root ::= <[100]> <[101]> reply\n")  # "yes:" as the tokenizer spells it
    assert copying["grammar"].split("\n", 1)[1] == copy_grammar(SOURCE).replace("root ::=", "reply ::=", 1)
    assert copying["messages"] == ASK and copying["max_tokens"] == 2 + 2


def test_a_llama_cpp_server_with_several_slots_is_sent_several_requests_at_once(stub):
    _Stub.owner = "llamacpp"  # llama.cpp's llama-server names itself
    for slots, concurrent in ((None, False), (1, False), (4, True)):
        _Stub.slots = slots
        backend = OpenAICompatBackend(base_url=stub, model="m")
        assert (backend.kind, backend.concurrent) == ("llama.cpp", concurrent)
        assert backend.slots == (slots or 1)
    _Stub.owner = "vllm"
    assert OpenAICompatBackend(base_url=stub, model="m").concurrent  # other kinds never ask


def test_a_plain_endpoint_keeps_the_free_path(stub):
    _Stub.owner = "openai"
    backend = OpenAICompatBackend(base_url=stub, model="m", kind="plain")
    assert not backend.supports_copy and not backend.supports_likelihood and backend.concurrent
    assert backend.run_info()["copying"].startswith("free")
    assert option_variants("yes") >= {"yes", "Yes", " yes"}
