"""The on-disk store behind the index: append-only arrays and one manifest, brought up to date per article.

A store directory (one per corpus directory and encoder, under ``<cache>/indexes/``) holds:

- ``<base>.<column>.bin``: raw arrays, one row after another, only ever appended to (columns below);
- ``manifest.json``: what is committed: each article's text hash and row ranges, the BM25 statistics of the
  live rows (each term's document frequency, the total length, per grain), the vocabulary with the number of
  articles using each word, and how many rows of each file are valid. Written whole and renamed into place,
  last: that rename is the commit, so a process killed at any point leaves the previous manifest and files
  that hold at least what it names (the next writer cuts off what a killed one appended);
- ``lock``: held by the one process writing.

An article added appends its rows and adds its counts to the statistics; one removed subtracts them and is
dropped from the manifest: its rows stay in the files, masked (no article names them), until compaction
rewrites the live rows, in corpus order, under a new base (``FilesStoreSettings.compact_share``). Every row
depends on its own article alone (index_rows.py), so whatever order the rows were appended in, the live rows
taken in corpus order are the rows a build from scratch writes (index.py reads them so).
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator

import numpy as np

__all__ = [
    "INDEX_FORMAT",
    "GRAINS",
    "State",
    "StoreError",
    "read_state",
    "read_rows",
    "locked",
    "commit",
    "gather_index",
]

INDEX_FORMAT = "storydesk-index-6"  # 6: an append-only store, BM25 from stored statistics (5: rebuilt per change)

# Each grain's columns: name -> (dtype, width; 0 = the encoder's dimensions). An article's rows of a grain are
# contiguous; ``State.docs`` gives their range.
GRAINS: dict[str, dict[str, tuple[str, int]]] = {
    # paragraph number, start, end, paragraph (counted from the article's first), BM25 length
    "sentences": {"sentence_vectors": ("<f4", 0), "sentence_rows": ("<i4", 5)},
    "sentence_postings": {"sentence_postings": ("<i4", 3)},  # sentence (from the article's first), term id, tf
    "paragraphs": {"paragraph_vectors": ("<f4", 0), "paragraph_rows": ("<i4", 4)},  # number, start, end, length
    "paragraph_postings": {"paragraph_postings": ("<i4", 3)},
    "article_words": {"article_words": ("<i4", 1)},  # word ids (State.words) of each article
    "words": {"word_vectors": ("<f4", 0)},  # one row per word id, not per article
}
ARTICLE_GRAINS = [g for g in GRAINS if g != "words"]


class StoreError(Exception):
    """The files do not hold what the manifest names: the store is built again."""


@dataclass
class State:
    """The manifest: what a reader may use, and the counts a writer updates."""

    model: str
    dimensions: int
    base: int = 1
    key: str = ""  # index.index_key of the corpus the live rows are
    rows: dict[str, int] = field(default_factory=lambda: {g: 0 for g in GRAINS})  # in the files, masked included
    # doc_id -> [text hash, then (first, end) of its rows in each of ARTICLE_GRAINS]
    docs: dict[str, list] = field(default_factory=dict)
    terms: list[str] = field(default_factory=list)  # term id -> analysed term
    sentence_df: list[int] = field(default_factory=list)  # term id -> live sentences holding it
    paragraph_df: list[int] = field(default_factory=list)
    sentence_length: int = 0  # the live sentences' BM25 lengths, summed
    paragraph_length: int = 0
    words: list[str] = field(default_factory=list)  # word id -> vocabulary word (its vector: that row)
    word_articles: list[int] = field(default_factory=list)  # word id -> live articles using it

    def range(self, doc_id: str, grain: str) -> tuple[int, int]:
        i = 1 + 2 * ARTICLE_GRAINS.index(grain)
        entry = self.docs[doc_id]
        return entry[i], entry[i + 1]

    def ranges(self, doc_ids: list[str]) -> dict[str, np.ndarray]:
        """Each grain's (first, end) row ranges of ``doc_ids``, as an (n, 2) array."""
        table = np.asarray([self.docs[d][1:] for d in doc_ids], dtype=np.int64).reshape(len(doc_ids), -1)
        return {grain: table[:, 2 * i : 2 * i + 2] for i, grain in enumerate(ARTICLE_GRAINS)}

    def live(self, grain: str) -> int:
        i = 1 + 2 * ARTICLE_GRAINS.index(grain)
        return sum(e[i + 1] - e[i] for e in self.docs.values())

    def masked_share(self) -> float:
        rows = self.rows["sentences"]
        return 1.0 - self.live("sentences") / rows if rows else 0.0


def text_hash(text: str) -> str:
    return hashlib.blake2b(text.encode("utf-8"), digest_size=16).hexdigest()


def column(directory: Path, base: int, name: str) -> Path:
    return directory / f"{base}.{name}.bin"


def _grain_of(name: str) -> str:
    return next(g for g, columns in GRAINS.items() if name in columns)


def _shape(state: State, name: str) -> tuple[np.dtype, int]:
    dtype, width = GRAINS[_grain_of(name)][name]
    return np.dtype(dtype), width or state.dimensions


def read_rows(directory: Path, state: State, name: str, lo: int = 0, hi: int | None = None) -> np.ndarray:
    """Rows ``lo:hi`` of a column (all committed rows by default), as a read-only memory map."""
    dtype, width = _shape(state, name)
    hi = state.rows[_grain_of(name)] if hi is None else hi
    if hi <= lo:
        return np.zeros((0, width), dtype=dtype)
    return np.memmap(
        column(directory, state.base, name),
        dtype=dtype,
        mode="r",
        offset=lo * width * dtype.itemsize,
        shape=(hi - lo, width),
    )


def read_state(directory: Path, model: str | None = None) -> State | None:
    """The committed manifest; None when there is none, it is unreadable, or of another format or encoder."""
    try:
        raw = json.loads((directory / "manifest.json").read_text(encoding="utf-8"))
        if raw.pop("format", None) != INDEX_FORMAT or (model is not None and raw.get("model") != model):
            return None
        return State(**raw)
    except (OSError, ValueError, TypeError):
        return None


def check(directory: Path, state: State) -> None:
    """Every file holds at least the rows the manifest names, and every range lies within them."""
    for grain, columns in GRAINS.items():
        for name in columns:
            dtype, width = _shape(state, name)
            path = column(directory, state.base, name)
            size = path.stat().st_size if path.exists() else 0
            if size < state.rows[grain] * width * dtype.itemsize:
                raise StoreError(f"{path.name} is shorter than the manifest says")
    for grain, ranges in state.ranges(list(state.docs)).items():
        if (
            len(ranges)
            and not ((0 <= ranges[:, 0]) & (ranges[:, 0] <= ranges[:, 1]) & (ranges[:, 1] <= state.rows[grain])).all()
        ):
            raise StoreError(f"{grain}: an article's rows are out of range")


def cut(directory: Path, state: State) -> None:
    """Drop what a killed writer appended past the committed rows (a reader never maps those bytes)."""
    for grain, columns in GRAINS.items():
        for name in columns:
            dtype, width = _shape(state, name)
            path = column(directory, state.base, name)
            if path.exists() and path.stat().st_size > state.rows[grain] * width * dtype.itemsize:
                os.truncate(path, state.rows[grain] * width * dtype.itemsize)


def append(directory: Path, state: State, name: str, rows: np.ndarray) -> None:
    """Append rows to a column and flush them (the manifest naming them is written after)."""
    dtype, width = _shape(state, name)
    data = np.ascontiguousarray(rows, dtype=dtype).reshape(-1, width)
    if not len(data):
        column(directory, state.base, name).touch()
        return
    with open(column(directory, state.base, name), "ab") as f:
        f.write(data.tobytes())
        f.flush()
        os.fsync(f.fileno())


def commit(directory: Path, state: State) -> None:
    """Publish ``state`` by one rename, then remove the files of any other base (a compaction's old ones, a
    killed build's new ones)."""
    tmp = directory / f"manifest.json.tmp-{os.getpid()}"
    with open(tmp, "w", encoding="utf-8") as f:
        f.write(json.dumps({"format": INDEX_FORMAT} | vars(state)))  # dumps: the C encoder, json.dump is Python
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, directory / "manifest.json")
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
    for path in strays(directory, state):
        path.unlink(missing_ok=True)


def strays(directory: Path, state: State) -> list[Path]:
    """Files of a base the manifest does not name: a killed build's, or the old ones of a compaction whose
    process was killed after its commit."""
    return [p for p in directory.glob("*.bin") if p.name.split(".", 1)[0] != str(state.base)]


def tidy(directory: Path) -> None:
    """Remove the strays, unless a writer holds the store (it may be writing a new base) or it is read-only."""
    try:
        with open(directory / "lock", "a") as f:
            fcntl.flock(f.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
            state = read_state(directory)
            for path in strays(directory, state) if state else []:
                path.unlink(missing_ok=True)
    except OSError:
        pass


def next_base(directory: Path, state: State | None) -> int:
    """A base no file uses yet (a fresh build or a compaction writes there while the old base stays readable)."""
    used = [int(p.name.split(".", 1)[0]) for p in directory.glob("*.bin") if p.name.split(".", 1)[0].isdigit()]
    return max(used + [state.base if state else 0]) + 1


def clear_base(directory: Path, base: int) -> None:
    for path in directory.glob(f"{base}.*.bin"):
        path.unlink()


@contextmanager
def locked(directory: Path) -> Iterator[None]:
    """One writer at a time (across processes); readers never wait."""
    directory.mkdir(parents=True, exist_ok=True)
    with open(directory / "lock", "a") as f:
        fcntl.flock(f.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(f.fileno(), fcntl.LOCK_UN)


def gather_index(ranges: np.ndarray) -> np.ndarray:
    """The row numbers of the ``(first, end)`` ranges, one after another."""
    ranges = np.asarray(ranges, dtype=np.int64).reshape(-1, 2)
    counts = ranges[:, 1] - ranges[:, 0]
    before = np.cumsum(counts) - counts
    return np.arange(int(counts.sum()), dtype=np.int64) + np.repeat(ranges[:, 0] - before, counts)
