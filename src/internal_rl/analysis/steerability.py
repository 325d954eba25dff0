"""Steerability check of a frozen backbone: a fixed-budget supervised steering fit (SPEC §4, App. C.3) and the
closed-loop evaluations that say whether, and why, it composes the post task's unseen transitions.

    fit_controller   one-hot subgoal controller at layer l, trained by action NLL on D* (base model frozen)
    oracle           its control hook with oracle switching (the environment's progress names the subgoal)
    steerability     the fit + four closed-loop evaluations + the diagnosis below, as one metrics dict

Diagnosis (docs/experiments.md E6): when a steered backbone gets a pair start wrong on the post task, does it
enter the first colour of a pair that *pretraining allows after the previous pair*? A share far above chance
means the controller only chooses among the successors the backbone learnt, instead of setting the target.
``internal-rl steerability`` runs this on a run's final checkpoint and on its snapshots (steerability curves).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from torch import Tensor, nn

from internal_rl.analysis.probe import quick_probes
from internal_rl.analysis.rollout import ClosedLoopStats, closed_loop_stats, greedy
from internal_rl.analysis.steering import (
    StackedController,
    SteeringTrainer,
    SubgoalController,
    push,
    steered_upper,
)
from internal_rl.config import SteerConfig
from internal_rl.envs import POST_TASK, abstract_transitions, letters_of
from internal_rl.envs.base import World
from internal_rl.models.actions import ActionTargets
from internal_rl.train.checkpoint import check_recorded
from internal_rl.train.loop import Schedule, adamw, fit


def fit_controller(
    base: nn.Module,
    dataset,
    *,
    layer: int,
    cfg: SteerConfig,
    seed: int,
    checkpoint_dir: str | Path,
    desc: str = "steer",
    logger=None,
    action_targets: ActionTargets | None = None,
) -> tuple[SubgoalController, list[dict[str, float]]]:
    """Train (or resume) a one-hot subgoal controller at ``layer`` of ``base`` (on its device); returns it and its
    evaluation history (``logger``: a :class:`~internal_rl.train.Logger` for TensorBoard curves; ``action_targets``:
    the NLL's target distributions instead of the recorded actions, ``steer.targets: expert``)."""
    torch.manual_seed(seed)
    width, device = base.cfg.width, base.device
    kw = dict(rank=cfg.rank, hidden=cfg.hidden, form=cfg.form)
    span = cfg.span
    if layer + span - 1 > base.cfg.depth:
        raise ValueError(f"steer.span: {span} layers from layer {layer} exceed the base model's depth {base.cfg.depth}")
    controller = (SubgoalController(width, **kw) if span == 1 else StackedController(width, span, **kw)).to(device)
    recorded = {"layer": layer, "width": width, "span": span, **kw}  # what the controller's weights are
    check_recorded(checkpoint_dir, "controller", recorded, "steer")
    trainer = SteeringTrainer(base, controller, dataset, layer, cfg, seed, action_targets)
    history = fit(
        modules={"controller": controller},
        optimizer=adamw([controller], cfg.lr, cfg.weight_decay),
        schedule=Schedule(
            steps=cfg.steps,
            lr=cfg.lr,
            weight_decay=cfg.weight_decay,
            warmup_steps=cfg.warmup_steps,
            schedule=cfg.schedule,
            checkpoint_every=max(1, cfg.steps // 4),
            eval_every=max(1, cfg.steps // 4),
        ),
        objective=trainer,
        checkpoint_dir=Path(checkpoint_dir),
        desc=desc,
        logger=logger,
        meta={"controller": recorded},
    )
    return controller, history


def oracle(controller: nn.Module, gain: float = 1.0) -> OracleControl:
    """The control hook of ``controller`` with oracle switching (see :class:`OracleControl`)."""
    return OracleControl(controller, gain)


class OracleControl:
    """Control hook: at every step the controller of the subgoal the environment's progress says is next.

    ``gain`` scales the intervention, ê = e + gain * U e (still of the form e + U' e with U' = gain * U); 1 is the
    trained controller. An evaluation-time probe of whether a stronger push overrides the backbone's prior.
    Calling it gives ê at the controlled layer (one controller); :meth:`upper` runs the model above the layer with
    the controller in, for one controller or a stacked one (what closed-loop rollouts call).
    """

    def __init__(self, controller: nn.Module, gain: float = 1.0):
        self.controller, self.gain = controller, gain

    @staticmethod
    def subgoal(state, device) -> Tensor:
        return torch.from_numpy(np.maximum(state.target, 0) // 2).to(device)[:, None]  # (B, 1)

    def __call__(self, e: Tensor, state) -> Tensor:
        if isinstance(self.controller, StackedController):
            raise TypeError("a stacked controller acts at several layers: use oracle.upper")
        return push(self.controller, e, self.subgoal(state, e.device), self.gain)

    def upper(self, model: nn.Module, e: Tensor, state, layer: int, cache) -> tuple[Tensor, Tensor | None]:
        return steered_upper(model, self.controller, e, self.subgoal(state, e.device), layer, cache, self.gain)


def allowed_transitions(tasks: Sequence[Sequence[int]]) -> set[tuple[int, int]]:
    """Abstract transitions (X, Y) of a task list, as subgoal ids: Table A1 gives A->{C,D}, B->{A,D}, ..."""
    letters = "ABCD"
    pairs = set().union(*(abstract_transitions(t) for t in tasks))
    return {(letters.index(a), letters.index(b)) for a, b in pairs}


def prior_capture(stats: ClosedLoopStats, allowed: set[tuple[int, int]], num_subgoals: int = 4) -> dict:
    """Where the wrong pair-start decisions after the first pair go, and right decisions by pair position.

    ``wrong_to_allowed``: among wrong pair starts that entered some pair's first colour, the share whose pair
    follows the previous pair in ``allowed``. ``wrong_to_allowed_chance``: the same share if the wrong pair were
    uniform over the other pairs.
    """
    log = stats.pair_start_log  # (n, 4): index in task, asked colour, entered colour, previous colour
    position = log[:, 0] // 2 + 1  # 1-based pair position
    by_pair = {}
    for k in range(1, int(position.max(initial=0)) + 1):
        rows = position == k
        by_pair[str(k)] = float((log[rows, 2] == log[rows, 1]).mean()) if rows.any() else None
    later = (position > 1) & (log[:, 2] != log[:, 1]) & (log[:, 2] % 2 == 0)
    prev, asked, entered = log[later, 3] // 2, log[later, 1] // 2, log[later, 2] // 2
    to_allowed = [(int(p), int(e)) in allowed for p, e in zip(prev, entered, strict=True)]
    chance = [
        np.mean([(int(p), y) in allowed for y in range(num_subgoals) if y != a])
        for p, a in zip(prev, asked, strict=True)
    ]
    return {
        "pair_start_accuracy_by_pair": by_pair,
        "wrong_pair_starts": int(later.sum()),
        "wrong_to_allowed": float(np.mean(to_allowed)) if to_allowed else None,
        "wrong_to_allowed_chance": float(np.mean(chance)) if chance else None,
    }


@dataclass(frozen=True)
class Diagnostics:
    """Extra evaluations of a steerability check: the post task at ê = e + gain U e for each of ``gains`` (the
    controller reused), and ``greedy``: steered and unsteered with the most likely action at every step."""

    gains: Sequence[float] = ()
    greedy: bool = False


def steerability(
    base: nn.Module,
    dataset,
    *,
    layer: int,
    cfg: SteerConfig,
    world: World,
    pretrain_tasks: Sequence[Sequence[int]],
    post_task: Sequence[int] = POST_TASK,
    seed: int,
    checkpoint_dir: str | Path,
    extra: Diagnostics = Diagnostics(),
    action_targets: ActionTargets | None = None,
) -> dict:
    """Fit a controller at ``layer`` and score closed-loop decisions, unsteered and steered (oracle switching),
    on the pretraining tasks and on the post task, with the prior-capture diagnosis of the post task, and the
    ``extra`` evaluations (does a larger push, or the argmax action, win?); ``action_targets`` as fit_controller's."""
    post_task, device = tuple(post_task), base.device
    controller, history = fit_controller(
        base,
        dataset,
        layer=layer,
        cfg=cfg,
        seed=seed,
        checkpoint_dir=checkpoint_dir,
        desc=f"steer layer {layer}",
        action_targets=action_targets,
    )
    ev = dict(episodes=cfg.eval_episodes, world=world, seed=seed + 11)
    steer = dict(layer=layer, control=oracle(controller))
    post = closed_loop_stats(base, [post_task], **steer, **ev)
    pairs = world.spec.num_colors == 2 * world.spec.num_subgoals  # subgoals are colour pairs (the gridworld)
    out = {
        "layer": layer,
        "post_task": letters_of(post_task) if pairs else "".join(map(str, post_task)),
        "train_nll": history[-1]["action_nll"],
        **closed_loop_stats(base, pretrain_tasks, **ev).metrics("pretrain_unsteered_"),
        **closed_loop_stats(base, pretrain_tasks, **steer, **ev).metrics("pretrain_steered_"),
        **closed_loop_stats(base, [post_task], **ev).metrics("post_unsteered_"),
        **post.metrics("post_steered_"),
    }
    if pairs:  # where the wrong pair starts go: a diagnosis of pair subgoals
        out.update(
            {f"post_steered_{k}": v for k, v in prior_capture(post, allowed_transitions(pretrain_tasks)).items()}
        )
    if extra.greedy:
        for name, tasks in (("pretrain", pretrain_tasks), ("post", [post_task])):
            stats = closed_loop_stats(base, tasks, **steer, **ev, choose=greedy)
            out.update(stats.metrics(f"{name}_steered_greedy_"))
            out.update(closed_loop_stats(base, tasks, **ev, choose=greedy).metrics(f"{name}_unsteered_greedy_"))
    for gain in extra.gains:
        stats = closed_loop_stats(base, [post_task], layer=layer, control=oracle(controller, gain), **ev)
        out.update(stats.metrics(f"post_steered_gain{gain:g}_"))
    out["probe_by_layer"] = quick_probes(base, dataset, device)  # where the target forms vs the last colour
    return out
