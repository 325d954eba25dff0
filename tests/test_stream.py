"""ExpertStream: fresh expert episodes per step, a pure function of (seed, step), sliced by rank like StepBatches."""

from pathlib import Path

import numpy as np
import pytest
import torch

from internal_rl.cli import main
from internal_rl.data.stream import ExpertStream
from internal_rl.envs import PRETRAIN_TASKS
from internal_rl.train.distributed import DistInfo
from internal_rl.worlds import GridWorld

CPU = torch.device("cpu")
SMOKE = str(Path(__file__).resolve().parents[1] / "configs" / "smoke.yaml")


def stream(**kw):
    args = dict(tasks=PRETRAIN_TASKS, world=GridWorld(), batch_size=8, seed=3, device=CPU, pool_batches=4)
    return ExpertStream(**{**args, **kw})


def test_batches_depend_only_on_seed_and_step():
    a, b = stream(), stream(workers=0)
    for step in (5, 0, 9, 5):  # any order, with and without the prefetching thread
        x, y = a(step), b(step)
        assert torch.equal(x.obs_idx, y.obs_idx) and torch.equal(x.actions, y.actions)
    assert not torch.equal(stream(seed=4)(0).actions[:, :5], a(0).actions[:, :5])
    a.close(), b.close()


def test_first_batch_continues_the_stream_where_a_run_of_that_many_steps_ended():
    whole, rest = stream(workers=0), stream(workers=0, first_batch=6)  # 6: inside the second pool of 4
    for step in (0, 1, 2, 5):
        x, y = whole(6 + step), rest(step)
        assert torch.equal(x.obs_idx, y.obs_idx) and torch.equal(x.actions, y.actions)
    assert not torch.equal(whole(0).obs_idx[:, 0], rest(0).obs_idx[:, 0])
    with pytest.raises(ValueError, match="first_batch"):
        stream(first_batch=-1)


def test_episodes_are_unique_expert_episodes_with_labels():
    s = stream(workers=0)
    batches = [s(k) for k in range(12)]  # three pools
    layouts = {tuple(b.obs_idx[i, 0, :-1].tolist()) for b in batches for i in range(len(b))}
    assert len(layouts) == 12 * 8  # no episode repeats
    for b in batches:
        assert b.mask.sum(1).tolist() == b.lengths.tolist()
        assert ((b.subgoal == b.target // 2) | ~b.mask).all()
        assert (b.progress[:, 0] == 0).all()
    # length bucketing: a batch is cut from a pool sorted by length
    spreads = [int(b.lengths.max() - b.lengths.min()) for b in batches]
    assert np.median(spreads) < 20


def test_ranks_take_disjoint_slices_of_the_same_global_batch():
    full = stream(workers=0)(2)
    parts = [stream(workers=0, dist=DistInfo(rank=r, world_size=2, local_rank=r))(2) for r in range(2)]
    assert sorted(parts[0].lengths.tolist() + parts[1].lengths.tolist()) == sorted(full.lengths.tolist())
    assert len(parts[0]) == len(parts[1]) == 4


def test_pretraining_on_a_stream_writes_no_training_set(tmp_path):
    out = tmp_path / "run"
    assert main(["pretrain", "--config", SMOKE, "--out", str(out), "--quiet", "--set", "data.stream=true"]) == 0
    assert sorted(p.name for p in (out / "data").iterdir() if p.is_dir()) == ["eval", "meta"]
    assert (out / "pretrain" / "metrics.json").exists()


def test_a_fine_tune_on_the_stream_says_when_it_replays_the_first_batches(tmp_path, capsys):
    args = ["pretrain", "--config", SMOKE, "--quiet", "--set", "data.stream=true", "--set", "pretrain.steps=4"]
    assert main([*args, "--out", str(tmp_path / "src")]) == 0
    capsys.readouterr()
    tune = [*args, "--set", f"pretrain.init_from={tmp_path / 'src'}"]
    assert main([*tune, "--out", str(tmp_path / "replay")]) == 0
    assert "set pretrain.stream_from" in capsys.readouterr().err
    assert main([*tune, "--set", "pretrain.stream_from=4", "--out", str(tmp_path / "new")]) == 0
    assert "stream_from" not in capsys.readouterr().err


def test_worker_processes_give_the_same_batches():
    a, b = stream(workers=2), stream(workers=0)
    for step in range(0, 16, 3):
        assert torch.equal(a(step).actions, b(step).actions)
    a.close()


def test_a_stopped_stream_run_resumed_at_its_last_step_keeps_finite_token_counts(tmp_path):
    """pretrain.stop_at ends training early (checkpoint at that step); a process that resumes at the last step
    generates no stream pool, and the token counts of the history still come out finite."""
    import json

    out = tmp_path / "run"
    args = ["pretrain", "--config", SMOKE, "--out", str(out), "--quiet", "--set", "data.stream=true"]
    assert main([*args, "--set", "pretrain.stop_at=10"]) == 0
    metrics_path = out / "pretrain" / "metrics.json"
    first = json.loads(metrics_path.read_text())
    assert json.loads((out / "pretrain" / "checkpoint" / "meta.json").read_text())["step"] == 10
    assert [h["step"] for h in first["history"]] == [10]
    metrics_path.unlink()  # as if killed after the last checkpoint, before the metrics
    assert main([*args, "--set", "pretrain.stop_at=10"]) == 0
    again = json.loads(metrics_path.read_text())
    assert again["action_accuracy"] == first["action_accuracy"]
    assert all(0 < h["tokens"] < float("inf") for h in again["history"])
