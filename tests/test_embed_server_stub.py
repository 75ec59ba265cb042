"""``ServerEncoder`` against a stub embedding server (http.server in a thread, canned JSON): batching,
concurrency, order, normalisation, the model it asks for, and one clear line for every reply that is
not one vector of numbers per text. Fast; tests/test_embed_server.py runs a real server (slow)."""

from __future__ import annotations

import hashlib
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import numpy as np
import pytest
from conftest import free_port

from assistant.embed_client import ServerEncoder
from assistant.errors import ModelError
from assistant.settings import EmbedServerSettings

DIMS = 8
TEXTS = ["alpha", "bravo", "charlie", "delta", "echo", "foxtrot", "golf"]


def _vector(text: str, dims: int = DIMS) -> list[float]:
    """A deterministic, deliberately unnormalised vector for ``text``."""
    raw = hashlib.sha256(text.encode()).digest()
    return [(b - 128) / 8.0 for b in raw[:dims]]


def _good(body: dict) -> tuple[int, object]:
    """A correct reply, listed in reverse with each item's index (servers may answer out of order)."""
    items = [{"object": "embedding", "index": i, "embedding": _vector(t)} for i, t in enumerate(body["input"])]
    return 200, {"object": "list", "data": items[::-1], "model": body["model"]}


class Stub:
    def __init__(self) -> None:
        self.reply = _good
        self.models = ["stub-embed"]
        self.delay = 0.0
        self.batches: list[list[str]] = []
        self.in_flight = self.most_in_flight = 0
        self.lock = threading.Lock()


@pytest.fixture
def stub():
    state = Stub()

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args) -> None:
            pass

        def _send(self, status: int, payload: object) -> None:
            data = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self) -> None:
            self._send(200, {"object": "list", "data": [{"id": m, "object": "model"} for m in state.models]})

        def do_POST(self) -> None:
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            with state.lock:
                state.batches.append(list(body["input"]))
                state.in_flight += 1
                state.most_in_flight = max(state.most_in_flight, state.in_flight)
            time.sleep(state.delay)
            with state.lock:
                state.in_flight -= 1
            self._send(*state.reply(body))

    server = ThreadingHTTPServer(("127.0.0.1", free_port()), Handler)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    state.url = f"http://127.0.0.1:{server.server_address[1]}/v1"
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()


def _encoder(stub, **settings) -> ServerEncoder:
    quick = dict(timeout_s=5.0, max_retries=0) | settings
    return ServerEncoder(stub.url, api_key="test", settings=EmbedServerSettings(**quick))


def _expected(texts: list[str]) -> np.ndarray:
    raw = np.array([_vector(t) for t in texts], dtype=np.float32)
    return raw / np.linalg.norm(raw, axis=1, keepdims=True)


def test_embed_server_stub_batches_concurrently_and_keeps_the_order(stub):
    stub.delay = 0.3  # long enough for the batches to overlap
    encoder = _encoder(stub, batch_size=3, concurrency=3)
    vectors = encoder.embed(TEXTS)
    assert vectors.dtype == np.float32 and vectors.shape == (len(TEXTS), DIMS)
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-6)  # rows L2-normalised
    assert np.allclose(vectors, _expected(TEXTS), atol=1e-6)  # in the order given, each row its own text's
    assert sorted(map(len, stub.batches)) == [1, 3, 3]  # batched by batch_size
    assert stub.most_in_flight >= 2  # and several batches in flight at once
    assert encoder.dimensions == DIMS  # learned from the reply


def test_embed_server_stub_sends_a_repeated_text_once_and_an_empty_list_is_empty(stub):
    encoder = _encoder(stub)
    vectors = encoder.embed(["alpha", "bravo", "alpha", "alpha"])
    assert stub.batches == [["alpha", "bravo"]]
    assert np.allclose(vectors, _expected(["alpha", "bravo", "alpha", "alpha"]), atol=1e-6)
    empty = _encoder(stub).embed([])  # the width is probed once
    assert empty.shape == (0, DIMS) and empty.dtype == np.float32


def test_embed_server_stub_takes_a_reply_without_indexes_in_its_order(stub):
    stub.reply = lambda body: (200, {"data": [{"embedding": _vector(t)} for t in body["input"]]})
    assert np.allclose(_encoder(stub).embed(TEXTS[:3]), _expected(TEXTS[:3]), atol=1e-6)


def test_embed_server_stub_model_defaults_to_the_one_listed_and_names_no_host(stub):
    encoder = _encoder(stub)
    assert encoder.model_name == "openai-embeddings:stub-embed"
    encoder.embed(["alpha"])
    other_host = ServerEncoder("http://192.0.2.1:9/v1", model="stub-embed")  # never contacted
    assert other_host.model_name == encoder.model_name  # the same model from another machine: same vectors
    assert ServerEncoder(stub.url, model="another").model_name != encoder.model_name
    stub.models = ["text-embedding-3-small", "gpt-4o"]
    with pytest.raises(ModelError, match="lists 2 models .*--embed-model"):
        _ = _encoder(stub).model_name


def _reply_with(change):
    def reply(body):
        status, payload = _good(body)
        return status, change(payload, body)

    return reply


def _set_vectors(vectors):
    def change(payload, body):
        for item, vector in zip(payload["data"], vectors):
            item["embedding"] = vector
        return payload

    return change


GARBAGE = {
    "one vector too few": lambda p, b: p | {"data": p["data"][1:]},
    "one vector too few, unindexed": lambda p, b: {"data": [{"embedding": d["embedding"]} for d in p["data"][1:]]},
    "no data list": lambda p, b: {"object": "list"},
    "not JSON": lambda p, b: b"<html>502 Bad Gateway</html>",
    "strings for numbers": _set_vectors([["0.1", "0.2"], ["0.3", "0.4"]]),
    "booleans for numbers": _set_vectors([[True, False], [False, True]]),
    "a vector per token": _set_vectors([[[0.1, 0.2], [0.3, 0.4]], [[0.5, 0.6], [0.7, 0.8]]]),
    "rows of different lengths": _set_vectors([[0.1, 0.2], [0.3, 0.4, 0.5]]),
    "empty rows": _set_vectors([[], []]),
    "nulls": _set_vectors([[None, 0.2], [0.3, 0.4]]),
    "indexes out of range": lambda p, b: p | {"data": [d | {"index": d["index"] + 5} for d in p["data"]]},
    "a base64 string": _set_vectors(["AAAAAA==", "AAAAAA=="]),
}


@pytest.mark.parametrize("kind", list(GARBAGE))
def test_embed_server_stub_garbage_is_one_clear_line(stub, kind):
    stub.reply = _reply_with(GARBAGE[kind])
    with pytest.raises(ModelError) as caught:
        _encoder(stub).embed(["alpha", "bravo"])
    message = str(caught.value)
    assert "\n" not in message and stub.url in message and "is not an embedding list" in message, message


def test_embed_server_stub_vectors_of_another_width_later_are_garbage(stub):
    encoder = _encoder(stub)
    encoder.embed(["alpha"])
    stub.reply = lambda body: (200, {"data": [{"index": 0, "embedding": [1.0, 2.0, 3.0]}]})
    with pytest.raises(ModelError, match="3-number vectors after 8-number ones"):
        encoder.embed(["bravo"])


def test_embed_server_stub_an_error_status_is_one_line_naming_the_status(stub):
    stub.reply = lambda body: (500, {"error": {"message": "out of memory\nat line 3"}})
    with pytest.raises(ModelError) as caught:
        _encoder(stub).embed(["alpha"])
    message = str(caught.value)
    assert "\n" not in message and stub.url in message and "HTTP 500" in message, message
