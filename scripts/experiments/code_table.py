"""Is there, in a metacontroller's code space, a code for each subgoal that composes the post task? (issue 10, bar 3;
docs/experiments.md E34)

Internal RL chooses codes z for the frozen decoder f_hyp (SPEC §6). The centroid ceiling (rl/ceiling.py) asks
whether the *posterior's* codes name subgoals; this asks whether the *decoder's range* holds codes that do,
whatever the posterior learnt: a table of K = 4 codes (one per abstract subgoal), the decoder frozen, is fitted
exactly as a supervised steering controller is (SPEC §4: action NLL on D*, the base model frozen, the run's steer
section's budget), starting from the posterior centroids. Then, with oracle switching (the environment's progress
names the subgoal), the post task and the pretraining chains are rolled out on fresh layouts.

    centroids  the posterior centroids, unfitted (the rl stage's ceiling, but with oracle instead of β switching)
    fitted     the fitted table: what a perfect vocabulary policy could reach if switching were perfect
Compare with the free controller of bar 1 (steer_length.py): a free hypernetwork at rank 128 reached 0.515.

Usage: .venv/bin/python scripts/experiments/code_table.py RUN ARM OUT.json [episodes=512] [FIELD=VALUE ...]
"""

import json
import sys
import time
from pathlib import Path

from arm import load_arm, write_row
from torch import Tensor, nn

from internal_rl.analysis.rollout import closed_loop_stats
from internal_rl.analysis.steerability import oracle
from internal_rl.analysis.steering import NUM_SUBGOALS, SteeringTrainer
from internal_rl.envs import POST_TASK, chain_tasks
from internal_rl.pipeline.artifacts import load_dataset
from internal_rl.rl.ceiling import posterior_centroids
from internal_rl.train.loop import Schedule, adamw, fit


class CodeTable(nn.Module):
    """ê = e + f_hyp(z_g) e: one code z_g per abstract subgoal g, the decoder f_hyp frozen."""

    def __init__(self, decoder: nn.Module, codes: Tensor):
        super().__init__()
        self.decoder = decoder.requires_grad_(False)
        self.codes = nn.Parameter(codes.clone())  # (K, Z)

    def forward(self, e: Tensor, subgoal: Tensor) -> Tensor:
        """e (B, T, D), subgoal (B, T) -> ê (B, T, D)."""
        return self.decoder.control(e, self.codes[subgoal.clamp(min=0)].to(e.dtype))


def rollouts(base, table, layer, cfg, episodes) -> dict:
    out = {}
    for group, tasks in (("post", [POST_TASK]), ("chains", chain_tasks(cfg.pretrain_tasks()))):
        stats = closed_loop_stats(
            base, tasks, episodes=episodes, world=cfg.world(), seed=cfg.seed + 11, layer=layer, control=oracle(table)
        )
        m = stats.metrics()
        out[group] = {"success": round(stats.success, 4), "pair_starts": round(m["pair_start_accuracy"], 4)}
    return out


def main(run: str, arm: str, out: str, kw: dict[str, str]) -> None:
    episodes, t0 = int(kw.pop("episodes", "512")), time.perf_counter()
    cfg, ctx, base, mc = load_arm(run, arm, kw)
    layer = cfg.layer(cfg.discover.layer)
    centroids, accuracy = posterior_centroids(base, mc, load_dataset(ctx, "eval"), layer, 1024)
    table = CodeTable(mc.decoder, centroids[:NUM_SUBGOALS])
    row: dict = {"run": run, "arm": arm, "episodes": episodes, "centroid_accuracy": round(accuracy, 4)}
    row["centroids"] = rollouts(base, table, layer, cfg, episodes)
    print(json.dumps(row), flush=True)
    s = cfg.steer
    trainer = SteeringTrainer(base, table, load_dataset(ctx, "meta"), layer, s, seed=cfg.seed)
    history = fit(
        modules={"table": table},
        optimizer=adamw([table], s.lr, 0.0),  # the codes: the decoder is frozen
        schedule=Schedule(
            steps=s.steps,
            lr=s.lr,
            weight_decay=0.0,
            warmup_steps=s.warmup_steps,
            schedule=s.schedule,
            checkpoint_every=s.steps,
            eval_every=max(1, s.steps // 4),
        ),
        objective=trainer,
        checkpoint_dir=Path(run) / "discover" / arm / "code_table",
        desc="code table",
    )
    row["fit"] = history[-1] if history else {}
    row["codes_norm"] = [round(float(v), 3) for v in table.codes.detach().norm(dim=1)]
    row["fitted"] = rollouts(base, table, layer, cfg, episodes)
    row["wall_s"] = round(time.perf_counter() - t0)
    write_row(out, row)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], sys.argv[3], dict(a.split("=", 1) for a in sys.argv[4:]))
