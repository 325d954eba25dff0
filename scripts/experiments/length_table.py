"""E28: one markdown row per steer_length.py result: post-task success and pair starts by pair, six-pair chains of
seen transitions (success, pairs 4-6), and each unseen transition's pair starts pooled over the three- and four-pair
tasks (novel3, novel4).

Usage: .venv/bin/python scripts/experiments/length_table.py docs/experiments/e28/length_*.json
"""

from __future__ import annotations

import json
import sys

UNSEEN = ("A->B", "B->C", "C->D", "D->A")


def pooled(r: dict, transition: str) -> float:
    cells = [
        v
        for g in ("novel3_steered", "novel4_steered")
        for k, v in r[g]["by_transition"].items()
        if k.startswith(transition + "@")
    ]
    right, decided = sum(c[0] for c in cells), sum(c[1] for c in cells)
    return right / decided if decided else float("nan")


def main(paths: list[str]) -> None:
    print(
        "| backbone | steering data | controller | post success | post pairs 1-6 "
        "| six-pair chains: success / pairs 4-6 | unseen A→B / B→C / C→D / D→A (3-4 pair tasks) |"
    )
    print("|---|---|---|---|---|---|---|")
    for path in paths:
        r = json.loads(open(path).read())
        post, chains = r["post_steered"], r["long_allowed_steered"]
        controller = " ".join(
            [*(r.get("overrides") or []), *([f"gain {r['gain']:g}"] if r.get("gain", 1) != 1 else [])]
        )
        pairs = " ".join(f"{v:.2f}" for v in post["by_pair"].values())
        late = " ".join(f"{chains['by_pair'][k]:.2f}" for k in ("4", "5", "6"))
        unseen = " / ".join(f"{pooled(r, t):.2f}" for t in UNSEEN)
        print(
            f"| {r['pretrain_step'] // 1000}k | {r.get('steering_data', 'meta')} | {controller or 'e + U e, rank 16'} "
            f"| {post['success']:.3f} | {pairs} | {chains['success']:.3f} / {late} | {unseen} |"
        )


if __name__ == "__main__":
    main(sys.argv[1:])
