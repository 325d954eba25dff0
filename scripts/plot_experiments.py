"""Plot pretraining learning curves from experiment logs (docs/experiments/*.log) into docs/figures/.

Each log line is ``<name> {json}`` as printed by scripts/experiment_pretrain.py.
Usage: .venv/bin/python scripts/plot_experiments.py docs/experiments/*.log
"""

import json
import sys
from pathlib import Path

from internal_rl.report.figures import plot_learning_curves


def read(path: Path) -> tuple[str, list[dict]]:
    rows = []
    for line in path.read_text().splitlines():
        name, _, rest = line.partition(" ")
        if rest.startswith("{"):
            d = json.loads(rest)
            d["mid_probe"] = d.get("probe_layer2", float("nan"))
            rows.append(d)
    return path.stem, rows


if __name__ == "__main__":
    curves = dict(read(Path(p)) for p in sys.argv[1:])
    for hist in curves.values():
        for i, h in enumerate(hist):
            h.setdefault("step", 250 * (i + 1))
    out = Path("docs/figures")
    plot_learning_curves(
        curves,
        "elapsed",
        ["action_accuracy", "mid_probe"],
        out / "pretrain_curves_wall.png",
        title="held-out action accuracy and mid-depth probe vs wall time (s)",
    )
    print("wrote", out / "pretrain_curves_wall.png")
