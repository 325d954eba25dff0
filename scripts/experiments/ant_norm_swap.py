"""E27b: does a fine-tuned expert lose the gait through its observation normaliser (whose running statistics keep
adapting to the pinpad) or through its gradient steps? Evaluates, through the symmetric relabelling on the pinpad's
pretraining tasks (256 episodes, mean action): the gait, the gait with the fine-tuned expert's normaliser, and the
fine-tuned expert.

Usage: .venv/bin/python scripts/experiments/ant_norm_swap.py TUNED OUT.json [GAIT=runs/antcmd/gait]
"""

from __future__ import annotations

import json
import sys

import torch

from internal_rl.envs import antpinpad as A
from internal_rl.experts.ant_policy import evaluate_expert
from internal_rl.experts.ant_ppo import load_expert


def main() -> None:
    torch.set_num_threads(1)
    tuned_dir, out = sys.argv[1], sys.argv[2]
    gait, _ = load_expert(sys.argv[3] if len(sys.argv) > 3 else "runs/antcmd/gait")
    tuned, _ = load_expert(tuned_dir)
    gait.symmetric = tuned.symmetric = True
    shift = (tuned.norm.mean - gait.norm.mean).abs() / gait.norm.var.sqrt()  # in the gait's std units
    result: dict = {
        "tuned": tuned_dir,
        "normaliser_mean_shift": {"median": float(shift.median()), "max": float(shift.max())},
    }
    result["gait"] = evaluate_expert(gait, A.ANT_PRETRAIN_TASKS, 256, 11)
    gait.norm.load_state_dict(tuned.norm.state_dict())
    result["gait_with_tuned_normaliser"] = evaluate_expert(gait, A.ANT_PRETRAIN_TASKS, 256, 11)
    result["tuned_expert"] = evaluate_expert(tuned, A.ANT_PRETRAIN_TASKS, 256, 11)
    with open(out, "w") as f:
        json.dump(result, f, indent=1)
    print(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
