"""Build an index in a separate, lower-priority process, so that indexing never holds up answering.

The chat page indexes uploads here: the process that answers keeps its old index (and its model)
serving while a child process embeds the new articles at a lower CPU priority, writes the index
with the same write-then-rename save as ever, and exits. The caller then loads the finished index
from disk (a memory map, fast) and swaps it in. A child that crashes or is killed leaves the old
index serving and the cache consistent; the caller gets one clear error.
"""

from __future__ import annotations

import multiprocessing
import os
import queue
from pathlib import Path

from .corpus import Corpus
from .errors import StorydeskError
from .settings import FilesStoreSettings
from .types import Progress

__all__ = ["build_in_worker", "WORKER_NICENESS"]

WORKER_NICENESS = 10  # on 2 cores, the model's threads keep the CPU while an upload is indexed
_POLL_S = 0.5


def _child(corpus: Corpus, cache_dir: str, rebuild: bool, messages, niceness: int, settings) -> None:
    from . import config  # noqa: F401 - sets the offline environment before any library loads
    from .embeddings import MiniLM
    from .index import load_or_build

    try:
        os.nice(niceness)
    except OSError:
        pass  # not permitted here: indexing still works, only at normal priority
    try:
        index, built = load_or_build(
            corpus,
            Path(cache_dir),
            MiniLM(),
            rebuild=rebuild,
            progress=lambda label, done, total: messages.put(("progress", label, done, total)),
            settings=settings,
        )
        messages.put(("done", built, index.directory is not None))
    except Exception as err:  # sent back as one line: the caller raises it
        messages.put(("error", f"{type(err).__name__}: {err}" if not isinstance(err, StorydeskError) else str(err)))


def build_in_worker(
    corpus: Corpus,
    cache_dir: Path,
    *,
    rebuild: bool = False,
    progress: Progress | None = None,
    niceness: int = WORKER_NICENESS,
    settings: FilesStoreSettings | None = None,
) -> bool:
    """Index ``corpus`` into ``cache_dir`` in a child process and wait for it. Returns whether it built
    anything (False: the index was already there). Raises StorydeskError if the child failed or died."""
    context = multiprocessing.get_context("spawn")  # never fork a process holding a model and threads
    messages = context.Queue()
    child = context.Process(
        target=_child,
        args=(corpus, str(cache_dir), rebuild, messages, niceness, settings),
        name="storydesk-indexer",
        daemon=True,
    )
    child.start()
    try:
        while True:
            try:
                message = messages.get(timeout=_POLL_S)
            except queue.Empty:
                if not child.is_alive() and messages.empty():
                    raise StorydeskError(
                        f"the indexing process stopped (exit code {child.exitcode}); the previous index is still in use"
                    ) from None
                continue
            if message[0] == "progress" and progress:
                progress(*message[1:])
            elif message[0] == "error":
                raise StorydeskError(f"indexing failed: {message[1]}")
            elif message[0] == "done":
                if not message[2]:
                    raise StorydeskError("indexing finished but the index could not be saved to the cache")
                return bool(message[1])
    finally:
        child.join(timeout=10)
        if child.is_alive():
            child.kill()
        messages.close()
