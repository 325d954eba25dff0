"""Every base model meets the Backbone contract (models/base.py). A new backbone is added to BACKBONES."""

import numpy as np
import pytest
import torch

from internal_rl.envs import PRETRAIN_TASKS, core, observations
from internal_rl.models import TransformerConfig, build_base_model
from internal_rl.models.base import Backbone, State

BACKBONES = {
    "transformer": TransformerConfig(depth=3, width=32, heads=4, mlp=64, encoder="egocentric"),
    "hawk": TransformerConfig(kind="hawk", depth=3, width=32, heads=4, mlp=64, encoder="egocentric"),
    # vector observations and continuous actions (ant-pinpad's shapes: 41 floats, 8 torques)
    "transformer-vector": TransformerConfig(
        depth=3, width=32, heads=4, mlp=64, encoder="vector", obs_size=41, action="gaussian", num_actions=8
    ),
    "hawk-vector": TransformerConfig(
        kind="hawk", depth=3, width=32, heads=4, mlp=64, encoder="vector", obs_size=41, action="gaussian", num_actions=8
    ),
}
T = 10


def random_walk_episodes(n: int, steps: int = T, seed: int = 0) -> torch.Tensor:
    """(n, steps, 13) observation indices of random-walk episodes on real layouts."""
    rng = np.random.default_rng(seed)
    s = core.reset(rng, [PRETRAIN_TASKS[i % 16] for i in range(n)], solvable_only=False)
    seq = []
    for _ in range(steps):
        seq.append(torch.from_numpy(observations.obs_indices(s)))
        s, _, _, _ = core.step(s, rng.integers(0, 4, n))
    return torch.stack(seq, 1)


def episodes(model, n, seed=0):
    """Inputs for ``model``: random-walk gridworld observations, or random floats for a vector encoder (the
    contract does not depend on what the floats mean)."""
    if model.cfg.encoder == "vector":
        return torch.randn(n, T, model.cfg.obs_size, generator=torch.Generator().manual_seed(seed), dtype=torch.float64)
    return random_walk_episodes(n, T, seed)


@pytest.fixture(params=sorted(BACKBONES), scope="module")
def model(request):
    torch.manual_seed(0)
    return build_base_model(BACKBONES[request.param]).double().eval()


def test_implements_the_protocol(model):
    assert isinstance(model, Backbone)
    assert isinstance(model.new_cache(2, T, dtype=torch.float64), State)


@torch.no_grad()
def test_split_at_every_layer_and_cached_steps_equal_the_full_forward(model):
    obs = episodes(model, 3)
    full = model(obs, return_residuals=True)
    for layer in range(model.cfg.depth + 1):
        torch.testing.assert_close(model.upper(model.lower(obs, layer), layer)[0], full.action_logits)
        state = model.new_cache(3, T, dtype=torch.float64)
        steps = [model.upper(model.lower(obs[:, t : t + 1], layer, state), layer, state)[0] for t in range(T)]
        torch.testing.assert_close(torch.cat(steps, 1), full.action_logits, rtol=1e-5, atol=1e-5)


@torch.no_grad()
def test_between_composes_the_residual_stream(model):
    """between(e_a, a, b) == e_b for every a <= b, with and without a state (the multi-layer controller's path)."""
    obs = episodes(model, 2)
    res = model(obs, return_residuals=True).residuals
    L = model.cfg.depth
    for a in range(L + 1):
        for b in range(a, L + 1):
            torch.testing.assert_close(model.between(res[a], a, b), res[b])
    state = model.new_cache(2, T, dtype=torch.float64)
    steps = []
    for t in range(T):  # lower to 1, then 1 -> L - 1 in between, then the rest
        e = model.between(model.lower(obs[:, t : t + 1], 1, state), 1, L - 1, state)
        steps.append(model.upper(e, L - 1, state)[0])
    torch.testing.assert_close(torch.cat(steps, 1), model(obs).action_logits, rtol=1e-5, atol=1e-5)


@torch.no_grad()
def test_causality(model):
    obs, other = episodes(model, 2), episodes(model, 2, seed=9)
    changed = torch.cat([obs[:, :6], other[:, 6:]], 1)
    a, b = model(obs).action_logits, model(changed).action_logits
    torch.testing.assert_close(a[:, :6], b[:, :6], rtol=0, atol=0)


@torch.no_grad()
def test_state_select_equals_the_rows_alone(model):
    obs = episodes(model, 4)
    state, alone = model.new_cache(4, T, dtype=torch.float64), model.new_cache(2, T, dtype=torch.float64)
    rows = torch.tensor([0, 3])
    for t in range(4):
        model.step(obs[:, t : t + 1], state)
        model.step(obs[rows, t : t + 1], alone)
    kept = state.select(rows)
    for t in range(4, T):
        torch.testing.assert_close(
            model.step(obs[rows, t : t + 1], kept)[0], model.step(obs[rows, t : t + 1], alone)[0], rtol=1e-9, atol=1e-9
        )
