"""Metacontroller (SPEC §5): parallel == step, gate conventions, Eq. 3 loss, gradient flow, padding,
low-rank == dense, and a small learning test of switch discovery."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pytest
import torch
from torch import Tensor, nn

from internal_rl.metacontroller.controller import dense_matrix
from internal_rl.metacontroller.model import Metacontroller, SwitchState, gaussian_kl
from internal_rl.metacontroller.modules import MetacontrollerConfig, lengths_from_mask
from internal_rl.metacontroller.switching import switch_alignment

torch.set_num_threads(1)

D, Z, A_ACT = 12, 3, 4


def small_cfg(**kw) -> MetacontrollerConfig:
    base = dict(
        width=D,
        latent_dim=Z,
        history_dim=6,
        embed_dim=5,
        embedder_hidden=7,
        encoder_hidden=9,
        switch_hidden=8,
        decoder_hidden=10,
        rank=4,
        alpha=0.3,
    )
    base.update(kw)
    return MetacontrollerConfig(**base)


class CausalUpper(nn.Module):
    """Stand-in for blocks l+1..L: logits at t depend on ê_t and the running mean of ê_{1:t} (causal)."""

    def __init__(self, width: int = D, hidden: int = 16, n_actions: int = A_ACT) -> None:
        super().__init__()
        self.inp = nn.Linear(2 * width, hidden)
        self.out = nn.Linear(hidden, n_actions)

    def forward(self, x: Tensor) -> Tensor:  # (B, T, D) -> (B, T, A)
        steps = torch.arange(1, x.shape[1] + 1, dtype=x.dtype).view(1, -1, 1)
        running_mean = x.cumsum(dim=1) / steps
        return self.out(torch.tanh(self.inp(torch.cat([x, running_mean], dim=-1))))


def make_model(seed: int = 0, **kw) -> Metacontroller:
    """A metacontroller whose decoder is *not* at its U = 0 initialisation (so z matters to the output) and
    whose switching unit is not at its β ≈ 0.5 initialisation (so β varies)."""
    torch.manual_seed(seed)
    m = Metacontroller(small_cfg(**kw))
    with torch.no_grad():
        for p in m.decoder.parameters():
            if not p.any():
                nn.init.normal_(p, std=0.3)
        if m.switch is not None:
            nn.init.normal_(m.switch.out.weight, std=1.0)
    return m


def batch(seed: int = 1, B: int = 3, T: int = 7, lengths: tuple[int, ...] = (7, 4, 1)):
    g = torch.Generator().manual_seed(seed)
    e = torch.randn(B, T, D, generator=g) * 2.0 + 0.5
    mask = torch.arange(T)[None, :] < torch.tensor(lengths)[:, None]
    actions = torch.randint(0, A_ACT, (B, T), generator=g)
    noise = torch.randn(B, T, Z, generator=g)
    return e, mask, actions, noise


def frozen_upper(seed: int = 2) -> CausalUpper:
    torch.manual_seed(seed)
    return CausalUpper().requires_grad_(False)


# ----------------------------------------------------------------------------------------------------------


def test_config_validation_names_the_field():
    with pytest.raises(ValueError, match="switching"):
        MetacontrollerConfig(switching="sometimes")
    with pytest.raises(ValueError, match="alpha"):
        MetacontrollerConfig(alpha=-0.1)
    with pytest.raises(ValueError, match="latent_dim"):
        MetacontrollerConfig(latent_dim=0)
    with pytest.raises(ValueError, match="rank"):
        Metacontroller(MetacontrollerConfig(width=8, rank=16))
    with pytest.raises(ValueError, match="embedding"):
        MetacontrollerConfig(embedding="mean")
    cfg = MetacontrollerConfig()
    sizes = (cfg.latent_dim, cfg.history_dim, cfg.embed_dim, cfg.encoder_hidden, cfg.decoder_hidden, cfg.rank)
    assert sizes == (8, 32, 32, 64, 32, 16)  # Table A9
    assert cfg.decoder.latent_dim == 8 and cfg.decoder.width == 256
    with pytest.raises(ValueError, match="decoder_b_init"):
        MetacontrollerConfig(decoder_b_init=-0.01)


def test_decoder_b_init_reaches_the_metacontrollers_decoder():
    torch.manual_seed(0)
    assert torch.count_nonzero(Metacontroller(small_cfg()).decoder.out_b.weight) == 0  # the default: U = 0
    torch.manual_seed(0)
    w = Metacontroller(small_cfg(decoder_b_init=0.05)).decoder.out_b.weight
    assert 0.03 < w.std().item() < 0.07


def test_mask_must_be_a_non_empty_prefix():
    with pytest.raises(ValueError, match="prefix"):
        lengths_from_mask(torch.tensor([[True, False, True]]))
    with pytest.raises(ValueError, match="at least one"):
        lengths_from_mask(torch.tensor([[False, False]]))
    assert lengths_from_mask(torch.tensor([[True, True, False], [True, False, False]])).tolist() == [2, 1]


@pytest.mark.parametrize("switching,embedding", [("learned", "pooled"), ("always", "pooled"), ("learned", "per_step")])
def test_parallel_path_equals_step_path(switching, embedding):
    m = make_model(switching=switching, embedding=embedding)
    upper = frozen_upper()
    e, mask, _, noise = batch()
    B, T, _ = e.shape
    with torch.no_grad():
        trace = m.encode(e, mask, noise)
        logp = m.action_log_probs(e, trace, upper)  # (B, T, A)

        s = m.embed(e, mask)
        state = m.init_state(B)
        e_hats = []
        for t in range(T):
            out = m.posterior_step(e[:, t], s[:, t], noise[:, t], state)
            # The causal RL decomposition gives the same gate and the same next state.
            torch.testing.assert_close(m.switch_prob(e[:, t], state), out.beta, atol=1e-6, rtol=0)
            nxt = m.advance(e[:, t], out.z, state)
            for a, b in zip(nxt, out.state, strict=True):
                torch.testing.assert_close(a, b, atol=1e-6, rtol=0)
            e_hats.append(m.control(e[:, t], out.z))
            step_logp = torch.log_softmax(upper(torch.stack(e_hats, dim=1))[:, -1], dim=-1)  # (B, A)

            valid = mask[:, t]
            torch.testing.assert_close(out.beta[valid], trace.beta[valid, t], atol=1e-5, rtol=0)
            torch.testing.assert_close(out.z[valid], trace.z[valid, t], atol=1e-5, rtol=0)
            torch.testing.assert_close(out.mu[valid], trace.mu[valid, t], atol=1e-5, rtol=0)
            torch.testing.assert_close(step_logp[valid], logp[valid, t], atol=1e-5, rtol=0)
            state = out.state
    # Non-trivial check: the gate actually varies between steps and sequences.
    if switching == "learned":
        assert trace.beta[:, 1:][mask[:, 1:]].std() > 0.05


def test_first_step_always_switches_and_code_persists_when_gate_closed():
    m = make_model()
    with torch.no_grad():
        m.switch.out.weight.zero_()
        m.switch.out.bias.fill_(-30.0)  # β ≈ 0 everywhere the gate is free
    e, mask, _, noise = batch()
    with torch.no_grad():
        trace = m.encode(e, mask, noise)
        z_tilde = trace.mu + trace.logsigma.exp() * noise
    assert torch.all(trace.beta[:, 0] == 1.0)
    assert trace.beta[:, 1:].max() < 1e-10
    # β_1 = 1 and z_0 = 0: z_1 = z̃_1; then the closed gate keeps it for the whole sequence.
    torch.testing.assert_close(trace.z[:, 0], z_tilde[:, 0])
    torch.testing.assert_close(trace.z, trace.z[:, :1].expand_as(trace.z))
    st = m.init_state(3)
    assert torch.all(st.h == 0) and torch.all(st.z == 0) and torch.all(st.t == 0)
    assert torch.all(m.switch_prob(e[:, 0], st) == 1.0)
    st = m.advance(e[:, 0], trace.z[:, 0], st)
    assert m.switch_prob(e[:, 1], st).max() < 1e-10


def test_temporal_integration_uses_integrated_previous_code():
    m = make_model()
    e, mask, _, noise = batch()
    with torch.no_grad():
        trace = m.encode(e, mask, noise)
        z_tilde = trace.mu + trace.logsigma.exp() * noise
        x = m.read_norm(e)
        h_prev = m.history(x)
        z_prev = torch.zeros_like(trace.z[:, 0])
        for t in range(e.shape[1]):
            ctx = m.switch.context(x[:, t], h_prev[:, t])
            beta = torch.ones(3) if t == 0 else m.switch(ctx, trace.z[:, t - 1])
            torch.testing.assert_close(trace.beta[:, t], beta)
            expected = beta[:, None] * z_tilde[:, t] + (1 - beta[:, None]) * z_prev
            torch.testing.assert_close(trace.z[:, t], expected)
            z_prev = trace.z[:, t]
        # The gate must read z_{t-1} (integrated), not z̃_{t-1}: those differ, and so would β.
        wrong = m.switch(m.switch.context(x[:, 2], h_prev[:, 2]), z_tilde[:, 1])
        assert not torch.allclose(wrong, trace.beta[:, 2], atol=1e-4)


def test_always_mode_has_beta_identically_one():
    m = make_model(switching="always")
    assert m.switch is None
    e, mask, actions, noise = batch()
    with torch.no_grad():
        trace = m.encode(e, mask, noise)
    assert torch.all(trace.beta == 1.0)
    torch.testing.assert_close(trace.z, trace.mu + trace.logsigma.exp() * noise)
    st = m.advance(e[:, 0], trace.z[:, 0], m.init_state(3))
    assert torch.all(m.switch_prob(e[:, 1], st) == 1.0)
    _, logs = m(e, mask, actions, frozen_upper(), noise)
    assert logs["beta_mean"] == 1.0 and logs["beta_mid_fraction"] == 0.0


def test_kl_matches_torch_distributions_and_loss_is_eq3():
    g = torch.Generator().manual_seed(0)
    mu, logsigma = torch.randn(5, 4, Z, generator=g), torch.randn(5, 4, Z, generator=g)
    ref = torch.distributions.kl_divergence(
        torch.distributions.Normal(mu, logsigma.exp()), torch.distributions.Normal(0.0, 1.0)
    ).sum(-1)
    torch.testing.assert_close(gaussian_kl(mu, logsigma), ref)

    m = make_model()
    with torch.no_grad():  # a posterior far from the prior, so the KL term is sizeable
        nn.init.normal_(m.encoder.net[2].weight, std=0.5)
    upper = frozen_upper()
    e, mask, actions, noise = batch()
    loss, logs = m(e, mask, actions, upper, noise)
    with torch.no_grad():
        trace = m.encode(e, mask, noise)
        logp = m.action_log_probs(e, trace, upper)
        nll = -logp.gather(-1, actions[..., None]).squeeze(-1)[mask].mean()
        kl = (
            torch.distributions.kl_divergence(
                torch.distributions.Normal(trace.mu, trace.logsigma.exp()), torch.distributions.Normal(0.0, 1.0)
            )
            .sum(-1)[mask]
            .mean()
        )  # not weighted by β
    assert kl > 0.1
    assert logs["nll"] == pytest.approx(nll.item(), abs=1e-5)
    assert logs["kl"] == pytest.approx(kl.item(), abs=1e-5)
    torch.testing.assert_close(loss.detach(), nll + 0.3 * kl, atol=1e-5, rtol=0)
    assert logs["loss"] == pytest.approx(loss.item())


def test_soft_action_targets_are_the_expected_nll_and_one_hot_targets_the_sampled_one():
    """discover.targets: expert (E36): with target distributions q the NLL term is −Σ_a q(a) log p(a); one-hot
    targets give exactly the recorded actions' loss and gradients, and padding is ignored as before."""
    m, upper = make_model(), frozen_upper()
    e, mask, actions, noise = batch()
    loss, logs = m(e, mask, actions, upper, noise)
    one_hot = nn.functional.one_hot(actions, A_ACT).float()
    soft_loss, soft_logs = m(e, mask, one_hot, upper, noise)
    torch.testing.assert_close(soft_loss, loss)
    assert soft_logs["action_accuracy"] == logs["action_accuracy"]
    g_hard = torch.autograd.grad(loss, list(m.decoder.parameters()))
    g_soft = torch.autograd.grad(m(e, mask, one_hot, upper, noise)[0], list(m.decoder.parameters()))
    for a, b in zip(g_hard, g_soft, strict=True):
        torch.testing.assert_close(a, b)

    q = torch.softmax(torch.randn(*actions.shape, A_ACT, generator=torch.Generator().manual_seed(3)), -1)
    q = torch.where(mask[..., None], q, torch.full_like(q, float("nan")))  # padding may hold anything
    _, logs_q = m(e, mask, q, upper, noise, alpha=0.0)
    with torch.no_grad():
        logp = m.action_log_probs(e, m.encode(e, mask, noise), upper)
        expected = torch.stack(
            [-logp.gather(-1, torch.full_like(actions, a)[..., None])[..., 0] for a in range(A_ACT)], -1
        )
        ref = (torch.nan_to_num(q) * expected).sum(-1)[mask].mean()
    assert logs_q["nll"] == pytest.approx(ref.item(), abs=1e-5)


def test_the_trainer_feeds_its_action_targets_to_the_loss():
    from types import SimpleNamespace

    from internal_rl.metacontroller.train import DiscoveryTrainer

    m, upper = make_model(), frozen_upper()
    e, mask, actions, noise = batch()
    b = SimpleNamespace(observations=torch.zeros(3, 8), mask=mask, actions=actions)
    base = SimpleNamespace(lower=lambda obs, layer: e, action_dist=lambda x: x)
    seen = []

    def targets(batch):
        seen.append(batch)
        return nn.functional.one_hot((batch.actions + 1) % A_ACT, A_ACT).float()

    def trainer(**kw):
        t = DiscoveryTrainer(
            base, m, MaskOnlyEpisodes(8, 5), layer=1, batch_size=4, seed=0, device=torch.device("cpu"), **kw
        )
        t.upper_fn = upper
        return t

    plain = trainer().loss((b, noise, 0.1, False, None, None))[0]
    shifted = trainer(action_targets=targets).loss((b, noise, 0.1, False, None, None))[0]
    torch.testing.assert_close(plain, m(e, mask, actions, upper, noise, alpha=0.1)[0])
    torch.testing.assert_close(shifted, m(e, mask, (actions + 1) % A_ACT, upper, noise, alpha=0.1)[0])
    assert seen == [b]


def test_gradients_reach_every_part_through_a_frozen_upper_network():
    m = make_model()
    upper = frozen_upper()
    before = {k: v.clone() for k, v in upper.state_dict().items()}
    e, mask, actions, noise = batch()
    opt = torch.optim.Adam(m.parameters(), lr=1e-2)
    loss, _ = m(e, mask, actions, upper, noise)
    loss.backward()
    for name, module in [
        ("embedder", m.embedder),
        ("history", m.history),
        ("encoder", m.encoder),
        ("switch", m.switch),
        ("decoder", m.decoder),
    ]:
        grads = [p.grad for p in module.parameters()]
        assert all(g is not None for g in grads), name
        assert sum(g.abs().sum() for g in grads) > 0, f"no gradient reached {name}"
    assert all(p.grad is None for p in upper.parameters())
    enc_before = m.encoder.net[0].weight.clone()
    opt.step()
    assert not torch.equal(enc_before, m.encoder.net[0].weight)
    for k, v in upper.state_dict().items():
        assert torch.equal(v, before[k]), k


def test_nothing_assumes_a_frozen_base_model():
    """Co-training: when the upper network's parameters are trainable they receive gradients too."""
    m = make_model()
    upper = frozen_upper().requires_grad_(True)
    e, mask, actions, noise = batch()
    loss, _ = m(e, mask, actions, upper, noise)
    loss.backward()
    assert all(p.grad is not None and p.grad.abs().sum() > 0 for p in upper.parameters())


def test_padded_steps_do_not_affect_the_loss():
    m = make_model()
    upper = frozen_upper()
    e, mask, actions, noise = batch()
    e2, actions2, noise2 = e.clone(), actions.clone(), noise.clone()
    e2[~mask] = torch.randn(int((~mask).sum()), D) * 50.0
    actions2[~mask] = -100  # an ignore-index style pad value must not break the gather
    noise2[~mask] = 7.0
    loss1, logs1 = m(e, mask, actions, upper, noise)
    loss2, logs2 = m(e2, mask, actions2, upper, noise2)
    torch.testing.assert_close(loss1, loss2, atol=1e-6, rtol=0)
    for k in logs1:
        assert logs1[k] == pytest.approx(logs2[k], abs=1e-6), k
    # Padding does not leak into the non-causal embedder either: a padded sequence encodes like its
    # unpadded prefix.
    with torch.no_grad():
        full = m.encode(e2, mask, noise2)
        alone = m.encode(e2[1:2, :4], torch.ones(1, 4, dtype=torch.bool), noise2[1:2, :4])
    torch.testing.assert_close(full.s[1:2, :4], alone.s, atol=1e-6, rtol=0)
    torch.testing.assert_close(full.z[1:2, :4], alone.z, atol=1e-6, rtol=0)
    # ... while a change at a *valid* step does change the loss (the test can fail).
    e3 = e.clone()
    e3[0, 3] += 1.0
    assert abs(m(e3, mask, actions, upper, noise)[0].item() - loss1.item()) > 1e-5


def test_a_per_step_embedding_reads_what_follows_each_step_and_a_pooled_one_is_constant():
    e, mask, _, noise = batch(lengths=(7, 7, 7))
    pooled, per_step = make_model(embedding="pooled"), make_model(embedding="per_step")
    with torch.no_grad():
        s_pooled, s_step = pooled.embed(e, mask), per_step.embed(e, mask)
        assert s_pooled.shape == s_step.shape == (3, 7, 5)
        assert torch.equal(s_pooled, s_pooled[:, :1].expand_as(s_pooled))  # one s per sequence
        assert not torch.equal(s_step, s_step[:, :1].expand_as(s_step))  # one s_t per step
        e2 = e.clone()
        e2[:, 5] += torch.linspace(-1.0, 1.0, D)  # (not a constant: LayerNorm would remove it) a change at step 5
        # reaches s_t of every step, before it through the backward half ...
        changed = (per_step.embed(e2, mask) - s_step).abs().amax(dim=(0, 2))
        assert bool((changed > 1e-4).all())
        # ... and the encoder's code at step 2 (the history h_{t-1} cannot see step 5; s_2 can)
        mu = per_step.encode(e, mask, noise).mu[:, 2]
        assert (per_step.encode(e2, mask, noise).mu[:, 2] - mu).abs().max() > 1e-5
    with pytest.raises(ValueError, match="embedding"):
        make_model(embedding="future")


def test_low_rank_control_equals_dense_matrix_inside_the_metacontroller():
    m = make_model()
    upper = frozen_upper()
    e, mask, actions, noise = batch()
    with torch.no_grad():
        trace = m.encode(e, mask, noise)
        U = dense_matrix(*m.decode(trace.z))  # (B, T, D, D)
        assert U.shape == (3, 7, D, D)
        e_dense = e + torch.einsum("btij,btj->bti", U, e)
        torch.testing.assert_close(m.controlled(e, trace), e_dense, atol=1e-5, rtol=1e-5)
        torch.testing.assert_close(m.control(e, trace.z), e_dense, atol=1e-5, rtol=1e-5)
        # Not an element-wise gain: diag(U) e alone is a different vector.
        gain = e + torch.diagonal(U, dim1=-2, dim2=-1) * e
        assert not torch.allclose(gain, e_dense, atol=1e-3)
        logp = torch.log_softmax(upper(e_dense), dim=-1)
        nll = -logp.gather(-1, actions[..., None]).squeeze(-1)[mask].mean()
        _, logs = m(e, mask, actions, upper, noise)
    assert logs["nll"] == pytest.approx(nll.item(), abs=1e-5)


def test_reset_state_restarts_only_finished_rows():
    m = make_model()
    e, _, _, _ = batch()
    st = m.advance(e[:, 0], torch.randn(3, Z), m.init_state(3))
    st = m.reset_state(st, torch.tensor([True, False, True]))
    assert isinstance(st, SwitchState)
    assert st.t.tolist() == [0, 1, 0]
    assert torch.all(st.h[[0, 2]] == 0) and torch.all(st.z[[0, 2]] == 0) and st.z[1].abs().sum() > 0
    beta = m.switch_prob(e[:, 1], st)
    assert beta[0] == 1.0 and beta[2] == 1.0 and beta[1] < 1.0


def test_with_real_transformer_cached_rollout_equals_parallel_path():
    """Alg. 1 ingredients on the real base model: lower (cached) -> β, z -> ê = e + U e -> upper (cached)
    gives the parallel path's β, z and action log-probs; training leaves the frozen base model untouched."""
    from internal_rl.models import Transformer, TransformerConfig

    torch.manual_seed(0)
    tf = Transformer(TransformerConfig(depth=2, width=D, heads=2, mlp=16, num_buckets=8, max_distance=16))
    tf.requires_grad_(False)
    layer = 1
    m = make_model()
    B, T = 2, 6
    obs = torch.randint(0, tf.cfg.obs_dim, (B, T, 13))
    mask = torch.ones(B, T, dtype=torch.bool)
    noise = torch.randn(B, T, Z)

    def upper_fn(x: Tensor) -> Tensor:
        return tf.upper(x, layer, with_obs=False)[0]

    with torch.no_grad():
        e = tf.lower(obs, layer)  # (B, T, D)
        trace = m.encode(e, mask, noise)
        logp = m.action_log_probs(e, trace, upper_fn)
        s = m.embed(e, mask)
        cache, state = tf.new_cache(B, T), m.init_state(B)
        for t in range(T):
            e_t = tf.lower(obs[:, t : t + 1], layer, cache)[:, 0]  # (B, D)
            out = m.posterior_step(e_t, s[:, t], noise[:, t], state)
            logits = tf.upper(m.control(e_t, out.z)[:, None], layer, cache, with_obs=False)[0][:, 0]
            torch.testing.assert_close(out.beta, trace.beta[:, t], atol=1e-5, rtol=0)
            torch.testing.assert_close(out.z, trace.z[:, t], atol=1e-5, rtol=0)
            torch.testing.assert_close(torch.log_softmax(logits, -1), logp[:, t], atol=1e-5, rtol=0)
            state = out.state

    before = {k: v.clone() for k, v in tf.state_dict().items()}
    opt = torch.optim.Adam(m.parameters(), lr=1e-2)
    loss, _ = m(e, mask, torch.randint(0, 4, (B, T)), upper_fn, noise)
    loss.backward()
    assert m.encoder.net[0].weight.grad.abs().sum() > 0
    opt.step()
    assert all(torch.equal(v, before[k]) for k, v in tf.state_dict().items())


# ----------------------------------------------------------------------------------------------------------
# Learning test: switches are discovered at the boundaries of a hidden piecewise-constant code.
# ----------------------------------------------------------------------------------------------------------


def cue_sequences(n: int, T: int, g: torch.Generator, k: int = 4):
    """Hidden piecewise-constant code c_t (segments of 3-6 steps, consecutive codes differ); action a_t = c_t.

    e_t = [1, onehot(next code) at a segment's *last* step, onehot(c_1) at t = 1 only, small noise]. The code
    in force is never readable from e_t itself (the cue announces the *next* one, and acting on it at once is
    wrong), so a per-step upper network needs z to carry the code: z must change exactly at the first step of
    each segment and be held in between. Under the KL (paid by every step's z̃) the cheapest way is one switch
    per segment, at the boundary.
    """
    width = 1 + 2 * k + 3
    e = torch.zeros(n, T, width)
    e[..., 0] = 1.0
    e[..., 1 + 2 * k :] = 0.3 * torch.randn(n, T, 3, generator=g)
    codes = torch.zeros(n, T, dtype=torch.long)
    for i in range(n):
        t, prev = 0, -1
        while t < T:
            code = int(torch.randint(0, k - 1, (1,), generator=g))
            code = code + 1 if 0 <= prev <= code else code  # differ from the previous segment
            seg = int(torch.randint(3, 7, (1,), generator=g))
            codes[i, t : t + seg] = code
            if t == 0:
                e[i, 0, 1 + k + code] = 1.0  # start cue
            else:
                e[i, t - 1, 1 + code] = 1.0  # "next code" cue on the previous segment's last step
            t, prev = t + seg, code
    return e, codes


@pytest.mark.slow
def test_metacontroller_learns_to_switch_at_true_boundaries():
    torch.manual_seed(0)
    g = torch.Generator().manual_seed(0)
    T, width, n_eval = 20, 12, 128
    cfg = MetacontrollerConfig(
        width=width,
        latent_dim=4,
        history_dim=16,
        embed_dim=8,
        embedder_hidden=8,
        encoder_hidden=32,
        switch_hidden=16,
        decoder_hidden=16,
        rank=4,
        alpha=0.3,
    )
    m = Metacontroller(cfg)
    upper = nn.Linear(width, 4).requires_grad_(False)  # per-step stand-in: no memory of its own
    e_eval, codes_eval = cue_sequences(n_eval, T, g)
    mask_eval, zeros = torch.ones(n_eval, T, dtype=torch.bool), torch.zeros(n_eval, T, cfg.latent_dim)

    def evaluate() -> tuple[float, dict[str, float]]:
        with torch.no_grad():
            trace = m.encode(e_eval, mask_eval, zeros)  # posterior mean
            acc = (m.action_log_probs(e_eval, trace, upper).argmax(-1) == codes_eval).float().mean().item()
        return acc, switch_alignment(trace.beta, codes_eval, torch.full((n_eval,), T))

    acc0, score0 = evaluate()
    assert acc0 < 0.6 and score0["f1"] < 0.7  # nothing is aligned by construction

    mask = torch.ones(64, T, dtype=torch.bool)
    opt = torch.optim.Adam(m.parameters(), lr=1e-2)
    for _ in range(300):
        e, codes = cue_sequences(64, T, g)
        loss, _ = m(e, mask, codes, upper)
        opt.zero_grad()
        loss.backward()
        opt.step()

    acc, score = evaluate()
    assert acc > 0.95, acc
    assert score["f1"] > 0.9, score
    assert score["fraction_beta_mid"] < 0.1, score  # quasi-binary gate
    assert abs(score["switches_per_episode"] - score["subgoals_per_episode"]) < 0.5, score


def test_elbo_with_a_gaussian_action_head():
    """The Eq. 3 loss through a continuous-action backbone: the NLL is the Gaussian's, gradients reach the
    metacontroller, and no discrete accuracy is reported."""
    from internal_rl.models import TransformerConfig, build_base_model

    torch.manual_seed(0)
    D = small_cfg().width
    base = build_base_model(TransformerConfig(depth=2, width=D, heads=2, mlp=32, num_actions=3, action="gaussian"))
    base.requires_grad_(False)
    m = make_model()
    B, T = 2, 6
    e = base.lower(torch.randint(0, 637, (B, T, 13)), 1)
    mask = torch.ones(B, T, dtype=torch.bool)
    mask[1, 4:] = False
    actions = torch.randn(B, T, 3)

    def upper_fn(x: Tensor):
        return base.action_dist(base.upper(x, 1, with_obs=False)[0])

    loss, stats = m(e, mask, actions, upper_fn, torch.randn(B, T, m.cfg.latent_dim))
    trace = m.encode(e, mask, None)
    assert torch.isfinite(loss) and "action_accuracy" not in stats and stats["nll"] > 0
    loss.backward()
    assert m.encoder.net[0].weight.grad.abs().sum() > 0
    assert trace.beta.shape == (B, T)


def test_kl_weight_override_and_warm_up():
    from internal_rl.metacontroller.train import kl_weight

    m = make_model()
    with torch.no_grad():  # a posterior far from the prior, so the KL term is sizeable
        nn.init.normal_(m.encoder.net[2].weight, std=0.5)
    upper = frozen_upper()
    e, mask, actions, noise = batch()
    loss, logs = m(e, mask, actions, upper, noise)  # α = cfg.alpha = 0.3
    free, logs0 = m(e, mask, actions, upper, noise, alpha=0.0)
    heavy, _ = m(e, mask, actions, upper, noise, alpha=1.0)
    assert logs["kl"] > 0.1
    assert free.item() == pytest.approx(logs0["nll"], abs=1e-6)
    assert heavy.item() == pytest.approx(logs["nll"] + logs["kl"], abs=1e-5)
    assert loss.item() == pytest.approx(logs["nll"] + 0.3 * logs["kl"], abs=1e-5)

    assert [kl_weight(0.2, s, 4) for s in range(6)] == pytest.approx([0.05, 0.1, 0.15, 0.2, 0.2, 0.2])
    assert kl_weight(0.2, 0, 0) == 0.2  # no warm-up: the paper's constant α
    assert [kl_weight(0.2, s, 2, free_steps=3) for s in range(6)] == pytest.approx([0, 0, 0, 0.1, 0.2, 0.2])
    assert [kl_weight(0.2, s, 0, free_steps=2) for s in range(4)] == pytest.approx([0, 0, 0.2, 0.2])
    late = [kl_weight(0.2, s, 2, free_steps=1, late_from=4, late=0.5) for s in range(6)]
    assert late == pytest.approx([0, 0.1, 0.2, 0.2, 0.5, 0.5])  # from step 4 on the late α
    assert kl_weight(0.2, 10, 2, late_from=0, late=0.5) == 0.2  # late_from 0: never
    from types import SimpleNamespace

    from internal_rl.metacontroller.train import DiscoveryTrainer

    trainer = SimpleNamespace(  # the trainer's own schedule fields reach kl_weight
        mc=SimpleNamespace(cfg=SimpleNamespace(alpha=0.05)),
        kl_warmup_steps=0,
        kl_free_steps=1,
        alpha_late_from=3,
        alpha_late=0.1,
    )
    assert [DiscoveryTrainer.alpha_at(trainer, s) for s in range(5)] == pytest.approx([0, 0.05, 0.05, 0.1, 0.1])


def test_an_open_gate_is_the_always_switching_ablation_with_the_same_weights():
    m = make_model()  # learned switching unit, β varies
    e, mask, actions, noise = batch()
    upper = frozen_upper()
    learned = m.encode(e, mask, noise)
    opened = m.encode(e, mask, noise, open_gate=True)
    assert (learned.beta[:, 1:] < 0.99).any()  # the learned gate does not always switch ...
    assert torch.equal(opened.beta, torch.ones_like(opened.beta))  # ... the opened one does
    torch.testing.assert_close(opened.z, opened.mu + opened.logsigma.exp() * noise)  # z_t = z̃_t
    always = Metacontroller(small_cfg(switching="always"))
    always.load_state_dict({k: v for k, v in m.state_dict().items() if not k.startswith("switch.")})
    ref, _ = always(e, mask, actions, upper, noise)
    loss, _ = m(e, mask, actions, upper, noise, open_gate=True)
    assert loss.item() == pytest.approx(ref.item(), abs=1e-6)
    loss.backward()
    assert all(p.grad is None for p in m.switch.parameters())  # the unit is not used while the gate is open


class MaskOnlyEpisodes:
    """What StepBatches reads from a dataset, for trainer tests that look only at the batch's masks and noise."""

    def __init__(self, n: int, steps: int):
        self.n, self.steps, self.lengths = n, steps, np.full(n, steps)

    def __len__(self):
        return self.n

    def batch(self, idx):
        from types import SimpleNamespace

        b = SimpleNamespace(mask=torch.ones(len(idx), self.steps, dtype=torch.bool))
        b.to = lambda device: b
        return b


def test_the_trainer_opens_the_gate_for_open_gate_steps_then_learns_it():
    from internal_rl.metacontroller.train import DiscoveryTrainer

    trainer = DiscoveryTrainer(
        None,
        make_model(),
        MaskOnlyEpisodes(8, 5),
        layer=1,
        batch_size=4,
        seed=0,
        device=torch.device("cpu"),
        open_gate_steps=2,
    )
    assert [trainer.batch(s)[3] for s in range(4)] == [True, True, False, False]
    assert trainer.batch(0)[4] is None  # no gate noise by default (the paper)


def test_gate_noise_is_logistic_on_the_logit_seeded_and_training_only():
    """discover.gate_noise (E26): β = sigmoid(f_switch + s L), L ~ Logistic(0, 1), drawn per step from the seed."""
    from internal_rl.metacontroller.train import DiscoveryTrainer

    def trainer(scale: float, seed: int = 0) -> DiscoveryTrainer:
        return DiscoveryTrainer(
            None,
            make_model(),
            MaskOnlyEpisodes(64, 50),
            layer=1,
            batch_size=64,
            seed=seed,
            device=torch.device("cpu"),
            gate_noise=scale,
        )

    g = trainer(2.0).batch(3)[4]
    assert g.shape == (64, 50)
    torch.testing.assert_close(g, trainer(2.0).batch(3)[4])  # the seed fixes it
    assert not torch.equal(g, trainer(2.0, seed=1).batch(3)[4])
    assert abs(g.mean().item()) < 0.15
    assert g.std().item() == pytest.approx(2.0 * np.pi / np.sqrt(3.0), rel=0.1)  # Logistic(0, s) std = s π / √3

    m = make_model()
    e, mask, actions, noise = batch()
    plain = m.encode(e, mask, noise)
    torch.testing.assert_close(m.encode(e, mask, noise, gate_noise=torch.zeros(mask.shape)).beta, plain.beta)
    up = m.encode(e, mask, noise, gate_noise=torch.full(mask.shape, 50.0)).beta
    down = m.encode(e, mask, noise, gate_noise=torch.full(mask.shape, -50.0)).beta
    assert (up > 0.999).all() and (down[:, 1:] < 1e-3).all() and (down[:, 0] == 1).all()  # β_1 ≡ 1 stays
    with pytest.raises(ValueError, match="gate_noise"):
        m.encode(e, mask, noise, gate_noise=torch.zeros(mask.shape[0], mask.shape[1] + 1))


def test_the_cotrained_ablation_keeps_the_papers_constant_alpha():
    """cpu-long's gate and KL schedule applies to metacontrollers on a frozen backbone, never to co-training."""
    from internal_rl.config import load_config
    from internal_rl.pipeline.stages.discover import training_schedule

    root = Path(__file__).resolve().parents[1]
    dc = load_config(root / "configs" / "cpu-long.yaml").discover
    assert training_schedule(dc, cotrain=False) == {
        "kl_warmup_steps": 1000,
        "kl_free_steps": 4000,
        "alpha_late_from": 0,
        "alpha_late": 0.0,
        "open_gate_steps": 2000,
        "gate_noise": 1.0,
    }
    off = {k: 0 for k in training_schedule(dc, cotrain=False)}
    assert training_schedule(dc, cotrain=True) == off
    late = dataclasses.replace(dc, alpha_late_from=6000, alpha_late=0.1)
    assert training_schedule(late, cotrain=False)["alpha_late_from"] == 6000
    assert training_schedule(late, cotrain=False, swept=True)["alpha_late_from"] == 0  # a sweep point keeps its α
    assert training_schedule(late, cotrain=True) == off
