"""Hawk (recurrent) base model: the residual-stream interface and its equivalences, as for the transformer."""

import pytest
import torch

from internal_rl.config import ConfigError, load_config
from internal_rl.envs import PRETRAIN_TASKS
from internal_rl.models import Hawk, TransformerConfig, build_base_model, linear_scan, linear_scan_loop
from test_backbone_conformance import random_walk_episodes

CFG = TransformerConfig(kind="hawk", depth=3, width=32, heads=4, mlp=64, encoder="egocentric", lru_width=48)


def episodes(n=3, steps=12, seed=0) -> torch.Tensor:
    """(n, steps, 13) observation indices of random-walk episodes on real layouts."""
    return random_walk_episodes(n, steps, seed)


@pytest.fixture(scope="module")
def model():
    torch.manual_seed(0)
    return Hawk(CFG).double().eval()


def test_parallel_scan_equals_the_step_loop():
    torch.manual_seed(0)
    for T in (1, 2, 7, 64, 100):
        a, b, h0 = (
            torch.rand(4, T, 6, dtype=torch.float64),
            torch.randn(4, T, 6, dtype=torch.float64),
            torch.randn(4, 6, dtype=torch.float64),
        )
        torch.testing.assert_close(linear_scan(a, b, h0), linear_scan_loop(a, b, h0), rtol=1e-12, atol=1e-12)
        torch.testing.assert_close(linear_scan(a, b), linear_scan_loop(a, b), rtol=1e-12, atol=1e-12)


def test_parallel_scan_has_the_step_loop_gradients():
    """The GPU path trains too: its backward pass equals the loop's (an in-place scan once failed here)."""
    torch.manual_seed(0)
    inputs = [torch.rand(3, 37, 5), torch.randn(3, 37, 5), torch.randn(3, 5)]  # a, b, h0
    weight = torch.randn(3, 37, 5, dtype=torch.float64)
    grads = []
    for scan in (linear_scan, linear_scan_loop):
        a, b, h0 = (x.double().requires_grad_() for x in inputs)
        (scan(a, b, h0) * weight).sum().backward()
        grads.append((a.grad, b.grad, h0.grad))
    for g_scan, g_loop in zip(*grads, strict=True):
        torch.testing.assert_close(g_scan, g_loop, rtol=1e-10, atol=1e-12)


@torch.no_grad()
def test_cached_steps_equal_the_full_forward(model):
    obs = episodes()
    full = model(obs)
    state = model.new_cache(3, 12, dtype=torch.float64)
    logits, obs_logits = zip(*(model.step(obs[:, t : t + 1], state) for t in range(12)), strict=True)
    torch.testing.assert_close(torch.cat(logits, 1), full.action_logits, rtol=1e-5, atol=1e-5)
    torch.testing.assert_close(torch.cat(obs_logits, 1), full.obs_logits, rtol=1e-5, atol=1e-5)
    # chunks of several steps continue the state too (the scan path with an initial state)
    state = model.new_cache(3, 12, dtype=torch.float64)
    chunks = [model.step(obs[:, a:b], state)[0] for a, b in ((0, 5), (5, 6), (6, 12))]
    torch.testing.assert_close(torch.cat(chunks, 1), full.action_logits, rtol=1e-5, atol=1e-5)


@torch.no_grad()
def test_split_at_every_layer_equals_the_full_forward(model):
    obs = episodes()
    full = model(obs, return_residuals=True)
    for layer in range(CFG.depth + 1):
        e = model.lower(obs, layer)
        torch.testing.assert_close(e, full.residuals[layer], rtol=1e-6, atol=1e-6)
        torch.testing.assert_close(model.upper(e, layer)[0], full.action_logits, rtol=1e-6, atol=1e-6)
        state = model.new_cache(3, 12, dtype=torch.float64)  # split and cached, one step at a time
        steps = [model.upper(model.lower(obs[:, t : t + 1], layer, state), layer, state)[0] for t in range(12)]
        torch.testing.assert_close(torch.cat(steps, 1), full.action_logits, rtol=1e-5, atol=1e-5)


@torch.no_grad()
def test_causality(model):
    obs = episodes()
    changed = obs.clone()
    changed[:, 7:] = episodes(seed=5)[:, 7:]
    a, b = model(obs, return_residuals=True), model(changed, return_residuals=True)
    for ra, rb in zip(a.residuals, b.residuals, strict=True):
        torch.testing.assert_close(ra[:, :7], rb[:, :7], rtol=0, atol=0)
    assert not torch.allclose(a.action_logits[:, 7:], b.action_logits[:, 7:])


@torch.no_grad()
def test_state_select_equals_running_the_rows_alone(model):
    obs = episodes(n=4)
    state = model.new_cache(4, 12, dtype=torch.float64)
    for t in range(5):
        model.step(obs[:, t : t + 1], state)
    rows = torch.tensor([True, False, True, False])
    kept = state.select(rows)
    alone = model.new_cache(2, 12, dtype=torch.float64)
    for t in range(5):
        model.step(obs[rows, t : t + 1], alone)
    for t in range(5, 12):
        torch.testing.assert_close(
            model.step(obs[rows, t : t + 1], kept)[0], model.step(obs[rows, t : t + 1], alone)[0], rtol=1e-9, atol=1e-9
        )


def test_bf16_autocast_agrees_with_fp32():
    torch.manual_seed(0)
    m = Hawk(CFG).eval()
    obs = episodes()
    with torch.no_grad():
        ref = torch.log_softmax(m(obs).action_logits, -1)
        with torch.autocast("cpu", dtype=torch.bfloat16):
            low = torch.log_softmax(m(obs).action_logits.float(), -1)
    assert (low - ref).abs().max() < 0.05  # stated tolerance: 0.05 nats on the action log-probabilities


def test_a_tiny_hawk_learns_a_fixed_layout_set(tmp_path):
    from internal_rl.data import EpisodeDataset, generate_dataset
    from internal_rl.models.pretrain import PretrainArgs, Pretrainer

    generate_dataset(tmp_path / "d", num_episodes=32, tasks=PRETRAIN_TASKS[:2], seed=0, progress=False)
    ds = EpisodeDataset(tmp_path / "d")
    torch.manual_seed(0)
    m = build_base_model(TransformerConfig(kind="hawk", depth=2, width=32, heads=4, mlp=64, encoder="egocentric"))
    trainer = Pretrainer(
        m, ds, ds, PretrainArgs(batch_size=32, obs_weight=0.0, eval_episodes=32), seed=0, device=torch.device("cpu")
    )
    opt = torch.optim.Adam(m.parameters(), lr=3e-3)
    first = None
    for step in range(150):
        loss, logs = trainer.loss(trainer.batch(step))
        first = first or logs["action_nll"]
        opt.zero_grad()
        loss.backward()
        opt.step()
    assert logs["action_nll"] < 0.6 * first  # 32 memorisable episodes: the NLL falls well below its start


def test_config_errors_name_the_field():
    with pytest.raises(ConfigError, match="model.kind"):
        load_config(None, ["model.kind=lstm"])
    with pytest.raises(ConfigError, match="model.lru_width"):
        load_config(None, ["model.kind=hawk", "model.lru_width=30"])  # heads 4


def test_the_whole_pipeline_runs_on_hawk(tmp_path):
    import json
    from pathlib import Path

    from internal_rl.cli import main

    smoke = str(Path(__file__).resolve().parents[1] / "configs" / "smoke.yaml")
    out = tmp_path / "X"
    assert main(["run", "--config", smoke, "--out", str(out), "--quiet", "--set", "model.kind=hawk"]) == 0
    for stage in ("pretrain", "probe", "steer", "discover", "rl", "report"):
        assert (out / stage / "metrics.json").exists(), stage
    meta = json.loads((out / "pretrain" / "checkpoint" / "meta.json").read_text())
    assert meta["model"]["kind"] == "hawk"


def test_a_checkpoint_of_the_other_kind_is_refused(tmp_path):
    from internal_rl.pipeline.artifacts import CheckpointMismatch, load_backbone
    from internal_rl.train import save_checkpoint

    cfg = load_config(None, ["model.depth=2", "model.width=32", "model.heads=4", "model.mlp=64"])
    model = build_base_model(cfg.model)
    from internal_rl.config import to_dict

    save_checkpoint(tmp_path / "ck", {"model": model}, {"step": 1}, meta={"model": to_dict(cfg.model)})
    hawk = load_config(None, ["model.depth=2", "model.width=32", "model.heads=4", "model.mlp=64", "model.kind=hawk"])
    with pytest.raises(CheckpointMismatch, match="holds a transformer model, but this run's model.kind is hawk"):
        load_backbone(hawk, tmp_path / "ck", "cpu")
    save_checkpoint(tmp_path / "old", {"model": model}, {"step": 1})  # no recorded model section
    with pytest.raises(CheckpointMismatch, match="does not fit"):
        load_backbone(hawk, tmp_path / "old", "cpu")
    assert load_backbone(cfg, tmp_path / "ck", "cpu")[1] == {"model": to_dict(cfg.model)}
