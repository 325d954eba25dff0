"""Reliability (issue: no silently wrong result, no traceback for a user's mistake): each test fails before its fix.
The full list of faults and what each gives now is docs/reliability.md."""

from __future__ import annotations

import json
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
        from internal_rl.stages import build_model

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
