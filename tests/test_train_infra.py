"""Shared training infrastructure: atomic checkpoints and JSON, the NaN guard, exact resume of ``fit`` and the
learning-rate schedule."""

from __future__ import annotations

import json
import math
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from torch import nn

import internal_rl.train.checkpoint as ckpt_mod
from internal_rl.train import (
    NonFiniteLossError,
    check_finite,
    load_checkpoint,
    save_checkpoint,
    write_json_atomic,
)
from internal_rl.train.checkpoint import has_checkpoint, read_meta
from internal_rl.train.loop import Functions, Schedule, adamw, fit, take_restored_wall_time


# ------------------------------------------------------------------------------------------------ helpers
def tiny_model(seed: int = 0) -> nn.Module:
    torch.manual_seed(seed)
    # dropout draws from the global torch RNG, so exact resume needs the RNG state restored too
    return nn.Sequential(nn.Linear(4, 16), nn.Tanh(), nn.Dropout(0.2), nn.Linear(16, 2), nn.LayerNorm(2))


def batch_of(step: int) -> tuple[torch.Tensor, torch.Tensor]:
    g = torch.Generator().manual_seed(1000 + step)
    x = torch.randn(8, 4, generator=g)
    return x, torch.stack([x[:, 0] * x[:, 1], x[:, 2] - x[:, 3]], dim=1)


def train_a_little(model: nn.Module, steps: int = 3) -> torch.optim.Optimizer:
    opt = adamw([model], lr=1e-2, weight_decay=0.1)
    for s in range(steps):
        x, y = batch_of(s)
        loss = ((model(x) - y) ** 2).mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
    return opt


def weights(model: nn.Module) -> dict[str, torch.Tensor]:
    return {k: v.detach().clone() for k, v in model.state_dict().items()}


def assert_same_weights(a: dict[str, torch.Tensor], b: dict[str, torch.Tensor]) -> None:
    assert a.keys() == b.keys()
    for k in a:
        assert torch.equal(a[k], b[k]), k


def siblings(directory: Path) -> list[str]:
    return sorted(p.name for p in directory.parent.iterdir())


# ------------------------------------------------------------------------------------------------ checkpoints
def test_checkpoint_round_trip_restores_weights_and_optimizer(tmp_path):
    model = tiny_model(0)
    opt = train_a_little(model)
    state = {"optimizer": opt.state_dict(), "step": 3, "history": [{"step": 3, "x": 0.5}], "rng": torch.get_rng_state()}
    save_checkpoint(tmp_path / "ckpt", {"model": model}, state, meta={"width": 16})

    other = tiny_model(1)  # different initial weights
    assert not torch.equal(other[0].weight, model[0].weight)
    other_opt = adamw([other], lr=1e-2, weight_decay=0.1)
    loaded, meta = load_checkpoint(tmp_path / "ckpt", {"model": other})
    other_opt.load_state_dict(loaded["optimizer"])
    assert_same_weights(weights(other), weights(model))
    assert meta == {"width": 16}
    assert loaded["step"] == 3 and loaded["history"] == [{"step": 3, "x": 0.5}]
    assert torch.equal(loaded["rng"], state["rng"])
    # the optimiser moments are restored exactly: one more identical step keeps both models identical
    sd_a, sd_b = opt.state_dict(), other_opt.state_dict()
    assert sd_a["param_groups"] == sd_b["param_groups"]
    for i in sd_a["state"]:
        for k in sd_a["state"][i]:
            assert torch.equal(sd_a["state"][i][k], sd_b["state"][i][k]), (i, k)
    for m, o in ((model, opt), (other, other_opt)):
        m.eval()
        o.zero_grad()
        x, y = batch_of(99)
        ((m(x) - y) ** 2).mean().backward()
        o.step()
    assert_same_weights(weights(other), weights(model))
    # weights are stored as safetensors, one file per module
    assert (tmp_path / "ckpt" / "model.safetensors").exists()


def test_checkpoint_load_is_strict(tmp_path):
    save_checkpoint(tmp_path / "ckpt", {"model": tiny_model()}, {"step": 0})
    with pytest.raises(RuntimeError):  # shape mismatch
        load_checkpoint(tmp_path / "ckpt", {"model": nn.Sequential(nn.Linear(4, 8))})
    with pytest.raises(FileNotFoundError, match="policy"):
        load_checkpoint(tmp_path / "ckpt", {"policy": tiny_model()})
    with pytest.raises(FileNotFoundError, match="no complete checkpoint"):
        load_checkpoint(tmp_path / "nothing", {"model": tiny_model()})


@pytest.mark.parametrize("fail_in", ["safetensors", "torch.save", "meta"])
def test_failed_checkpoint_write_keeps_the_previous_one(tmp_path, monkeypatch, fail_in):
    directory = tmp_path / "run" / "checkpoint"
    model = tiny_model(0)
    good = weights(model)
    save_checkpoint(directory, {"model": model}, {"step": 10}, meta={"step": 10})

    train_a_little(model)  # new weights, then a write that fails midway
    if fail_in == "safetensors":
        real = ckpt_mod.save_file

        def broken(tensors, filename, *a, **k):
            real(tensors, filename, *a, **k)  # the file is on disk...
            Path(filename).write_bytes(Path(filename).read_bytes()[:50])  # ...truncated
            raise OSError("disk full")

        monkeypatch.setattr(ckpt_mod, "save_file", broken)
    elif fail_in == "torch.save":

        def broken(obj, f, *a, **k):
            Path(f).write_bytes(b"partial")
            raise OSError("disk full")

        monkeypatch.setattr(torch, "save", broken)
    else:
        real_write = Path.write_text

        def broken(self, text, *a, **k):
            if self.name == "meta.json":
                real_write(self, text[:5], *a, **k)
                raise KeyboardInterrupt
            return real_write(self, text, *a, **k)

        monkeypatch.setattr(Path, "write_text", broken)
    with pytest.raises((OSError, KeyboardInterrupt)):
        save_checkpoint(directory, {"model": model}, {"step": 20}, meta={"step": 20})
    monkeypatch.undo()

    assert siblings(directory) == ["checkpoint"]  # no temp dir left behind
    fresh = tiny_model(1)
    state, meta = load_checkpoint(directory, {"model": fresh})
    assert state["step"] == 10 and meta == {"step": 10}
    assert_same_weights(weights(fresh), good)


def test_failed_first_checkpoint_leaves_nothing_loadable(tmp_path, monkeypatch):
    directory = tmp_path / "checkpoint"

    def broken(obj, f, *a, **k):
        raise OSError("disk full")

    monkeypatch.setattr(torch, "save", broken)
    with pytest.raises(OSError):
        save_checkpoint(directory, {"model": tiny_model()}, {"step": 1})
    monkeypatch.undo()
    assert list(tmp_path.iterdir()) == []
    assert not has_checkpoint(directory)
    with pytest.raises(FileNotFoundError):
        load_checkpoint(directory, {"model": tiny_model()})


def test_killed_checkpoint_write_leaves_no_loadable_temp_dir(tmp_path, monkeypatch):
    """A SIGKILL cannot run clean-up: the half-written temp dir stays, but it is never taken for a checkpoint."""
    directory = tmp_path / "checkpoint"
    model = tiny_model(0)
    good = weights(model)
    save_checkpoint(directory, {"model": model}, {"step": 1}, meta={"step": 1})
    train_a_little(model)
    monkeypatch.setattr(ckpt_mod.shutil, "rmtree", lambda *a, **k: None)  # as if killed: no clean-up

    def killed(obj, f, *a, **k):
        Path(f).write_bytes(b"partial")
        raise KeyboardInterrupt

    monkeypatch.setattr(torch, "save", killed)
    with pytest.raises(KeyboardInterrupt):
        save_checkpoint(directory, {"model": model}, {"step": 2}, meta={"step": 2})
    monkeypatch.undo()
    leftovers = [p for p in tmp_path.iterdir() if p.name != "checkpoint"]
    assert leftovers and all(p.name.startswith(f".checkpoint.tmp-{os.getpid()}-") for p in leftovers)
    fresh = tiny_model(1)
    state, meta = load_checkpoint(directory, {"model": fresh})
    assert state["step"] == 1 and read_meta(directory) == {"step": 1}
    assert_same_weights(weights(fresh), good)
    # the next successful write replaces the checkpoint and removes the leftover
    save_checkpoint(directory, {"model": model}, {"step": 3}, meta={"step": 3})
    assert siblings(directory) == ["checkpoint"]
    assert load_checkpoint(directory, {"model": fresh})[0]["step"] == 3
    assert_same_weights(weights(fresh), weights(model))


def test_save_checkpoint_removes_stale_temp_dirs_of_that_checkpoint_only(tmp_path):
    """Temp dirs of SIGKILLed writes (this naming and the legacy mkdtemp one) are removed by the next save of the
    same checkpoint; those of a live writer and of other checkpoints are kept."""
    directory = tmp_path / "checkpoint"
    model = tiny_model(0)
    save_checkpoint(directory, {"model": model}, {"step": 1}, meta={"step": 1})
    dead = subprocess.Popen([sys.executable, "-c", "pass"])  # its pid is that of a writer no longer running
    dead.wait()
    stale = [tmp_path / f".checkpoint.tmp-{dead.pid}-k1ll3d00", tmp_path / ".checkpoint.abc_1234.tmp"]
    kept = [
        tmp_path / ".checkpoint.tmp-1-l1v3wr1t",  # pid 1 always runs: a live writer
        tmp_path / f".other.tmp-{dead.pid}-0th3r000",
        tmp_path / ".other.abc_1234.tmp",
    ]
    for p in stale + kept:
        p.mkdir()
        (p / "state.pt").write_bytes(b"partial")

    train_a_little(model)
    save_checkpoint(directory, {"model": model}, {"step": 2}, meta={"step": 2})
    assert not any(p.exists() for p in stale)
    assert siblings(directory) == sorted(["checkpoint", *(p.name for p in kept)])
    fresh = tiny_model(1)
    state, meta = load_checkpoint(directory, {"model": fresh})
    assert state["step"] == 2 and meta == {"step": 2}
    assert_same_weights(weights(fresh), weights(model))


def test_crash_between_the_two_renames_keeps_the_previous_checkpoint(tmp_path, monkeypatch):
    directory = tmp_path / "checkpoint"
    model = tiny_model(0)
    good = weights(model)
    save_checkpoint(directory, {"model": model}, {"step": 1}, meta={"step": 1})
    train_a_little(model)
    real_replace, calls = os.replace, []

    def replace(src, dst):
        calls.append((src, dst))
        if len(calls) == 2:  # the old checkpoint was moved aside; the new one is not in place yet
            raise KeyboardInterrupt
        return real_replace(src, dst)

    monkeypatch.setattr(ckpt_mod.os, "replace", replace)
    with pytest.raises(KeyboardInterrupt):
        save_checkpoint(directory, {"model": model}, {"step": 2}, meta={"step": 2})
    monkeypatch.undo()
    assert not directory.exists() and has_checkpoint(directory)
    fresh = tiny_model(1)
    assert load_checkpoint(directory, {"model": fresh})[0]["step"] == 1
    assert_same_weights(weights(fresh), good)
    save_checkpoint(directory, {"model": model}, {"step": 3}, meta={"step": 3})
    assert siblings(directory) == ["checkpoint"]
    assert load_checkpoint(directory, {"model": fresh})[0]["step"] == 3


# ------------------------------------------------------------------------------------------------ atomic JSON
def test_write_json_atomic_round_trip_with_numpy_and_torch_values(tmp_path):
    path = tmp_path / "sub" / "metrics.json"
    write_json_atomic(path, {"a": np.float32(0.5), "b": np.arange(3), "c": torch.tensor(2.0), "d": [1, "x"]})
    assert json.loads(path.read_text()) == {"a": 0.5, "b": [0, 1, 2], "c": 2.0, "d": [1, "x"]}
    assert siblings(path) == ["metrics.json"]


@pytest.mark.parametrize("fail_at", ["fsync", "replace", "serialise"])
def test_write_json_atomic_never_leaves_a_partial_file(tmp_path, monkeypatch, fail_at):
    path = tmp_path / "metrics.json"
    write_json_atomic(path, {"version": 1})
    before = path.read_text()
    data = {"version": 2, "big": list(range(10_000))}
    if fail_at == "fsync":
        monkeypatch.setattr(os, "fsync", lambda fd: (_ for _ in ()).throw(KeyboardInterrupt()))
    elif fail_at == "replace":
        monkeypatch.setattr(os, "replace", lambda a, b: (_ for _ in ()).throw(OSError("cross-device")))
    else:
        data["bad"] = object()  # not serialisable
    with pytest.raises((KeyboardInterrupt, OSError, TypeError)):
        write_json_atomic(path, data)
    monkeypatch.undo()
    assert path.read_text() == before and json.loads(before) == {"version": 1}
    assert siblings(path) == ["metrics.json"]
    # a first write that fails leaves no file at all
    new = tmp_path / "new.json"
    monkeypatch.setattr(os, "fsync", lambda fd: (_ for _ in ()).throw(OSError("io")))
    with pytest.raises(OSError):
        write_json_atomic(new, data if fail_at != "serialise" else {"x": 1})
    monkeypatch.undo()
    assert not new.exists() and siblings(path) == ["metrics.json"]


# ------------------------------------------------------------------------------------------------ NaN guard
@pytest.mark.parametrize("value", [float("nan"), float("inf"), -float("inf")])
def test_check_finite_raises_naming_the_step(value):
    with pytest.raises(NonFiniteLossError, match=r"pretrain loss is .* at step 17"):
        check_finite(torch.tensor(value), "pretrain loss", 17)
    with pytest.raises(NonFiniteLossError, match="at step 3"):
        check_finite(value, "x", 3)
    assert issubclass(NonFiniteLossError, FloatingPointError)


def test_check_finite_returns_the_float():
    assert check_finite(torch.tensor(2.5, requires_grad=True) * 2, "loss", 0) == 5.0
    assert check_finite(1, "loss", 0) == 1.0


def _fit(
    model,
    directory,
    steps,
    batch_fn=None,
    loss_scale=None,
    eval_every=3,
    checkpoint_every=4,
    weight_decay=0.1,
    **schedule,
):
    opt = adamw([model], lr=5e-2, weight_decay=weight_decay)
    sched = Schedule(
        **schedule,
        steps=steps,
        lr=5e-2,
        weight_decay=weight_decay,
        warmup_steps=3,
        schedule="cosine",
        grad_clip=0.5,
        checkpoint_every=checkpoint_every,
        eval_every=eval_every,
    )

    def loss_fn(batch):
        step, x, y = batch
        loss = ((model(x) - y) ** 2).mean()
        if loss_scale is not None:
            loss = loss * loss_scale(step)
        return loss, {"mse": float(loss.detach())}

    def eval_fn():
        x, y = batch_of(-1)
        return {"eval_mse": float(((model(x) - y) ** 2).mean()), "noise": float(torch.rand(()))}

    return fit(
        modules={"model": model},
        optimizer=opt,
        schedule=sched,
        objective=Functions(batch_fn or (lambda s: (s, *batch_of(s))), loss_fn, eval_fn),
        checkpoint_dir=directory,
        desc="test",
        meta={"kind": "tiny"},
    )


def test_fit_stops_on_nan_and_keeps_the_last_good_checkpoint(tmp_path):
    model = tiny_model(0)
    k = 6
    with pytest.raises(NonFiniteLossError, match=f"step {k}"):
        _fit(model, tmp_path / "ckpt", steps=12, loss_scale=lambda s: float("nan") if s >= k else 1.0)
    meta = read_meta(tmp_path / "ckpt")
    assert meta["step"] == 4 and meta["kind"] == "tiny"  # checkpoint_every=4: written after step 4 < k
    fresh = tiny_model(1)
    state, _ = load_checkpoint(tmp_path / "ckpt", {"model": fresh})
    assert state["step"] <= k
    assert all(torch.isfinite(v).all() for v in fresh.state_dict().values())
    assert all(torch.isfinite(p).all() for p in model.parameters())  # the NaN step applied no update


def test_fit_resume_after_kill_is_exact(tmp_path):
    steps, kill_at = 13, 10

    torch.manual_seed(0)
    model = tiny_model(0)
    history_full = _fit(model, tmp_path / "full", steps)
    final_full = weights(model)

    model = tiny_model(0)

    def killing_batches(step):
        if step == kill_at:
            raise KeyboardInterrupt  # the process dies while fetching the batch of step 10
        return (step, *batch_of(step))

    with pytest.raises(KeyboardInterrupt):
        _fit(model, tmp_path / "killed", steps, batch_fn=killing_batches)
    assert read_meta(tmp_path / "killed")["step"] == 8  # last checkpoint before the kill

    torch.manual_seed(1234)  # a new process: other RNG state, other initial weights
    resumed = tiny_model(5)
    history_resumed = _fit(resumed, tmp_path / "killed", steps)

    assert_same_weights(weights(resumed), final_full)
    strip = [{k: v for k, v in h.items() if k != "wall_time_s"} for h in history_full]
    assert [{k: v for k, v in h.items() if k != "wall_time_s"} for h in history_resumed] == strip
    assert [h["step"] for h in history_full] == [3, 6, 9, 12, 13]
    assert read_meta(tmp_path / "killed")["step"] == steps
    # resuming a finished run does nothing and returns the same history
    again = tiny_model(7)
    history_again = _fit(again, tmp_path / "killed", steps)
    assert history_again == history_resumed
    assert_same_weights(weights(again), final_full)


def test_wall_time_counts_the_seconds_before_a_resume(tmp_path, monkeypatch):
    """A resumed run's evaluation history and stage wall time continue from the checkpoint's seconds; they do not
    restart at zero (the discover stage once reported only the time since its last resume)."""
    clock = [0.0]
    monkeypatch.setattr("internal_rl.train.loop.time.perf_counter", lambda: clock[0])

    def slow_batches(step):  # every step takes 10 "seconds"; the process dies fetching step 10
        if step == 10:
            raise KeyboardInterrupt
        clock[0] += 10.0
        return (step, *batch_of(step))

    take_restored_wall_time()
    with pytest.raises(KeyboardInterrupt):
        _fit(tiny_model(0), tmp_path / "run", 13, batch_fn=slow_batches)
    assert take_restored_wall_time() == 0.0  # a fresh run restores nothing

    clock[0] = 1000.0  # a new process: its clock starts elsewhere

    def batches(step):
        clock[0] += 10.0
        return (step, *batch_of(step))

    history = _fit(tiny_model(5), tmp_path / "run", 13, batch_fn=batches)
    assert take_restored_wall_time() == 80.0  # the checkpoint of step 8 held 8 steps x 10 s
    assert [(h["step"], h["wall_time_s"]) for h in history] == [
        (3, 30.0),
        (6, 60.0),
        (9, 90.0),
        (12, 120.0),
        (13, 130.0),
    ]


def test_a_checkpoint_records_the_arithmetic_of_each_stretch_of_steps(tmp_path, capsys):
    """Thread count changes a run's rounding (E50), so a checkpoint records the arithmetic each stretch of steps ran
    with, and a resume with other arithmetic says so on stderr; one with the same adds nothing and says nothing."""
    threads = torch.get_num_threads()
    try:
        torch.set_num_threads(1)
        _fit(tiny_model(0), tmp_path / "run", steps=8, stop_at=4)
        first = read_meta(tmp_path / "run")["arithmetic"]
        assert [s["from_step"] for s in first] == [0]
        assert first[0]["threads"] == 1 and first[0]["processes"] == 1 and first[0]["device"] == "cpu"
        assert first[0]["torch"] == torch.__version__ and first[0]["cpu_capability"]
        _fit(tiny_model(0), tmp_path / "run", steps=8, stop_at=6)  # same arithmetic: the same stretch goes on
        assert read_meta(tmp_path / "run")["arithmetic"] == first
        assert "arithmetic" not in capsys.readouterr().err
        torch.set_num_threads(2)
        _fit(tiny_model(0), tmp_path / "run", steps=8)
    finally:
        torch.set_num_threads(threads)
    segments = read_meta(tmp_path / "run")["arithmetic"]
    assert [(s["from_step"], s["threads"]) for s in segments] == [(0, 1), (6, 2)]
    state, _ = load_checkpoint(tmp_path / "run")
    assert state["arithmetic"] == segments
    assert "resuming at step 6 with other arithmetic (threads 1 -> 2)" in capsys.readouterr().err


def test_stop_at_is_the_first_steps_of_the_longer_schedule(tmp_path):
    """pretrain.stop_at: training stops at step N with the weights the full schedule has at step N (its snapshot),
    the learning rate having followed the long schedule, and the checkpoint is written at N."""
    steps, stop = 13, 7
    _fit(tiny_model(0), tmp_path / "full" / "checkpoint", steps, snapshot_every=stop)
    snapshot = tiny_model(9)
    load_checkpoint(tmp_path / "full" / "snapshots" / f"step{stop}", {"model": snapshot})

    stopped = tiny_model(0)
    history = _fit(stopped, tmp_path / "stopped", steps, stop_at=stop)
    assert_same_weights(weights(stopped), weights(snapshot))
    assert read_meta(tmp_path / "stopped")["step"] == stop
    assert [h["step"] for h in history] == [3, 6, 7]  # evaluated at the stop, as at a schedule's end
    short = tiny_model(0)  # a 7-step schedule decays faster: another model
    _fit(short, tmp_path / "short", stop)
    assert any(not torch.equal(short.state_dict()[k], stopped.state_dict()[k]) for k in stopped.state_dict())


def test_a_resume_trains_on_with_the_configured_weight_decay(tmp_path):
    """The optimiser's state restores its groups' hyper-parameters too; a run resumed with another weight decay
    (a longer schedule at new settings) must use the new one, as it uses the schedule's learning rate."""
    first = tiny_model(0)
    _fit(first, tmp_path / "a", steps=8, stop_at=4)  # weight decay 0.1 up to the checkpoint at step 4
    shutil.copytree(tmp_path / "a", tmp_path / "b")
    resumed = {}
    for name, decay in (("a", 0.0), ("b", 0.1)):
        resumed[name] = tiny_model(5)
        _fit(resumed[name], tmp_path / name, steps=8, weight_decay=decay)
    changed = tiny_model(0)  # weight decay 0.1 to step 4, then 0 to step 8, in one run
    _fit(changed, tmp_path / "c", steps=8, weight_decay=0.1, stop_at=4)
    _fit(changed, tmp_path / "c", steps=8, weight_decay=0.0)
    assert_same_weights(weights(resumed["a"]), weights(changed))
    assert any(not torch.equal(resumed["a"].state_dict()[k], resumed["b"].state_dict()[k]) for k in weights(first))


def test_fit_resume_without_rng_restore_would_differ(tmp_path, monkeypatch):
    """Guards the test above: dropout and eval noise really depend on the restored RNG state."""
    steps = 13
    torch.manual_seed(0)
    model = tiny_model(0)
    _fit(model, tmp_path / "full", steps)
    final_full = weights(model)

    model = tiny_model(0)

    def killing_batches(step):
        if step == 10:
            raise KeyboardInterrupt
        return (step, *batch_of(step))

    with pytest.raises(KeyboardInterrupt):
        _fit(model, tmp_path / "killed", steps, batch_fn=killing_batches)
    import internal_rl.train.loop as loop

    monkeypatch.setattr(loop, "set_rng_state", lambda state: None)
    torch.manual_seed(1234)
    resumed = tiny_model(5)
    _fit(resumed, tmp_path / "killed", steps)
    assert any(not torch.equal(resumed.state_dict()[k], final_full[k]) for k in final_full)


# ------------------------------------------------------------------------------------------------ schedule
def test_schedule_warmup_then_cosine():
    s = Schedule(steps=110, lr=1.0, warmup_steps=10, schedule="cosine", min_lr_ratio=0.1)
    assert s.lr_at(0) == pytest.approx(0.1)
    assert s.lr_at(4) == pytest.approx(0.5)
    assert s.lr_at(9) == pytest.approx(1.0)
    assert s.lr_at(10) == pytest.approx(1.0)  # start of the decay
    assert s.lr_at(60) == pytest.approx(0.1 + 0.9 * 0.5)  # half way
    assert s.lr_at(35) == pytest.approx(0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi / 4)))
    assert s.lr_at(110) == pytest.approx(0.1)  # floor
    assert s.lr_at(500) == pytest.approx(0.1)  # clamped past the end
    lrs = [s.lr_at(i) for i in range(10, 111)]
    assert all(a >= b for a, b in zip(lrs, lrs[1:], strict=False))


def test_schedule_constant_and_no_warmup():
    s = Schedule(steps=100, lr=3e-4, warmup_steps=5, schedule="constant")
    assert [s.lr_at(i) for i in range(5)] == pytest.approx([3e-4 * (i + 1) / 5 for i in range(5)])
    assert s.lr_at(5) == s.lr_at(99) == 3e-4
    c = Schedule(steps=100, lr=2.0, schedule="cosine", min_lr_ratio=0.0)
    assert c.lr_at(0) == pytest.approx(2.0) and c.lr_at(50) == pytest.approx(1.0) and c.lr_at(100) == 0.0


def test_fit_applies_the_schedule(tmp_path):
    model = nn.Linear(2, 1)
    opt = adamw([model], lr=1.0, weight_decay=0.0)
    sched = Schedule(steps=6, lr=1.0, warmup_steps=2, schedule="cosine", min_lr_ratio=0.0, checkpoint_every=100)
    seen = []

    def loss_fn(batch):
        if torch.is_grad_enabled():  # the no-grad call is fit's check of the parameters before a checkpoint
            seen.append(opt.param_groups[0]["lr"])
        return model(batch).pow(2).mean(), {}

    fit(
        modules={"m": model},
        optimizer=opt,
        schedule=sched,
        objective=Functions(lambda s: torch.ones(1, 2), loss_fn),
        checkpoint_dir=tmp_path / "c",
    )
    assert seen == pytest.approx([sched.lr_at(i) for i in range(6)])
    assert has_checkpoint(tmp_path / "c")  # always checkpointed at the end


# ------------------------------------------------------------------------------------------------ step batches
def test_step_batches_are_full_global_batches_split_across_ranks(tmp_path):
    """65 episodes, batch 16: the short 65th-episode batch is dropped, so neither rank ever gets an empty slice,
    and each step's global batch is a pure function of (seed, step)."""
    from internal_rl.data import EpisodeDataset, generate_dataset
    from internal_rl.data.batches import StepBatches
    from internal_rl.envs import PRETRAIN_TASKS
    from internal_rl.train import DistInfo

    generate_dataset(tmp_path / "d", num_episodes=65, tasks=PRETRAIN_TASKS, seed=0, progress=False)
    ds = EpisodeDataset(tmp_path / "d")
    cpu = torch.device("cpu")
    single = StepBatches(ds, 16, seed=1, device=cpu)
    ranks = [StepBatches(ds, 16, seed=1, device=cpu, dist=DistInfo(rank=r, world_size=2)) for r in range(2)]
    seen = []
    for step in range(12):  # three epochs of 4 batches
        whole = single(step)
        parts = [b(step) for b in ranks]
        assert len(whole) == 16 and [len(p) for p in parts] == [8, 8]
        assert sorted(torch.cat([p.task_index for p in parts]).tolist()) == sorted(whole.task_index.tolist())
        assert sum(int(p.mask.sum()) for p in parts) == int(whole.mask.sum())
        seen.append(whole.lengths.tolist())
    fresh = StepBatches(ds, 16, seed=1, device=cpu)  # a resumed run asks for step 9 first
    assert fresh(9).lengths.tolist() == seen[9] and fresh(2).lengths.tolist() == seen[2]
    with pytest.raises(ValueError, match="batch_size"):
        StepBatches(ds, 66, seed=1, device=cpu)
    with pytest.raises(ValueError, match="batch_size"):
        StepBatches(ds, 1, seed=1, device=cpu, dist=DistInfo(rank=1, world_size=2))


def test_check_recorded_refuses_other_settings_by_field(tmp_path):
    from internal_rl.train.checkpoint import CheckpointMismatch, check_recorded

    check_recorded(tmp_path / "none", "rl", {"width": 8}, "rl")  # no checkpoint: nothing to refuse
    save_checkpoint(tmp_path / "old", {"m": nn.Linear(2, 2)}, {"step": 1})  # made before anything was recorded
    check_recorded(tmp_path / "old", "rl", {"width": 8}, "rl")
    save_checkpoint(tmp_path / "c", {"m": nn.Linear(2, 2)}, {"step": 1}, meta={"rl": {"width": 8, "hidden": 4}})
    check_recorded(tmp_path / "c", "rl", {"width": 8, "hidden": 4}, "rl")
    with pytest.raises(CheckpointMismatch, match=r"rl.hidden=4 but this run has rl.hidden=16"):
        check_recorded(tmp_path / "c", "rl", {"width": 8, "hidden": 16}, "rl")
    # a field added after the checkpoint was made: it matches the value it had before (its default) only
    check_recorded(tmp_path / "c", "rl", {"width": 8, "hidden": 4, "mode": "a"}, "rl", added_later={"mode": "a"})
    with pytest.raises(CheckpointMismatch, match=r"rl.mode=None but this run has rl.mode='b'"):
        check_recorded(tmp_path / "c", "rl", {"width": 8, "hidden": 4, "mode": "b"}, "rl")
    with pytest.raises(CheckpointMismatch, match=r"rl.mode='a' but this run has rl.mode='b'"):
        check_recorded(tmp_path / "c", "rl", {"width": 8, "hidden": 4, "mode": "b"}, "rl", added_later={"mode": "a"})
