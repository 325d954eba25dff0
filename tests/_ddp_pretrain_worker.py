"""A few Pretrainer steps, single process or one rank under torchrun (used by tests/test_pretrain.py).

    torchrun --nproc_per_node 2 tests/_ddp_pretrain_worker.py DATA OUT STEPS BATCH  (or RANK, WORLD_SIZE, MASTER_*)

Each rank writes ``OUT/rank<r>.json`` (the loss of its slice at every step) and ``OUT/rank<r>.safetensors`` (its
final weights). The test runs :func:`run` in-process with one process on the same data as the reference.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import torch
from safetensors.torch import save_file
from torch.nn.parallel import DistributedDataParallel

from internal_rl.data import EpisodeDataset
from internal_rl.models import Transformer, TransformerConfig
from internal_rl.models.pretrain import PretrainArgs, Pretrainer
from internal_rl.train import DistInfo, init_distributed
from internal_rl.train.loop import Functions, Schedule, adamw, fit

MODEL = TransformerConfig(depth=2, width=32, heads=2, mlp=64, encoder="egocentric")


def run(data: Path, out: Path, steps: int, batch_size: int, dist: DistInfo) -> None:
    torch.manual_seed(0)
    # float64: the two runs differ only by the order of floating-point sums, which Adam's normalisation would
    # amplify to ~1e-4 in float32 for parameters with near-zero gradients
    model = Transformer(MODEL).double()
    wrapped = DistributedDataParallel(model) if dist.enabled else model
    dataset = EpisodeDataset(data)
    trainer = Pretrainer(
        wrapped,
        dataset,
        dataset,
        PretrainArgs(batch_size=batch_size, obs_weight=0.01, eval_episodes=8),
        seed=3,
        device=torch.device("cpu"),
        dist=dist,
    )
    losses: list[dict[str, float]] = []

    def loss_fn(batch):
        loss, logs = trainer.loss(batch)
        if torch.is_grad_enabled():  # not fit's no-grad check of the updated parameters before a checkpoint
            losses.append({"loss": logs["loss"], "count": int(batch.mask.sum()), "episodes": len(batch)})
        return loss, logs

    sched = Schedule(
        steps=steps, lr=3e-3, weight_decay=0.03, warmup_steps=2, schedule="cosine", grad_clip=1.0, checkpoint_every=2
    )
    fit(
        modules={"model": model},
        optimizer=adamw([model], sched.lr, sched.weight_decay),
        schedule=sched,
        objective=Functions(trainer.batch, loss_fn),
        checkpoint_dir=out / "checkpoint",
        dist=dist,
        desc="ddp",
    )
    out.mkdir(parents=True, exist_ok=True)
    (out / f"rank{dist.rank}.json").write_text(json.dumps({"world_size": dist.world_size, "steps": losses}))
    save_file({k: v.contiguous() for k, v in model.state_dict().items()}, str(out / f"rank{dist.rank}.safetensors"))


if __name__ == "__main__":
    torch.set_num_threads(1)
    info = init_distributed(torch.device("cpu"))
    run(Path(sys.argv[1]), Path(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), info)
    if info.enabled:
        torch.distributed.barrier()
        torch.distributed.destroy_process_group()
