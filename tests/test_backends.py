import pytest

from assistant.backends.base import parse_json_reply
from conftest import free_port
from assistant.backends.caching import CachingBackend
from assistant.backends.llamacpp import _const_prefix, _property_order
from assistant.backends.openai_compat import OpenAICompatBackend
from assistant.backends.scripted import ScriptedBackend
from assistant.errors import BackendUnavailable, ModelError


def test_parse_json_reply_finds_the_object_in_prose():
    assert parse_json_reply('Sure! ```json\n{"a": 1}\n```') == {"a": 1}
    with pytest.raises(ValueError):
        parse_json_reply("no json here")


def test_unreachable_endpoint_is_a_one_line_error():
    backend = OpenAICompatBackend(base_url=f"http://127.0.0.1:{free_port()}/v1", model="m", timeout=2, max_retries=0)
    with pytest.raises(BackendUnavailable) as err:
        backend.generate([{"role": "user", "content": "hi"}], None)
    assert "cannot reach" in str(err.value) and "\n" not in str(err.value)


def test_missing_model_file_is_a_model_error(tmp_path):
    from assistant.backends.llamacpp import LlamaCppBackend

    with pytest.raises(ModelError, match="not found"):
        LlamaCppBackend(tmp_path / "absent.gguf")


def test_constant_keys_are_written_not_decoded():
    schema = {"type": "object", "properties": {"answers": {"const": "yes"}, "words": {"type": "string"}}, "required": ["answers", "words"]}
    written, name, sub = _const_prefix(schema)
    assert written == '{"answers": "yes", "words": "' and name == "words" and sub == {"type": "string"}
    assert _const_prefix({"type": "object", "properties": {"a": {"type": "string"}}, "required": ["a"]}) == ("", "", None)
    assert _property_order({"anyOf": [{"properties": {"id": {}, "answer": {}}}]}) == ["id", "answer"]


def test_caching_backend_asks_once(tmp_path):
    inner = ScriptedBackend([{"x": 1}])
    cached = CachingBackend(inner, tmp_path / "c.sqlite")
    msgs = [{"role": "user", "content": "q"}]
    assert cached.generate(msgs, {"type": "object"}) == {"x": 1}
    assert cached.generate(msgs, {"type": "object"}) == {"x": 1}  # the queue is empty: served from the cache
    again = CachingBackend(ScriptedBackend(), tmp_path / "c.sqlite")
    assert again.generate(msgs, {"type": "object"}) == {"x": 1} and again.hits == 1


def test_default_probabilities_use_one_constrained_choice():
    backend = ScriptedBackend([{"answer": "no"}])
    assert backend.probabilities([{"role": "user", "content": "?"}], ["yes", "no"]) == {"yes": 0.0, "no": 1.0}
