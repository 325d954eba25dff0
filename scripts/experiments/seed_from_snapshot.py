"""E29 (issue 10): start a `pretrain.stop_at` run from another run's snapshot instead of training it again.

A config with ``pretrain.stop_at: N`` trains the first N steps of its schedule. When a finished run SRC has the
same pretraining (every field of the pretraining fingerprint equal once SRC's ``stop_at`` is set to N) and kept a
snapshot at step N, those N steps have been computed already: a seeded and deterministic run repeats them exactly
(`test_stop_at_is_the_first_steps_of_the_longer_schedule`, `test_fit_resume_after_kill_is_exact`). This script
writes that snapshot as DST's finished pretraining checkpoint (step N, SRC's evaluation history up to N; the
optimiser state is empty since no step follows). Then ``internal-rl run --config CONFIG --out DST`` makes D* and
runs every later stage; its pretrain stage only evaluates the backbone.

Usage: .venv/bin/python scripts/experiments/seed_from_snapshot.py SRC SNAPSHOT DST CONFIG [KEY=VALUE ...]
  e.g. ... runs/long32 step24000 runs/full configs/cpu-full.yaml
"""

from __future__ import annotations

import dataclasses
import sys
from pathlib import Path

from internal_rl.config import fingerprint, load_config, to_dict
from internal_rl.pipeline.artifacts import build_model
from internal_rl.pipeline.graph import sections
from internal_rl.pipeline.rundir import RunDir, config_differences
from internal_rl.train.checkpoint import has_checkpoint, load_checkpoint, save_checkpoint
from internal_rl.train.loop import adamw
from internal_rl.train.seeding import rng_state

src, snapshot, dst, config, *overrides = sys.argv[1:]
cfg = load_config(config, overrides)
src_cfg = load_config(Path(src) / "config.yaml")
model = build_model(cfg)
_, meta = load_checkpoint(Path(src, "pretrain", "snapshots", snapshot), {"model": model})
step = meta["step"]
if cfg.pretrain.stop_at != step:
    raise SystemExit(f"{config}: pretrain.stop_at is {cfg.pretrain.stop_at}, the snapshot {snapshot} is step {step}")
as_stopped = dataclasses.replace(src_cfg, pretrain=dataclasses.replace(src_cfg.pretrain, stop_at=step))
want = fingerprint(*sections(cfg)["pretrain"])
if fingerprint(*sections(as_stopped)["pretrain"]) != want:
    a, b = to_dict(as_stopped), to_dict(cfg)
    keys = ("seed", "env", "data", "model", "pretrain")
    diff = [d for d in config_differences({k: a[k] for k in keys}, {k: b[k] for k in keys}) if "meta_tasks" not in d]
    raise SystemExit(f"{src} pretrained otherwise than {config}: {'; '.join(diff)}")

run = RunDir(dst, cfg)
stage = run.stage("pretrain", want)
if stage.is_complete() or has_checkpoint(stage.checkpoint_dir):
    raise SystemExit(f"{stage.path} already holds pretraining: nothing written")
src_state, _ = load_checkpoint(Path(src, "pretrain", "checkpoint"))
history = [h for h in src_state["history"] if h["step"] <= step]
stage.begin()
state = {
    "optimizer": adamw([model], cfg.pretrain.lr, cfg.pretrain.weight_decay).state_dict(),
    "rng": rng_state(),
    "step": step,
    "history": history,
}
save_checkpoint(stage.checkpoint_dir, {"model": model}, state, meta={**meta, "seeded_from": f"{src}/{snapshot}"})
print(
    f"{dst}: pretraining checkpoint = {src}/pretrain/snapshots/{snapshot} (step {step}, {len(history)} evaluations);"
    f" now: internal-rl run --config {config} --out {dst}"
)
