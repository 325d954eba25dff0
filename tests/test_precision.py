"""bf16 autocast: the pretraining loss and gradients agree with fp32 on a fixed batch; config validation."""

import numpy as np
import pytest
import torch

from internal_rl.config import ConfigError, SteerConfig, load_config
from internal_rl.data import EpisodeDataset, generate_dataset
from internal_rl.envs import PRETRAIN_TASKS
from internal_rl.models import Transformer
from internal_rl.models.pretrain import PretrainArgs, Pretrainer
from internal_rl.train import precision as prec
from internal_rl.train.precision import autocast, resolve_precision

CFG = load_config(
    None, ["model.depth=2", "model.width=64", "model.heads=2", "model.mlp=128", "model.encoder=egocentric"]
)


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    root = tmp_path_factory.mktemp("bf16")
    generate_dataset(root / "d", num_episodes=64, tasks=PRETRAIN_TASKS, seed=3, progress=False)
    return EpisodeDataset(root / "d")


def loss_and_grads(precision, data):
    torch.manual_seed(0)
    model = Transformer(CFG.model)
    trainer = Pretrainer(
        model,
        data,
        data,
        PretrainArgs(batch_size=32, obs_weight=0.01, eval_episodes=8, precision=precision),
        seed=0,
        device=torch.device("cpu"),
    )
    loss, logs = trainer.loss(trainer.batch(0))
    loss.backward()
    return float(loss.detach()), logs, torch.cat([p.grad.flatten() for p in model.parameters() if p.grad is not None])


def test_bf16_autocast_matches_fp32_on_a_fixed_batch(data):
    l32, logs32, g32 = loss_and_grads("fp32", data)
    l16, logs16, g16 = loss_and_grads("bf16", data)
    assert l16 != l32  # the bf16 path really ran in lower precision
    assert abs(l16 - l32) / l32 < 1e-2  # stated tolerance: 1% of the loss
    assert abs(logs16["action_nll"] - logs32["action_nll"]) < 1e-2
    cos = torch.nn.functional.cosine_similarity(g16, g32, dim=0)
    assert cos > 0.99  # gradient direction agrees
    assert np.isclose(g16.norm(), g32.norm(), rtol=0.05)


def test_fp32_precision_is_a_no_op(monkeypatch):
    monkeypatch.setattr(prec, "native_bf16", lambda device_type: True)  # no emulation warning on any CPU
    prec.resolve_precision.cache_clear()
    x = torch.randn(3, 3)
    with autocast(torch.device("cpu"), "fp32"):
        assert (x @ x).dtype == torch.float32
    with autocast(torch.device("cpu"), "bf16"):
        assert (x @ x).dtype == torch.bfloat16
    with pytest.raises(ValueError, match="precision"):
        autocast(torch.device("cpu"), "fp16")


def test_precision_and_snapshot_fields_are_validated():
    assert load_config(None).pretrain.precision == "fp32"
    with pytest.raises(ConfigError, match="pretrain.precision"):
        load_config(None, ["pretrain.precision=fp16"])
    with pytest.raises(ConfigError, match="pretrain.snapshot_every"):
        load_config(None, ["pretrain.snapshot_every=-1"])


def test_bf16_steering_loss_matches_fp32(data):
    from internal_rl.analysis.steering import SteeringTrainer, SubgoalController

    torch.manual_seed(0)
    base = Transformer(CFG.model).eval().requires_grad_(False)
    out = {}
    for precision in ("fp32", "bf16"):
        torch.manual_seed(1)
        ctrl = SubgoalController(CFG.model.width, rank=4, hidden=8)
        torch.nn.init.normal_(ctrl.decoder.out_b.weight, std=0.05)  # a non-identity controller
        trainer = SteeringTrainer(base, ctrl, data, 2, SteerConfig(batch_size=16, precision=precision), 0)
        loss, _ = trainer.loss(trainer.batch(0))
        loss.backward()
        out[precision] = (float(loss.detach()), ctrl.decoder.out_b.weight.grad.flatten())
    (l32, g32), (l16, g16) = out["fp32"], out["bf16"]
    assert l16 != l32 and abs(l16 - l32) / l32 < 1e-2
    assert torch.nn.functional.cosine_similarity(g16, g32, dim=0) > 0.98


def test_steer_precision_is_validated():
    with pytest.raises(ConfigError, match="steer.precision"):
        load_config(None, ["steer.precision=half"])


def test_start_weight_is_a_weighted_mean_of_the_step_losses(data):
    """steer.start_weight w: the loss is the mean of the step NLLs with weight w on each subgoal's first 3 steps;
    the logged action_nll stays the unweighted mean."""
    from internal_rl.analysis.steering import SteeringTrainer, SubgoalController, steered_upper
    from internal_rl.data.segments import subgoal_starts

    torch.manual_seed(0)
    base = Transformer(CFG.model).eval().requires_grad_(False)
    ctrl = SubgoalController(CFG.model.width, rank=4, hidden=8)
    plain = SteeringTrainer(base, ctrl, data, 2, SteerConfig(batch_size=16), 0)
    weighted = SteeringTrainer(base, ctrl, data, 2, SteerConfig(batch_size=16, start_weight=5.0), 0)
    batch = plain.batch(0)
    (l1, logs1), (l5, logs5) = plain.loss(batch), weighted.loss(batch)
    b, e = batch
    nll = base.action_dist(steered_upper(base, ctrl, e, b.subgoal, 2)[0]).nll(b.actions)
    w = b.mask * torch.where(subgoal_starts(b.subgoal, 3), 5.0, 1.0)
    torch.testing.assert_close(l5, (nll * w).sum() / w.sum())
    assert logs1["action_nll"] == logs5["action_nll"] and float(l5.detach()) != float(l1.detach())


@pytest.mark.parametrize("native", [True, False])
def test_auto_precision_is_bf16_only_where_native(monkeypatch, native):
    monkeypatch.setattr(prec, "native_bf16", lambda device_type: native)
    prec.resolve_precision.cache_clear()
    assert resolve_precision("cpu", "auto") == ("bf16" if native else "fp32")
    assert resolve_precision("cpu", "fp32") == "fp32"
    x = torch.randn(3, 3)
    with autocast(torch.device("cpu"), "auto"):
        assert (x @ x).dtype == (torch.bfloat16 if native else torch.float32)
    prec.resolve_precision.cache_clear()


def test_explicit_bf16_without_native_support_warns_and_is_honoured(monkeypatch):
    monkeypatch.setattr(prec, "native_bf16", lambda device_type: False)
    prec.resolve_precision.cache_clear()
    with pytest.warns(RuntimeWarning, match="no native bf16"):
        assert resolve_precision("cpu", "bf16") == "bf16"
    prec.resolve_precision.cache_clear()


def test_bf16_discovery_loss_matches_fp32(data):
    """discover.precision: the Eq. 3 loss (NLL through the frozen upper blocks + α KL) under bf16 autocast agrees
    with fp32 on a fixed batch, and so does the metacontroller's gradient."""
    from internal_rl.metacontroller import Metacontroller
    from internal_rl.metacontroller.train import DiscoveryTrainer
    from internal_rl.pipeline.artifacts import metacontroller_config

    torch.manual_seed(0)
    base = Transformer(CFG.model).eval().requires_grad_(False)
    out = {}
    for precision in ("fp32", "bf16"):
        torch.manual_seed(1)
        mc = Metacontroller(metacontroller_config(CFG, "learned", 0.1))
        trainer = DiscoveryTrainer(
            base, mc, data, layer=1, batch_size=16, seed=0, device=torch.device("cpu"), precision=precision
        )
        loss, logs = trainer.loss(trainer.batch(0))
        assert loss.dtype == torch.float32
        loss.backward()
        out[precision] = (float(loss.detach()), logs, torch.cat([p.grad.flatten() for p in mc.parameters()]))
    (l32, logs32, g32), (l16, logs16, g16) = out["fp32"], out["bf16"]
    assert l16 != l32 and abs(l16 - l32) / l32 < 1e-2  # stated tolerance: 1% of the loss
    assert abs(logs16["kl"] - logs32["kl"]) < 1e-2 * max(logs32["kl"], 1.0)
    assert torch.nn.functional.cosine_similarity(g16, g32, dim=0) > 0.98


def test_discover_precision_is_validated():
    assert load_config(None).discover.precision == "fp32"
    with pytest.raises(ConfigError, match="discover.precision"):
        load_config(None, ["discover.precision=fp16"])


def test_cpu_attention_runs_in_fp32_under_bf16_autocast(monkeypatch):
    """CPU flash attention is slower in bf16 than fp32 (E32), so under CPU bf16 autocast the attention's inputs stay
    fp32 while the projections around it run in bf16; the output is unchanged within bf16's tolerance."""
    import internal_rl.models.transformer as tm

    seen = []
    sdpa = tm.F.scaled_dot_product_attention

    def spy(q, k, v, attn_mask=None):
        seen.append((q.dtype, attn_mask.dtype))
        return sdpa(q, k, v, attn_mask=attn_mask)

    monkeypatch.setattr(tm.F, "scaled_dot_product_attention", spy)
    torch.manual_seed(0)
    attn = tm.CausalSelfAttention(CFG.model)
    x = torch.randn(2, 7, CFG.model.width)
    with torch.autocast("cpu", dtype=torch.bfloat16):
        y16 = attn(x)
    y32 = attn(x)
    assert seen == [(torch.float32, torch.float32)] * 2
    torch.testing.assert_close(y16.float(), y32, atol=3e-2, rtol=3e-2)
