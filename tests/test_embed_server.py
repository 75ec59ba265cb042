"""Embeddings from a real OpenAI-compatible server (``--embed-base-url``): llama-cpp-python's server
(``llama-cpp-python[server]``) started here on 127.0.0.1 with ``--embedding true``, serving the embedded
GGUF, and stopped at the end (slow: a second copy of the model loads).

llama.cpp serves embeddings of any GGUF; the shipped MiniLM is an ONNX file, and no package on the index
we know of serves an ONNX encoder offline, so the server's vectors here come from the chat model
(mean-pooled hidden states: the GGUF names no pooling, so ``--kv_overrides`` sets it, else the server
returns one vector per token). They are not MiniLM's, which is the point of (c): an index records its
encoder. tests/test_embed_server_stub.py covers garbage replies against a stub server (fast).
"""

from __future__ import annotations

import dataclasses
import os
import subprocess
import sys
import time

import numpy as np
import pytest
from conftest import free_port, llama_cpp_server

from assistant import Assistant
from assistant.backends.scripted import ScriptedBackend
from assistant.corpus import load_corpus
from assistant.embed_client import ServerEncoder
from assistant.embeddings import MiniLM
from assistant.errors import ModelError
from assistant.index import load_or_build
from assistant.question import parse_question
from assistant.retrieve import retrieve
from assistant.settings import EmbedServerSettings, RetrievalSettings, RetrievalWeights

pytestmark = pytest.mark.slow

ALIAS = "storydesk-embed"
TEXTS = [
    "The volcano erupted on Tuesday, covering the town in ash.",
    "Shares fell sharply on the stock exchange.",
    "The striker scored twice in the final.",
    "Add the flour slowly and stir the sauce.",
    "Rain is expected over the weekend.",
    "The council approved the new budget.",
    "A rare bird was spotted in the marsh.",
]
# llama.cpp does not give bit-identical vectors for a text decoded alone and in a batch with others (the
# matrix products are summed in another order): 1.1e-4 apart in cosine at most, measured. Two different
# texts above are at least 0.19 apart, so this still tells every row from every other.
SAME = 1e-3
# Four articles, each asked about in words it does not use: with dense retrieval alone, only the server's
# vectors can put the right one first.
ARTICLES = {
    "volcano": "Mount Ardent erupted early on Tuesday, sending a column of ash five kilometres into the sky.\n"
    "Villagers on the slopes were moved to shelters as lava flowed toward the river.\n",
    "football": "The home side won the cup final three goals to one on Saturday.\n"
    "Their striker scored twice in the second half, and the crowd sang until midnight.\n",
    "bakery": "A bakery on Mill Street has won a prize for its sourdough bread.\n"
    "The owner said the secret is a starter kept alive for forty years.\n",
    "markets": "Shares fell sharply on Monday as investors worried about interest rates.\n"
    "The central bank is expected to announce its decision on Thursday.\n",
}
QUESTIONS = {
    "Which mountain blew up and spewed ash?": "volcano",
    "Who scored in the match?": "football",
    "Where can I buy good loaves?": "bakery",
    "Why did stock prices drop?": "markets",
}


@pytest.fixture(scope="module")
def embed_server(tmp_path_factory):
    log = tmp_path_factory.mktemp("embed-server") / "server.log"
    flags = ("--embedding", "true", "--n_ctx", "2048", "--n_threads", "2")
    with llama_cpp_server(log, ALIAS, *flags, "--kv_overrides", "qwen2.pooling_type=int:1") as url:  # 1: mean
        yield url


def _cosines(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return (a * b).sum(axis=1) / (np.linalg.norm(a, axis=1) * np.linalg.norm(b, axis=1))


def test_embed_server_vectors_are_unit_rows_in_order_batched_or_not(embed_server):
    encoder = ServerEncoder(embed_server, settings=EmbedServerSettings(batch_size=3, concurrency=3))
    assert encoder.model_name == f"openai-embeddings:{ALIAS}"  # the one model the server lists
    batched = encoder.embed(TEXTS)  # three requests (3 + 3 + 1 texts), in flight together
    assert batched.dtype == np.float32 and batched.shape == (len(TEXTS), encoder.dimensions)
    assert np.allclose(np.linalg.norm(batched, axis=1), 1.0, atol=1e-5)  # the server's are not: 1.0 is ours
    alone = np.stack([ServerEncoder(embed_server).embed([t])[0] for t in TEXTS])
    assert np.all(_cosines(batched, alone) > 1 - SAME)  # same text, same vector, alone or in a batch, in order
    others = (alone @ batched.T)[~np.eye(len(TEXTS), dtype=bool)]
    assert others.max() < 0.95  # every row is far from every other text's: a row out of place would fail above
    one_batch = ServerEncoder(embed_server, settings=EmbedServerSettings(batch_size=64)).embed(TEXTS[::-1])
    assert np.all(_cosines(one_batch[::-1], batched) > 1 - SAME)


def test_embed_server_index_retrieves_by_the_server_vectors(embed_server, tmp_path):
    corpus = tmp_path / "articles"
    corpus.mkdir()
    for name, text in ARTICLES.items():
        (corpus / f"{name}.txt").write_text(text, encoding="utf-8")
    encoder = ServerEncoder(embed_server, settings=EmbedServerSettings(batch_size=8, concurrency=2))
    assistant = Assistant(corpus, backend=ScriptedBackend(), encoder=encoder, cache_dir=tmp_path / "cache")
    index = assistant.index
    assert index.embed_model == encoder.model_name and index.sentence_vectors.shape[1] == encoder.dimensions
    only_dense = {f.name: 0.0 for f in dataclasses.fields(RetrievalWeights)} | {"dense_sentence": 1.0}
    settings = RetrievalSettings(weights=RetrievalWeights(**only_dense))
    for question, expected in QUESTIONS.items():
        retrieval = retrieve(index, parse_question(question), encoder, settings)
        assert retrieval.evidence and retrieval.evidence[0].doc_id == expected, (question, retrieval.evidence[:2])


def test_embed_server_index_is_not_reused_by_another_encoder(embed_server, tmp_path, corpus_dir):
    corpus, cache = load_corpus(corpus_dir), tmp_path / "cache"
    served, built = load_or_build(corpus, cache, ServerEncoder(embed_server))
    assert built
    again, built = load_or_build(corpus, cache, ServerEncoder(embed_server.replace("127.0.0.1", "localhost")))
    assert not built and again.key == served.key  # the same model from another address: the same index
    local, built = load_or_build(corpus, cache, MiniLM())
    assert built and local.key != served.key and local.embed_model != served.embed_model
    assert local.sentence_vectors.shape[1] == 384 != served.sentence_vectors.shape[1]


def test_embed_server_through_the_cli_index_command(embed_server, corpus_dir, tmp_path):
    env = dict(os.environ, STORYDESK_CACHE_DIR=str(tmp_path / "cache"), OPENAI_API_KEY="not-needed")
    command = [sys.executable, "-m", "assistant.cli", "index", "--corpus", str(corpus_dir), "--no-reading-state"]
    command += ["--embed-base-url", embed_server, "--embed-model", ALIAS]
    first = subprocess.run(command, capture_output=True, text=True, env=env, timeout=300)
    assert first.returncode == 0 and first.stdout.startswith("index built: 3 articles"), first.stderr[-800:]
    second = subprocess.run(command, capture_output=True, text=True, env=env, timeout=300)
    assert second.returncode == 0 and second.stdout.startswith("index up to date"), second.stderr[-800:]
    local = subprocess.run(command[:-4], capture_output=True, text=True, env=env, timeout=300)  # MiniLM
    assert local.returncode == 0 and local.stdout.startswith("index built"), local.stderr[-800:]


def test_embed_server_down_is_one_clear_line_and_quick(corpus_dir, tmp_path):
    url = f"http://127.0.0.1:{free_port()}/v1"  # nothing listens there
    encoder = ServerEncoder(url, model=ALIAS, settings=EmbedServerSettings(timeout_s=2.0, max_retries=1))
    started = time.monotonic()
    with pytest.raises(ModelError) as caught:
        encoder.embed(["Who did it?"])
    message = str(caught.value)
    assert time.monotonic() - started < 10
    assert "\n" not in message and url in message and "did not answer" in message, message
    # ... and through the CLI: that line on stderr, nothing on stdout, a non-zero exit.
    env = dict(os.environ, STORYDESK_CACHE_DIR=str(tmp_path / "cache"), OPENAI_API_KEY="not-needed")
    command = [sys.executable, "-m", "assistant.cli", "index", "--corpus", str(corpus_dir), "--no-reading-state"]
    proc = subprocess.run(command + ["--embed-base-url", url], capture_output=True, text=True, env=env, timeout=300)
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    assert proc.returncode != 0 and proc.stdout == "" and len(lines) == 1 and url in lines[0], proc.stderr
