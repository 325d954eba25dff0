"""Steerability check: the prior-capture diagnosis against hand-made policies with known answers, and the
``internal-rl steerability`` command end to end on a tiny run with snapshots."""

import json
from pathlib import Path

import numpy as np
import pytest

from internal_rl.analysis.steerability import allowed_transitions, prior_capture
from internal_rl.cli import main
from internal_rl.envs import POST_TASK, PRETRAIN_TASKS
from test_closed_loop import expert_for, run

ROOT = Path(__file__).resolve().parents[1]
TABLE_A1 = allowed_transitions(PRETRAIN_TASKS)


def test_table_a1_transitions_as_subgoal_ids():
    assert TABLE_A1 == {(0, 2), (0, 3), (1, 0), (1, 3), (2, 0), (2, 1), (3, 1), (3, 2)}


def prior_follower(state):
    """Right at the first pair and within pairs; at a later pair start, the first allowed successor of the
    previous pair that is not the asked one (what a controller that only picks among learnt successors does)."""
    target = state.target.copy()
    rows = np.arange(state.num_envs)
    later = (target % 2 == 0) & (state.progress > 0)
    prev = state.task[rows, np.maximum(state.progress - 1, 0)] // 2
    for b in np.flatnonzero(later):
        target[b] = 2 * min(y for (x, y) in TABLE_A1 if x == prev[b] and y != target[b] // 2)
    return target


def test_a_policy_that_follows_the_prior_is_diagnosed_as_such():
    stats = run(expert_for(prior_follower), [POST_TASK], episodes=32)
    d = prior_capture(stats, TABLE_A1)
    assert stats.success == 0.0
    assert d["pair_start_accuracy_by_pair"] == {"1": 1.0, "2": 0.0}  # every episode ends at the 2nd pair start
    assert d["wrong_pair_starts"] == 32 and d["wrong_to_allowed"] == 1.0
    assert d["wrong_to_allowed_chance"] == pytest.approx(2 / 3)  # after A, asked B: C and D allowed, A not


def test_an_oracle_controller_has_no_wrong_decisions():
    stats = run(expert_for(lambda s: s.target), [POST_TASK], episodes=16)
    d = prior_capture(stats, TABLE_A1)
    assert stats.success == 1.0
    assert d["pair_start_accuracy_by_pair"] == {str(k): 1.0 for k in range(1, 7)}
    assert d["wrong_pair_starts"] == 0 and d["wrong_to_allowed"] is None


def test_steerability_command_on_a_tiny_run_with_snapshots(tmp_path, capsys):
    out = tmp_path / "run"
    smoke = str(ROOT / "configs" / "smoke.yaml")
    assert (
        main(["pretrain", "--config", smoke, "--out", str(out), "--quiet", "--set", "pretrain.snapshot_every=10"]) == 0
    )
    assert sorted(p.name for p in (out / "pretrain" / "snapshots").iterdir()) == ["step10", "step20"]
    assert main(["steerability", "--out", str(out), "--snapshots", "--layer", "1", "--quiet"]) == 0
    names = sorted(p.name for p in (out / "steerability").glob("*.json"))
    assert names == ["step10_layer1.json", "step20_layer1.json"]  # the final weights are step 20's
    r = json.loads((out / "steerability" / "step10_layer1.json").read_text())
    assert r["pretrain_step"] == 10 and r["layer"] == 1 and r["post_task"] == "ABCDAB"
    for key in (
        "pretrain_unsteered_success",
        "pretrain_steered_pair_start_accuracy",
        "post_unsteered_success",
        "post_steered_success",
        "post_steered_pair_start_accuracy_by_pair",
    ):
        assert key in r
    assert "step10 layer 1:" in capsys.readouterr().out
    # a second call reuses the results; a bad override or a missing run is one line, exit 2
    before = (out / "steerability" / "step10_layer1.json").stat().st_mtime_ns
    assert main(["steerability", "--out", str(out), "--layer", "1", "--quiet"]) == 0  # final alone
    assert main(["steerability", "--out", str(out), "--snapshots", "--layer", "1", "--quiet"]) == 0
    assert (out / "steerability" / "step10_layer1.json").stat().st_mtime_ns == before
    assert (out / "steerability" / "final_layer1.json").exists()
    # "final" names the last snapshot when it holds the final weights
    assert (
        main(["steerability", "--out", str(out), "--snapshots", "--checkpoint", "final", "--layer", "1", "--quiet"])
        == 0
    )
    # gains reuse the trained controller; gain 1 is the controller itself
    assert main(["steerability", "--out", str(out), "--layer", "1", "--gain", "1", "--gain", "3", "--quiet"]) == 0
    g = json.loads((out / "steerability" / "final_layer1_gain1_gain3.json").read_text())
    plain = json.loads((out / "steerability" / "final_layer1.json").read_text())
    assert g["post_steered_gain1_success"] == g["post_steered_success"] == plain["post_steered_success"]
    assert g["post_steered_gain1_pair_start_accuracy"] == plain["post_steered_pair_start_accuracy"]
    assert "post_steered_gain3_pair_start_accuracy" in g
    # a steer.* override is a different controller: its own result and checkpoint, never the plain one's
    assert (
        main(
            [
                "steerability",
                "--out",
                str(out),
                "--layer",
                "1",
                "--set",
                "steer.form=additive",
                "--set",
                "steer.steps=3",
                "--quiet",
            ]
        )
        == 0
    )
    tagged = json.loads((out / "steerability" / "final_layer1_steps-3_form-additive.json").read_text())
    assert tagged["steer"]["form"] == "additive" and tagged["steer"]["steps"] == 3
    assert (out / "steerability" / "final_layer1_steps-3_form-additive_controller").is_dir()
    assert json.loads((out / "steerability" / "final_layer1.json").read_text())["steer"]["form"] == "low_rank"
    assert (
        main(
            [
                "steerability",
                "--out",
                str(out),
                "--layer",
                "1",
                "--set",
                "steer.span=2",
                "--set",
                "steer.steps=3",
                "--quiet",
            ]
        )
        == 0
    )  # layers 1 and 2
    assert (out / "steerability" / "final_layer1_steps-3_span-2.json").exists()
    assert main(["steerability", "--out", str(out), "--layer", "1", "--set", "steer.span=3"]) == 2  # depth 2
    assert "steer.span: 3 layers from" in capsys.readouterr().err
    # --greedy adds argmax evaluations, reusing the controller
    assert main(["steerability", "--out", str(out), "--layer", "1", "--greedy", "--quiet"]) == 0
    gr = json.loads((out / "steerability" / "final_layer1_greedy.json").read_text())
    assert gr["post_steered_success"] == plain["post_steered_success"]
    for key in ("post_steered_greedy_pair_start_accuracy", "pretrain_unsteered_greedy_success"):
        assert key in gr
    assert main(["steerability", "--out", str(out), "--set", "model.width=8"]) == 2
    assert main(["steerability", "--out", str(out), "--layer", "9"]) == 2
    assert main(["steerability", "--out", str(out), "--checkpoint", "step99"]) == 2
    assert main(["steerability", "--out", str(tmp_path / "nothing")]) == 2
    err = capsys.readouterr().err
    assert "steer.*" in err and "--layer 9" in err and "config.yaml not found" in err and "step99" in err


def test_gain_scales_the_low_rank_intervention():
    import torch

    from internal_rl.analysis.steerability import oracle
    from internal_rl.analysis.steering import SubgoalController
    from internal_rl.envs import core

    torch.manual_seed(0)
    ctrl = SubgoalController(16, rank=4, hidden=8)
    torch.nn.init.normal_(ctrl.decoder.out_b.weight)  # a non-zero U
    state = core.reset(np.random.default_rng(0), [POST_TASK] * 3)
    e = torch.randn(3, 1, 16)
    U = ctrl.decoder.matrix(torch.nn.functional.one_hot(torch.zeros(3, 1, dtype=torch.long), 4).float())
    dense = (U @ e.unsqueeze(-1)).squeeze(-1)  # (3, 1, 16) = U e, subgoal A at the start of the post task
    with torch.no_grad():
        torch.testing.assert_close(oracle(ctrl, 2.5)(e, state), e + 2.5 * dense, rtol=1e-5, atol=1e-5)
        torch.testing.assert_close(oracle(ctrl)(e, state), e + dense, rtol=1e-5, atol=1e-5)


def test_probe_labels_match_the_episode_record(tmp_path):
    import torch

    from internal_rl.analysis.probe import quick_probes, step_labels
    from internal_rl.data import EpisodeDataset, generate_dataset
    from internal_rl.envs import pad_tasks
    from internal_rl.models import Transformer, TransformerConfig

    generate_dataset(tmp_path / "d", num_episodes=40, tasks=PRETRAIN_TASKS, seed=1, progress=False)
    ds = EpisodeDataset(tmp_path / "d")
    b = ds.batch(range(40))
    last = step_labels(b, torch.from_numpy(pad_tasks(ds.tasks)[0]), "last_colour")
    for i in range(40):
        ep = ds.episode(i)
        want = [ep["task"][p - 1] if p > 0 else 8 for p in ep["progress"]]  # colour entered last, 8 = none
        assert last[i, : ep["length"]].tolist() == want
        assert step_labels(b, None, "target")[i, : ep["length"]].tolist() == ep["target"].tolist()
    torch.manual_seed(0)
    model = Transformer(TransformerConfig(depth=2, width=16, heads=2, mlp=32, encoder="egocentric"))
    acc = quick_probes(model, ds, torch.device("cpu"), episodes=40, steps=20)
    assert set(acc) == {"subgoal", "target", "last_colour"}
    assert all(len(v) == 3 and all(0.0 <= a <= 1.0 for a in v) for v in acc.values())


def test_stacked_controller_acts_after_each_block_and_steps_equal_the_full_pass():
    """steered_upper with a stacked controller == ê_l, block, ê_{l+1}, ..., computed by hand; one controller ==
    upper(controller(e)); and the cached closed-loop path (oracle.upper, one step at a time) == the full pass."""
    import torch

    from internal_rl.analysis.steerability import oracle
    from internal_rl.analysis.steering import StackedController, SubgoalController, steered_upper
    from internal_rl.envs import core
    from internal_rl.models import Transformer, TransformerConfig

    torch.manual_seed(0)
    model = Transformer(TransformerConfig(depth=3, width=16, heads=2, mlp=32)).double().eval()
    stacked = StackedController(16, 2, rank=4, hidden=8).double()
    for level in stacked.levels:
        torch.nn.init.normal_(level.decoder.out_b.weight)
    obs = torch.randint(0, 637, (2, 5, 13))
    g = torch.randint(0, 4, (2, 5))
    with torch.no_grad():
        e1 = model.lower(obs, 1)
        by_hand = stacked.levels[1](model.between(stacked.levels[0](e1, g), 1, 2), g)
        torch.testing.assert_close(steered_upper(model, stacked, e1, g, 1)[0], model.upper(by_hand, 2)[0])
        one = stacked.levels[0]
        torch.testing.assert_close(steered_upper(model, one, e1, g, 1)[0], model.upper(one(e1, g), 1)[0])
        state = core.reset(np.random.default_rng(0), [POST_TASK] * 2)
        sub = oracle(stacked).subgoal(state, "cpu")  # (2, 1), fixed for the whole sequence below
        cache = model.new_cache(2, 5, dtype=torch.float64)
        steps = [
            oracle(stacked).upper(model, model.lower(obs[:, t : t + 1], 1, cache), state, 1, cache)[0] for t in range(5)
        ]
        full = steered_upper(model, stacked, e1, sub.expand(2, 5), 1)[0]
        torch.testing.assert_close(torch.cat(steps, 1), full, rtol=1e-7, atol=1e-7)
    with pytest.raises(TypeError, match="oracle.upper"):
        oracle(stacked)(e1[:, :1], state)
    with pytest.raises(ValueError, match="span"):
        StackedController(16, 1)
    assert isinstance(SubgoalController(16), torch.nn.Module)


def test_a_controller_checkpoint_made_with_other_settings_is_refused(tmp_path):
    """Controller checkpoints record their shape settings; resuming one with another rank is refused by field."""
    import torch

    from internal_rl.analysis.steerability import fit_controller
    from internal_rl.config import SteerConfig
    from internal_rl.data import EpisodeDataset, generate_dataset
    from internal_rl.models import Transformer, TransformerConfig
    from internal_rl.train.checkpoint import CheckpointMismatch

    generate_dataset(tmp_path / "d", num_episodes=16, tasks=PRETRAIN_TASKS, seed=0, progress=False)
    torch.manual_seed(0)
    base = Transformer(TransformerConfig(depth=2, width=16, heads=2, mlp=32, encoder="egocentric")).eval()
    base.requires_grad_(False)
    data, ckpt = EpisodeDataset(tmp_path / "d"), tmp_path / "controller"
    cfg = SteerConfig(steps=2, batch_size=4, rank=4, hidden=8)
    fit_controller(base, data, layer=1, cfg=cfg, seed=0, checkpoint_dir=ckpt)
    fit_controller(base, data, layer=1, cfg=cfg, seed=0, checkpoint_dir=ckpt)  # the same settings: resumes
    with pytest.raises(CheckpointMismatch, match=r"steer.rank=4 but this run has steer.rank=8"):
        fit_controller(
            base, data, layer=1, cfg=SteerConfig(steps=2, batch_size=4, rank=8, hidden=8), seed=0, checkpoint_dir=ckpt
        )


def test_steering_with_expert_targets_fits_their_distribution(tmp_path):
    """steer.targets: expert (E56): on ε-noisy D* the fit's loss is the cross-entropy against the noiseless expert's
    distribution over valid steps, and the recorded actions' one-hots as targets give the plain loss."""
    import torch
    import torch.nn.functional as F

    from internal_rl.analysis.steering import SteeringTrainer, SubgoalController, steered_upper
    from internal_rl.config import RunConfig, SteerConfig
    from internal_rl.data import EpisodeDataset, generate_dataset
    from internal_rl.models import Transformer, TransformerConfig
    from internal_rl.pipeline.artifacts import expert_targets

    generate_dataset(tmp_path / "d", num_episodes=16, tasks=PRETRAIN_TASKS, epsilon=0.5, seed=0, progress=False)
    torch.manual_seed(0)
    base = Transformer(TransformerConfig(depth=2, width=16, heads=2, mlp=32, encoder="egocentric")).eval()
    base.requires_grad_(False)
    ctrl, data, targets = (
        SubgoalController(16, rank=4, hidden=8),
        EpisodeDataset(tmp_path / "d"),
        expert_targets(RunConfig()),
    )

    def loss(action_targets=None):
        return SteeringTrainer(base, ctrl, data, 1, SteerConfig(batch_size=8), 0, action_targets).loss(batch)[0]

    batch = SteeringTrainer(base, ctrl, data, 1, SteerConfig(batch_size=8), 0).batch(3)
    b, e = batch
    plain, soft = loss(), loss(targets)
    torch.testing.assert_close(loss(lambda x: F.one_hot(x.actions.clamp(min=0), 4).float()), plain)
    with torch.no_grad():
        logits, _ = steered_upper(base, ctrl, e, b.subgoal, 1)
    expected = -(targets(b) * F.log_softmax(logits.float(), -1)).sum(-1)[b.mask].mean()
    torch.testing.assert_close(soft, expected)
    assert abs(float(soft - plain)) > 1e-3  # the ε-moves' recorded actions are not what it fits
