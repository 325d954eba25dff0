"""PPO of Eq. 10: trajectory advantages and the clipped loss against hand computations, gradients included;
the recurrent Gaussian policy's density and initialisation; one PPO update improves a hand-made objective."""

from __future__ import annotations

import math

import pytest
import torch

from internal_rl.rl import PPOArgs, RecurrentGaussianPolicy, ppo_clip_loss, ppo_update, trajectory_advantages

torch.set_num_threads(1)


def test_trajectory_advantages_formula():
    returns = torch.tensor([1.0, 0.0, 0.0, 0.0])
    std = math.sqrt(0.25 * 0.75)  # population std of {1, 0, 0, 0}
    expected = torch.tensor([0.75, -0.25, -0.25, -0.25]) / (std + 1e-3)
    torch.testing.assert_close(trajectory_advantages(returns), expected)
    torch.testing.assert_close(trajectory_advantages(torch.full((5,), 1.0)), torch.zeros(5))  # no signal
    with pytest.raises(ValueError, match="Eq. 10"):
        trajectory_advantages(torch.zeros(2, 3))


def test_ppo_clip_loss_equals_hand_computation_on_both_sides():
    ratio = torch.tensor([1.5, 0.5, 1.1, 0.7, 1.3], dtype=torch.float64)
    adv = torch.tensor([1.0, 1.0, -2.0, -1.0, -1.0], dtype=torch.float64)
    old = torch.tensor([-1.0, -2.0, -0.5, -3.0, -0.1], dtype=torch.float64)
    new = (old + ratio.log()).requires_grad_()
    loss, info = ppo_clip_loss(new, old, adv, clip=0.2)
    # per step min(ρA, clip(ρ)A):
    #   ρ=1.5, A=+1 -> 1.2 (clipped above)     ρ=0.5, A=+1 -> 0.5 (pessimistic, unclipped)
    #   ρ=1.1, A=-2 -> -2.2 (inside)            ρ=0.7, A=-1 -> -0.8 (clipped below)
    #   ρ=1.3, A=-1 -> -1.3 (pessimistic, unclipped)
    assert float(loss.detach()) == pytest.approx(-(1.2 + 0.5 - 2.2 - 0.8 - 1.3) / 5)
    assert info["clip_fraction"] == pytest.approx(4 / 5)
    assert info["approx_kl"] == pytest.approx(float((ratio - 1 - ratio.log()).mean()))
    loss.backward()
    # d loss / d log π_new = -ρ A / M where the unclipped term is the minimum, 0 where the clipped one is
    expected = torch.tensor([0.0, -0.5, 2.2, 0.0, 1.3], dtype=torch.float64) / 5
    torch.testing.assert_close(new.grad, expected)


def test_ppo_clip_loss_at_ratio_one_is_policy_gradient():
    old = torch.randn(7)
    adv = torch.randn(7)
    loss, info = ppo_clip_loss(old.clone(), old, adv)
    assert float(loss) == pytest.approx(-float(adv.mean()), abs=1e-6)
    assert info == {"approx_kl": 0.0, "clip_fraction": 0.0}


def test_ppo_clip_loss_shape_checks():
    with pytest.raises(ValueError, match="Eq. 10"):
        ppo_clip_loss(torch.zeros(3), torch.zeros(3), torch.zeros(2))
    with pytest.raises(ValueError, match="Eq. 10"):
        ppo_clip_loss(torch.zeros(2, 3), torch.zeros(2, 3), torch.zeros(2, 3))
    with pytest.raises(ValueError, match="M = 0"):
        ppo_clip_loss(torch.zeros(0), torch.zeros(0), torch.zeros(0))


def test_policy_starts_at_the_prior_and_its_density_is_gaussian():
    torch.manual_seed(0)
    policy = RecurrentGaussianPolicy(width=6, latent_dim=3, hidden=5)
    e = torch.randn(4, 6)
    gen = torch.Generator().manual_seed(1)
    z, logp, state = policy.act(e, policy.initial_state(4), generator=gen)
    assert state.shape == (4, 5)
    torch.testing.assert_close(z, torch.randn(4, 3, generator=torch.Generator().manual_seed(1)))  # μ=0, σ=1
    prior = torch.distributions.Normal(torch.zeros(3), torch.ones(3))
    torch.testing.assert_close(logp, prior.log_prob(z).sum(-1))
    with torch.no_grad():
        policy.log_std.fill_(-1.0)
        policy.mean.bias.copy_(torch.tensor([0.5, -1.0, 2.0]))
    z2, logp2, _ = policy.act(e, policy.initial_state(4), noise=torch.ones(4, 3))
    torch.testing.assert_close(z2, (torch.tensor([0.5, -1.0, 2.0]) + math.exp(-1.0)).expand(4, 3))
    dist = torch.distributions.Normal(torch.tensor([0.5, -1.0, 2.0]), torch.full((3,), math.exp(-1.0)))
    torch.testing.assert_close(logp2, dist.log_prob(z2).sum(-1))


class _Bandit:
    """A hand-made batch: 'trajectories' of one step whose action x was drawn from N(θ, 1); return = x > 0."""

    def __init__(self, n: int, theta: float, seed: int):
        self.x = theta + torch.randn(n, 1, generator=torch.Generator().manual_seed(seed))
        self.returns = (self.x[:, 0] > 0).float()
        self.logp = torch.distributions.Normal(theta, 1.0).log_prob(self.x)
        self.mask = torch.ones(n, 1, dtype=torch.bool)
        self.success = self.returns.bool()

    def select(self, idx):
        out = object.__new__(_Bandit)
        out.x, out.returns, out.logp, out.mask = self.x[idx], self.returns[idx], self.logp[idx], self.mask[idx]
        return out


def test_ppo_update_moves_the_policy_towards_high_return():
    theta = torch.nn.Parameter(torch.tensor(-0.5))
    batch = _Bandit(256, -0.5, seed=0)
    opt = torch.optim.SGD([theta], lr=0.5)
    args = PPOArgs(epochs=3, minibatches=4, clip=0.2, max_grad_norm=0.0)
    stats = ppo_update(
        batch,
        lambda mb: torch.distributions.Normal(theta, 1.0).log_prob(mb.x),
        opt,
        [theta],
        args,
        torch.Generator().manual_seed(0),
    )
    assert float(theta.detach()) > 0.0  # pushed from -0.5 towards x > 0
    assert stats["approx_kl"] > 0 and 0 <= stats["clip_fraction"] <= 1
