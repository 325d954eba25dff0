"""One markdown row per steering-check JSON (steer_length.py's output): post-task success, pair starts, the post
task's pairs 1-6, seen six-pair chains, novel3 / novel4, unsteered post success, the push at the pair starts.

Usage: .venv/bin/python scripts/experiments/steer_table.py FILE.json ...
"""

import json
import sys

columns = (
    "file, post success, pair starts, post pairs 1-6, seen six-pair chains, novel3 / novel4, unsteered, push at starts"
)
print("| " + " | ".join(columns.split(", ")) + " |")
print("|---" * 8 + "|")
for path in sys.argv[1:]:
    with open(path) as f:
        d = json.load(f)
    post = d["post_steered"]
    pairs = " ".join(f"{v:.2f}" for v in post["by_pair"].values())
    push = d.get("push", {}).get("starts")
    print(
        f"| {path.rsplit('/', 1)[-1][:-5]} | {post['success']:.3f} | {post['pair_start_accuracy']:.3f} | {pairs} "
        f"| {d['long_allowed_steered']['success']:.3f} | {d['novel3_steered']['success']:.3f} / "
        f"{d['novel4_steered']['success']:.3f} | {d['post_unsteered']['success']:.3f} "
        f"| {f'{min(push):.2f}-{max(push):.2f}' if push else '-'} |"
    )
