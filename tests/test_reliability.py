"""Reliability (issue: no silently wrong result, no traceback for a user's mistake): each test fails before its fix.
The full list of faults and what each gives now is docs/reliability.md."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
import torch

from internal_rl.cli import main
from internal_rl.train.checkpoint import CorruptRunFile, load_checkpoint, save_checkpoint

ROOT = Path(__file__).resolve().parents[1]
SMOKE = str(ROOT / "configs" / "smoke.yaml")
S = ["--config", SMOKE, "--set", "threads=1", "--quiet"]


@pytest.fixture(scope="module")
def finished(tmp_path_factory):
    """A finished smoke pretraining (data + pretrain), copied by the tests that damage it."""
    out = tmp_path_factory.mktemp("rel") / "X"
    assert main(["pretrain", *S, "--out", str(out)]) == 0
    return out


def copy_run(src: Path, dst: Path) -> Path:
    import shutil

    shutil.copytree(src, dst)
    return dst


def flip(path: Path, n: int = 4000, offset: int = 200) -> None:
    data = bytearray(path.read_bytes())
    for i in range(offset, min(len(data), offset + n)):
        data[i] ^= 0x55
    path.write_bytes(bytes(data))


def test_corrupted_weights_are_refused_by_name(finished, tmp_path, capsys):
    x = copy_run(finished, tmp_path / "X")
    weights = x / "pretrain" / "checkpoint" / "model.safetensors"
    flip(weights, offset=len(weights.read_bytes()) // 2)  # finite garbage in the tensor bytes
    (x / "pretrain" / "metrics.json").unlink()
    assert main(["pretrain", *S, "--out", str(x)]) == 2
    err = capsys.readouterr().err
    assert str(weights) in err and "checksum mismatch" in err and len(err.strip().splitlines()) == 1
    assert not (x / "pretrain" / "metrics.json").exists()  # nothing written as a valid result


def test_corrupted_backbone_is_refused_by_a_later_stage(finished, tmp_path, capsys):
    x = copy_run(finished, tmp_path / "X")
    flip(x / "pretrain" / "checkpoint" / "model.safetensors", n=64, offset=5000)
    assert main(["probe", *S, "--out", str(x)]) == 2
    assert "model.safetensors" in capsys.readouterr().err
    assert not (x / "probe" / "metrics.json").exists()


@pytest.mark.parametrize("name", ["model.safetensors", "state.pt"])
def test_truncated_checkpoint_files_name_the_file(tmp_path, name):
    model = torch.nn.Linear(3, 2)
    save_checkpoint(tmp_path / "ck", {"model": model}, {"step": 1})
    f = tmp_path / "ck" / name
    f.write_bytes(f.read_bytes()[:40])
    with pytest.raises(CorruptRunFile, match=name):
        load_checkpoint(tmp_path / "ck", {"model": model})
    (tmp_path / "ck" / "SHA256SUMS.json").unlink()  # even without checksums, a truncated file is named
    with pytest.raises(CorruptRunFile, match=name):
        load_checkpoint(tmp_path / "ck", {"model": model})


@pytest.mark.parametrize("rel", ["pretrain/stage.json", "pretrain/metrics.json", "pretrain/checkpoint/meta.json"])
def test_unreadable_run_files_give_one_line(finished, tmp_path, capsys, rel):
    x = copy_run(finished, tmp_path / "X")
    (x / rel).write_text('{"trunc')
    if rel.endswith("meta.json"):
        (x / "pretrain" / "metrics.json").unlink()
    assert main(["probe", *S, "--out", str(x)]) == 2
    err = capsys.readouterr().err
    assert rel.split("/")[-1] in err and "re-run" in err and len(err.strip().splitlines()) == 1


def test_diverged_weights_are_never_checkpointed(tmp_path, capsys):
    out = tmp_path / "X"
    args = ["pretrain", *S, "--out", str(out), "--set", "pretrain.lr=1e30", "--set", "pretrain.checkpoint_every=1"]
    assert main(args) == 2
    assert "last good checkpoint is kept" in capsys.readouterr().err
    ck = out / "pretrain" / "checkpoint"
    if (ck / "meta.json").exists():  # whatever was kept is usable: finite and small enough to give a finite loss
        from internal_rl.config import load_config
        from internal_rl.pipeline.artifacts import build_model

        model = build_model(load_config(SMOKE))
        load_checkpoint(ck, {"model": model})
        assert all(torch.isfinite(p).all() and p.abs().max() < 1e6 for p in model.parameters())


def test_probe_training_stops_on_a_non_finite_loss():
    from internal_rl.analysis.probe import train_probes
    from internal_rl.train import NonFiniteLossError

    x = torch.full((8, 2, 4), float("nan"))
    with pytest.raises(NonFiniteLossError, match="probe loss"):
        train_probes(x, torch.zeros(8, dtype=torch.long), steps=3, batch_size=4, lr=1e-2, weight_decay=0.0, seed=0)


def test_checksums_cover_every_file_of_a_checkpoint(tmp_path):
    save_checkpoint(tmp_path / "ck", {"a": torch.nn.Linear(2, 2), "b": torch.nn.Linear(2, 1)}, {"step": 3})
    sums = json.loads((tmp_path / "ck" / "SHA256SUMS.json").read_text())
    assert set(sums) == {"a.safetensors", "b.safetensors", "state.pt"}


# ------------------------------------------------------------------------------------------------ config up front
@pytest.mark.parametrize(
    "override, field",
    [
        ("steer.rank=64", "steer.rank"),
        ("discover.rank=64", "discover.rank"),
        ("env.size=9", "env.size"),
        ("env.size=6", "model.grid_size"),
        ("env.size=5", "model.grid_size"),
        ("env.num_colors=4", "env.num_colors"),
        ("env.max_steps=3", "env.max_steps"),
        ("env.num_walls=2", "model.num_channels"),
        ("pretrain.lr=.inf", "pretrain.lr"),
        ("pretrain.lr=1e400", "pretrain.lr"),
        ("rl.methods=[]", "rl.methods"),
    ],
)
def test_bad_combinations_are_refused_before_anything_is_written(tmp_path, capsys, override, field):
    out = tmp_path / "X"
    assert main(["steer", *S, "--out", str(out), "--set", override]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"error: {field}:") and len(err.strip().splitlines()) == 1
    assert not out.exists()


def test_a_matching_grid_size_is_accepted():
    from internal_rl.config import load_config

    cfg = load_config(SMOKE, ["env.size=6", "model.grid_size=6", "env.num_walls=3", "model.num_channels=12"])
    assert cfg.model.obs_dim == 6 * 6 * 12


# ------------------------------------------------------------------------------------------------ user mistakes
@pytest.mark.parametrize(
    "content, message",
    [
        ("data: {x: [1\n", "invalid YAML at line"),
        ("a: 1\na: 2\n", "duplicate key 'a'"),
        ("", "is empty"),
        (b"\xff\xfe", "UTF-8"),
    ],
)
def test_bad_config_files_give_one_line(tmp_path, capsys, content, message):
    c = tmp_path / "c.yaml"
    c.write_bytes(content if isinstance(content, bytes) else content.encode())
    assert main(["data", "--config", str(c), "--out", str(tmp_path / "X")]) == 2
    err = capsys.readouterr().err
    assert message in err and len(err.strip().splitlines()) == 1 and not (tmp_path / "X").exists()


def test_a_directory_as_config_gives_one_line(tmp_path, capsys):
    assert main(["data", "--config", str(tmp_path), "--out", str(tmp_path / "X")]) == 2
    assert "is not a file" in capsys.readouterr().err


def test_bad_output_places_give_one_line(tmp_path, capsys):
    f = tmp_path / "afile"
    f.write_text("x")
    ro = tmp_path / "ro"
    ro.mkdir()
    ro.chmod(0o500)
    cases = [(f, "is a file"), (f / "sub", "is under the file"), (ro / "run", "choose a writable place")]
    for out, message in cases:
        if message == "choose a writable place" and os.geteuid() == 0:
            continue  # root writes anywhere
        assert main(["data", *S, "--out", str(out)]) == 2
        err = capsys.readouterr().err
        assert message in err and len(err.strip().splitlines()) == 1


def test_ctrl_c_says_how_to_resume(monkeypatch, tmp_path, capsys):
    from internal_rl import pipeline

    def interrupted(*a, **k):
        raise KeyboardInterrupt

    monkeypatch.setattr(pipeline, "run_stage", interrupted)
    assert main(["data", *S, "--out", str(tmp_path / "X")]) == 130
    assert "re-run the same command to resume" in capsys.readouterr().err


# ------------------------------------------------------------------------------------------------ resume
def test_threads_device_or_workers_alone_do_not_block_a_resume_and_real_differences_are_named(
    finished, tmp_path, capsys
):
    x = copy_run(finished, tmp_path / "X")
    for execution_only in ("threads=2", "device=cpu", "workers=2"):
        assert main(["pretrain", "--config", SMOKE, "--set", execution_only, "--quiet", "--out", str(x)]) == 0
    capsys.readouterr()
    assert main(["pretrain", *S, "--set", "pretrain.lr=0.002", "--out", str(x)]) == 2
    assert "pretrain.lr (stored 0.001, now 0.002)" in capsys.readouterr().err


# ------------------------------------------------------------------------------------------------ outputs
def test_progress_bars_are_off_without_a_terminal(monkeypatch):
    import io

    from internal_rl.train import logging as L

    monkeypatch.delenv("INTERNAL_RL_QUIET", raising=False)
    monkeypatch.delenv("CI", raising=False)
    monkeypatch.setattr(L.sys, "stderr", io.StringIO())
    assert L.quiet_default()

    class Tty(io.StringIO):
        def isatty(self):
            return True

    monkeypatch.setattr(L.sys, "stderr", Tty())
    assert not L.quiet_default()


def test_run_outputs_follow_the_umask(tmp_path):
    old = os.umask(0o022)
    try:
        assert main(["pretrain", *S, "--out", str(tmp_path / "X")]) == 0
    finally:
        os.umask(old)
    x = tmp_path / "X"
    assert (x / "config.yaml").stat().st_mode & 0o777 == 0o644
    assert (x / "pretrain" / "metrics.json").stat().st_mode & 0o777 == 0o644
    assert (x / "pretrain" / "checkpoint").stat().st_mode & 0o777 == 0o755


def test_tensorboard_events_of_probe_steer_and_a_resume_without_duplicates(finished, tmp_path):
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    x = copy_run(finished, tmp_path / "X")
    assert main(["steer", *S, "--out", str(x)]) == 0
    assert main(["probe", *S, "--out", str(x)]) == 0
    for stage in ("steer", "probe"):
        assert list((x / stage / "tb").rglob("events.out.tfevents.*")), stage
    from internal_rl.train import Logger

    log = Logger(tmp_path / "tb")
    for step in range(1, 11):
        log.scalars(step, {"v": step})
    log.resume(5)  # killed after step 10, resumed from the checkpoint of step 5
    for step in range(6, 11):
        log.scalars(step, {"v": 100 + step})
    log.close()
    ea = EventAccumulator(str(tmp_path / "tb"))
    ea.Reload()
    steps = [e.step for e in ea.Scalars("v")]
    assert steps == list(range(1, 11))  # each step once
    assert [e.value for e in ea.Scalars("v")][5:] == [106.0, 107.0, 108.0, 109.0, 110.0]


def test_import_internal_rl_registers_the_gymnasium_id():
    import subprocess
    import sys

    code = "import gymnasium, internal_rl; print(gymnasium.make('internal_rl/GridPinpad-v0').reset(seed=0)[0].shape)"
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0 and "(637,)" in r.stdout, r.stderr[-500:]


def test_version_and_stage_descriptions(capsys):
    with pytest.raises(SystemExit):
        main(["--version"])
    assert capsys.readouterr().out.startswith("internal-rl ")
    with pytest.raises(SystemExit):
        main(["rl", "--help"])
    assert "runs data, pretrain, discover first" in " ".join(capsys.readouterr().out.split())
