"""Action distributions (models/actions.py): each against torch.distributions, the noise contracts, the heads,
and a Gaussian-headed backbone."""

from __future__ import annotations

import math

import pytest
import torch

from internal_rl.models import TransformerConfig, build_base_model
from internal_rl.models.actions import (
    LOG_STD_MAX,
    ActionDist,
    Categorical,
    CategoricalHead,
    Gaussian,
    GaussianHead,
    action_head,
)


def test_categorical_matches_torch():
    torch.manual_seed(0)
    logits = torch.randn(3, 5, 4, dtype=torch.float64)
    a = torch.randint(0, 4, (3, 5))
    d = Categorical(logits)
    ref = torch.distributions.Categorical(logits=logits)
    torch.testing.assert_close(d.log_prob(a), ref.log_prob(a))
    torch.testing.assert_close(d.nll(a), -ref.log_prob(a))
    assert d.nll(a).dtype == torch.float64 and d.discrete and isinstance(d, ActionDist)
    assert torch.equal(d.mode(), logits.argmax(-1))


def test_categorical_nll_is_fp32_from_bf16_logits():
    logits = torch.randn(2, 3, 4)
    a = torch.randint(0, 4, (2, 3))
    got = Categorical(logits.bfloat16()).nll(a)
    assert got.dtype == torch.float32
    torch.testing.assert_close(got, Categorical(logits.bfloat16().float()).nll(a))


def test_categorical_inverse_cdf_and_sampling():
    logits = torch.log(torch.tensor([0.1, 0.2, 0.3, 0.4])).expand(6, 4)
    u = torch.tensor([0.0, 0.0999, 0.1001, 0.5, 0.61, 0.9999])
    assert Categorical(logits).sample_from(u).tolist() == [0, 0, 1, 2, 3, 3]
    big = torch.log(torch.tensor([0.1, 0.2, 0.3, 0.4])).expand(40_000, 4)
    draws = Categorical(big).sample(torch.Generator().manual_seed(0))
    freq = torch.bincount(draws, minlength=4).double() / len(draws)
    torch.testing.assert_close(freq, torch.tensor([0.1, 0.2, 0.3, 0.4], dtype=torch.float64), atol=0.01, rtol=0)
    again = Categorical(big).sample(torch.Generator().manual_seed(0))
    assert torch.equal(draws, again)


def test_gaussian_matches_torch_and_reparameterises():
    torch.manual_seed(0)
    mean = torch.randn(3, 5, 8, dtype=torch.float64)
    log_std = torch.randn(8, dtype=torch.float64) * 0.3
    a = torch.randn(3, 5, 8, dtype=torch.float64)
    d = Gaussian(mean, log_std)
    ref = torch.distributions.Normal(mean, log_std.exp())
    torch.testing.assert_close(d.log_prob(a), ref.log_prob(a).sum(-1))
    assert Gaussian(mean.bfloat16(), log_std).nll(a).dtype == torch.float32
    assert not d.discrete and isinstance(d, ActionDist)
    eps = torch.randn(3, 5, 8)
    torch.testing.assert_close(d.sample_from(eps), mean + log_std.exp() * eps.double())
    draws = Gaussian(torch.zeros(50_000, 2), torch.log(torch.tensor([0.5, 2.0]))).sample(
        torch.Generator().manual_seed(0)
    )
    torch.testing.assert_close(draws.std(0), torch.tensor([0.5, 2.0], dtype=torch.float64), rtol=0.02, atol=0)


def test_gaussian_head_learns_mean_and_std():
    """Fit a ~ N(W x, diag(σ²)) by NLL: the head recovers W and the state-independent σ."""
    torch.manual_seed(0)
    head = GaussianHead(6, 3)
    W = torch.randn(6, 3)
    sigma = torch.tensor([0.2, 0.5, 1.0])
    opt = torch.optim.Adam(head.parameters(), lr=2e-2)
    for _ in range(800):
        x = torch.randn(256, 6)
        a = x @ W + sigma * torch.randn(256, 3)
        loss = head.dist(head(x)).nll(a).mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
    torch.testing.assert_close(head.log_std.exp().detach(), sigma, rtol=0.1, atol=0)
    torch.testing.assert_close(head.mean.weight.detach().T, W, rtol=0, atol=0.05)


def test_gaussian_head_packs_and_clamps():
    head = GaussianHead(4, 2, init_log_std=10.0)
    params = head(torch.randn(5, 7, 4))
    assert params.shape == (5, 7, 4)
    d = head.dist(params)
    assert d.mean.shape == (5, 7, 2) and torch.all(d.log_std == LOG_STD_MAX)
    assert head.weight is head.mean.weight


def test_categorical_head_is_a_plain_linear():
    head = action_head("categorical", 8, 4)
    assert isinstance(head, CategoricalHead) and isinstance(head, torch.nn.Linear)
    assert set(head.state_dict()) == {"weight", "bias"}
    with pytest.raises(ValueError, match="model.action"):
        action_head("beta", 8, 4)


@pytest.mark.parametrize("kind", ["transformer", "hawk"])
def test_backbone_with_a_gaussian_head(kind):
    """model.action=gaussian: the heads give (B, T, 2A) and action_dist a Gaussian whose log_prob is causal and
    finite; the categorical default keeps the plain logits and their Categorical."""
    cfg = TransformerConfig(kind=kind, depth=2, width=16, heads=2, mlp=32, num_actions=8, action="gaussian")
    model = build_base_model(cfg)
    obs = torch.randint(0, 637, (2, 5, 13))
    params = model(obs, with_obs=False).action_logits
    assert params.shape == (2, 5, 16)
    d = model.action_dist(params)
    assert isinstance(d, Gaussian)
    lp = d.log_prob(torch.zeros(2, 5, 8))
    assert lp.shape == (2, 5) and torch.isfinite(lp).all()
    torch.testing.assert_close(d.log_std[0, 0], torch.zeros(8))  # log std starts at 0
    assert model.device == torch.device("cpu") and model.dtype == torch.float32
    cat = build_base_model(TransformerConfig(kind=kind, depth=2, width=16, heads=2, mlp=32))
    assert isinstance(cat.action_dist(cat(obs, with_obs=False).action_logits), Categorical)


def test_unknown_action_kind_is_refused():
    with pytest.raises(ValueError, match="action"):
        TransformerConfig(action="beta")


def test_categorical_log_prob_of_uniform_logits():
    d = Categorical(torch.zeros(3, 4))
    torch.testing.assert_close(d.log_prob(torch.tensor([0, 1, 3])), torch.full((3,), -math.log(4)))
