"""The ant expert's three-stage curriculum (experts/ant_curriculum.py, ``ant_expert.recipe: chain``)."""

from __future__ import annotations

import json
import shutil

import pytest

pytest.importorskip("mujoco")

import torch  # noqa: E402

from internal_rl.envs import antpinpad as A  # noqa: E402
from internal_rl.experts.ant_config import AntExpertConfig, config_from_overrides  # noqa: E402
from internal_rl.experts.ant_curriculum import chain_stages, expert_dir, train_expert  # noqa: E402

# E39's chain as scripts/experiments/ant_expert_chain.sh ran it (ant_long_gait.sh and e37b.sh path), argument for
# argument, before the recipe moved into the library: the recipe at total_steps 10M must be this, field for field
_GAIT = ["total_steps=3000000", "reward_direction=heading", "eval_every=0", "checkpoint_every=50"]
_WARM = ["critic_warmup_steps=409600", "minibatches=4"]
E39 = {
    "gait": (
        _GAIT + ["init_log_std=-2", "hints=false", "gated_hints=true", "stop_steps=1024000"],
        {"cell": 20.0, "strict": False},
    ),
    "command": (
        _GAIT
        + ["reward_direction=command", "symmetric=true", "cell_hints=false", "gated_hints=true"]
        + ["init_from=OUT/gait", "lr=1e-4", *_WARM],
        {"cell": 20.0, "strict": False},
    ),
    "pinpad": (
        ["total_steps=10000000", "init_from=OUT/command", "symmetric=true", "reward_direction=path"]
        + ["gated_hints=true", "lenient_steps=1000000", "eval_every=100", "alive_bonus=0", "ctrl_cost=0", "lr=3e-5"]
        + [*_WARM, "lateral_weight=0.5", "pursuit_gain=1"],
        {},
    ),
}


def test_the_chain_at_10m_steps_is_e39s_recipe_field_for_field():
    stages = chain_stages(AntExpertConfig(total_steps=10_000_000), "OUT")
    assert [d.name for d, _, _ in stages] == list(E39)
    for (directory, cfg, floor), (name, (args, params)) in zip(stages, E39.items(), strict=True):
        assert str(directory) == f"OUT/{name}"
        assert cfg == config_from_overrides(args), name
        assert floor == A.AntParams(**params), name


def test_the_chain_scales_its_step_counts_and_keeps_the_sections_other_fields():
    stages = chain_stages(AntExpertConfig(total_steps=1_000_000, hidden=64, seed=3), "x", A.AntParams(max_steps=99))
    gait, command, pinpad = (cfg for _, cfg, _ in stages)
    assert (gait.total_steps, gait.stop_steps, command.critic_warmup_steps) == (300_000, 102_400, 40_960)
    assert (pinpad.total_steps, pinpad.lenient_steps) == (1_000_000, 100_000)
    assert all(cfg.hidden == 64 and cfg.seed == 3 and cfg.recipe == "single" for cfg in (gait, command, pinpad))
    assert [floor.max_steps for _, _, floor in stages] == [99, 99, 99]
    assert stages[-1][2] == A.AntParams(max_steps=99)  # the last stage plays on the run's floor


def test_a_tiny_chain_trains_its_stages_in_order_and_resumes(tmp_path, monkeypatch):
    torch.set_num_threads(1)
    import internal_rl.experts.ant_ppo as ppo

    monkeypatch.setattr(ppo, "evaluate_expert", lambda *a, **k: {"success": 0.0})
    section = AntExpertConfig(
        num_envs=4,
        rollout_steps=8,
        total_steps=320,
        epochs=1,
        minibatches=4,
        hidden=16,
        recipe="chain",
        checkpoint_every=1,
    )
    policy = train_expert(section, tmp_path, show_progress=False)
    updates = {}
    for name in ("gait", "command", "pinpad"):
        history = json.loads((tmp_path / name / "history.json").read_text())
        updates[name] = len(history)
    assert updates == {"gait": 1, "command": 3, "pinpad": 10}  # 32 env steps per update; the gait stops at 32
    meta = json.loads((tmp_path / "pinpad" / "checkpoint" / "meta.json").read_text())
    assert meta["config"]["init_from"] == str(tmp_path / "command") and meta["config"]["pursuit_gain"] == 1.0
    assert expert_dir(section, tmp_path) == tmp_path / "pinpad"
    loaded, params = ppo.load_expert(tmp_path / "pinpad")
    assert params == A.AntParams()
    for k, v in policy.state_dict().items():
        torch.testing.assert_close(loaded.state_dict()[k], v, rtol=0, atol=0, msg=k)
    scored = {n: (tmp_path / n / "metrics.json").stat().st_mtime_ns for n in ("gait", "command", "pinpad")}
    again = train_expert(section, tmp_path, show_progress=False)  # every stage complete: nothing trains or scores
    assert {n: (tmp_path / n / "metrics.json").stat().st_mtime_ns for n in scored} == scored
    assert len(json.loads((tmp_path / "pinpad" / "history.json").read_text())) == 10
    for k, v in policy.state_dict().items():
        torch.testing.assert_close(again.state_dict()[k], v, rtol=0, atol=0, msg=k)
    moved = tmp_path.parent / f"{tmp_path.name}_moved"  # init_from is not a resumed run's identity
    shutil.copytree(tmp_path, moved)
    train_expert(section, moved, show_progress=False)
    assert len(json.loads((moved / "pinpad" / "history.json").read_text())) == 10


def test_recipe_errors_name_the_field(tmp_path):
    with pytest.raises(ValueError, match="ant_expert.recipe: single or chain"):
        AntExpertConfig(recipe="ladder")
    with pytest.raises(ValueError, match="ant_expert.init_from: must be empty with recipe chain"):
        AntExpertConfig(recipe="chain", init_from="somewhere")
    from internal_rl.experts.ant_ppo import train_ant_expert

    with pytest.raises(ValueError, match="ant_expert.recipe: chain trains several runs"):
        train_ant_expert(AntExpertConfig(recipe="chain"), tmp_path / "x", show_progress=False)
    assert not (tmp_path / "x").exists()
