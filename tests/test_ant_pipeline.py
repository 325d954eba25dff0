"""The pipeline on ant-pinpad (env.world: ant) at smoke size: every stage runs on the second world, the expert is
trained by the data stage or taken from ``ant.expert``, the report reads as ant-pinpad's, and bad input (ant
config fields, impossible layouts, the other world's dataset) is refused in one line with nothing written."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
import torch

pytest.importorskip("mujoco")

from internal_rl.cli import main  # noqa: E402
from internal_rl.config import ConfigError, load_config  # noqa: E402
from internal_rl.pipeline import ORDER  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
SMOKE = str(ROOT / "configs" / "ant-smoke.yaml")
GRID_SMOKE = str(ROOT / "configs" / "smoke.yaml")


def metrics(run: Path, stage: str) -> dict:
    return json.loads((run / stage / "metrics.json").read_text())


@pytest.fixture(scope="module")
def ant_run(tmp_path_factory) -> Path:
    torch.set_num_threads(1)
    run = tmp_path_factory.mktemp("ant") / "run"
    assert main(["run", "--config", SMOKE, "--out", str(run), "--quiet"]) == 0
    return run


def test_every_stage_runs_on_ant_pinpad(ant_run):
    for stage in ORDER:
        assert (ant_run / stage / "metrics.json").exists(), stage
    d = metrics(ant_run, "data")
    assert d["world"] == "ant-pinpad" and set(d["expert_success"]) == {"train", "eval", "meta", "post_task"}
    assert (ant_run / "data" / "expert" / "checkpoint").is_dir()  # ant.expert "": trained by the data stage
    from internal_rl.data import VectorEpisodes

    meta = VectorEpisodes(ant_run / "data" / "meta")
    assert meta.meta["epsilon"] == 0.0 and meta.arrays["obs"].shape[1:] == (31, 41)  # D*: the mean action
    assert VectorEpisodes(ant_run / "data" / "train").meta["epsilon"] == 1.0  # D: sampled actions
    assert np.isfinite(metrics(ant_run, "pretrain")["action_nll"])
    assert len(metrics(ant_run, "probe")["accuracy_by_layer"]) == 3  # layers 0..2
    assert 0.0 <= metrics(ant_run, "steer")["post_task_success"] <= 1.0
    assert metrics(ant_run, "discover")["switches_per_episode"] >= 1.0
    assert set(metrics(ant_run, "rl")["methods"]) == {
        "internal_rl",
        "raw_action_rl",
        "no_temporal_abstraction",
        "cotrained",
    }
    report = (ant_run / "report" / "report.md").read_text()
    assert "0.8 on the pretraining tasks" in report and "B.3.2" in report  # ant-pinpad's paper numbers
    for figure in ("data_expert_trajectories.png", "discover_beta_traces.png", "rl_success_curves.png"):
        assert (ant_run / "report" / figure).exists() and f"]({figure})" in report, figure
    assert "of the expert's" in report or metrics(ant_run, "data")["expert_success"]["post_task"] == 0.0


def test_a_rerun_is_a_no_op(ant_run, capsys):
    before = {p: p.stat().st_mtime_ns for p in ant_run.rglob("*.json")}
    assert main(["run", "--config", SMOKE, "--out", str(ant_run), "--quiet"]) == 0
    assert {p: p.stat().st_mtime_ns for p in ant_run.rglob("*.json")} == before


def test_a_trained_expert_is_taken_from_ant_expert(ant_run, tmp_path):
    expert = ant_run / "data" / "expert"
    run = tmp_path / "run"
    assert main(["data", "--config", SMOKE, "--out", str(run), "--quiet", "--set", f"ant.expert={expert}"]) == 0
    assert not (run / "data" / "expert").exists()
    ours = json.loads((ant_run / "data" / "meta" / "meta.json").read_text())
    theirs = json.loads((run / "data" / "meta" / "meta.json").read_text())
    assert ours["expert_success"] == theirs["expert_success"]  # the same expert, the same seeds
    # an expert trained on other ant settings is refused, naming the field
    with pytest.raises(ConfigError, match="ant.expert: .* other ant settings"):
        from internal_rl.pipeline.context import existing_run
        from internal_rl.pipeline.stages.data import ant_expert

        cfg = load_config(SMOKE, [f"ant.expert={expert}", "ant.max_steps=40"])
        ant_expert(existing_run(tmp_path / "x", cfg, torch.device("cpu")))


def test_the_data_stage_trains_the_three_stage_expert_with_recipe_chain(tmp_path):
    run = tmp_path / "run"
    chain = ["--set", "ant_expert.recipe=chain", "--set", "ant_expert.total_steps=640"]
    assert main(["data", "--config", SMOKE, "--out", str(run), "--quiet", *chain]) == 0
    expert = run / "data" / "expert"
    assert not (expert / "checkpoint").exists()
    for stage in ("gait", "command", "pinpad"):
        assert (expert / stage / "checkpoint").is_dir(), stage
    # the data came from the last stage: the same data as with ant.expert naming it
    other = tmp_path / "other"
    assert (
        main(["data", "--config", SMOKE, "--out", str(other), "--quiet", "--set", f"ant.expert={expert}/pinpad"]) == 0
    )
    ours, theirs = (json.loads((r / "data" / "meta" / "meta.json").read_text()) for r in (run, other))
    assert ours["expert_success"] == theirs["expert_success"]
    from internal_rl.data import VectorEpisodes

    a, b = (VectorEpisodes(r / "data" / "meta").arrays["actions"] for r in (run, other))
    assert np.array_equal(a, b)


@pytest.mark.parametrize(
    ("override", "field"),
    [
        ("ant.colours=3", "ant.colours: unknown key"),
        ("ant.num_colors=15", "ant."),  # 15 colours + 1 wall + the start cell > 16 cells
        ("ant.strict=false", "ant.strict"),
        ("model.encoder=linear", "encoder"),
        ("model.obs_size=40", "model.obs_size"),
        ("model.action=categorical", "model.action"),
        ("data.stream=true", "data.stream"),
        ("data.meta_tasks=chains", "data.meta_tasks"),
        ("discover.targets=expert", "discover.targets"),
        ("pretrain.targets=expert", "pretrain.targets"),
        ("steer.targets=expert", "steer.targets"),
        ("data.meta_epsilon=0.1", "data.meta_epsilon"),
        ("env.world=mars", "env.world"),
        ("ant_expert.num_envs=0", "ant_expert.num_envs"),
    ],
)
def test_bad_ant_config_is_one_line_naming_the_field(override, field, tmp_path, capsys):
    out = tmp_path / "run"
    assert main(["run", "--config", SMOKE, "--out", str(out), "--quiet", "--set", override]) != 0
    err = capsys.readouterr().err.strip()
    assert err.startswith("error: ") and field in err and "\n" not in err, err
    assert not out.exists()  # nothing written


def test_a_dataset_of_the_other_world_is_refused(ant_run, tmp_path, capsys):
    """The gridworld's D* in an ant run (and the ant's in a gridworld run): one line naming the file."""
    grid = tmp_path / "grid"
    assert main(["data", "--config", GRID_SMOKE, "--out", str(grid), "--quiet"]) == 0
    mixed = tmp_path / "mixed"
    shutil.copytree(ant_run, mixed)
    shutil.rmtree(mixed / "data" / "meta")
    shutil.copytree(grid / "data" / "meta", mixed / "data" / "meta")
    for stage in ("probe", "steer", "discover", "rl", "report"):
        shutil.rmtree(mixed / stage)
    assert main(["probe", "--config", SMOKE, "--out", str(mixed), "--quiet"]) != 0
    err = capsys.readouterr().err.strip()
    assert "dataset" in err and str(mixed / "data" / "meta") in err and "\n" not in err, err
    assert not (mixed / "probe" / "metrics.json").exists()


def test_the_steerability_check_runs_on_ant_pinpad(ant_run, tmp_path):
    """The steerability command scores ant-pinpad's own post task (0-1-2-3) and pretraining tasks (Table A2),
    without the gridworld's colour-pair diagnosis."""
    run = tmp_path / "run"
    shutil.copytree(ant_run, run)
    assert main(["steerability", "--out", str(run), "--greedy", "--quiet", "--set", "steer.steps=2"]) == 0
    (result,) = (run / "steerability").glob("final_layer*_greedy.json")
    r = json.loads(result.read_text())
    assert r["post_task"] == "0123" and "post_steered_wrong_to_allowed" not in r
    for key in ("pretrain_steered_success", "post_unsteered_greedy_success", "post_steered_greedy_success"):
        assert 0.0 <= r[key] <= 1.0, key
