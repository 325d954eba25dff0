"""Checkpointed PPO runs: a :class:`Continuation` that resumes a run from its checkpoint directory and saves there.

Used by the rl stage (one directory per method and seed) and by the experiment scripts' single runs, so that both
resume the same way: the checkpoint records what its weights are (``recorded``, under ``key``); a run with other
values is refused with one line naming each differing field, and a matching one continues exactly where the saved
one stopped (weights, optimiser state, next update, history; rl/train.py draws every update's randomness from
(seed, update)).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import torch
from torch import nn

from internal_rl.rl.train import Continuation
from internal_rl.train.checkpoint import check_recorded, has_checkpoint, load_checkpoint, save_checkpoint


def resumable(
    ckpt: str | Path,
    modules: dict[str, nn.Module],
    recorded: dict,
    key: str,
    save_at: Callable[[int], bool],
    on_save: Callable[[list[dict]], None] | None = None,
    map_location: str | torch.device = "cpu",
) -> Continuation:
    """A Continuation over ``modules`` (``policy`` for internal RL, ``model`` for raw-action RL) that starts from
    ``ckpt``'s checkpoint when there is one (refused unless its ``key`` metadata equals ``recorded``) and saves
    there after every update ``u`` with ``save_at(u)``, then calls ``on_save(history)``."""
    check_recorded(ckpt, key, recorded, key)
    start, history, opt_state = 0, None, None
    if has_checkpoint(ckpt):
        state, _ = load_checkpoint(ckpt, modules, map_location=map_location)
        start, history, opt_state = state["update"], state["history"], state["optimizer"]

    def on_update(update: int, mods: dict[str, nn.Module], optimizer: torch.optim.Optimizer, hist: list[dict]):
        if save_at(update):
            state = {"optimizer": optimizer.state_dict(), "update": update, "history": hist}
            save_checkpoint(ckpt, mods, state, meta={key: recorded})
            if on_save is not None:
                on_save(hist)

    return Continuation(
        policy=modules.get("policy"),  # type: ignore[arg-type]  # a RecurrentGaussianPolicy where there is one
        optimizer_state=opt_state,
        start_update=start,
        history=history,
        on_update=on_update,
    )
