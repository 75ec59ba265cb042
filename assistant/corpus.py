"""Load articles exactly as read: the text is never normalised, so every offset stays true.

A doc id is the file's path below the corpus directory without its extension (for top-level files,
simply the file name without extension), matching what ``open(path, encoding="utf-8").read()`` gives.
"""

from __future__ import annotations

import hashlib
import logging
from pathlib import Path

from .errors import CorpusError
from .settings import CorpusLimits
from .types import Corpus, Document

__all__ = ["load_corpus", "read_article", "add_article", "ARTICLE_SUFFIXES"]

ARTICLE_SUFFIXES = (".txt", ".md")
_MIB = 1024 * 1024
log = logging.getLogger(__name__)


def _mib(n: int) -> str:
    return f"{n / _MIB:,.1f} MiB" if n >= _MIB else f"{n:,} bytes"


def read_article(path: Path, max_bytes: int = CorpusLimits.max_article_bytes) -> str:
    """Decode one article, refusing binaries, non-UTF-8 bytes and files over ``max_bytes``, with the file named."""
    size = path.stat().st_size
    if size > max_bytes:
        raise CorpusError(
            f"{path}: {_mib(size)} is over the {_mib(max_bytes)} limit for one article, "
            "set by CorpusLimits.max_article_bytes"
        )
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


def _article_paths(root: Path) -> list[Path]:
    return sorted(
        p
        for p in root.rglob("*")
        if p.is_file()
        and p.suffix.lower() in ARTICLE_SUFFIXES
        and not any(part.startswith(".") for part in p.relative_to(root).parts)
    )


def _content_key(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _check_total(root: Path, paths: list[Path], limits: CorpusLimits) -> None:
    sizes = (p.stat().st_size for p in paths)
    total = sum(size for size in sizes if size <= limits.max_article_bytes)
    if total > limits.max_corpus_bytes:
        raise CorpusError(
            f"the articles in {root} add up to {_mib(total)}, over the {_mib(limits.max_corpus_bytes)} "
            "corpus limit (CorpusLimits.max_corpus_bytes): raise it, or split the corpus"
        )


def _directory(directory: str | Path) -> Path:
    root = Path(directory).expanduser()
    if not root.exists():
        raise CorpusError(f"corpus directory not found: {root}")
    if not root.is_dir():
        raise CorpusError(f"corpus path is not a directory: {root}")
    return root


def _add_once(docs: list[Document], contents: dict[str, str], doc: Document) -> str | None:
    """Adds ``doc`` unless its text is already there; then the note naming the copy left out."""
    key = _content_key(doc.text)
    kept = contents.get(key)
    if kept is None:
        contents[key] = doc.doc_id
        docs.append(doc)
        return None
    left_out = doc.doc_id
    # Of the copies, the shortest name stays ("report" over "report-2"), wherever it sorts.
    if (len(doc.doc_id), doc.doc_id) < (len(kept), kept):
        docs[:] = [doc if d.doc_id == kept else d for d in docs]
        contents[key], left_out, kept = doc.doc_id, kept, doc.doc_id
    return f"{left_out}: the same text as {kept}, counted once"


def load_corpus(directory: str | Path, limits: CorpusLimits | None = None) -> Corpus:
    """Every article below ``directory``, in path order. A file that resolves outside the directory (a
    symlink to /etc/passwd) is never read, a file that cannot be read as a UTF-8 text article is
    skipped, and a file whose text repeats an earlier article's is the same article: each is named in
    ``Corpus.skipped`` and logged as a warning, and loading goes on (a documented choice: one bad file
    among thousands must not block the rest)."""
    root = _directory(directory)
    limits = limits or CorpusLimits()
    paths = _article_paths(root)
    _check_total(root, paths, limits)  # before reading anything: a corpus over the limit costs no work
    inside = root.resolve()
    docs: list[Document] = []
    seen: dict[str, Path] = {}
    contents: dict[str, str] = {}
    skipped: list[str] = []
    for path in paths:
        doc_id = _doc_id(root, path)
        if not path.resolve().is_relative_to(inside):
            skipped.append(f"{doc_id}: links outside the corpus directory, not read")
            continue
        if doc_id in seen:
            raise CorpusError(f"two articles share the doc id {doc_id!r}: {seen[doc_id].name} and {path.name}")
        seen[doc_id] = path
        try:
            text = read_article(path, limits.max_article_bytes)
        except CorpusError as err:
            # One unreadable file (binary, not UTF-8, too big) must not block the rest: it is named and
            # skipped. Only a corpus with nothing readable left is an error (below).
            skipped.append(f"{doc_id}: not read ({str(err).split(': ', 1)[-1]})")
            continue
        if text.strip():
            note = _add_once(docs, contents, Document(doc_id=doc_id, text=text, path=str(path)))
            skipped.extend([note] if note else [])
    for note in skipped:
        log.warning("%s", note)
    if not docs:
        why = f" ({'; '.join(skipped)})" if skipped else ""
        raise CorpusError(f"corpus directory has no non-empty .txt or .md articles: {root}{why}")
    return Corpus(directory=str(root), documents=tuple(docs), skipped=tuple(skipped))


def _existing_copy(directory: Path, paths: list[Path], text: str) -> str | None:
    """The doc id of an article among ``paths`` (of ``directory``) with exactly this text, if there is one."""
    inside, size = directory.resolve(), len(text.encode("utf-8"))
    for path in paths:
        # On disk the text may have CRLF line ends (read as LF), so its file is at most twice as long.
        if path.resolve().is_relative_to(inside) and size <= path.stat().st_size <= 2 * size:
            try:
                if read_article(path) == text:
                    return _doc_id(directory, path)
            except CorpusError:
                continue
    return None


def add_article(
    directory: str | Path,
    source: str | Path,
    name: str | None = None,
    max_bytes: int | None = None,
    limits: CorpusLimits | None = None,
) -> str:
    """Copy one uploaded article into a corpus directory after the same checks as loading. Returns its doc id.

    Refuses what loading would refuse (wrong extension, binary, not UTF-8, too big, empty), and
    never overwrites an existing article: a clashing name gets a numbered suffix; ``max_bytes`` (an
    upload limit) may be tighter than the limits' article size. Idempotent: a file
    whose text is already an article of the directory (the upload box sends earlier files again) adds
    nothing and returns that article's doc id.
    """
    source = Path(source)
    name = Path(name or source.name).name
    stem, suffix = Path(name).stem, Path(name).suffix.lower()
    if suffix not in ARTICLE_SUFFIXES:
        raise CorpusError(f"{name}: only .txt and .md articles can be added")
    limits = limits or CorpusLimits()
    size = source.stat().st_size
    if max_bytes is not None and size > max_bytes:
        raise CorpusError(f"{name}: {_mib(size)} is over the {_mib(max_bytes)} upload limit")
    text = read_article(source, limits.max_article_bytes)
    if not text.strip():
        raise CorpusError(f"{name}: the file is empty")
    target_dir = Path(directory)
    target_dir.mkdir(parents=True, exist_ok=True)
    paths = _article_paths(target_dir)
    existing = _existing_copy(target_dir, paths, text)
    if existing is not None:
        return existing
    _check_total(target_dir, paths + [source], limits)
    stem = "".join(ch if ch.isalnum() or ch in "-_." else "_" for ch in stem).strip("._") or "article"
    target, n = target_dir / f"{stem}{suffix}", 1
    while any((target_dir / f"{target.stem}{s}").exists() for s in ARTICLE_SUFFIXES):
        n += 1
        target = target_dir / f"{stem}-{n}{suffix}"
    target.write_text(text, encoding="utf-8", newline="")
    return target.stem
