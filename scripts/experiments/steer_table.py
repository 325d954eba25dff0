"""One row per steerability check in RUN/steerability (E27): the backbone's step and layer, the steered pair starts
and success on the pretraining tasks and on the post task, the post task's unsteered pair starts, second colours,
wrong starts to allowed successors and first pair.

Usage: .venv/bin/python scripts/experiments/steer_table.py RUN [OUT.json]
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

KEYS = (
    "pretrain_steered_pair_start_accuracy",
    "pretrain_steered_success",
    "post_steered_pair_start_accuracy",
    "post_steered_success",
    "post_unsteered_pair_start_accuracy",
    "post_steered_within_pair_accuracy",
    "post_steered_wrong_to_allowed",
)


def main() -> None:
    run = Path(sys.argv[1])
    rows = []
    for path in sorted(run.glob("steerability/*.json"), key=lambda p: json.loads(p.read_text())["pretrain_step"]):
        d = json.loads(path.read_text())
        first = d.get("post_steered_pair_start_accuracy_by_pair", {}).get("1")
        rows.append(
            {"file": path.name, "step": d["pretrain_step"], "layer": d["layer"]}
            | {k: d.get(k) for k in KEYS}
            | {"post_first_pair": first}
        )
    for r in rows:
        print(" | ".join(f"{v:.3f}" if isinstance(v, float) else str(v) for v in r.values()))
    if len(sys.argv) > 2:
        Path(sys.argv[2]).write_text(json.dumps(rows, indent=1))


if __name__ == "__main__":
    main()
