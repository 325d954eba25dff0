"""Which subgoal does an internal-RL policy's code name at each abstract step? (issue 10, bar 3; E53)

E52's ABCDAB runs explore at 1e-5..3e-5 per episode; their hits fall as training goes on while the abstract steps
per episode rise. One reading: each success pulls the policy's mean code toward the codes of that trajectory in
every state alike (the mean head starts at 0, the pull is shared across abstract steps), so the policy learns the
first subgoal and, with it, picks that subgoal at the later steps too. This script plays a checkpointed policy
(runs/rl_arms/<NAME>) on fresh post-task layouts and, at each switch, compares the nearest posterior centroid of
its sampled code z (and, in a second pass on the same layouts, of its mean μ) with the subgoal the environment
is on (``rl/ceiling.py`` ``StepNames``):

  sampled[k].right / mean[k].right   share of abstract step k's codes whose nearest centroid is the current subgoal
  sampled[k].named / mean[k].named   how many codes are nearest to each subgoal's centroid (A..D) at step k
  sampled[k].n                       episodes that reached abstract step k
  sampled_failures / mean_failures   how the failed episodes ended (``rl/ceiling.py`` ``failure_modes``; E54)

``NAME=prior`` plays the untrained policy (μ = 0, σ = 1; internal RL's start) for comparison.

Usage: .venv/bin/python scripts/experiments/rl_policy_codes.py RUN ARM NAME OUT.json [episodes=1024] [seed=7]
       [gain=1] [task=ABCDAB] [FIELD=VALUE ...]
"""

import json
import sys
from pathlib import Path

from arm import load_arm, scaled_push
from safetensors.torch import load_file

from internal_rl.envs.tasks import task_from_letters
from internal_rl.pipeline.artifacts import load_dataset
from internal_rl.rl.ceiling import StepNames, failure_modes, policy_chooser, posterior_centroids, run_chooser
from internal_rl.rl.internal_env import InternalEnv
from internal_rl.rl.train import make_policy


def main(run: str, arm: str, name: str, out: str, kw: dict[str, str]) -> None:
    episodes, seed = int(kw.pop("episodes", "1024")), int(kw.pop("seed", "7"))
    gain, letters = float(kw.pop("gain", "1")), kw.pop("task", "")
    cfg, ctx, base, mc = load_arm(run, arm, kw)
    layer = cfg.layer(cfg.discover.layer)
    centroids, accuracy = posterior_centroids(base, mc, load_dataset(ctx, "eval"), layer, 1024)
    policy = make_policy(base.cfg.width, mc.cfg.latent_dim, cfg.rl.policy_hidden, 0)
    if name != "prior":
        policy.load_state_dict(load_file(f"runs/rl_arms/{name}/policy.safetensors"))
    task = task_from_letters(letters) if letters else cfg.post_task()
    env = InternalEnv(base, mc, layer, cfg.world())
    result = {"run": run, "arm": arm, "policy": name, "episodes": episodes, "seed": seed, "gain": gain}
    result["centroid_accuracy"] = round(accuracy, 4)
    result["log_std"] = [round(float(v), 3) for v in policy.log_std.detach()]
    with scaled_push(mc, gain):
        for kind in ("sampled", "mean"):
            names = StepNames(policy_chooser(policy, seed, sample=kind == "sampled"), centroids)
            result[f"{kind}_success"] = round(run_chooser(env, task, episodes, seed, names)["success"], 4)
            result[kind] = names.summary()
            result[f"{kind}_failures"] = failure_modes(env.world, env.state, env.num_abstract, env.horizon)
    Path(out).parent.mkdir(parents=True, exist_ok=True)
    Path(out).write_text(json.dumps(result, indent=1) + "\n")
    for k, (z, mu) in enumerate(zip(result["sampled"], result["mean"], strict=True)):
        print(k, json.dumps({"sampled": z, "mean": mu}))
    for kind in ("sampled", "mean"):
        print(kind, json.dumps(result[f"{kind}_failures"]))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4], dict(a.split("=", 1) for a in sys.argv[5:]))
