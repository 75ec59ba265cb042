"""Prompt files: Jinja2 templates that render exactly as the str.format ones did, and fail loudly."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from assistant.config import prompts_dir
from assistant.prompts import Prompt, PromptError, load_prompt

ROOT = Path(__file__).resolve().parent.parent

# The variables each prompt's callers pass (reader.py, gather.py, injection.py, followup.py, stance.py,
# evaluate/judge.py).
CALLER_VARIABLES = {
    "check_instruction": {"passage", "sentence"},
    "check_stance": {"sentence"},
    "judge_entailment": {"claim", "passages"},
    "order_answer": {"question"},  # the gathering's order check: the sentence is the reply
    "report_answer": {"question"},
    "read_article": {"article", "question"},
    "rewrite_followup": {"previous", "followup"},
    "same_answer": {"question", "first", "second"},
    "same_subject": {"question", "first", "second"},
    "write_instruction": set(),  # the screen's two framings: the sentence is the reply, not a variable
    "write_news": set(),
}
PLACEHOLDER = re.compile(r"\{\{ (\w+) \}\}")

# Text an article can hold that a template engine or str.format would love to interpret.
NASTY = [
    "{}",
    "{x}",
    "{{",
    "}}",
    "{{ question }}",
    "{question}",
    "{0}",
    "{:>10}",
    "{% raw %}x{% endraw %}",
    "{% if x %}y{% endif %}",
    "{# comment #}",
    "{%- raw -%}",
    "-}} {{- trimmed {%- -%}",
    "{%",
    "%}",
    "#}",
    "## line statement",
    '{"answers": "yes", "words": "x"}',
    "He said \"quote\" and 'single' \\ backslash \\n \\\\",
    "café – “curly” ‘quotes’ 中文 🚀 \u200b",
    "multi\nline\n\nblank\n",
    "  spaces  ",
    "\n\nleading",
    "tabs\tand\r\ncrlf\r",
    "<b>html</b> &amp; &lt;",
    "${dollar} %s %(name)s",
    "",
]
values_text = st.one_of(
    st.text(),
    st.sampled_from(NASTY),
    st.lists(st.one_of(st.sampled_from(NASTY), st.text(max_size=8)), max_size=6).map("".join),
)


def _str_format_user(prompt: Prompt, template: str | None = None, **values) -> str:
    """The rendering before Jinja2: the template with ``{name}`` placeholders, through str.format."""
    return PLACEHOLDER.sub(r"{\1}", prompt.user if template is None else template).format(**values).strip()


def _turns(prompt: Prompt, **values) -> list[str]:
    """The user turns a request ends with: the context turn (an article) first when the prompt has one."""
    context = [_str_format_user(prompt, prompt.context, **values)] if prompt.context else []
    return context + [_str_format_user(prompt, **values)]


def _str_format_prefix(prompt: Prompt) -> list[dict]:
    messages = [{"role": "system", "content": prompt.system.strip()}]
    for ex in prompt.examples:
        messages.extend({"role": "user", "content": turn} for turn in _turns(prompt, **ex["user"]))
        reply = ex["reply"]
        messages.append(
            {"role": "assistant", "content": reply if isinstance(reply, str) else json.dumps(reply, ensure_ascii=False)}
        )
    return messages


def _prompt(user: str, examples=(), reply_prefix: str = "") -> Prompt:
    return Prompt(name="test", system="System.\n", user=user, examples=tuple(examples), reply_prefix=reply_prefix)


def test_every_prompt_file_has_known_callers():
    assert {p.stem for p in prompts_dir().glob("*.yaml")} == set(CALLER_VARIABLES)


def test_every_prompt_a_caller_names_exists():
    named = set()
    for path in (ROOT / "assistant").rglob("*.py"):
        named |= set(re.findall(r'load_prompt\("(\w+)"\)', path.read_text(encoding="utf-8")))
    assert named and named <= set(CALLER_VARIABLES)


@pytest.mark.parametrize("name", sorted(CALLER_VARIABLES))
def test_prompt_loads_and_renders_with_its_callers_variables(name):
    prompt = load_prompt(name)
    assert prompt.variables == CALLER_VARIABLES[name]
    values = {v: f"<{v} value>" for v in sorted(CALLER_VARIABLES[name])}
    messages = prompt.messages(**values)
    user = ["user", "user"] if prompt.context else ["user"]
    assert [m["role"] for m in messages] == ["system"] + (user + ["assistant"]) * len(prompt.examples) + user
    assert all(m["content"] and m["content"] == m["content"].strip() for m in messages)
    for value in values.values():
        assert any(value in m["content"] for m in messages[-len(user) :])
    assert messages[: -len(user)] == prompt.prefix()
    assert messages.prompt == name and messages.variables == values  # what a test's fake model reads


@pytest.mark.parametrize("name", sorted(CALLER_VARIABLES))
def test_only_the_user_template_holds_placeholders(name):
    """``system`` and the replies are plain text; ``user`` has no braces but its ``{{ var }}``s, so the
    str.format reference below is exactly what rendered these prompts before Jinja2."""
    prompt = load_prompt(name)
    for template in (prompt.user, prompt.context):
        assert "{" not in PLACEHOLDER.sub("", template) and "}" not in PLACEHOLDER.sub("", template)
    assert "{{" not in prompt.system and "{%" not in prompt.system


@pytest.mark.parametrize("name", sorted(CALLER_VARIABLES))
def test_prefix_renders_as_str_format_did(name):
    prompt = load_prompt(name)
    assert prompt.prefix() == _str_format_prefix(prompt)


def test_rendering_is_byte_identical_to_the_old_format_for_fixed_values():
    prompt = load_prompt("same_answer")
    assert prompt.render_user(question="Who {did} it?", first='{% raw %} "x" }} \\n', second="b") == (
        'Question: Who {did} it?\nFirst answer: {% raw %} "x" }} \\n\nSecond answer: b\nSame fact?'
    )
    read = load_prompt("read_article")
    assert read.messages(article="{{ a }}", question="q?")[-2:] == [
        {"role": "user", "content": "Article:\n{{ a }}"},
        {"role": "user", "content": "Question: q?"},
    ]
    judge = load_prompt("judge_entailment")
    assert judge.render_user(claim="C", passages="- a\n- b") == (
        "Claim: C\nPassages:\n- a\n- b\nIs the claim fully supported by the passages? Answer yes or no."
    )


@pytest.mark.parametrize("name", sorted(CALLER_VARIABLES))
@settings(max_examples=60, deadline=None)
@given(data=st.data())
def test_any_value_renders_as_str_format_did(name, data):
    prompt = load_prompt(name)
    values = {v: data.draw(values_text, label=v) for v in sorted(CALLER_VARIABLES[name])}
    messages = prompt.messages(**values)
    turns = _turns(prompt, **values)
    assert [m["content"] for m in messages[-len(turns) :]] == turns
    assert messages[: -len(turns)] == _str_format_prefix(prompt)


def test_a_missing_variable_is_an_error_naming_the_prompt_and_the_variable():
    with pytest.raises(PromptError, match=r"'read_article'.*missing variable\(s\) article"):
        load_prompt("read_article").messages(question="Who?")
    with pytest.raises(ValueError, match=r"'judge_entailment'.*missing variable\(s\) claim, passages"):
        load_prompt("judge_entailment").render_user()


def test_an_extra_variable_is_rejected():
    """str.format ignored extras; a variable the template does not use is a caller's typo or a
    prompt that dropped something the caller still thinks it shows."""
    with pytest.raises(PromptError, match=r"'check_instruction'.*unexpected variable\(s\) question"):
        load_prompt("check_instruction").messages(sentence="s", question="q")


def test_strict_undefined_catches_what_the_variable_check_cannot():
    prompt = _prompt("Hello {{ who.name }}")
    assert prompt.variables == {"who"}
    with pytest.raises(PromptError, match=r"'test'.*has no attribute 'name'"):
        prompt.render_user(who="x")


def test_a_broken_template_fails_at_load_with_its_line():
    with pytest.raises(PromptError, match=r"'test': bad user template, line 2"):
        _prompt("Question: {{ question }}\nSentence: {{ sentence }\n")


def test_examples_are_rendered_at_load():
    with pytest.raises(PromptError, match=r"missing variable\(s\) sentence"):
        _prompt("{{ question }} {{ sentence }}", [{"user": {"question": "q"}, "reply": "no"}])


def test_no_autoescape_and_no_trimming():
    prompt = _prompt("A: {{ a }}\n  {% if true %}\n  B: {{ b }}\n  {% endif %}\n")
    assert prompt.render_user(a="<&>", b="'\"") == "A: <&>\n  \n  B: '\""


def test_prefix_is_fresh_on_every_call():
    prompt = load_prompt("rewrite_followup")
    first = prompt.prefix()
    first[0]["content"] = "changed"
    first.append({"role": "user", "content": "x"})
    assert prompt.prefix() == _str_format_prefix(prompt)


def test_reply_prefix_lives_in_the_prompt_and_matches_its_examples():
    read = load_prompt("read_article")
    assert read.reply_prefix == "" and read.reply_keys == ()
    assert {m["content"].split(":")[0] for m in read.prefix() if m["role"] == "assistant"} == {"yes", "no"}
    check = load_prompt("check_instruction")  # its options are the replies themselves: "model" or "people"
    assert check.reply_prefix == "" and check.reply_keys == ()
    assert {m["content"] for m in check.prefix() if m["role"] == "assistant"} == {"model", "people"}
    for name in ("judge_entailment", "rewrite_followup", "same_answer", "same_subject"):
        assert load_prompt(name).reply_prefix == "" and load_prompt(name).reply_keys == ()
    for prompt in (read, check):
        replies = [m["content"] for m in prompt.prefix() if m["role"] == "assistant"]
        assert replies and all(r.startswith(prompt.reply_prefix) for r in replies)


def test_a_reply_prefix_the_examples_do_not_show_is_an_error():
    with pytest.raises(PromptError, match=r"does not start with the reply_prefix"):
        _prompt("{{ s }}", [{"user": {"s": "x"}, "reply": {"verdict": "yes"}}], reply_prefix='{"answer": "')
    with pytest.raises(PromptError, match=r"different keys"):
        _prompt("{{ s }}", [{"user": {"s": "x"}, "reply": {"a": "yes"}}, {"user": {"s": "y"}, "reply": {"b": "no"}}])


def test_the_readers_worked_examples_copy_their_answers_from_their_articles():
    """The reader can only copy: an example whose answer is not in its article would teach paraphrase."""
    prompt = load_prompt("read_article")
    answers = [ex for ex in prompt.examples if ex["reply"] != "no"]
    assert answers and len(answers) < len(prompt.examples)  # both kinds of reply are shown
    for ex in answers:
        assert ex["reply"].startswith("yes: ")
        assert ex["reply"][len("yes: ") :] in " ".join(ex["user"]["article"].split())
