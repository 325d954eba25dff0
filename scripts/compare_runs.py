"""Compare two run directories: every metrics.json equal except wall times and paths, every weight file equal
byte for byte (the seams issue's "behaviour unchanged" check).

Usage: .venv/bin/python scripts/compare_runs.py RUN_A RUN_B      (exit 1 when anything differs)
"""

from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path

VOLATILE = {"wall_time_s", "report", "elapsed"}  # timings and the absolute path of the report


def strip(x):
    if isinstance(x, dict):
        return {k: strip(v) for k, v in x.items() if k not in VOLATILE}
    if isinstance(x, list):
        return [strip(v) for v in x]
    return x


def main(a: Path, b: Path) -> int:
    bad = 0
    for f in sorted(a.rglob("metrics.json")):
        g = b / f.relative_to(a)
        same = g.exists() and strip(json.loads(f.read_text())) == strip(json.loads(g.read_text()))
        bad += not same
        print(f"{f.relative_to(a)}: {'identical' if same else 'DIFFERENT'}")
    for f in sorted(a.rglob("*.safetensors")):
        g = b / f.relative_to(a)
        same = g.exists() and hashlib.sha256(f.read_bytes()).digest() == hashlib.sha256(g.read_bytes()).digest()
        bad += not same
        print(f"{f.relative_to(a)}: {'identical' if same else 'DIFFERENT'}")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1]), Path(sys.argv[2])))
