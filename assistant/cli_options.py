"""What every ``storydesk`` subcommand shares: progress bars, the model and corpus options, how a
subcommand is declared, and the assistant the options ask for. Both cli.py and evaluate/cli.py import
it (neither imports the other's helpers)."""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING, Callable

if TYPE_CHECKING:
    from .types import Encoder

__all__ = ["Bars", "add_model_options", "add_corpus_option", "subcommand", "make_assistant", "make_encoder"]


class Bars:
    """tqdm bars on stderr, one per label, only when a person is watching."""

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled
        self.bars: dict = {}

    def __call__(self, label: str, done: int, total: int) -> None:
        if not self.enabled:
            return
        from tqdm import tqdm

        bar = self.bars.get(label)
        if bar is None:
            scale = 1024 * 1024 if total > 10_000_000 else 1
            # The rate names what is counted: "812 sentences/s" while indexing, MB/s while copying the model.
            unit = "MB" if scale > 1 else " " + label.split()[-1]
            bar = self.bars[label] = tqdm(
                total=total / scale if scale > 1 else total, desc=label, unit=unit, file=sys.stderr, leave=False
            )
            bar.scale = scale
        bar.n = done / bar.scale if bar.scale > 1 else done
        bar.refresh()
        if done >= total:
            bar.close()
            self.bars.pop(label, None)


def add_model_options(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("model (default: the embedded Qwen2.5-Coder-1.5B, fully offline)")
    g.add_argument("--model-path", metavar="GGUF", help="run this GGUF file with llama.cpp instead")
    g.add_argument("--base-url", metavar="URL", help="use an OpenAI-compatible endpoint (key from OPENAI_API_KEY)")
    g.add_argument("--model", metavar="NAME", help="model name at the endpoint")
    g.add_argument(
        "--endpoint",
        choices=("auto", "llama.cpp", "vllm", "plain"),
        default="auto",
        help="what the endpoint can do beyond the OpenAI API: llama.cpp (a GBNF grammar and logprobs: "
        "llama-cpp-python's server, llama-server), vllm (structured outputs and logprobs), plain (neither: the "
        "model writes freely and words not in the article are dropped); auto (default) asks the server once",
    )
    e = p.add_argument_group("embeddings (default: the bundled MiniLM, in-process and offline)")
    e.add_argument(
        "--embed-base-url",
        metavar="URL",
        help="embed sentences with an OpenAI-compatible embedding server (vLLM, text-embeddings-inference, "
        "a llama.cpp server, OpenAI), e.g. http://127.0.0.1:8080/v1; an index records its encoder, so another "
        "encoder builds its own index",
    )
    e.add_argument(
        "--embed-model",
        metavar="NAME",
        help="embedding model name at that server (default: the one model the server lists at /models; "
        "a server listing several, such as OpenAI, needs it)",
    )
    e.add_argument(
        "--embed-api-key", metavar="KEY", help="API key for the embedding server (default: OPENAI_API_KEY, else none)"
    )


def add_corpus_option(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--corpus", metavar="DIR", help="directory of .txt/.md articles (default: the bundled five-article story)"
    )
    p.add_argument(
        "--store",
        metavar="URL",
        help="keep the index in PostgreSQL + pgvector instead of files under the cache, e.g. "
        "postgresql://user:password@host:5432/db or postgresql://user@/db?host=/run/postgresql "
        "(tables sd_<corpus directory name>_*; needs storydesk[postgres])",
    )


def subcommand(sub, name: str, run: Callable, help: str, description: str) -> argparse.ArgumentParser:
    p = sub.add_parser(name, help=help, description=description)
    p.set_defaults(run=run)
    return p


def make_assistant(args: argparse.Namespace, bars: Callable):
    from .api import Assistant

    return Assistant(
        getattr(args, "corpus", None),
        model_path=getattr(args, "model_path", None),
        base_url=getattr(args, "base_url", None),
        model=getattr(args, "model", None),
        endpoint=getattr(args, "endpoint", "auto"),
        progress=bars,
        store=getattr(args, "store", None),
        encoder=make_encoder(args),
    )


def make_encoder(args: argparse.Namespace) -> Encoder | None:
    """The embedding server the options name (``--embed-base-url``), or None for the bundled MiniLM."""
    url = getattr(args, "embed_base_url", None)
    if not url:
        return None
    from .embed_client import ServerEncoder

    return ServerEncoder(url, model=getattr(args, "embed_model", None), api_key=getattr(args, "embed_api_key", None))
