"""Fit StanceSettings on the tune split's gold labels (eval/stance/seed.jsonl): the model's P("writer's view")
for every sentence the cues leave open is computed once (cached in --cache), then every (opinion_bar,
nudge_weight) pair is scored. Prints the grid's best and the accuracy of the cue-decided sentences.

    .venv/bin/python bench/calibrate_stance.py [--labels eval/stance/seed.jsonl] [--cache /tmp/stance-p.json]

Score the held-out split with the harness, once, after fitting:
    .venv/bin/storydesk eval eval/suites/stance_harbour.jsonl --split heldout --judge none
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from assistant import Assistant  # noqa: E402
from assistant.settings import StanceSettings  # noqa: E402
from assistant.stance import _p_opinion, cue  # noqa: E402


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--labels", default=str(ROOT / "eval/stance/seed.jsonl"))
    ap.add_argument("--cache", default="/tmp/stance-p.json", help="P per sentence, kept between runs")
    args = ap.parse_args()
    gold = [json.loads(line) for line in open(args.labels, encoding="utf-8")]
    gold = [g for g in gold if g["stance"] in ("reported", "opinion")]
    cache_path = Path(args.cache)
    probs = json.loads(cache_path.read_text()) if cache_path.exists() else {}
    backend = None
    for g in gold:
        c = cue(g["text"])
        if -1.0 < c < 1.0 and g["text"] not in probs:
            backend = backend or Assistant().backend
            probs[g["text"]] = _p_opinion(backend, g["text"])
    cache_path.write_text(json.dumps(probs))
    decided = [g for g in gold if not -1.0 < cue(g["text"]) < 1.0]
    right = sum((cue(g["text"]) > 0) == (g["stance"] == "opinion") for g in decided)
    print(f"decided by cues: {right}/{len(decided)} right")
    best = []
    for bar in [x / 100 for x in range(10, 95, 5)]:
        for weight in (0.0, 0.1, 0.2, 0.3, 0.4, 0.5):
            ok = right
            for g in gold:
                c = cue(g["text"])
                if -1.0 < c < 1.0:
                    ok += ((probs[g["text"]] + weight * c) >= bar) == (g["stance"] == "opinion")
            best.append((ok / len(gold), bar, weight))
    best.sort(reverse=True)
    for acc, bar, weight in best[:8]:
        print(f"accuracy {acc:.3f}  opinion_bar {bar:.2f}  nudge_weight {weight:.1f}")
    now = StanceSettings()
    print(f"current settings: opinion_bar {now.opinion_bar}, nudge_weight {now.nudge_weight}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
