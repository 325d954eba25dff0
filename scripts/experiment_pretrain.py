"""Pretraining experiment driver behind docs/experiments.md (E1-E3).

Usage: .venv/bin/python scripts/experiment_pretrain.py NAME [encoder=ego|conv|linear] [depth=4] [width=128]
       [heads=4] [mlp=256] [init=0.1] [lr=1e-3] [steps=3000] [batch=64] [obsw=0.01] [eval=250] [threads=1]
Trains on runs/exp/data (make it with `internal-rl data --config configs/cpu.yaml --out runs/exp`) with the
project's own Pretrainer and fit loop, printing `NAME {json}` at every evaluation.
"""

import json
import shutil
import sys
import time
from functools import partial

import torch

from internal_rl.analysis.probe import held_out_probe
from internal_rl.config import load_config
from internal_rl.data import EpisodeDataset
from internal_rl.models import Transformer
from internal_rl.models.pretrain import PretrainArgs, Pretrainer
from internal_rl.train.loop import Functions, Schedule, adamw, fit


def main(name: str, kw: dict[str, str]) -> None:
    torch.set_num_threads(int(kw.pop("threads", 1)))
    enc = kw.pop("encoder", "conv")
    model_cfg = dict(
        depth=int(kw.pop("depth", 4)),
        width=int(kw.pop("width", 128)),
        heads=int(kw.pop("heads", 4)),
        mlp=int(kw.pop("mlp", 256)),
        encoder="egocentric" if enc == "ego" else enc,
        init_scale=float(kw.pop("init", 0.1)),
    )
    cfg = load_config("configs/cpu.yaml", [f"model.{k}={v}" for k, v in model_cfg.items()])
    torch.manual_seed(0)
    model = Transformer(cfg.model)
    steps, lr, bs = int(kw.pop("steps", 3000)), float(kw.pop("lr", 1e-3)), int(kw.pop("batch", 64))
    obs_weight, every = float(kw.pop("obsw", 0.01)), int(kw.pop("eval", 250))
    heldout, cpu = EpisodeDataset("runs/exp/data/eval"), torch.device("cpu")
    trainer = Pretrainer(
        model,
        EpisodeDataset("runs/exp/data/train"),
        heldout,
        PretrainArgs(batch_size=bs, obs_weight=obs_weight, eval_episodes=512),
        seed=0,
        device=cpu,
        probe=partial(held_out_probe, heldout=heldout, episodes=512, device=cpu),
    )
    t0 = time.time()

    def evaluate() -> dict:
        r = {**trainer.evaluate(), "elapsed": time.time() - t0}
        print(name, json.dumps({k: round(v, 3) for k, v in r.items()}), flush=True)
        return r

    shutil.rmtree(f"/tmp/exp/ck_{name}", ignore_errors=True)
    fit(
        modules={"model": model},
        optimizer=adamw([model], lr, 0.03),
        schedule=Schedule(
            steps=steps,
            lr=lr,
            weight_decay=0.03,
            warmup_steps=100,
            schedule="cosine",
            grad_clip=1.0,
            checkpoint_every=10**9,
            eval_every=every,
        ),
        objective=Functions(trainer.batch, trainer.loss, evaluate),
        checkpoint_dir=f"/tmp/exp/ck_{name}",
        desc=name,
    )
    torch.save(model.state_dict(), f"/tmp/exp/{name}.pt")


if __name__ == "__main__":
    main(sys.argv[1], dict(a.split("=", 1) for a in sys.argv[2:]))
