"""Shared fixtures: a small story corpus, a temp cache, and a scripted fake model."""

from __future__ import annotations

import re
import socket
from pathlib import Path

import pytest

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
    """A fake model that 'reads' by rules: P(yes) from keywords, answer words from a regex.

    ``rules`` maps a regex over the question to (regex over the sentence that makes it an answer,
    regex whose match in the sentence is the answer's words).
    """

    supports_logprobs = True  # probabilities() below gives graded numbers, as a model's logits would

    def __init__(self, rules: dict[str, tuple[str, str]]) -> None:
        super().__init__()
        self.rules = rules
        self.default = self._reply

    def _rule(self, messages):
        user = messages[-1]["content"]
        question = re.search(r"Question: (.*)", user).group(1)
        sentence = re.search(r"Sentence: (.*)", user).group(1)
        for q_pattern, (answers, words) in self.rules.items():
            if re.search(q_pattern, question, re.I):
                return sentence, answers, words
        return sentence, None, None

    def probabilities(self, messages, options, reply_prefix=""):
        self.requests.append({"messages": list(messages), "options": list(options)})
        if messages[-1]["content"].startswith("Passage:"):  # the instruction check: names AI systems?
            yes = 0.97 if re.search(r"\b(?:AI|assistants?|chatbots?)\b", messages[-1]["content"]) else 0.03
            return {"yes": yes, "no": 1 - yes}
        sentence, answers, _ = self._rule(messages)
        yes = 0.97 if answers and re.search(answers, sentence, re.I) else 0.03
        return {"yes": yes, "no": 1 - yes}

    def _reply(self, messages, schema):
        sentence, _, words = self._rule(messages)
        match = re.search(words, sentence, re.I) if words else None
        return {"answers": "yes", "words": match.group(0) if match else ""}


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
