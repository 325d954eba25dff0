"""Rollout throughput of internal RL (Alg. 1-2) and of the raw-action baseline, batched and KV-cached.

A random base model of the cpu configuration's size (depth 4, width 128, egocentric encoder, controlled layer 2)
and a random metacontroller of the paper's sizes (Table A9) play the post-training task on fresh layouts:

  internal   ``rollout(policy, InternalEnv)``: policy + decoder at switches, base model + switching unit every
             raw step; reports abstract steps/s and raw env steps/s (valid steps of live episodes)
  always     the same with β ≡ 1 (no temporal abstraction): the policy acts at every raw step
  raw        ``rollout_raw``: the base model alone, one policy step per raw step
  update     one PPO update's log-prob recomputation + backward on the internal rollout's batch
  raw update the raw-action baseline's log-prob recomputation + backward on the raw rollout's batch, in one forward
             over the padded batch (``chunks=1``) and by length groups (the default; E54: 9x on the trained
             backbone's post-task batch, whose episodes end after ~9 of up to 100 steps)

Random models wander into wrong colours, so episodes are short; ``batch_steps_per_s`` counts every row of every
lockstep raw step (live or not), ``env_steps_per_s`` only live ones.

    .venv/bin/python benchmarks/bench_rl.py [--quick] [--threads 1]
"""

from __future__ import annotations

import argparse
import json
import time

import torch

from internal_rl.envs import POST_TASK
from internal_rl.metacontroller import Metacontroller, MetacontrollerConfig
from internal_rl.models import Transformer, TransformerConfig
from internal_rl.rl import InternalEnv, PPOArgs, make_policy, ppo_update, raw_log_prob, rollout, rollout_raw
from internal_rl.worlds import GridWorld

MODEL = TransformerConfig(depth=4, width=128, heads=4, mlp=512, encoder="egocentric")
LAYER = 2


def build(switching: str, seed: int = 0) -> tuple[Transformer, Metacontroller]:
    torch.manual_seed(seed)
    base = Transformer(MODEL).eval()
    mc = Metacontroller(MetacontrollerConfig(width=MODEL.width, switching=switching)).eval()
    with torch.no_grad():  # a non-trivial random controller: U ≠ 0 and β spread around 0.5
        mc.decoder.out_b.weight.normal_(std=0.05)
        if mc.switch is not None:
            mc.switch.out.weight.normal_(std=1.0)
    return base, mc


def bench_internal(batch: int, switching: str, repeats: int) -> dict:
    base, mc = build(switching)
    policy = make_policy(MODEL.width, mc.cfg.latent_dim, 256, seed=0)
    env = InternalEnv(base, mc, LAYER, GridWorld())
    rollout(policy, env, POST_TASK, 32, seed=10_000)  # warm-up
    seconds, raw, abstract, lockstep = 0.0, 0, 0, 0
    for r in range(repeats):
        start = time.perf_counter()
        ro = rollout(policy, env, POST_TASK, batch, seed=r)
        seconds += time.perf_counter() - start
        raw, abstract, lockstep = raw + int(ro.lengths.sum()), abstract + int(ro.num_abstract.sum()), lockstep + env.t
    out = {
        "batch": batch,
        "switching": switching,
        "seconds": seconds,
        "abstract_steps_per_s": abstract / seconds,
        "env_steps_per_s": raw / seconds,
        "batch_steps_per_s": batch * lockstep / seconds,
        "raw_steps_per_abstract_step": raw / abstract,
        "mean_episode_length": raw / (batch * repeats),
    }
    if switching == "learned":  # one PPO update (1 epoch, 1 minibatch) on the last batch
        opt = torch.optim.Adam(policy.parameters(), lr=3e-5)
        start = time.perf_counter()
        ppo_update(
            ro,
            lambda mb: policy.log_prob(mb.e, mb.z, mb.mask),
            opt,
            list(policy.parameters()),
            PPOArgs(),
            torch.Generator().manual_seed(0),
        )
        out["ppo_update_seconds"] = time.perf_counter() - start
    return out


def bench_raw(batch: int, repeats: int) -> dict:
    base, _ = build("always")
    rollout_raw(base, POST_TASK, 32, seed=10_000)  # warm-up
    seconds, raw, lockstep = 0.0, 0, 0
    for r in range(repeats):
        start = time.perf_counter()
        ro = rollout_raw(base, POST_TASK, batch, seed=r)
        seconds += time.perf_counter() - start
        raw, lockstep = raw + int(ro.lengths.sum()), lockstep + ro.mask.shape[1]
    out = {
        "batch": batch,
        "seconds": seconds,
        "env_steps_per_s": raw / seconds,
        "batch_steps_per_s": batch * lockstep / seconds,
        "mean_episode_length": raw / (batch * repeats),
        "longest_episode": int(ro.lengths.max()),
    }
    for name, chunks in (("padded", 1), ("by_length", 8)):  # the last batch's log-probs and their gradient
        start = time.perf_counter()
        raw_log_prob(base, ro.obs_idx, ro.actions, ro.mask, chunks=chunks).sum().backward()
        out[f"log_prob_backward_seconds_{name}"] = time.perf_counter() - start
    out["log_prob_backward_speedup"] = (
        out["log_prob_backward_seconds_padded"] / out["log_prob_backward_seconds_by_length"]
    )
    return out


def main(quick: bool = False, threads: int = 1) -> dict:
    torch.set_num_threads(threads)
    batch, repeats = (256, 1) if quick else (1024, 3)
    result = {
        "threads": threads,
        "model": f"depth {MODEL.depth}, width {MODEL.width}, layer {LAYER}",
        "internal": bench_internal(batch, "learned", repeats),
        "no_temporal_abstraction": bench_internal(batch, "always", repeats),
        "raw_action": bench_raw(batch, repeats),
    }
    result["internal_over_raw_env_steps"] = (
        result["internal"]["env_steps_per_s"] / result["raw_action"]["env_steps_per_s"]
    )
    return result


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="B = 256, one repeat")
    parser.add_argument("--threads", type=int, default=1)
    a = parser.parse_args()
    print(json.dumps(main(quick=a.quick, threads=a.threads), indent=2))
