"""E42 (issue 10): is a steerable cpu-full backbone a property of its data stream or of its initialisation?

`seed` fixes both: the model's initial weights (`seed_everything(seed)`) and the pretraining stream of fresh expert
episodes (`ExpertStream(..., seed * 1000)`). Seed 0 gave a backbone that composes the post task under oracle-switched
steering on two CPUs (0.500 on the EPYC, E33; 0.447 at 36k on the Xeon, E41), seeds 1 and 2 did not (E34, E37).
This runs cpu-full's pretraining stage with the initialisation of one seed and the data stream of another, so the
E33 steering check on its snapshots says which of the two carries the outcome.

Usage: .venv/bin/python scripts/experiments/e42_seeds.py INIT_SEED DATA_SEED OUT [KEY=VALUE ...]
  e.g. ... 2 0 runs/e42_i2d0 pretrain.stop_at=30000
Resumes from OUT's checkpoint when run again with the same arguments.
"""

from __future__ import annotations

import sys

import internal_rl.pipeline.stages.pretrain as pretrain_stage
from internal_rl.cli import main

init_seed, data_seed, out, *overrides = sys.argv[1:]
_stream = pretrain_stage.ExpertStream


def stream_of_data_seed(tasks, world, batch_size, _seed, *args, **kwargs):
    """The stream `seed=DATA_SEED` would draw (pretrain stage: seed * 1000), whatever the run's own seed."""
    print(f"e42: init seed {init_seed}, stream seed {int(data_seed) * 1000} (the run's own: {_seed})", flush=True)
    return _stream(tasks, world, batch_size, int(data_seed) * 1000, *args, **kwargs)


pretrain_stage.ExpertStream = stream_of_data_seed
sets = [a for kv in [f"seed={init_seed}", *overrides] for a in ("--set", kv)]
sys.exit(main(["pretrain", "--config", "configs/cpu-full.yaml", "--out", out, "--quiet", *sets]))
