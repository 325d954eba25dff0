"""Configuration errors, CLI behaviour, skipping and resume of the pipeline at smoke size."""

import json
import shutil
from pathlib import Path

import pytest

from internal_rl.cli import main
from internal_rl.config import ConfigError, load_config

SMOKE = "configs/smoke.yaml"


@pytest.mark.parametrize(("override", "field"), [
    ("pretrain.lrr=1", "pretrain.lrr"),
    ("nosuch=1", "nosuch"),
    ("model.depth=-2", "model.depth"),
    ("model.depth=abc", "model.depth"),
    ("data.train_episodes=0", "data.train_episodes"),
    ("data.epsilon=1.5", "data.epsilon"),
    ("model.encoder=mlp", "model.encoder"),
    ("rl.methods=[nope]", "rl.methods"),
    ("steer.layer=9", "steer.layer"),
    ("env.solvable_only=3", "env.solvable_only"),
])
def test_config_errors_name_the_field(override, field):
    with pytest.raises(ConfigError, match=field.replace(".", r"\.")):
        load_config(SMOKE, [override])


def test_paper_defaults():
    cfg = load_config("configs/paper.yaml")
    assert (cfg.model.depth, cfg.model.width, cfg.model.heads, cfg.model.mlp) == (6, 256, 4, 512)
    assert (cfg.pretrain.lr, cfg.pretrain.weight_decay, cfg.pretrain.batch_size, cfg.pretrain.obs_weight) == (
        3e-4, 0.03, 1024, 0.01)
    assert (cfg.discover.latent_dim, cfg.discover.history_dim, cfg.discover.rank) == (8, 32, 16)
    assert (cfg.rl.clip, cfg.rl.lr, cfg.rl.batch_size) == (0.2, 3e-5, 1024)
    for name in ("cpu", "demo", "smoke", "paper"):
        load_config(f"configs/{name}.yaml")


@pytest.mark.parametrize("override", ["model.depth=-1", "bogus.key=1", "pretrain.steps=ten"])
def test_cli_bad_input_exits_2_and_writes_nothing(tmp_path, capsys, override):
    out = tmp_path / "run"
    assert main(["pretrain", "--config", SMOKE, "--out", str(out), "--set", override]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("error: ")
    assert not out.exists()


def test_cli_missing_config_file(tmp_path, capsys):
    assert main(["data", "--config", str(tmp_path / "none.yaml"), "--out", str(tmp_path / "r")]) == 2
    assert "does not exist" in capsys.readouterr().err


def _metrics(run: Path, stage: str) -> dict:
    return json.loads((run / stage / "metrics.json").read_text())


def test_pretrain_skip_refuse_and_force(tmp_path, capsys):
    run = tmp_path / "run"
    args = ["pretrain", "--config", SMOKE, "--out", str(run), "--quiet"]
    assert main(args) == 0
    full = _metrics(run, "pretrain")
    for key in ("action_accuracy", "action_nll", "wall_time_s", "seed", "device"):
        assert key in full
    mtime = (run / "pretrain" / "metrics.json").stat().st_mtime_ns
    assert main(args) == 0  # complete: skipped
    assert (run / "pretrain" / "metrics.json").stat().st_mtime_ns == mtime

    # another configuration in the same directory is refused, and accepted with --force
    assert main([*args, "--set", "pretrain.lr=0.002"]) == 2
    assert "different configuration" in capsys.readouterr().err

    assert main([*args, "--set", "pretrain.lr=0.002", "--force"]) == 0  # stale pretrain stage redone
    assert _metrics(run, "pretrain")["action_nll"] != full["action_nll"]


def test_interrupted_pretraining_resumes_to_same_metrics(tmp_path, monkeypatch):
    """Kill the loop mid-way (an exception after a checkpoint) and re-run: same final metrics."""
    from internal_rl.train import loop

    run_a, run_b = tmp_path / "a", tmp_path / "b"
    assert main(["pretrain", "--config", SMOKE, "--out", str(run_a), "--quiet"]) == 0
    original = loop.save_checkpoint
    calls = {"n": 0}

    def dying_save(*a, **k):
        original(*a, **k)
        calls["n"] += 1
        if calls["n"] == 1:
            raise KeyboardInterrupt("killed after the first checkpoint")

    monkeypatch.setattr(loop, "save_checkpoint", dying_save)
    with pytest.raises(KeyboardInterrupt):
        main(["pretrain", "--config", SMOKE, "--out", str(run_b), "--quiet"])
    assert not (run_b / "pretrain" / "metrics.json").exists()
    monkeypatch.setattr(loop, "save_checkpoint", original)
    assert main(["pretrain", "--config", SMOKE, "--out", str(run_b), "--quiet"]) == 0
    a, b = _metrics(run_a, "pretrain"), _metrics(run_b, "pretrain")
    assert a["action_accuracy"] == b["action_accuracy"]
    assert a["action_nll"] == pytest.approx(b["action_nll"], abs=1e-6)
    strip = [{k: v for k, v in h.items() if k != "wall_time_s"} for h in a["history"]]
    assert strip == [{k: v for k, v in h.items() if k != "wall_time_s"} for h in b["history"]]


def test_whole_smoke_pipeline_writes_contract_metrics(tmp_path):
    run = tmp_path / "run"
    assert main(["run", "--config", SMOKE, "--out", str(run), "--quiet"]) == 0
    contract = {
        "data": ["expert_success"], "pretrain": ["action_accuracy", "action_nll"],
        "probe": ["accuracy_by_layer", "chance"], "steer": ["post_task_success", "post_task_success_unsteered"],
        "discover": ["switch_f1", "switch_precision", "switch_recall", "switches_per_episode",
                     "subgoals_per_episode", "action_nll", "kl"],
        "rl": ["methods"],
    }
    for stage, keys in contract.items():
        m = _metrics(run, stage)
        for key in [*keys, "wall_time_s", "seed", "device"]:
            assert key in m, f"{stage} lacks {key}"
    assert len(_metrics(run, "probe")["accuracy_by_layer"]) == load_config(SMOKE).model.depth + 1
    assert _metrics(run, "data")["expert_success"]["post_task"] == 1.0
    for method in ("internal_rl", "raw_action_rl", "no_temporal_abstraction", "cotrained"):
        r = _metrics(run, "rl")["methods"][method]
        assert {"success_rate", "episodes", "curves"} <= set(r)
    assert (run / "report" / "report.md").exists()
