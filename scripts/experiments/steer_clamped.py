"""E27: is the post task's collapse at its 5th pair a length effect of the relative-position buckets? Runs the
steerability check (`internal-rl steerability`) with every attention distance beyond CLAMP read as CLAMP, i.e.
the far past gets the bias the backbone learnt for the longest distances that pretraining episodes contain,
instead of the buckets it never trained. A diagnosis of the backbone, not a steering method.

Usage: .venv/bin/python scripts/experiments/steer_clamped.py CLAMP internal-rl-steerability-arguments...
  e.g. ... 45 --out runs/l32clamp --checkpoint step18000 --quiet
"""

from __future__ import annotations

import sys

import internal_rl.models.transformer as T
from internal_rl.cli import main

clamp = int(sys.argv[1])
bucket = T.relative_position_bucket
T.relative_position_bucket = lambda distance, n, m: bucket(distance.clamp(max=clamp), n, m)
sys.argv = ["internal-rl", "steerability", *sys.argv[2:]]
sys.exit(main())
