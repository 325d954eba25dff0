"""Base model: cached == full, split == full, linear == dense, causality, relative bias, learning."""

import math
import time

import pytest
import torch
import torch.nn.functional as F

from internal_rl.models import (
    ENCODERS,
    Transformer,
    TransformerConfig,
    observation_nll,
    one_hot_observation,
    relative_position_bucket,
)

torch.set_num_threads(1)

# num_buckets 8 / max_distance 12: sequences of ~20 steps reach the log-spaced and the saturated buckets
TINY = dict(depth=3, width=32, heads=4, mlp=48, num_buckets=8, max_distance=12, conv_channels=4)

INDEX_ENCODERS = [e for e in ENCODERS if e != "vector"]  # the vector encoder: tests/test_backbone_conformance.py


def random_obs(batch: int, steps: int, cfg: TransformerConfig, generator: torch.Generator) -> torch.Tensor:
    """(B, T, C) flat indices of valid-looking observations: one random cell per channel."""
    C, cells = cfg.num_channels, cfg.grid_size**2
    cell = torch.randint(0, cells, (batch, steps, C), generator=generator)
    return cell * C + torch.arange(C)  # (B, T, C)


def make_model(encoder: str = "linear", dtype: torch.dtype = torch.float64, seed: int = 0, **overrides):
    """Tiny model with random (not zero) relative-position biases, so that the position tests have teeth."""
    torch.manual_seed(seed)
    model = Transformer(TransformerConfig(**{**TINY, "encoder": encoder, **overrides})).to(dtype).eval()
    with torch.no_grad():
        for block in model.blocks:
            block.attn.rel_bias.weight.normal_(0.0, 1.0)
    return model


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("depth", 0),
        ("width", 30),
        ("heads", 0),
        ("mlp", -1),
        ("num_buckets", 1),
        ("max_distance", 4),
        ("init_scale", 0.0),
        ("encoder", "mlp"),
        ("conv_channels", 0),
        ("num_actions", 0),
    ],
)
def test_config_rejects_invalid_values_naming_the_field(field, value):
    with pytest.raises(ValueError, match=field):
        TransformerConfig(**{**TINY, field: value})


def test_paper_config_size_and_output_shapes():
    cfg = TransformerConfig()
    assert (cfg.obs_dim, cfg.head_dim) == (637, 64)
    model = Transformer(TransformerConfig(**TINY))
    obs = random_obs(2, 5, model.cfg, torch.Generator().manual_seed(0))
    out = model(obs, return_residuals=True)
    assert out.action_logits.shape == (2, 5, 4)
    assert out.obs_logits.shape == (2, 5, 637)
    assert len(out.residuals) == TINY["depth"] + 1
    assert all(r.shape == (2, 5, TINY["width"]) for r in out.residuals)
    assert model(obs, with_obs=False).obs_logits is None
    assert model(obs).residuals is None


def test_init_follows_the_variance_scaling_rule():
    torch.manual_seed(0)
    model = Transformer(TransformerConfig(depth=2, width=256, mlp=512))
    for w, fan_in in [
        (model.blocks[0].mlp.fc.weight, 256),
        (model.blocks[1].mlp.proj.weight, 512),
        (model.encoder.weight, 637),
    ]:
        assert w.var().item() == pytest.approx(0.1 / fan_in, rel=0.05)
        assert w.abs().max().item() <= 2 * math.sqrt(0.1 / fan_in) / 0.8796 + 1e-6  # truncated at 2 std
    assert model.blocks[0].attn.qkv.bias.abs().max() == 0


@pytest.mark.parametrize("encoder", INDEX_ENCODERS)
@pytest.mark.parametrize("steps", [1, 6, 21])
def test_cached_step_by_step_equals_full_forward(encoder, steps):
    model = make_model(encoder)
    obs = random_obs(3, steps, model.cfg, torch.Generator().manual_seed(steps))
    with torch.no_grad():
        full = model(obs)
        cache = model.new_cache(3, max_len=25)
        stepped = [model.step(obs[:, t : t + 1], cache) for t in range(steps)]
    torch.testing.assert_close(torch.cat([a for a, _ in stepped], 1), full.action_logits, atol=1e-5, rtol=0)
    torch.testing.assert_close(torch.cat([o for _, o in stepped], 1), full.obs_logits, atol=1e-5, rtol=0)
    assert cache.lengths == [steps] * model.cfg.depth


def test_cached_decoding_float32_and_chunked_prefix():
    """A prefix of several steps at once, then single steps, in float32, against the full pass."""
    model = make_model("linear", dtype=torch.float32)
    obs = random_obs(4, 20, model.cfg, torch.Generator().manual_seed(1))
    with torch.no_grad():
        full = model(obs, with_obs=False).action_logits
        cache = model.new_cache(4, max_len=20)
        parts = [model.step(obs[:, :7], cache, with_obs=False)[0]]
        parts += [model.step(obs[:, t : t + 1], cache, with_obs=False)[0] for t in range(7, 20)]
    torch.testing.assert_close(torch.cat(parts, 1), full, atol=1e-5, rtol=0)


@pytest.mark.parametrize("encoder", INDEX_ENCODERS)
def test_lower_upper_split_equals_forward_at_every_layer(encoder):
    model = make_model(encoder)
    obs = random_obs(2, 9, model.cfg, torch.Generator().manual_seed(2))
    with torch.no_grad():
        full = model(obs, return_residuals=True)
        for layer in range(model.cfg.depth + 1):
            e = model.lower(obs, layer)
            torch.testing.assert_close(e, full.residuals[layer], atol=1e-12, rtol=0)
            actions, next_obs = model.upper(e, layer)
            torch.testing.assert_close(actions, full.action_logits, atol=1e-12, rtol=0)
            torch.testing.assert_close(next_obs, full.obs_logits, atol=1e-12, rtol=0)
    assert torch.equal(full.residuals[0], model.embed(obs))


@pytest.mark.parametrize("layer", [0, 1, 3])
def test_cached_lower_then_upper_each_step_equals_forward(layer):
    """The internal-RL loop: lower(o_t, l, cache) then upper(ê_t, l, cache) each step, one shared cache."""
    model = make_model("conv")
    obs = random_obs(2, 15, model.cfg, torch.Generator().manual_seed(3))
    with torch.no_grad():
        full = model(obs, return_residuals=True)
        cache = model.new_cache(2, max_len=15)
        es, logits = [], []
        for t in range(15):
            e = model.lower(obs[:, t : t + 1], layer, cache)
            assert cache.lengths == [t + 1] * layer + [t] * (model.cfg.depth - layer)
            es.append(e)
            logits.append(model.upper(e, layer, cache)[0])
    torch.testing.assert_close(torch.cat(es, 1), full.residuals[layer], atol=1e-5, rtol=0)
    torch.testing.assert_close(torch.cat(logits, 1), full.action_logits, atol=1e-5, rtol=0)


def test_linear_encoder_equals_dense_one_hot_matmul():
    linear, dense = make_model("linear"), make_model("dense", seed=1)
    state = {k: v for k, v in linear.state_dict().items() if not k.startswith("encoder.")}
    state["encoder.linear.weight"] = linear.encoder.weight.detach().T  # (D, O)
    state["encoder.linear.bias"] = linear.encoder.bias.detach()
    dense.load_state_dict(state)
    obs = random_obs(3, 8, linear.cfg, torch.Generator().manual_seed(4))
    x = one_hot_observation(obs, 637, torch.float64)
    torch.testing.assert_close(linear.embed(obs), x @ linear.encoder.weight + linear.encoder.bias)
    with torch.no_grad():
        a, b = linear(obs), dense(obs)
    torch.testing.assert_close(a.action_logits, b.action_logits, atol=1e-12, rtol=0)
    torch.testing.assert_close(a.obs_logits, b.obs_logits, atol=1e-12, rtol=0)


@pytest.mark.parametrize("encoder", INDEX_ENCODERS)
def test_future_observations_do_not_change_earlier_logits(encoder):
    model = make_model(encoder)
    gen = torch.Generator().manual_seed(5)
    obs = random_obs(2, 12, model.cfg, gen)
    changed = obs.clone()
    changed[:, 7:] = random_obs(2, 5, model.cfg, gen)
    with torch.no_grad():
        a, b = model(obs), model(changed)
    torch.testing.assert_close(a.action_logits[:, :7], b.action_logits[:, :7], atol=0, rtol=0)
    torch.testing.assert_close(a.obs_logits[:, :7], b.obs_logits[:, :7], atol=0, rtol=0)
    assert (a.action_logits[:, 7] - b.action_logits[:, 7]).abs().max() > 1e-6


def t5_unidirectional_bucket(relative_position: int, num_buckets: int, max_distance: int) -> int:
    """Mesh-TensorFlow / HF T5 `_relative_position_bucket(bidirectional=False)`, scalar transcription."""
    n = max(-relative_position, 0)
    max_exact = num_buckets // 2
    if n < max_exact:
        return n
    ratio = math.log(n / max_exact) / math.log(max_distance / max_exact)
    large = max_exact + int(ratio * (num_buckets - max_exact))
    return min(large, num_buckets - 1)


def test_relative_position_bucket_matches_t5():
    distance = torch.arange(0, 400)
    ours = relative_position_bucket(distance, 32, 128)
    ref = torch.tensor([t5_unidirectional_bucket(-int(d), 32, 128) for d in distance])
    assert torch.equal(ours, ref)
    assert torch.equal(ours[:16], torch.arange(16)) and (ours[128:] == 31).all()


def test_attention_bias_depends_only_on_query_minus_key():
    attn = make_model().blocks[1].attn
    with torch.no_grad():
        full = attn.attention_bias(0, 20, 20)[0]  # (H, T, S)
        for i in range(20):
            for j in range(20):
                expected = (
                    attn.rel_bias.weight[relative_position_bucket(torch.tensor(i - j), 8, 12)]
                    if j <= i
                    else torch.full((4,), float("-inf"), dtype=torch.float64)
                )
                torch.testing.assert_close(full[:, i, j], expected, atol=0, rtol=0)
        # queries at cached positions 13..15 see the same rows as the full matrix
        torch.testing.assert_close(attn.attention_bias(13, 3, 16)[0], full[:, 13:16, :16], atol=0, rtol=0)
    assert torch.isfinite(full[:, 19, 0]).all() and full[:, 19, 0].ne(full[:, 19, 18]).any()


def test_observation_nll_equals_binary_cross_entropy():
    gen = torch.Generator().manual_seed(6)
    cfg = TransformerConfig()
    logits = torch.randn(2, 3, 637, generator=gen, dtype=torch.float64)
    target = random_obs(2, 3, cfg, gen)
    ref = F.binary_cross_entropy_with_logits(
        logits, one_hot_observation(target, 637, torch.float64), reduction="none"
    ).sum(-1)
    torch.testing.assert_close(observation_nll(logits, target), ref)


def test_cache_and_layer_errors():
    model = make_model()
    obs = random_obs(2, 4, model.cfg, torch.Generator().manual_seed(7))
    cache = model.new_cache(2, max_len=3)
    with torch.no_grad(), pytest.raises(ValueError, match="max_len"):
        model.step(obs, cache)
    with pytest.raises(ValueError, match="batch_size"):
        model.step(obs[:1, :1], model.new_cache(2, max_len=3))
    with pytest.raises(ValueError, match="layer"):
        model.lower(obs, model.cfg.depth + 1)
    cache.reset()
    assert cache.lengths == [0] * model.cfg.depth


def test_tiny_model_learns_a_history_dependent_action():
    """Target a_t = (agent row at t + agent column at t-1) mod 4: needs the embedding and attention to t-1."""
    torch.manual_seed(0)
    cfg = TransformerConfig(depth=2, width=48, heads=2, mlp=96, num_buckets=8, max_distance=16)
    model = Transformer(cfg)
    opt = torch.optim.AdamW(model.parameters(), lr=3e-3, weight_decay=0.0)
    gen = torch.Generator().manual_seed(0)

    def batch(n: int):
        obs = random_obs(n, 12, cfg, gen)
        cell = obs[..., -1] // cfg.num_channels  # (B, T) agent cell
        row, col = cell // cfg.grid_size, cell % cfg.grid_size
        prev_col = torch.cat([torch.zeros_like(col[:, :1]), col[:, :-1]], 1)
        return obs, (row + prev_col) % 4

    start = time.perf_counter()
    for _ in range(400):
        obs, target = batch(64)
        loss = F.cross_entropy(model(obs, with_obs=False).action_logits.flatten(0, 1), target.flatten())
        opt.zero_grad()
        loss.backward()
        opt.step()
    obs, target = batch(512)
    with torch.no_grad():
        acc = (model(obs, with_obs=False).action_logits.argmax(-1) == target).float().mean().item()
    assert acc > 0.95, f"accuracy {acc:.3f} after {time.perf_counter() - start:.1f}s"


def test_egocentric_relative_rows_are_translation_invariant():
    """The same object offset from the agent maps to the same embedding row wherever the pair stands."""
    from internal_rl.models.egocentric import EgocentricEncoder

    cfg = TransformerConfig(depth=1, width=8, heads=2, mlp=8, encoder="egocentric")
    enc = EgocentricEncoder(cfg)
    C = cfg.num_channels

    def obs(colour0_cell: int, agent_cell: int) -> torch.Tensor:
        # walls on cells 40..43, colours 0..7 on cells colour0_cell, 30..36, agent on agent_cell
        cells = [40, 41, 42, 43, colour0_cell, *range(30, 37), agent_cell]
        return torch.tensor([[cell * C + ch for ch, cell in enumerate(cells)]])

    # colour 0 one cell to the right of the agent, at two different places
    a = enc.relative_indices(obs(colour0_cell=1, agent_cell=0))[0, 4]
    b = enc.relative_indices(obs(colour0_cell=17, agent_cell=16))[0, 4]
    assert a == b
    # agent standing on colour 0 vs one cell away: different rows
    c = enc.relative_indices(obs(colour0_cell=16, agent_cell=16))[0, 4]
    assert c != a
    # rows of different objects never collide
    idx = enc.relative_indices(obs(colour0_cell=16, agent_cell=16))[0]
    assert len(set(idx.tolist())) == len(idx)
    assert int(idx.max()) < enc.relative.shape[0]
