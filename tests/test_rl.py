"""Internal RL: batched internal env == step-by-step reference; policy acts only at switches; PPO formula."""

import numpy as np
import pytest
import torch

from internal_rl.envs import POST_TASK, GridParams, reset
from internal_rl.metacontroller import Metacontroller, MetacontrollerConfig
from internal_rl.models import Transformer, TransformerConfig
from internal_rl.rl.internal_env import Noise, reference_rollout, rollout_internal, sample_categorical
from internal_rl.rl.policy import RecurrentGaussianPolicy
from internal_rl.rl.ppo import ppo_clip_loss, trajectory_advantages
from internal_rl.rl.raw import raw_log_prob, rollout_raw

PARAMS = GridParams(max_steps=40)


def _setup(seed: int = 0, switching: str = "learned", bias: float = 0.0):
    torch.manual_seed(seed)
    base = Transformer(TransformerConfig(depth=2, width=32, heads=2, mlp=32, encoder="egocentric")).double()
    mc = Metacontroller(MetacontrollerConfig(width=32, latent_dim=4, history_dim=8, embed_dim=8, encoder_hidden=16,
                                             switch_hidden=16, decoder_hidden=8, rank=4, switching=switching))
    mc = mc.double()
    for p in mc.parameters():  # random, non-trivial switching unit and decoder
        torch.nn.init.normal_(p, std=0.5)
    if mc.switch is not None and bias:
        last = [m for m in mc.switch.modules() if isinstance(m, torch.nn.Linear)][-1]
        torch.nn.init.constant_(last.bias, bias)
    policy = RecurrentGaussianPolicy(32, 4, hidden=16).double()
    for p in policy.parameters():
        torch.nn.init.normal_(p, std=0.3)
    return base.eval(), mc.eval(), policy


def _double_noise(noise: Noise) -> Noise:
    return Noise(noise.action_u.double(), noise.z_eps.double())


def test_batched_internal_env_equals_step_by_step_reference():
    base, mc, policy = _setup()
    state = reset(np.random.default_rng(0), POST_TASK, PARAMS, num_envs=4, solvable_only=False)
    noise = _double_noise(Noise.draw(4, PARAMS.max_steps, 4, torch.Generator().manual_seed(1)))
    # the rollout writes codes into float32 buffers; compare in the model's dtype via a float64 reference
    batched = rollout_internal(base, mc, policy, layer=1, state=state, noise=noise, device=torch.device("cpu"))
    boundaries = set()
    for i in range(4):
        ref = reference_rollout(base, mc, policy, layer=1, state=state, noise=noise, env_index=i,
                                device=torch.device("cpu"))
        n = len(ref["raw_actions"])
        assert batched.raw_actions[i, :n].tolist() == ref["raw_actions"]
        assert (batched.raw_actions[i, n:] == -1).all()
        assert batched.switch_times[i] == ref["switch_times"]
        k = len(ref["switch_times"])
        assert batched.step_reward[i, :k].tolist() == pytest.approx(ref["step_rewards"])
        assert batched.mask[i].sum() == k
        for j, z in enumerate(ref["z"]):
            assert torch.allclose(batched.z[i, j].double(), z, atol=1e-5)
        boundaries.add(tuple(ref["switch_times"]))
    assert len(boundaries) > 1, "environments should have different abstract-step boundaries"


def test_policy_acts_only_at_switch_steps_and_holds_z_in_between():
    state = reset(np.random.default_rng(3), POST_TASK, PARAMS, num_envs=6, solvable_only=False)
    noise = _double_noise(Noise.draw(6, PARAMS.max_steps, 4, torch.Generator().manual_seed(2)))
    # a switch unit that never fires: the policy acts once, at t = 1 (β_1 ≡ 1), and z is held after that
    base, mc, policy = _setup(bias=-50.0)
    out = rollout_internal(base, mc, policy, layer=1, state=state, noise=noise, device=torch.device("cpu"))
    for i in range(6):
        assert out.switch_times[i] == [0]
        assert int(out.mask[i].sum()) == 1
    # a switch unit that always fires: the policy acts at every raw step
    base, mc, policy = _setup(bias=50.0)
    out = rollout_internal(base, mc, policy, layer=1, state=state, noise=noise, device=torch.device("cpu"))
    for i in range(6):
        assert out.switch_times[i] == list(range(out.lengths[i]))
    # β ≡ 1: every raw step is an abstract step
    base, mc1, policy = _setup(switching="always")
    out1 = rollout_internal(base, mc1, policy, layer=1, state=state, noise=noise, device=torch.device("cpu"))
    for i in range(6):
        assert out1.switch_times[i] == list(range(out1.lengths[i]))


def test_policy_log_prob_recomputation_matches_rollout():
    base, mc, policy = _setup()
    policy = policy.float()
    state = reset(np.random.default_rng(5), POST_TASK, PARAMS, num_envs=3, solvable_only=False)
    noise = Noise.draw(3, PARAMS.max_steps, 4, torch.Generator().manual_seed(4))
    out = rollout_internal(base.float(), mc.float(), policy, layer=1, state=state, noise=noise,
                           device=torch.device("cpu"))
    logp = policy.log_prob(out.e, out.z, out.mask)
    assert torch.allclose(logp[out.mask], out.logp[out.mask], atol=1e-4)


def test_raw_rollout_log_prob_matches_full_forward():
    base, _, _ = _setup()
    base = base.float()
    state = reset(np.random.default_rng(6), POST_TASK, PARAMS, num_envs=3, solvable_only=False)
    noise = Noise.draw(3, PARAMS.max_steps, 1, torch.Generator().manual_seed(4))
    out = rollout_raw(base, state=state, noise=noise, device=torch.device("cpu"))
    with torch.no_grad():
        logp = raw_log_prob(base, out.obs_idx, out.actions, out.mask)
    assert torch.allclose(logp, out.logp, atol=1e-5)


def test_sample_categorical_inverse_cdf():
    logits = torch.log(torch.tensor([[0.1, 0.2, 0.3, 0.4]] * 4))
    u = torch.tensor([0.05, 0.25, 0.55, 0.95])
    assert sample_categorical(logits, u).tolist() == [0, 1, 2, 3]


def test_trajectory_advantages_formula():
    r = torch.tensor([1.0, 0.0, 0.0, 1.0, 1.0])
    expected = (r - r.mean()) / (r.std(unbiased=False) + 1e-3)
    assert torch.allclose(trajectory_advantages(r), expected)


def test_ppo_clip_loss_equals_hand_computed_formula():
    old = torch.log(torch.tensor([[0.5, 0.5, 0.5], [0.2, 0.2, 0.2]]))
    new = torch.log(torch.tensor([[0.8, 0.5, 0.45], [0.1, 0.3, 0.2]]))
    mask = torch.tensor([[True, True, True], [True, True, False]])
    adv = torch.tensor([1.0, -2.0])
    loss, stats = ppo_clip_loss(new, old, adv, mask, clip=0.2)
    # by hand: ratios row 0: 1.6 -> clipped 1.2 (adv > 0), 1.0, 0.9; row 1: 0.5 -> min(-1.0, 0.8 * -2 = -1.6) = -1.6,
    # 1.5 -> min(-3.0, 1.2 * -2 = -2.4) = -3.0; the masked third step does not count
    terms = [1.2 * 1, 1.0 * 1, 0.9 * 1, -1.6, -3.0]
    assert loss.item() == pytest.approx(-sum(terms) / 5, rel=1e-5)
    assert stats["clip_fraction"] == pytest.approx(3 / 5)
