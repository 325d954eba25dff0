"""The optimisation loop every stage shares: schedule, clipping, NaN guard, evaluation, checkpoints, resume.

A stage supplies three functions and the loop does the rest:

    batch_fn(step)  -> batch              deterministic in ``step`` (so a resumed run sees the same data)
    loss_fn(batch)  -> (loss, {name: v})  the scalar to minimise and diagnostics to log
    eval_fn()       -> {name: v}          held-out metrics (optional)

Checkpoints hold the modules, the optimiser, the step, the RNG state and the metric history; a run killed at
any point resumes from the last checkpoint and, because data and noise depend only on the step and the seed,
ends with the same metrics as an uninterrupted run, as long as it resumes with the same arithmetic (torch, device,
threads, processes; :func:`~internal_rl.train.seeding.arithmetic`): the checkpoint records the arithmetic of every
segment of the run, and a resume with another one says so on stderr, since its rounding differs.

Wall time is counted across resumes: the checkpoint holds the seconds trained so far, the evaluation history's
``wall_time_s`` continues from them, and the seconds restored by every loop of a process add up in
:func:`take_restored_wall_time` (the stage's wall time counts them).
"""

from __future__ import annotations

import math
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import torch
from torch import nn

from internal_rl.train.checkpoint import CheckpointMismatch, has_checkpoint, load_checkpoint, save_checkpoint
from internal_rl.train.distributed import DistInfo, barrier
from internal_rl.train.guard import check_finite, check_modules_finite
from internal_rl.train.logging import Logger, progress
from internal_rl.train.seeding import arithmetic, rng_state, set_rng_state

_restored_wall_s = [0.0]  # seconds of training restored from checkpoints by this process's loops, not yet taken


def take_restored_wall_time() -> float:
    """Seconds of training that the loops run since the last call restored from their checkpoints (and reset)."""
    s, _restored_wall_s[0] = _restored_wall_s[0], 0.0
    return s


@dataclass(frozen=True)
class Schedule:
    """Optimiser settings of a stage."""

    steps: int
    lr: float
    weight_decay: float = 0.0
    warmup_steps: int = 0
    schedule: str = "constant"  # constant | cosine
    min_lr_ratio: float = 0.1
    grad_clip: float = 0.0
    checkpoint_every: int = 1_000
    eval_every: int = 0  # 0 = evaluate only at the end
    snapshot_every: int = 0  # keep the modules (no optimiser) at <checkpoint_dir>/../snapshots/step<N> (0 = never)
    stop_at: int = 0  # train only the first N steps of the `steps`-step schedule (0 = all of them)

    @property
    def end(self) -> int:
        """The step at which training stops: ``stop_at`` when set, else ``steps``."""
        return self.stop_at or self.steps

    def lr_at(self, step: int) -> float:
        """Linear warm-up, then constant or cosine decay to ``min_lr_ratio * lr``."""
        if self.warmup_steps and step < self.warmup_steps:
            return self.lr * (step + 1) / self.warmup_steps
        if self.schedule == "constant":
            return self.lr
        progress_ = (step - self.warmup_steps) / max(1, self.steps - self.warmup_steps)
        cos = 0.5 * (1 + math.cos(math.pi * min(1.0, progress_)))
        return self.lr * (self.min_lr_ratio + (1 - self.min_lr_ratio) * cos)


def check_updated(modules: dict[str, nn.Module], loss_fn: Callable, batch: Any, step: int, desc: str) -> None:
    """Before a checkpoint: every parameter finite, and the loss of this step's batch finite with the *updated*
    parameters (the RNG state is restored, so the check changes no result)."""
    check_modules_finite(modules, step)
    state = rng_state()
    with torch.no_grad():
        loss, _ = loss_fn(batch)
    set_rng_state(state)
    check_finite(loss, f"{desc} loss with the parameters of step {step}", step)


def snapshot_dir(checkpoint_dir: str | Path, step: int) -> Path:
    """Where :func:`fit` keeps the weights of step ``step`` when ``Schedule.snapshot_every`` is set."""
    return Path(checkpoint_dir).parent / "snapshots" / f"step{step}"


def adamw(modules: list[nn.Module], lr: float, weight_decay: float) -> torch.optim.AdamW:
    """AdamW with decay on matrices only (biases and norm gains are not decayed), as in nanoGPT."""
    params = [p for m in modules for p in m.parameters() if p.requires_grad]
    decay = [p for p in params if p.dim() >= 2]
    no_decay = [p for p in params if p.dim() < 2]
    groups = [{"params": decay, "weight_decay": weight_decay}, {"params": no_decay, "weight_decay": 0.0}]
    return torch.optim.AdamW(groups, lr=lr, betas=(0.9, 0.95))


class Objective(Protocol):
    """What :func:`fit` trains on: ``batch(step)`` (a pure function of the step, so a resumed run sees the same
    batches), ``loss(batch) -> (loss, logs)``, and optionally ``evaluate() -> metrics`` (held-out measurements at
    every ``schedule.eval_every`` steps; the trainers of each stage implement it)."""

    def batch(self, step: int) -> Any: ...

    def loss(self, batch: Any) -> tuple[torch.Tensor, dict[str, float]]: ...


@dataclass
class Functions:
    """An :class:`Objective` made of plain functions (scripts and tests that wrap a trainer's loss)."""

    batch: Callable[[int], Any]
    loss: Callable[[Any], tuple[torch.Tensor, dict[str, float]]]
    evaluate: Callable[[], dict[str, float]] | None = None


def fit(
    *,
    modules: dict[str, nn.Module],
    optimizer: torch.optim.Optimizer,
    schedule: Schedule,
    objective: Objective,
    checkpoint_dir: Path,
    logger: Logger | None = None,
    dist: DistInfo = DistInfo(),
    desc: str = "train",
    meta: dict | None = None,
) -> list[dict[str, float]]:
    """Run (or resume) ``schedule.end`` optimiser steps on ``objective``; returns the evaluation history."""
    batch_fn, loss_fn = objective.batch, objective.loss
    eval_fn: Callable[[], dict[str, float]] | None = getattr(objective, "evaluate", None)
    start, history, before = 0, [], 0.0  # before: seconds trained by earlier processes (resumes)
    segments: list[dict] = []  # the arithmetic of each stretch of steps, {"from_step": s, **arithmetic}
    now = arithmetic(next(p.device for m in modules.values() for p in m.parameters()), dist.world_size)
    if has_checkpoint(checkpoint_dir):
        state, _ = load_checkpoint(checkpoint_dir, modules)
        decays = [g["weight_decay"] for g in optimizer.param_groups]
        optimizer.load_state_dict(state["optimizer"])  # restores each group's hyper-parameters too: the config's win
        for g, decay in zip(optimizer.param_groups, decays, strict=True):
            g["weight_decay"] = decay
        set_rng_state(state["rng"])
        start, history, before = state["step"], state["history"], float(state.get("wall_time_s", 0.0))
        segments = state.get("arithmetic", [])  # absent in checkpoints written before it was recorded
        if start > schedule.end:
            raise CheckpointMismatch(
                f"checkpoint {checkpoint_dir} is at step {start}, past this run's last step {schedule.end} "
                "(stop_at): its snapshots hold earlier steps; use another output directory"
            )
        _restored_wall_s[0] += before
        if logger is not None:
            logger.resume(start)
    segments = _continue_segments(segments, now, start, desc, dist.is_main)
    params = [p for g in optimizer.param_groups for p in g["params"]]

    def checkpoint(step: int) -> None:
        if dist.is_main:
            save_checkpoint(
                checkpoint_dir,
                modules,
                {
                    "optimizer": optimizer.state_dict(),
                    "rng": rng_state(),
                    "step": step,
                    "history": history,
                    "wall_time_s": before + time.perf_counter() - t0,
                    "arithmetic": segments,
                },
                meta={**(meta or {}), "step": step, "arithmetic": segments},
            )
        barrier(dist)

    t0 = time.perf_counter()
    end = schedule.end
    bar = progress(total=end, initial=start, desc=desc, enabled=dist.is_main)
    for step in range(start, end):
        for g in optimizer.param_groups:
            g["lr"] = schedule.lr_at(step)
        for m in modules.values():
            m.train()
        batch = batch_fn(step)
        loss, logs = loss_fn(batch)
        check_finite(loss, f"{desc} loss", step)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        if schedule.grad_clip > 0:
            logs["grad_norm"] = float(torch.nn.utils.clip_grad_norm_(params, schedule.grad_clip))
        optimizer.step()
        done = step + 1
        bar.update(1)
        if logger is not None and (done % 50 == 0 or done == end):
            logger.scalars(done, {**logs, "lr": schedule.lr_at(step)}, prefix="train/")
        if eval_fn is not None and ((schedule.eval_every and done % schedule.eval_every == 0) or done == end):
            for m in modules.values():
                m.eval()
            with torch.no_grad():
                ev = {"step": done, "wall_time_s": before + time.perf_counter() - t0, **eval_fn()}
            history.append(ev)
            bar.set_postfix({k: f"{v:.3f}" for k, v in ev.items() if k not in ("step", "wall_time_s")})
            if logger is not None:
                logger.scalars(done, ev, prefix="eval/")
        saving = done % schedule.checkpoint_every == 0 or done == end
        if saving or (schedule.snapshot_every and done % schedule.snapshot_every == 0):
            check_updated(modules, loss_fn, batch, done, desc)
        if saving:
            checkpoint(done)
        if schedule.snapshot_every and done % schedule.snapshot_every == 0 and dist.is_main:
            save_checkpoint(
                snapshot_dir(checkpoint_dir, done),
                modules,
                {"step": done},
                meta={**(meta or {}), "step": done, "arithmetic": segments},
            )
    bar.close()
    for m in modules.values():
        m.eval()
    return history


def _continue_segments(segments: list[dict], now: dict, start: int, desc: str, say: bool) -> list[dict]:
    """``segments`` with a new one from ``start`` when the arithmetic ``now`` differs from the last one's (said on
    stderr when ``say``: the continuation's rounding differs from an uninterrupted run's)."""
    if segments:
        last = {k: v for k, v in segments[-1].items() if k != "from_step"}
        if last == now:
            return segments
        if say:
            changed = ", ".join(f"{k} {last.get(k)!r} -> {now.get(k)!r}" for k in now if last.get(k) != now.get(k))
            print(
                f"{desc}: resuming at step {start} with other arithmetic ({changed}): the continuation is not "
                "bit for bit the run that an uninterrupted process would have made",
                file=sys.stderr,
                flush=True,
            )
    return [*segments, {"from_step": start, **now}]
