"""Low-rank control ê = e + A (Bᵀ e) and the hypernetwork decoder f_hyp (SPEC §5)."""

import pytest
import torch

from internal_rl.metacontroller import DecoderConfig, HyperDecoder, apply_low_rank, dense_matrix

torch.set_num_threads(1)


def test_low_rank_apply_equals_explicit_dense_matrix():
    gen = torch.Generator().manual_seed(0)
    B, T, D, R = 3, 5, 24, 4
    e = torch.randn(B, T, D, generator=gen, dtype=torch.float64)
    A = torch.randn(B, T, D, R, generator=gen, dtype=torch.float64)
    Bm = torch.randn(B, T, D, R, generator=gen, dtype=torch.float64)
    U = torch.zeros(B, T, D, D, dtype=torch.float64)
    for r in range(R):  # U = Σ_r a_r b_rᵀ, built as explicit outer products
        U += A[..., :, r, None] * Bm[..., None, :, r]
    expected = torch.einsum("btij,btj->bti", torch.eye(D, dtype=torch.float64) + U, e)
    torch.testing.assert_close(apply_low_rank(e, A, Bm), expected, atol=1e-10, rtol=0)
    torch.testing.assert_close(dense_matrix(A, Bm), U, atol=1e-10, rtol=0)
    # an element-wise gain e * (1 + diag-like) would not mix coordinates: U has off-diagonal mass
    assert (U - torch.diag_embed(torch.diagonal(U, dim1=-2, dim2=-1))).abs().max() > 1.0


def test_low_rank_apply_broadcasts_one_controller_over_time():
    gen = torch.Generator().manual_seed(1)
    e = torch.randn(2, 7, 10, generator=gen, dtype=torch.float64)
    A, Bm = torch.randn(2, 2, 1, 10, 3, generator=gen, dtype=torch.float64).unbind(0)  # (2, 1, D, R) each
    out = apply_low_rank(e, A, Bm)
    for t in range(7):
        torch.testing.assert_close(out[:, t], apply_low_rank(e[:, t], A[:, 0], Bm[:, 0]))
    with pytest.raises(ValueError, match="shapes"):
        apply_low_rank(e, A, Bm[..., :2])


@pytest.mark.parametrize(
    ("field", "value"),
    [("latent_dim", 0), ("hidden", 0), ("rank", 300), ("width", -1), ("b_init", -0.01), ("b_init", float("nan"))],
)
def test_decoder_config_rejects_invalid_values_naming_the_field(field, value):
    with pytest.raises(ValueError, match=field):
        DecoderConfig(**{field: value})


def test_hyper_decoder_shapes_and_identity_at_init():
    torch.manual_seed(0)
    dec = HyperDecoder(DecoderConfig(latent_dim=4, hidden=32, rank=16, width=64))
    z = torch.nn.functional.one_hot(torch.tensor([[0, 1, 3], [2, 2, 0]]), 4).float()  # (B, T, Z) codes
    A, Bm = dec(z)
    assert A.shape == Bm.shape == (2, 3, 64, 16)
    assert dec.matrix(z).shape == (2, 3, 64, 64)
    e = torch.randn(2, 3, 64)
    torch.testing.assert_close(dec.control(e, z), e, atol=0, rtol=0)  # B-head starts at zero: U = 0
    assert A.abs().mean() > 0.1


def test_b_init_makes_the_control_depend_on_the_code_from_the_start_and_changes_nothing_else():
    """b_init > 0: the B-head's weights start at that std (bias zero), so ê ≠ e and differs between codes; the
    hidden layer and A-head are drawn first and come out as with b_init = 0 under the same seed."""
    sizes = dict(latent_dim=4, hidden=32, rank=16, width=64)
    torch.manual_seed(0)
    zero = HyperDecoder(DecoderConfig(**sizes))
    torch.manual_seed(0)
    dec = HyperDecoder(DecoderConfig(**sizes, b_init=0.01))
    assert 0.008 < dec.out_b.weight.std().item() < 0.012
    assert torch.count_nonzero(dec.out_b.bias) == 0
    for name in ("hidden.weight", "hidden.bias", "out_a.weight", "out_a.bias"):
        torch.testing.assert_close(dec.get_parameter(name), zero.get_parameter(name), atol=0, rtol=0)
    e = torch.randn(64)
    z = torch.eye(4)  # four codes
    out = dec.control(e.expand(4, 64), z)  # (4, D)
    assert (out - e).abs().max() > 1e-3  # U ≠ 0
    assert (out[0] - out[1]).abs().max() > 1e-3  # and it depends on z


@pytest.mark.parametrize(("rank", "shape"), [(1, (5,)), (4, (3, 7)), (12, (2, 3, 4))])
def test_factored_control_equals_the_dense_low_rank_path_in_value_and_gradient(rank, shape):
    """decoder.control never forms A, B per step; it must equal apply_low_rank(e, *decoder(z)) exactly (float64),
    for the forward value and for the gradients of e, z and every decoder parameter (rank up to D = 12)."""
    torch.manual_seed(rank)
    dec = HyperDecoder(DecoderConfig(latent_dim=3, hidden=5, rank=rank, width=12)).double()
    for p in dec.parameters():  # the init's zero B-head would hide errors in the B path
        torch.nn.init.normal_(p)
    e = torch.randn(*shape, 12, dtype=torch.float64, requires_grad=True)
    z = torch.randn(*shape, 3, dtype=torch.float64, requires_grad=True)
    w = torch.randn(*shape, 12, dtype=torch.float64)  # a random linear readout for the gradients

    def value_and_grads(fn):
        out = fn()
        grads = torch.autograd.grad((out * w).sum(), [e, z, *dec.parameters()])
        return out, grads

    out, grads = value_and_grads(lambda: dec.control(e, z))
    ref, ref_grads = value_and_grads(lambda: apply_low_rank(e, *dec(z)))
    torch.testing.assert_close(out, ref, atol=1e-10, rtol=1e-10)
    for g, r in zip(grads, ref_grads, strict=True):
        torch.testing.assert_close(g, r, atol=1e-9, rtol=1e-9)
    assert (out - e).abs().max() > 0.1  # the control is not the identity here (the test can fail)


def test_hyper_decoder_gradients_reach_every_parameter_and_the_code():
    torch.manual_seed(0)
    dec = HyperDecoder(DecoderConfig(latent_dim=8, hidden=16, rank=4, width=32))
    z = torch.randn(5, 8, requires_grad=True)
    e = torch.randn(5, 32)
    target = torch.randn(5, 32)
    loss = (dec.control(e, z) - target).pow(2).sum()
    loss.backward()
    # at initialisation only the B-head is reached (U = A·0): after one SGD step everything is
    assert dec.out_b.weight.grad.abs().sum() > 0
    assert dec.out_a.weight.grad.abs().sum() == 0 and z.grad.abs().sum() == 0
    with torch.no_grad():
        for p in dec.parameters():
            p -= 0.1 * p.grad
    dec.zero_grad()
    z.grad = None
    (dec.control(e, z) - target).pow(2).sum().backward()
    for name, p in dec.named_parameters():
        assert p.grad.abs().sum() > 0, name
    assert z.grad.abs().sum() > 0


def test_hyper_decoder_learns_code_specific_controllers():
    """Four one-hot codes, each must implement a different linear map e -> M_k e on the residual."""
    torch.manual_seed(0)
    D, K = 16, 4
    dec = HyperDecoder(DecoderConfig(latent_dim=K, hidden=32, rank=2, width=D))
    targets = [torch.randn(D, 2) @ torch.randn(2, D) * 0.5 for _ in range(K)]  # rank-2 U per code
    opt = torch.optim.Adam(dec.parameters(), lr=1e-2)
    for _ in range(600):
        k = torch.randint(0, K, (64,))
        e = torch.randn(64, D)
        want = e + torch.einsum("bij,bj->bi", torch.stack(targets)[k], e)
        loss = (dec.control(e, torch.nn.functional.one_hot(k, K).float()) - want).pow(2).mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
    eye = torch.eye(K)
    for k in range(K):
        err = (dec.matrix(eye[k]) - targets[k]).norm() / targets[k].norm()
        assert err < 0.05, (k, err.item())


def test_subgoal_controller_equals_the_per_step_decoder():
    """The batched form (K matrix pairs per call) equals applying f_hyp(onehot(g)) at every step."""
    import torch.nn.functional as F

    from internal_rl.analysis.steering import SubgoalController

    torch.manual_seed(0)
    ctrl = SubgoalController(24, rank=4, hidden=8)
    torch.nn.init.normal_(ctrl.decoder.out_b.weight)
    e = torch.randn(3, 7, 24, dtype=torch.float64)
    g = torch.randint(0, 4, (3, 7))
    ctrl = ctrl.double()
    want = ctrl.decoder.control(e, F.one_hot(g, 4).double())
    torch.testing.assert_close(ctrl(e, g), want, rtol=1e-10, atol=1e-10)


def test_subgoal_controller_forms():
    """additive: ê = e + v_g; affine: the low-rank form plus v_g; an unknown form is refused by name."""
    from internal_rl.analysis.steering import SubgoalController

    torch.manual_seed(0)
    e = torch.randn(3, 7, 24, dtype=torch.float64)
    g = torch.randint(0, 4, (3, 7))
    low = SubgoalController(24, rank=4, hidden=8).double()
    torch.nn.init.normal_(low.decoder.out_b.weight)
    for form in ("additive", "affine"):
        ctrl = SubgoalController(24, rank=4, hidden=8, form=form).double()
        ctrl.decoder.load_state_dict(low.decoder.state_dict())
        torch.testing.assert_close(ctrl(e, g), e, rtol=0, atol=0) if form == "additive" else None
        torch.nn.init.normal_(ctrl.shift)
        base = e if form == "additive" else low(e, g)
        torch.testing.assert_close(ctrl(e, g), base + ctrl.shift[g], rtol=1e-10, atol=1e-10)
    with pytest.raises(ValueError, match="form"):
        SubgoalController(24, form="dense")


def test_mlp_controller_starts_as_the_base_model_and_is_per_subgoal():
    """mlp: ê = e + W2_g relu(W1_g e + b_g), zero at initialisation, each step through its own subgoal's MLP."""
    from internal_rl.analysis.steering import SubgoalController

    torch.manual_seed(1)
    e = torch.randn(2, 5, 12, dtype=torch.float64)
    g = torch.randint(0, 4, (2, 5))
    ctrl = SubgoalController(12, rank=6, form="mlp").double()
    torch.testing.assert_close(ctrl(e, g), e, rtol=0, atol=0)
    torch.nn.init.normal_(ctrl.w2)
    out = ctrl(e, g)
    for b in range(2):
        for t in range(5):
            k = int(g[b, t])
            want = e[b, t] + torch.relu(e[b, t] @ ctrl.w1[k] + ctrl.b1[k]) @ ctrl.w2[k]
            torch.testing.assert_close(out[b, t], want, rtol=1e-10, atol=1e-10)


def test_only_a_shift_can_add_a_constant_to_a_centred_stream():
    """The research question behind the forms: on a residual stream with no constant component, e + U e cannot
    add a fixed vector (its push averages to zero), e + v_g can. Fit ê ≈ e + c_g by MSE: the low-rank form's
    error stays near |c|², the additive form's goes to ~0."""
    from internal_rl.analysis.steering import SubgoalController

    torch.manual_seed(0)
    c = torch.randn(4, 16)
    errors = {}
    for form in ("low_rank", "additive"):
        ctrl = SubgoalController(16, rank=16, hidden=16, form=form)
        opt = torch.optim.Adam(ctrl.parameters(), lr=3e-2)
        for _ in range(300):
            e = torch.randn(32, 5, 16)
            g = torch.randint(0, 4, (32, 5))
            loss = ((ctrl(e, g) - (e + c[g])) ** 2).sum(-1).mean()
            opt.zero_grad()
            loss.backward()
            opt.step()
        errors[form] = float(loss.detach()) / float((c**2).sum(-1).mean())
    assert errors["additive"] < 0.01 and errors["low_rank"] > 0.8, errors


def test_subgoal_starts_marks_the_first_steps_of_each_segment():
    from internal_rl.data.segments import subgoal_starts

    g = torch.tensor([[0, 0, 0, 0, 2, 2, 2, 2, 2, 1]])
    assert subgoal_starts(g, 3).int().tolist() == [[1, 1, 1, 0, 1, 1, 1, 0, 0, 1]]
    assert subgoal_starts(g, 1).int().tolist() == [[1, 0, 0, 0, 1, 0, 0, 0, 0, 1]]
