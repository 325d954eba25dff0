"""Episode datasets (SPEC §1.5): round trip against re-simulation, crash safety, batches, length-bucketed sampler."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

import internal_rl.data.generate as generate_mod
from internal_rl.data import EpisodeDataset, LengthBucketSampler, generate_dataset, obs_onehot_torch
from internal_rl.data.store import META_FILE, read_meta
from internal_rl.envs import POST_TASK, PRETRAIN_TASKS, core, observations

TASKS = [*PRETRAIN_TASKS, POST_TASK]  # mixed lengths: task arrays are padded to 12


@pytest.fixture(scope="module")
def dataset(tmp_path_factory) -> EpisodeDataset:
    path = tmp_path_factory.mktemp("data") / "noisy"
    stats = generate_dataset(path, num_episodes=300, tasks=TASKS, epsilon=0.5, seed=3, chunk_size=128, progress=False)
    assert stats["reused"] is False and stats["num_episodes"] == 300
    return EpisodeDataset(path)


def temps(path: Path) -> list[Path]:
    return [p for p in path.parent.iterdir() if p.name.startswith(f".{path.name}.tmp-")]


def test_round_trip_matches_resimulation(dataset):
    """Replay every stored episode's actions in the core from its stored layout and task: agent cells, labels
    (before each action), lengths, success and the observations of batches all agree."""
    a = dataset.arrays
    N, T = len(dataset), dataset.params.max_steps
    assert a["agent"].shape == (N, T + 1) and a["actions"].shape == (N, T) and a["task"].shape == (N, 12)
    np.testing.assert_array_equal(
        a["task"], core.as_task_array([TASKS[i] for i in a["task_index"]], N, dataset.params)[0]
    )
    state = core.reset_with_layout(a["colors"], a["walls"], a["agent"][:, 0], np.asarray(a["task"]))
    batch = dataset.batch(np.arange(N))
    lengths = np.asarray(a["lengths"])
    for t in range(T):
        live = t < lengths
        np.testing.assert_array_equal(state.done, ~live)
        if live.any():
            np.testing.assert_array_equal(batch.obs_idx[:, t].numpy()[live], observations.obs_indices(state)[live])
        np.testing.assert_array_equal(a["target"][:, t], np.where(live, state.target, -1))
        np.testing.assert_array_equal(a["subgoal"][:, t], np.where(live, state.target // 2, -1))
        np.testing.assert_array_equal(a["progress"][:, t], np.where(live, state.progress, -1))
        assert ((a["actions"][:, t] >= 0) == live).all()
        state, *_ = core.step(state, np.maximum(a["actions"][:, t], 0))
        np.testing.assert_array_equal(a["agent"][:, t + 1], state.agent)  # padding repeats the final cell
    np.testing.assert_array_equal(state.t, lengths)
    final_obs = batch.obs_idx[np.arange(N), torch.from_numpy(lengths.astype(np.int64))].numpy()  # o_{n+1}
    np.testing.assert_array_equal(final_obs, observations.obs_indices(state))
    np.testing.assert_array_equal(a["success"], state.success)
    assert state.done.all()
    meta = dataset.meta
    assert meta["expert_success"] == pytest.approx(a["success"].mean())
    assert meta["mean_length"] == pytest.approx(lengths.mean())
    assert 0.5 < meta["expert_success"] < 1.0 and lengths.max() == T  # ε = 0.5 fails by the horizon only
    assert meta["tasks"] == [list(t) for t in TASKS] and meta["epsilon"] == 0.5 and meta["seed"] == 3


def test_batch_padding_and_dtypes(dataset):
    idx = np.array([5, 0, 17, 299])
    b = dataset.batch(idx)
    n = dataset.lengths[idx]
    Tb = int(n.max())
    assert b.obs_idx.shape == (4, Tb + 1, 13) and b.actions.shape == b.mask.shape == (4, Tb)
    for x in (b.obs_idx, b.actions, b.subgoal, b.target, b.progress, b.task_index, b.lengths):
        assert x.dtype == torch.int64
    assert b.mask.dtype == torch.bool and (b.mask.sum(1).numpy() == n).all()
    assert (b.actions[~b.mask] == 0).all() and (b.subgoal[~b.mask] == 0).all()
    for i, e in enumerate(idx):
        ep = dataset.episode(int(e))
        assert b.actions[i, : n[i]].tolist() == ep["actions"].tolist()
        assert b.subgoal[i, : n[i]].tolist() == ep["subgoal"].tolist() == (ep["target"] // 2).tolist()
        assert dataset.tasks[int(b.task_index[i])] == ep["task"]
    onehot = obs_onehot_torch(b.obs_idx, dataset.obs_dim)
    assert onehot.shape == (4, Tb + 1, 637) and (onehot.sum(-1) == 13).all()
    np.testing.assert_array_equal(onehot.numpy(), observations.obs_onehot(b.obs_idx.numpy(), 637))
    with pytest.raises(IndexError):
        dataset.batch([300])


def test_arrays_are_memory_mapped_and_compact(dataset):
    assert isinstance(dataset.arrays["agent"], np.memmap)
    size = sum(p.stat().st_size for p in dataset.path.iterdir())
    assert size / len(dataset) < 600  # bytes per episode: 100k episodes ~ 60 MB, far below 1 GB


def test_generation_is_deterministic_and_reused(tmp_path):
    kw = dict(num_episodes=50, tasks=PRETRAIN_TASKS, epsilon=0.1, seed=9, chunk_size=20, progress=False)
    generate_dataset(tmp_path / "a", **kw)
    generate_dataset(tmp_path / "b", **kw)
    a, b = EpisodeDataset(tmp_path / "a"), EpisodeDataset(tmp_path / "b")
    for name in a.arrays:
        np.testing.assert_array_equal(a.arrays[name], b.arrays[name])
    again = generate_dataset(tmp_path / "a", **kw)
    assert again["reused"] is True
    with pytest.raises(FileExistsError, match="seed"):
        generate_dataset(tmp_path / "a", **{**kw, "seed": 10})
    replaced = generate_dataset(tmp_path / "a", **{**kw, "seed": 10}, overwrite=True)
    assert replaced["reused"] is False and read_meta(tmp_path / "a")["seed"] == 10
    assert not temps(tmp_path / "a")


def test_exception_mid_write_leaves_nothing(tmp_path, monkeypatch):
    calls = []
    real = generate_mod.rollout_expert

    def failing(*args, **kwargs):
        calls.append(1)
        if len(calls) == 2:
            raise KeyboardInterrupt
        return real(*args, **kwargs)

    monkeypatch.setattr(generate_mod, "rollout_expert", failing)
    path = tmp_path / "d"
    with pytest.raises(KeyboardInterrupt):
        generate_dataset(path, num_episodes=100, tasks=PRETRAIN_TASKS, chunk_size=40, progress=False)
    assert not path.exists() and not temps(path)


def test_killed_write_is_never_mistaken_for_complete(tmp_path):
    """SIGKILL after every array and meta.json are written, just before the rename: the dataset path does not
    exist, the loader refuses it, and the next run removes the leftover and completes."""
    path = tmp_path / "killed"
    script = textwrap.dedent(f"""
        import os, signal
        import internal_rl.data.store as store
        store._fsync_dir = lambda p: os.kill(os.getpid(), signal.SIGKILL)
        from internal_rl.data import generate_dataset
        generate_dataset({str(path)!r}, num_episodes=100, tasks=[[0, 1, 4, 5]], chunk_size=30, progress=False)
    """)
    proc = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "OMP_NUM_THREADS": "1"},
    )
    assert proc.returncode == -9, proc.stderr
    assert not path.exists()
    leftovers = temps(path)
    assert len(leftovers) == 1 and (leftovers[0] / META_FILE).exists()  # complete inside, but not at the path
    with pytest.raises(FileNotFoundError):
        EpisodeDataset(path)
    stats = generate_dataset(path, num_episodes=100, tasks=[[0, 1, 4, 5]], chunk_size=30, progress=False)
    assert stats["reused"] is False and not temps(path) and len(EpisodeDataset(path)) == 100


def test_loader_refuses_directory_without_meta(tmp_path, dataset):
    partial = tmp_path / "partial"
    partial.mkdir()
    for f in dataset.path.iterdir():
        if f.name != META_FILE:
            (partial / f.name).write_bytes(f.read_bytes())
    with pytest.raises(FileNotFoundError, match="meta.json"):
        EpisodeDataset(partial)
    with pytest.raises(FileExistsError, match="not a complete dataset"):
        generate_dataset(partial, num_episodes=10, tasks=PRETRAIN_TASKS, progress=False)
    generate_dataset(partial, num_episodes=10, tasks=PRETRAIN_TASKS, progress=False, overwrite=True)
    assert len(EpisodeDataset(partial)) == 10


# ------------------------------------------------------------------------------------------------ sampler
@settings(max_examples=40, deadline=None)
@given(
    n=st.integers(1, 700),
    batch_size=st.integers(1, 64),
    world_size=st.integers(1, 4),
    seed=st.integers(0, 1000),
    epoch=st.integers(0, 5),
    drop_last=st.booleans(),
    shuffle=st.booleans(),
)
def test_sampler_covers_each_episode_once_and_shards_disjointly(
    n, batch_size, world_size, seed, epoch, drop_last, shuffle
):
    lengths = np.random.default_rng(seed).integers(1, 101, size=n)
    shards = []
    for rank in range(world_size):
        s = LengthBucketSampler(
            lengths,
            batch_size,
            seed=seed,
            shuffle=shuffle,
            rank=rank,
            world_size=world_size,
            drop_last=drop_last,
            pool_batches=4,
        )
        s.set_epoch(epoch)
        batches = list(s)
        assert len(batches) == len(s)
        assert all(len(b) == batch_size for b in batches) or not drop_last
        shards.append(np.concatenate(batches) if batches else np.array([], dtype=np.int64))
    everything = np.concatenate(shards)
    assert len(np.unique(everything)) == len(everything)  # disjoint shards, no repeats
    if drop_last:
        assert len({len(s) for s in shards}) == 1 and n - len(everything) < batch_size * world_size
    else:
        np.testing.assert_array_equal(np.sort(everything), np.arange(n))


def test_sampler_is_deterministic_per_epoch_and_buckets_lengths(dataset):
    lengths = dataset.lengths
    s = LengthBucketSampler(lengths, 16, seed=1)
    e0 = [b.tolist() for b in s]
    assert e0 == [b.tolist() for b in LengthBucketSampler(lengths, 16, seed=1)]
    s.set_epoch(1)
    assert [b.tolist() for b in s] != e0
    padded = sum(16 * lengths[b].max() for b in map(np.array, e0) if len(b) == 16)
    real = sum(lengths[b].sum() for b in map(np.array, e0) if len(b) == 16)
    rand = np.random.default_rng(0).permutation(len(lengths))[: 16 * 18].reshape(18, 16)
    padded_rand = sum(16 * lengths[b].max() for b in rand) / sum(lengths[b].sum() for b in rand)
    assert padded / real < 1.1 < padded_rand  # bucketing removes most padding
    with pytest.raises(ValueError, match="rank"):
        LengthBucketSampler(lengths, 16, rank=2, world_size=2)
