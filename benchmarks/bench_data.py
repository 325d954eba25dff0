"""Throughput of the data stage's episode generation (``generate_dataset``) with 1 and more worker processes
(the run config's ``workers``): expert steps per second on the gridworld and on ant-pinpad, and the speedup.

    python benchmarks/bench_data.py [--episodes 512] [--workers 1 2] [--ant-expert DIR]

Each worker is one process with one torch thread (spawned; their start-up is inside the timing, as a run pays
it). The ant's expert is ``--ant-expert`` (an ``internal-rl ant-expert`` directory, e.g. a chain's ``pinpad``) or
else an untrained policy (the same cost per step; its ants fall or time out instead of solving). The datasets are
identical for any number of workers (tests/test_world_conformance.py); only the time differs.
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse  # noqa: E402
import json  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402


def steps_per_s(world, tasks, episodes: int, chunk_size: int, workers: int) -> dict:
    from internal_rl.data import generate_dataset

    with tempfile.TemporaryDirectory() as d:
        start = time.perf_counter()
        meta = generate_dataset(
            f"{d}/x", episodes, tasks, epsilon=1.0, world=world, chunk_size=chunk_size, progress=False, workers=workers
        )
        wall = time.perf_counter() - start
    return {"wall_s": round(wall, 2), "steps_per_s": round(episodes * meta["mean_length"] / wall, 1)}


def main() -> None:
    import torch

    from internal_rl.envs import PRETRAIN_TASKS
    from internal_rl.envs.antpinpad import ANT_PRETRAIN_TASKS, AntParams
    from internal_rl.experts.ant_policy import new_policy
    from internal_rl.worlds import AntWorld, GridWorld

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--episodes", type=int, default=512)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--ant-expert", default="")
    args = parser.parse_args()
    torch.set_num_threads(1)
    if args.ant_expert:
        from internal_rl.experts.ant_ppo import load_expert

        policy, params = load_expert(args.ant_expert)
        ant = AntWorld(policy, params)
    else:
        ant = AntWorld(new_policy(AntParams(), 16), AntParams())
    worlds = {  # name: (world, tasks, episodes, chunk size: the configs' (ant-cpu 256); 8 chunks per run at least)
        "gridworld": (GridWorld(), PRETRAIN_TASKS, 16 * args.episodes, 2 * args.episodes),
        "ant": (ant, ANT_PRETRAIN_TASKS, args.episodes, max(1, args.episodes // 8)),
    }
    result: dict = {"cpus": os.cpu_count(), "ant_expert": args.ant_expert or "untrained"}
    for name, (world, tasks, episodes, chunk) in worlds.items():
        rows = {w: steps_per_s(world, tasks, episodes, chunk, w) for w in args.workers}
        base = rows[args.workers[0]]["steps_per_s"]
        for row in rows.values():
            row["speedup"] = round(row["steps_per_s"] / base, 2)
        result[name] = {"episodes": episodes, "chunk_size": chunk, **{f"workers_{w}": r for w, r in rows.items()}}
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
