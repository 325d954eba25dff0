"""Base-model throughput on CPU: training (fwd + bwd + AdamW) and incremental decoding.

Training compares, on the same synthetic episodes (lengths ~ geometric, mean ~31, clipped to [5, 100] like
expert pretraining episodes):
  reference  "dense" encoder (one-hot @ W), every episode padded to 100 steps, BCE on a dense one-hot target
  padded     "linear" encoder (embedding sum) and the index-based Bernoulli NLL, still padded to 100
  bucketed   "linear" encoder, episodes sorted by length and batched with similar lengths (pad to batch max)
The fair metric is *valid* tokens/s (padding is wasted work). Decoding compares the KV cache (one new step per
call) with re-running the whole prefix at every step.

    .venv/bin/python benchmarks/bench_model.py [--quick] [--threads 1]
"""

from __future__ import annotations

import argparse
import json
import time

import torch
import torch.nn.functional as F

from internal_rl.models import Transformer, TransformerConfig, observation_nll, one_hot_observation

MAX_LEN = 100


def sample_lengths(n: int, mean: float = 31.0, lo: int = 5, hi: int = MAX_LEN, seed: int = 0) -> torch.Tensor:
    """Lengths lo + Geometric(p) clipped to [lo, hi]; p chosen so that the unclipped mean is ``mean``."""
    gen = torch.Generator().manual_seed(seed)
    p = 1.0 / (mean - lo + 1.0)
    u = torch.rand(n, generator=gen)
    geometric = torch.floor(torch.log(u) / torch.log(torch.tensor(1.0 - p)))  # failures before success
    return (lo + geometric).clamp(max=hi).long()


def random_obs(batch: int, steps: int, cfg: TransformerConfig, gen: torch.Generator) -> torch.Tensor:
    cell = torch.randint(0, cfg.grid_size**2, (batch, steps, cfg.num_channels), generator=gen)
    return cell * cfg.num_channels + torch.arange(cfg.num_channels)  # (B, T+1, C)


def make_batches(lengths: torch.Tensor, batch_size: int, bucketed: bool) -> list[tuple[torch.Tensor, int]]:
    """(episode ids, padded length) per batch; bucketed sorts by length first, otherwise pads to MAX_LEN."""
    order = torch.argsort(lengths) if bucketed else torch.arange(len(lengths))
    batches = []
    for ids in order.split(batch_size):
        batches.append((ids, int(lengths[ids].max()) if bucketed else MAX_LEN))
    return batches


def bench_training(
    encoder: str,
    bucketed: bool,
    dense_bce: bool,
    episodes: int = 256,
    batch_size: int = 64,
    lam: float = 0.01,
    cfg: TransformerConfig | None = None,
    seed: int = 0,
) -> dict:
    """Train on ``episodes`` synthetic episodes once (after one warm-up batch); returns throughput numbers."""
    torch.manual_seed(seed)
    cfg = TransformerConfig(encoder=encoder) if cfg is None else cfg
    model = Transformer(cfg)
    opt = torch.optim.AdamW(model.parameters(), lr=3e-4, weight_decay=0.03)
    lengths = sample_lengths(episodes, seed=seed)
    gen = torch.Generator().manual_seed(seed)
    data_obs = random_obs(episodes, MAX_LEN + 1, cfg, gen)  # (E, 101, C) o_1..o_{T+1}
    data_act = torch.randint(0, cfg.num_actions, (episodes, MAX_LEN), generator=gen)
    batches = make_batches(lengths, batch_size, bucketed)

    def train_step(ids: torch.Tensor, steps: int) -> None:
        obs, nxt, act = data_obs[ids, :steps], data_obs[ids, 1 : steps + 1], data_act[ids, :steps]
        mask = (torch.arange(steps) < lengths[ids, None]).float()  # (B, T) valid steps
        out = model(obs)
        act_nll = F.cross_entropy(out.action_logits.flatten(0, 1), act.flatten(), reduction="none")
        if dense_bce:  # straightforward: materialise the 637-dim target
            target = one_hot_observation(nxt, cfg.obs_dim, out.obs_logits.dtype)
            obs_nll = F.binary_cross_entropy_with_logits(out.obs_logits, target, reduction="none").sum(-1)
        else:
            obs_nll = observation_nll(out.obs_logits, nxt)
        loss = ((act_nll.view_as(mask) + lam * obs_nll) * mask).sum() / mask.sum()
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()

    train_step(*batches[0])  # warm-up (allocator, kernels)
    start = time.perf_counter()
    for ids, steps in batches:
        train_step(ids, steps)
    elapsed = time.perf_counter() - start
    padded = sum(len(ids) * steps for ids, steps in batches)
    valid = int(lengths.sum())
    return {
        "encoder": encoder,
        "bucketed": bucketed,
        "episodes": episodes,
        "batch_size": batch_size,
        "mean_length": valid / episodes,
        "padding_fraction": 1 - valid / padded,
        "seconds": elapsed,
        "tokens_per_s": padded / elapsed,
        "valid_tokens_per_s": valid / elapsed,
    }


@torch.no_grad()
def bench_decoding(
    batch_size: int = 1024, steps: int = 32, prefix_steps: int = 0, cfg: TransformerConfig | None = None, seed: int = 0
) -> dict:
    """Cached decoding of ``steps`` steps for ``batch_size`` sequences; optionally the full-prefix one."""
    torch.manual_seed(seed)
    cfg = cfg or TransformerConfig()
    model = Transformer(cfg).eval()
    obs = random_obs(batch_size, max(steps, prefix_steps), cfg, torch.Generator().manual_seed(seed))
    cache = model.new_cache(batch_size, max_len=steps + 1)
    model.step(obs[:, :1], cache, with_obs=False)  # warm-up
    cache.reset()
    start = time.perf_counter()
    for t in range(steps):
        model.step(obs[:, t : t + 1], cache, with_obs=False)
    cached_s = time.perf_counter() - start
    result = {
        "batch_size": batch_size,
        "steps": steps,
        "cached_seconds": cached_s,
        "cached_tokens_per_s": batch_size * steps / cached_s,
    }
    if prefix_steps:
        start = time.perf_counter()
        for t in range(prefix_steps):
            model(obs[:, : t + 1], with_obs=False)  # recompute o_1..o_t to get the logits of step t
        prefix_s = time.perf_counter() - start
        result.update(
            prefix_steps=prefix_steps,
            prefix_tokens_per_s=batch_size * prefix_steps / prefix_s,
            cached_speedup=(batch_size * steps / cached_s) / (batch_size * prefix_steps / prefix_s),
        )
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--threads", type=int, default=1, help="torch intra-op threads (default 1)")
    parser.add_argument("--quick", action="store_true", help="fewer episodes/steps (~20 s)")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    episodes = 128 if args.quick else 512
    dec = (
        dict(batch_size=1024, steps=8, prefix_steps=8)
        if args.quick
        else dict(batch_size=1024, steps=32, prefix_steps=16)
    )

    print(
        f"torch {torch.__version__}, threads {torch.get_num_threads()}, paper-size model "
        f"(depth 6, width 256), batch 64 episodes, {episodes} episodes per setting"
    )
    runs = {
        "reference (dense, padded to 100)": bench_training("dense", bucketed=False, dense_bce=True, episodes=episodes),
        "linear, padded to 100": bench_training("linear", bucketed=False, dense_bce=False, episodes=episodes),
        "linear, length-bucketed": bench_training("linear", bucketed=True, dense_bce=False, episodes=episodes),
    }
    ref = runs["reference (dense, padded to 100)"]["valid_tokens_per_s"]
    print(f"{'training':36s} {'tokens/s':>10s} {'valid tok/s':>12s} {'padding':>8s} {'vs ref':>7s}")
    for name, r in runs.items():
        print(
            f"{name:36s} {r['tokens_per_s']:10.0f} {r['valid_tokens_per_s']:12.0f} "
            f"{r['padding_fraction']:8.2f} {r['valid_tokens_per_s'] / ref:6.2f}x"
        )
    d = bench_decoding(**dec)
    print(
        f"decoding, batch {d['batch_size']}: KV cache {d['cached_tokens_per_s']:.0f} tokens/s over "
        f"{d['steps']} steps; full prefix {d['prefix_tokens_per_s']:.0f} tokens/s over {d['prefix_steps']} "
        f"steps ({d['cached_speedup']:.1f}x slower)"
    )
    print(json.dumps({"training": runs, "decoding": d}))


if __name__ == "__main__":
    main()
