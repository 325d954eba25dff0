"""Extending a stopped pretraining run: `pretrain.stop_at` raised (with --force) continues the backbone from its
checkpoint, to the same weights as one uninterrupted run; lowered, it is refused; runs fingerprinted by earlier
versions (stop_at inside the pretrain stage's fingerprint) are neither redone nor removed."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import torch
from safetensors.torch import load_file

from internal_rl.cli import main
from internal_rl.config import fingerprint, load_config
from internal_rl.pipeline.graph import _backbone

SMOKE = str(Path(__file__).resolve().parents[1] / "configs" / "smoke.yaml")  # pretrain.steps 20, eval every 10


def _pretrain(out: Path, *extra: str) -> int:
    return main(["pretrain", "--config", SMOKE, "--out", str(out), "--quiet", *extra])


def _weights(out: Path) -> dict[str, torch.Tensor]:
    return load_file(out / "pretrain" / "checkpoint" / "model.safetensors")


def _metrics(out: Path) -> dict:
    return json.loads((out / "pretrain" / "metrics.json").read_text())


def _mark(out: Path) -> Path:
    """A file in the pretrain stage's folder: a stage that is redone from scratch removes it."""
    (mark := out / "pretrain" / "mark").write_text("")
    return mark


def _step(out: Path) -> int:
    return json.loads((out / "pretrain" / "checkpoint" / "meta.json").read_text())["step"]


def test_a_raised_stop_at_continues_to_the_uninterrupted_weights(tmp_path, capsys):
    straight, stopped = tmp_path / "straight", tmp_path / "stopped"
    assert _pretrain(straight) == 0
    assert _pretrain(stopped, "--set", "pretrain.stop_at=10") == 0
    assert _step(stopped) == 10
    mark = _mark(stopped)
    assert _pretrain(stopped, "--set", "pretrain.stop_at=20") == 2  # a changed config needs --force
    assert "pretrain.stop_at" in capsys.readouterr().err
    assert _pretrain(stopped, "--set", "pretrain.stop_at=20", "--force") == 0
    assert _step(stopped) == 20 and mark.exists()  # continued, not redone
    a, b = _weights(straight), _weights(stopped)
    assert a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)
    assert [h["step"] for h in _metrics(stopped)["history"]] == [10, 20]
    assert _metrics(stopped)["action_nll"] == _metrics(straight)["action_nll"]


def test_a_lowered_stop_at_is_refused_and_the_checkpoint_kept(tmp_path, capsys):
    out = tmp_path / "run"
    assert _pretrain(out) == 0
    before = _weights(out)
    assert _pretrain(out, "--set", "pretrain.stop_at=10", "--force") == 2
    err = capsys.readouterr().err
    assert "step 20, past this run's last step 10" in err and len(err.strip().splitlines()) == 1
    assert _step(out) == 20 and all(torch.equal(before[k], v) for k, v in _weights(out).items())


def test_a_run_fingerprinted_before_is_kept_and_can_be_extended(tmp_path):
    out = tmp_path / "run"
    assert _pretrain(out, "--set", "pretrain.stop_at=10") == 0
    cfg = load_config(SMOKE, ["pretrain.stop_at=10"])
    stage_json = out / "pretrain" / "stage.json"
    new = json.loads(stage_json.read_text())["fingerprint"]
    old = fingerprint(*_backbone(cfg), cfg.pretrain)  # the formula before: stop_at inside
    assert old != new
    stage_json.write_text(json.dumps({"fingerprint": old}))
    mark = _mark(out)
    assert _pretrain(out, "--set", "pretrain.stop_at=10") == 0
    assert mark.exists()  # recognised: not redone
    assert json.loads(stage_json.read_text())["fingerprint"] == new  # and recorded the current way

    stage_json.write_text(json.dumps({"fingerprint": old}))  # extended straight from the old record
    assert _pretrain(out, "--set", "pretrain.stop_at=20", "--force") == 0
    assert mark.exists() and _step(out) == 20 and [h["step"] for h in _metrics(out)["history"]] == [10, 20]
    assert fingerprint(*_backbone(cfg), replace(cfg.pretrain, stop_at=0)) == new
