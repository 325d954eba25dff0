"""E26b: does the symmetric expert fall or stray when its relabelling flips? The expert zero-shot on the pinpad
(128 episodes per task set, mean action) with k chosen afresh at every step (as `ant_expert.symmetric` does) or
with hysteresis: the relabelling in force is kept while the direction stays within ±(45° + MARGIN) of its body x.

Usage: .venv/bin/python scripts/experiments/ant_hysteresis.py EXPERT OUT.json [margin_deg=20]
"""

import json
import sys

import numpy as np
import torch

from internal_rl.envs import antpinpad as A
from internal_rl.experts.ant import expert_observation, path_direction, to_heading_frame
from internal_rl.experts.ant_policy import evaluate_expert
from internal_rl.experts.ant_ppo import load_expert
from internal_rl.experts.ant_symmetry import quarter_turns, relabel_physics


def with_hysteresis(policy, margin: float):
    """Replace policy.inputs by one that remembers k per ant (all episodes start together in evaluate_expert)."""
    memory: dict[str, np.ndarray] = {}
    flips = {"n": 0, "steps": 0}

    def inputs(state: A.AntState, command=None):
        local = to_heading_frame(state, path_direction(state) if command is None else command)
        fresh = quarter_turns(local)
        prev = memory.get("k")
        if prev is None or len(prev) != len(fresh) or (state.t == 0).all():
            k = fresh
        else:
            phi = np.rad2deg(np.arctan2(local[:, 1], local[:, 0])) + 90 * prev
            off = np.abs(np.mod(phi + 180, 360) - 180)
            keep = (off <= 45 + margin) & (np.abs(local).sum(1) > 0)
            k = np.where(keep, prev, fresh)
            live = ~state.done
            flips["n"] += int(((k != prev) & live).sum())
            flips["steps"] += int(live.sum())
        memory["k"] = k
        return expert_observation(relabel_physics(state, k), command), k

    policy.inputs = inputs
    return flips


def main(expert: str, out: str, margin: float) -> None:
    torch.set_num_threads(1)
    result: dict = {"expert": expert, "margin_deg": margin}
    for mode in ("fresh", "hysteresis"):
        policy, _ = load_expert(expert)
        policy.symmetric = True
        flips = with_hysteresis(policy, margin if mode == "hysteresis" else -45.0)  # -45: always the fresh k
        for name, tasks, seed in (("pretrain", A.ANT_PRETRAIN_TASKS, 11), ("post", [A.ANT_POST_TASK], 12)):
            result[f"{mode}_{name}"] = evaluate_expert(policy, tasks, 128, seed)
        result[f"{mode}_flips_per_step"] = round(flips["n"] / max(flips["steps"], 1), 4)
    with open(out, "w") as f:
        json.dump(result, f, indent=1)
    print(json.dumps(result))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], float(sys.argv[3]) if len(sys.argv) > 3 else 20.0)
