import hashlib

import pytest

from assistant import model_store
from assistant.errors import ModelError
from assistant.model_store import ModelSpec, prepare_model, verify_file


def _spec(tmp_path, monkeypatch, payload: bytes, parts: int = 3):
    chunks = [payload[i::parts] for i in range(parts)]  # arbitrary split; joined in order below
    ordered = b"".join(chunks)
    names = []
    for i, chunk in enumerate(chunks):
        mod = tmp_path / f"fakepart{i}.bin"
        mod.write_bytes(chunk)
        names.append(str(mod))
    monkeypatch.setattr(model_store, "_part_paths", lambda spec: [__import__("pathlib").Path(n) for n in names])
    return ModelSpec("fake", "fake.gguf", tuple(names), len(ordered), hashlib.sha256(ordered).hexdigest()), ordered


def test_parts_are_joined_verified_and_stamped(tmp_path, monkeypatch, cache):
    spec, joined = _spec(tmp_path, monkeypatch, b"GGUF" + bytes(range(256)) * 50)
    seen = []
    path = prepare_model(spec, progress=lambda label, done, total: seen.append(label))
    assert path.read_bytes() == joined and "joining model parts" in seen and "verifying model" in seen
    seen.clear()
    assert prepare_model(spec, progress=lambda *a: seen.append(a)) == path and seen == []  # stamped: no re-hash


def test_a_tampered_model_is_refused(tmp_path, monkeypatch, cache):
    spec, joined = _spec(tmp_path, monkeypatch, b"GGUF" + b"x" * 1000)
    path = prepare_model(spec)
    path.write_bytes(b"G" * len(joined))  # same size, other bytes; the stamp no longer matches
    with pytest.raises(ModelError, match="sha256"):
        prepare_model(spec)


def test_a_same_size_edit_with_its_mtime_restored_is_caught(tmp_path, monkeypatch, cache):
    import os
    import time

    spec, joined = _spec(tmp_path, monkeypatch, b"GGUF" + b"y" * 1000)
    path = prepare_model(spec)
    st = path.stat()
    time.sleep(0.01)
    with path.open("r+b") as fh:  # in place: same inode, same size
        fh.seek(10)
        fh.write(b"z")
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))
    assert (path.stat().st_size, path.stat().st_mtime_ns) == (st.st_size, st.st_mtime_ns)
    with pytest.raises(ModelError, match="sha256"):
        prepare_model(spec)


def test_wrong_size_is_reported(tmp_path):
    f = tmp_path / "m.gguf"
    f.write_bytes(b"abc")
    with pytest.raises(ModelError, match="3 bytes, expected 5"):
        verify_file(f, ModelSpec("m", "m.gguf", (), 5, "0" * 64))
