"""Whether a prefix's state is kept, told without the model (backends/prefix_notes.py, LlamaCppBackend.has_state):
the backend's model calls are stood in for, its state files and notes are real."""

from __future__ import annotations

import os

import numpy as np
import pytest

from assistant.backends.llamacpp import LlamaCppBackend

BASE = [{"role": "system", "content": "Read."}]  # a prompt's fixed part, which each article's state builds on
ARTICLE = BASE + [{"role": "user", "content": "Article: the water hack."}]
OTHER = BASE + [{"role": "user", "content": "Article: the harbour leak."}]


class _Llm:
    """What warm() and the state files touch of a loaded llama.cpp model."""

    def __init__(self) -> None:
        self.input_ids = np.zeros(256, dtype=np.int32)
        self.n_tokens = 0

    def reset(self) -> None:
        self.n_tokens = 0


def _backend(model_file, state_dir, loads: list, **kwargs) -> LlamaCppBackend:
    backend = LlamaCppBackend(model_file, state_dir=state_dir, **kwargs)
    llm = _Llm()

    def load():
        loads.append(1)
        backend._llm = llm
        return llm

    def prime(tokens):
        llm.input_ids[: len(tokens)] = tokens
        llm.n_tokens = len(tokens)

    def set_state(blob, ids):
        prime(list(ids))
        return True

    backend._load = load
    backend._tokens = lambda messages, generation_prompt=True: [
        1 + ord(ch) % 97 for m in messages for ch in m["content"]
    ]
    backend._prime = prime
    backend._snapshot = lambda: b"kv-state" * 8
    backend._set_state = set_state
    return backend


@pytest.fixture
def model_file(tmp_path):
    path = tmp_path / "model.gguf"
    path.write_bytes(b"GGUF" + bytes(60))
    return path


def test_a_kept_state_is_found_by_its_messages_without_loading_the_model(model_file, tmp_path):
    states, loads = tmp_path / "states", []
    first = _backend(model_file, states, loads)
    assert first.has_state(ARTICLE) is False and loads == []
    first.warm(ARTICLE)
    assert first.has_state(ARTICLE) is True and first.has_state(OTHER) is False
    loads.clear()
    again = _backend(model_file, states, loads)  # another process: nothing held, the disk remembers
    assert again.has_state(ARTICLE) is True and again.has_state(OTHER) is False and loads == []
    (kv,) = states.glob("prefix-*.kv")
    kv.unlink()  # the state itself gone: its note alone says nothing
    assert again.has_state(ARTICLE) is False


def test_another_model_or_context_does_not_find_the_state(model_file, tmp_path):
    states = tmp_path / "states"
    _backend(model_file, states, []).warm(ARTICLE)
    assert _backend(model_file, states, [], n_ctx=2048).has_state(ARTICLE) is False
    model_file.write_bytes(b"GGUF" + bytes(61))  # another file under the same name
    assert _backend(model_file, states, []).has_state(ARTICLE) is False


def test_a_state_kept_before_the_notes_is_noted_when_it_is_next_restored(model_file, tmp_path):
    states = tmp_path / "states"
    _backend(model_file, states, []).warm(ARTICLE)
    for note in states.glob("messages-*.ref"):
        note.unlink()
    later = _backend(model_file, states, [])
    assert later.has_state(ARTICLE) is False
    later.warm(ARTICLE)  # restored from its file, not computed
    assert _backend(model_file, states, []).has_state(ARTICLE) is True


def test_without_a_state_directory_only_what_is_held_counts(model_file):
    backend = _backend(model_file, None, [], max_anchors=1)
    assert backend.has_state(ARTICLE) is False
    backend.warm(ARTICLE)
    assert backend.has_state(ARTICLE) is True
    backend.warm(OTHER)  # holds one prefix: ARTICLE's state is dropped
    assert backend.has_state(OTHER) is True and backend.has_state(ARTICLE) is False


def _state_of(backend, messages):
    return backend._state_file(backend._tokens(messages, generation_prompt=False))


def test_pruning_a_state_removes_its_note(model_file, tmp_path):
    states = tmp_path / "states"
    backend = _backend(model_file, states, [], max_state_bytes=300)  # room for two state files
    backend.warm(BASE)
    backend.warm(ARTICLE)
    os.utime(_state_of(backend, ARTICLE), (1, 1))  # the older state: pruned first
    backend.warm(OTHER)
    assert sorted(states.glob("prefix-*.kv")) == sorted([_state_of(backend, BASE), _state_of(backend, OTHER)])
    assert backend.has_state(OTHER) is True
    assert (
        len(list(states.glob("messages-*.ref"))) == 2 and _backend(model_file, states, []).has_state(ARTICLE) is False
    )


def test_a_state_computed_from_nothing_outlives_pruning_however_long_unused(model_file, tmp_path):
    # A prompt's fixed part (a root) is what every article's state and every check builds on: losing it to a run
    # of new articles would cost each later question its whole prompt again.
    states = tmp_path / "states"
    backend = _backend(model_file, states, [], max_state_bytes=200)  # room for one state file
    backend.warm(BASE)
    backend.warm(ARTICLE)
    for messages in (BASE, ARTICLE):
        os.utime(_state_of(backend, messages), (1, 1))  # both the least recently used
    backend.warm(OTHER)
    assert sorted(states.glob("prefix-*.kv")) == sorted([_state_of(backend, BASE), _state_of(backend, OTHER)])
    assert _backend(model_file, states, []).has_state(BASE) is True
