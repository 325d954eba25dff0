"""rl/ceiling.py: internal RL's start (prior codes) and ceiling (per-subgoal centroid codes) on a metacontroller."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import torch

from internal_rl.envs import GridParams
from internal_rl.metacontroller import Metacontroller, MetacontrollerConfig
from internal_rl.models import Transformer, TransformerConfig
from internal_rl.rl import InternalEnv
from internal_rl.rl.ceiling import centroids_of, oracle_chooser, prior_chooser, run_chooser, uniform_chooser
from internal_rl.worlds import GridWorld

PARAMS = GridParams(size=4, num_colors=2, num_walls=1, max_steps=24)
WORLD = GridWorld(PARAMS, solvable_only=False)
D, Z, LAYER = 16, 3, 1


def test_centroids_are_the_label_means_and_score_separated_codes_perfectly():
    gen = torch.Generator().manual_seed(0)
    means = torch.tensor([[5.0, 0, 0], [0, 5.0, 0], [0, 0, 0], [0, 0, -5.0]])  # label 2 absent below
    labels = torch.tensor([0, 0, 1, 1, 1, 3, 3])
    z = means[labels] + 0.1 * torch.randn(len(labels), 3, generator=gen)
    centroids, accuracy = centroids_of(z, labels)
    assert accuracy == 1.0
    for k in (0, 1, 3):
        assert torch.allclose(centroids[k], z[labels == k].mean(0))
    assert torch.equal(centroids[2], torch.zeros(3))  # an absent label gets the zero code
    _, shuffled = centroids_of(z, labels[torch.tensor([5, 2, 0, 6, 1, 3, 4])])
    assert shuffled < 1.0


def test_the_oracle_gives_each_environment_its_current_subgoals_centroid():
    centroids = torch.arange(12.0).reshape(4, 3)
    world = SimpleNamespace(labels=lambda state: {"subgoal": state.subgoal})
    env = SimpleNamespace(world=world, state=SimpleNamespace(subgoal=np.array([3, 0, 2, -1, 1])))
    codes = oracle_chooser(centroids)(env, torch.tensor([0, 2, 4]))
    assert torch.equal(codes, centroids[[3, 2, 1]])


def test_the_uniform_chooser_draws_whole_centroids_evenly_and_reproducibly():
    centroids = torch.arange(12.0).reshape(4, 3)
    rows = torch.arange(4000)
    codes = uniform_chooser(centroids, seed=1)(None, rows)
    which = (codes[:, None, :] == centroids[None]).all(-1)  # (n, K): the row of centroids each code is
    assert bool((which.sum(1) == 1).all())  # every code is exactly one centroid
    counts = which.sum(0).float()
    assert bool(((counts / len(rows) - 0.25).abs() < 0.03).all())
    assert torch.equal(codes, uniform_chooser(centroids, seed=1)(None, rows))
    assert not torch.equal(codes, uniform_chooser(centroids, seed=2)(None, rows))


def test_with_u_zero_the_code_cannot_matter_so_start_equals_ceiling():
    """A decoder that outputs U = 0 leaves every raw action to the backbone; both choosers see the same layouts and
    action noise, so success and progress must be identical (switch counts may differ: β reads z)."""
    torch.manual_seed(0)
    base = Transformer(
        TransformerConfig(
            depth=2, width=D, heads=2, mlp=16, encoder="egocentric", grid_size=4, num_channels=PARAMS.num_channels
        )
    ).eval()
    cfg = MetacontrollerConfig(width=D, latent_dim=Z, history_dim=6, embed_dim=4, embedder_hidden=4,
                               encoder_hidden=8, switch_hidden=8, decoder_hidden=8, rank=4)  # fmt: skip
    mc = Metacontroller(cfg).eval()
    for p in mc.parameters():
        torch.nn.init.normal_(p, std=0.5)
    for p in mc.decoder.parameters():
        torch.nn.init.zeros_(p)  # U = A Bᵀ = 0
    env = InternalEnv(base, mc, LAYER, WORLD)
    start = run_chooser(env, (0, 1), 32, 5, prior_chooser(0))
    ceiling = run_chooser(env, (0, 1), 32, 5, oracle_chooser(torch.randn(2, Z) * 3))
    uniform = run_chooser(env, (0, 1), 32, 5, uniform_chooser(torch.randn(2, Z) * 3, 0))
    assert start["success"] == ceiling["success"] == uniform["success"]
    assert start["progress"] == ceiling["progress"] == uniform["progress"]
    assert start["abstract_steps"] >= 1.0 and ceiling["abstract_steps"] >= 1.0
