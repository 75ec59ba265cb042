"""The articles an assistant answers from, on disk, and their index: opened on first use, rebuilt when the
articles change, and swapped in only once complete, so questions asked meanwhile are answered from the old one.

Uploads land here too: each file is checked and copied into the corpus (``corpus.add_article``) and the index
rebuilt. The bundled corpus is never written: before the first upload it is copied to a workspace directory
in the cache, which from then on is the corpus.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Iterable

from .config import default_corpus_dir
from .corpus import add_article, load_corpus
from .embeddings import MiniLM
from .errors import StorydeskError
from .index import StoryIndex, load_or_build
from .index_worker import build_in_worker
from .settings import Settings
from .types import AddedArticles, Corpus, Encoder, Progress

__all__ = ["Workspace", "Files", "copy_articles", "writable_corpus"]

Files = Iterable[str | Path]  # article files to add, by path


class Workspace:
    """One corpus directory and its index, in files under ``cache_dir`` or in PostgreSQL (``store``)."""

    def __init__(
        self,
        corpus_dir: Path,
        cache_dir: Path,
        store: str | None,
        encoder: Encoder,
        settings: Settings,
        progress: Progress | None = None,
        lock: threading.RLock | None = None,
    ) -> None:
        self.corpus_dir, self.cache_dir, self.store = corpus_dir, cache_dir, store
        self.encoder, self.settings, self.progress = encoder, settings, progress
        self._index: StoryIndex | None = None
        self._lock = lock or threading.RLock()  # held only briefly: to open the index or swap it
        self._reindexing = threading.Lock()  # one rebuild at a time; answering goes on meanwhile

    @property
    def index(self) -> StoryIndex:
        with self._lock:
            if self._index is None:
                self._index, _ = self._open(self._load_corpus(), self.progress)
            return self._index

    def _open(self, corpus: Corpus, progress: Progress | None, rebuild: bool = False) -> tuple[StoryIndex, bool]:
        """The corpus's index in this workspace's store, brought up to date. Returns (index, built)."""
        if self.store:
            from .pg_store import open_pg_index

            return open_pg_index(corpus, self.store, self.encoder, self.settings.store, progress, rebuild=rebuild)
        return load_or_build(
            corpus, self.cache_dir, self.encoder, progress, rebuild=rebuild, settings=self.settings.files
        )

    def _load_corpus(self) -> Corpus:
        return load_corpus(self.corpus_dir, self.settings.corpus)

    def reindex(
        self, rebuild: bool = False, *, progress: Progress | None = None, worker: bool = False
    ) -> tuple[StoryIndex, bool]:
        """Reload the corpus from disk, rebuilding the index if the articles changed. Returns (index, built).
        With ``worker`` the build runs in a separate process at a lower CPU priority."""
        progress = progress or self.progress
        with self._reindexing:
            corpus = self._load_corpus()
            built = False
            # A database is written in place (answering reads it meanwhile); the worker process embeds with MiniLM.
            in_worker = worker and not self.store and isinstance(self.encoder, MiniLM)
            if in_worker:
                built = build_in_worker(
                    corpus, self.cache_dir, rebuild=rebuild, progress=progress, settings=self.settings.files
                )
            index, built_here = self._open(corpus, progress, rebuild=rebuild and not in_worker)
            with self._lock:
                self._index = index
            return index, built or built_here

    def add_articles(
        self, files: Files, *, max_bytes: int | None = None, progress: Progress | None = None, worker: bool = True
    ) -> AddedArticles:
        """Copy article files into the corpus (made writable first) and index them, if any was new."""
        self.corpus_dir = writable_corpus(self.corpus_dir, self.cache_dir, self.index.corpus)
        result = copy_articles(self.corpus_dir, files, self.index.corpus, max_bytes, self.settings)
        if result.added:
            self.reindex(progress=progress, worker=worker)
        return result


def copy_articles(
    target: Path, files: Files, corpus: Corpus, max_bytes: int | None, settings: Settings
) -> AddedArticles:
    """Copy each file into ``target``: an article whose text ``corpus`` (or an earlier file) already holds is
    ``present``; a file that cannot be an article is reported in ``problems`` by its name, and the rest go on."""
    known = {d.doc_id for d in corpus}
    added: list[str] = []
    present: list[str] = []
    problems: list[str] = []
    for f in files:
        path = Path(str(f))
        try:
            doc_id = add_article(target, path, path.name, max_bytes, settings.corpus)
        except StorydeskError as err:
            problems.append(str(err).replace(str(path), path.name))  # never a server temp path
            continue
        (present if doc_id in known or doc_id in added else added).append(doc_id)
    return AddedArticles(tuple(added), tuple(present), tuple(problems))


def writable_corpus(corpus_dir: Path, cache_dir: Path, corpus: Corpus) -> Path:
    """Where added articles go: ``corpus_dir`` itself, unless it is the bundled corpus, which is first copied
    (its articles, once) to a workspace in the cache; the caller makes that its corpus."""
    if corpus_dir.resolve() != default_corpus_dir().resolve():
        return corpus_dir
    workspace = cache_dir / "workspace" / "default"
    if not workspace.exists():
        workspace.mkdir(parents=True)
        for doc in corpus:
            source = Path(doc.path)
            if source.is_file():
                (workspace / source.name).write_bytes(source.read_bytes())
    return workspace
