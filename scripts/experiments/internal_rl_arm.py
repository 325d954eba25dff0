"""Internal RL (Alg. 1-3) on one discovery arm's metacontroller (docs/experiments.md E21): the rl stage's
``internal_rl`` method, with discover/<ARM> (e.g. one written by scripts/experiment_discover_levers.py) in place of
discover/seed<k>, and any rl.* field changed. One thread; checkpointed (below).

``gain=G`` (E47, a diagnostic) scales the frozen decoder's push, ê = e + G · A Bᵀ e, in training and evaluation.
``std=S`` (E50) starts the policy's learned log-std at log S instead of 0 (SPEC §6: the N(0, I) prior), so that
exploration draws codes of S times the prior's spread. ``task=LETTERS`` (E47) trains and evaluates on another
abstract task than the post task ABCDAB, e.g. ABCD.
``method=raw`` runs the raw-action RL baseline instead (the whole base model finetuned at ``rl.raw_lr``; ARM is
then only where the base model is read from).

Resumable (E48): at every evaluation the policy (or, raw, the base model), the optimiser and the history are
checkpointed in runs/rl_arms/<OUT's stem>, and a rerun with the same arguments resumes there exactly; a larger
``rl.updates`` continues a finished run (any other difference is refused, naming the field). Each evaluation's row
is printed as it comes.

Usage: .venv/bin/python scripts/experiments/internal_rl_arm.py RUN ARM OUT.json [seed=0] [gain=1] [std=1] [task=ABCDAB]
       [method=internal|raw] [rl.FIELD=VALUE ...]
Prints and writes the success-rate curve (episodes, post-task success), the final success rate and the history (per
evaluation: training success, exploration's hits since the last row, PPO statistics).
"""

import json
import math
import sys
from pathlib import Path

import torch
from arm import load_arm, scaled_push

from internal_rl.envs.tasks import task_from_letters
from internal_rl.rl.resume import resumable
from internal_rl.rl.train import Episodes, make_policy, train_internal_rl, train_raw_action_rl

ROW = (
    "update",
    "episodes",
    "success_rate",
    "success_rate_mean",
    "train_success",
    "train_successes",
    "policy_steps_per_episode",
)


def print_row(history: list[dict]) -> None:
    """The latest evaluation's row, as it comes."""
    print(json.dumps({k: history[-1].get(k) for k in ROW}), flush=True)


def main(run: str, arm: str, out: str, kw: dict[str, str]) -> None:
    seed, gain, letters = int(kw.pop("seed", "0")), float(kw.pop("gain", "1")), kw.pop("task", "")
    std = float(kw.pop("std", "1"))
    if not std > 0:
        raise SystemExit(f"std: must be > 0, got {std}")
    method = kw.pop("method", "internal")
    if method not in ("internal", "raw"):
        raise SystemExit(f"method: internal or raw, got {method!r}")
    cfg, ctx, base, mc = load_arm(run, arm, kw)
    task = task_from_letters(letters) if letters else cfg.post_task()
    rl_seed = cfg.seed * 1000 + seed
    if method == "raw":
        modules = {"model": base}
    else:
        modules = {"policy": make_policy(base.cfg.width, mc.cfg.latent_dim, cfg.rl.policy_hidden, rl_seed)}
        with torch.no_grad():
            modules["policy"].log_std.fill_(math.log(std))  # a resumed run loads its own below
    recorded = {"run": run, "arm": arm, "seed": seed, "gain": gain, "task": letters or "post", "method": method}
    recorded |= {"std": std} if std != 1 else {}  # absent at 1, as in the runs recorded before it existed
    recorded["overrides"] = {k: v for k, v in kw.items() if k != "rl.updates"}  # more updates continue a run
    ckpt, every = Path("runs/rl_arms") / Path(out).stem, cfg.rl.eval_every
    cont = resumable(ckpt, modules, recorded, "rl_arm", save_at=lambda u: u % every == 0, on_save=print_row)
    if cont.start_update:
        print(f"resumed at update {cont.start_update} from {ckpt}", flush=True)
    common = dict(episodes=Episodes(task, cfg.world()), seed=rl_seed, cont=cont)
    if method == "raw":
        result = train_raw_action_rl(base, cfg.rl, lr=cfg.rl.raw_lr, **common)
    else:
        with scaled_push(mc, gain):
            result = train_internal_rl(
                base, mc, cfg.rl, layer=cfg.layer(cfg.discover.layer), raw_actions=cfg.rl.raw_actions, **common
            )
    row = recorded | {"overrides": kw}  # what the run was, with every override (rl.updates too)
    row |= {k: result.get(k) for k in ("curve", "success_rate", "success_rate_mean", "history")}
    row["wall_time_s"] = round(result["wall_time_s"])
    Path(out).parent.mkdir(parents=True, exist_ok=True)
    Path(out).write_text(json.dumps(row, indent=1) + "\n")
    print(json.dumps({k: row[k] for k in ("arm", "seed", "success_rate", "success_rate_mean", "wall_time_s")}))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], sys.argv[3], dict(a.split("=", 1) for a in sys.argv[4:]))
