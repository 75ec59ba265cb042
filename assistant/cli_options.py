"""What every ``storydesk`` subcommand shares: progress bars, the model and corpus options, how a
subcommand is declared, and the assistant the options ask for. Both cli.py and evaluate/cli.py import
it (neither imports the other's helpers)."""

from __future__ import annotations

import argparse
import sys
from typing import Callable

__all__ = ["Bars", "add_model_options", "add_corpus_option", "subcommand", "make_assistant"]


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


def add_corpus_option(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--corpus", metavar="DIR", help="directory of .txt/.md articles (default: the bundled five-article story)"
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
        progress=bars,
    )
