"""Continue pretraining a run's backbone (docs/experiments.md E6).

Usage: .venv/bin/python scripts/experiment_continue.py SRC_RUN NAME [steps=12000] [lr=1e-3] [save=4000] [threads=1]
       [precision=fp32|bf16] [stream_seed=1000000]
Loads SRC_RUN/pretrain/checkpoint, trains `steps` more AdamW steps (200 warm-up, cosine; same data, batch and loss
as the pretrain stage: a stream of fresh episodes, seed 1, when the run streams), prints `NAME {json}` every 1000
steps, and every `save` steps writes a run directory runs/NAME_<step> holding the snapshot as its pretrain stage, so
the CLI's later stages (steer, discover, rl) and scripts/experiment_steer.py can run on it.
"""

import json
import os
import shutil
import sys
import time
from functools import partial
from pathlib import Path

import torch

from internal_rl.analysis.probe import held_out_probe
from internal_rl.config import load_config
from internal_rl.data import EpisodeDataset
from internal_rl.data.stream import ExpertStream
from internal_rl.models.pretrain import PretrainArgs, Pretrainer
from internal_rl.pipeline.artifacts import build_model
from internal_rl.train import load_checkpoint
from internal_rl.train.checkpoint import save_checkpoint
from internal_rl.train.loop import Functions, Schedule, adamw, fit


def snapshot(src: str, out: Path, model: torch.nn.Module, step: int) -> None:
    (out / "pretrain").mkdir(parents=True, exist_ok=True)
    shutil.copy(f"{src}/config.yaml", out / "config.yaml")
    for name in ("stage.json", "metrics.json"):  # the pipeline then treats the stage as complete
        shutil.copy(f"{src}/pretrain/{name}", out / "pretrain" / name)
    if not (out / "data").exists():
        os.symlink(os.path.abspath(f"{src}/data"), out / "data")
    save_checkpoint(out / "pretrain" / "checkpoint", {"model": model}, {"step": step})


def main(src: str, name: str, kw: dict[str, str]) -> None:
    torch.set_num_threads(int(kw.get("threads", 1)))
    steps, lr, every = int(kw.get("steps", 12000)), float(kw.get("lr", 1e-3)), int(kw.get("save", 4000))
    cfg = load_config(f"{src}/config.yaml")
    model = build_model(cfg)
    load_checkpoint(f"{src}/pretrain/checkpoint", {"model": model})
    torch.manual_seed(1)
    heldout, cpu = EpisodeDataset(f"{src}/data/eval"), torch.device("cpu")
    if cfg.data.stream:  # fresh episodes from another seed than the original run's (no episode repeats)
        seed = int(kw.get("stream_seed", 10**6))  # a new seed for each continuation of a continuation
        train = ExpertStream(cfg.pretrain_tasks(), cfg.world(), cfg.pretrain.batch_size, seed, cpu, workers=0)
    else:
        train = EpisodeDataset(f"{src}/data/train")
    trainer = Pretrainer(
        model,
        train,
        heldout,
        PretrainArgs(
            batch_size=cfg.pretrain.batch_size,
            obs_weight=cfg.pretrain.obs_weight,
            eval_episodes=512,
            precision=kw.get("precision", "fp32"),
        ),
        seed=1,
        device=cpu,
        probe=partial(held_out_probe, heldout=heldout, episodes=512, device=cpu),
    )
    t0, calls = time.time(), [0]

    def evaluate() -> dict:
        r = {**trainer.evaluate(), "elapsed": time.time() - t0}
        print(name, json.dumps({k: round(v, 3) for k, v in r.items()}), flush=True)
        return r

    def loss(batch):
        calls[0] += 1
        if calls[0] % every == 0:
            snapshot(src, Path(f"runs/{name}_{calls[0]}"), model, calls[0])
        return trainer.loss(batch)

    shutil.rmtree(f"/tmp/exp/ck_{name}", ignore_errors=True)
    fit(
        modules={"model": model},
        optimizer=adamw([model], lr, cfg.pretrain.weight_decay),
        schedule=Schedule(
            steps=steps,
            lr=lr,
            weight_decay=cfg.pretrain.weight_decay,
            warmup_steps=200,
            schedule="cosine",
            grad_clip=1.0,
            checkpoint_every=10**9,
            eval_every=1000,
        ),
        objective=Functions(trainer.batch, loss, evaluate),
        checkpoint_dir=Path(f"/tmp/exp/ck_{name}"),
        desc=name,
    )


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], dict(a.split("=", 1) for a in sys.argv[3:]))
