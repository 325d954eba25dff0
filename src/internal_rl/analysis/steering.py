"""Supervised one-hot steering controllers (App. C.3, SPEC §4).

The controller of §5 with beta = 1 and z_t = onehot(abstract subgoal at t): a hypernetwork maps the one-hot code
to a low-rank U = A Bᵀ applied at layer l as ê = e + U e, trained by action NLL on D* with the base model frozen
(gradients flow through its upper blocks). Evaluated on the post-training task with oracle switching: at every
step the controller of the subgoal the environment's progress says is next.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from internal_rl.config.sections import STEER_FORMS, SteerConfig
from internal_rl.data.batches import StepBatches
from internal_rl.data.counterfactual import MemorySwap, estimate_memory
from internal_rl.data.segments import subgoal_starts
from internal_rl.metacontroller.controller import DecoderConfig, HyperDecoder
from internal_rl.models.actions import ActionTargets, mode_hits
from internal_rl.train.precision import autocast

NUM_SUBGOALS = 4
START_STEPS = 3  # the "first steps" of a subgoal that steer.start_weight weights


CONTROLLER_FORMS = STEER_FORMS  # the config's list of forms


class SubgoalController(nn.Module):
    """ê = e + U(onehot(g)) e for a subgoal id g per step (``form="low_rank"``, the paper's).

    Two research forms (docs/experiments.md E10, not the paper's): ``"additive"`` ê = e + v_g, a learned vector per
    subgoal (activation addition: a constant push that U e can only make where e has a constant component), and
    ``"affine"`` ê = e + U_g e + v_g, and a nonlinear diagnostic, ``"mlp"`` ê = e + W2_g relu(W1_g e + b_g) with
    ``rank`` hidden units per subgoal (can *any* edit of e at this layer set the target?). The vectors and W2 start
    at zero, so every form starts as the base model.
    """

    def __init__(
        self, width: int, rank: int = 16, hidden: int = 32, num_subgoals: int = NUM_SUBGOALS, form: str = "low_rank"
    ):
        super().__init__()
        if form not in CONTROLLER_FORMS:
            raise ValueError(f"form: one of {', '.join(CONTROLLER_FORMS)}, got {form!r}")
        self.num_subgoals, self.form = num_subgoals, form
        self.decoder = HyperDecoder(DecoderConfig(latent_dim=num_subgoals, hidden=hidden, rank=rank, width=width))
        self.shift = nn.Parameter(torch.zeros(num_subgoals, width)) if form in ("additive", "affine") else None
        if form == "mlp":  # (K, D, H), (K, H), (K, H, D)
            self.w1 = nn.Parameter(torch.randn(num_subgoals, width, rank) / width**0.5)
            self.b1 = nn.Parameter(torch.zeros(num_subgoals, rank))
            self.w2 = nn.Parameter(torch.zeros(num_subgoals, rank, width))

    def forward(self, e: Tensor, subgoal: Tensor) -> Tensor:
        """e (B, T, D), subgoal (B, T) int64 -> ê (B, T, D) = e + A_g (B_gᵀ e), g the step's subgoal.

        Equal to ``decoder.control(e, onehot(g))``, but the K = 4 matrix pairs are generated once per call instead
        of once per step: U_g e is computed for every g through the rank-R bottleneck and the step's own is kept.
        """
        z = F.one_hot(subgoal.clamp(min=0), self.num_subgoals).to(e.dtype)  # (B, T, K)
        if self.form == "mlp":
            h = torch.relu(torch.einsum("btd,kdh->btkh", e, self.w1.to(e.dtype)) + self.b1.to(e.dtype))
            delta = torch.einsum("btkh,khd->btkd", h, self.w2.to(e.dtype))  # (B, T, K, D)
            return e + torch.einsum("btkd,btk->btd", delta, z)
        shift = 0 if self.shift is None else z @ self.shift.to(e.dtype)  # (B, T, D) = v_g
        if self.form == "additive":
            return e + shift
        A, Bm = self.decoder(torch.eye(self.num_subgoals, dtype=e.dtype, device=e.device))  # (K, D, R) each
        code = torch.einsum("btd,kdr->btkr", e, Bm.to(e.dtype))  # (B, T, K, R) = B_kᵀ e
        delta = torch.einsum("btkr,kdr->btkd", code, A.to(e.dtype))  # (B, T, K, D) = A_k B_kᵀ e
        return e + torch.einsum("btkd,btk->btd", delta, z) + shift


class StackedController(nn.Module):
    """A :class:`SubgoalController` after each of ``span`` consecutive blocks, from layer l to l + span - 1
    (``steer.span``; a research form, docs/experiments.md E10): a push at every layer the action is computed
    through, where one layer's push may be undone by the blocks above it."""

    def __init__(self, width: int, span: int, **kw):
        super().__init__()
        if span < 2:
            raise ValueError(f"span: a stacked controller spans >= 2 layers, got {span} (use SubgoalController)")
        self.levels = nn.ModuleList(SubgoalController(width, **kw) for _ in range(span))


def push(controller: nn.Module, e: Tensor, subgoal: Tensor, gain: float = 1.0) -> Tensor:
    """ê = e + gain (controller(e) - e): the controller's push scaled by ``gain`` (1 = the trained one)."""
    steered = controller(e, subgoal)
    return steered if gain == 1.0 else e + gain * (steered - e)


def steered_upper(
    base: nn.Module,
    controller: nn.Module,
    e: Tensor,
    subgoal: Tensor,
    layer: int,
    cache=None,
    gain: float = 1.0,
    with_obs: bool = False,
) -> tuple[Tensor, Tensor | None]:
    """The base model above ``layer`` with the controller in: e_l (B, T, D) -> the heads' outputs.

    One controller: upper(ê_l). A stacked one: ê_l, block l+1, ê_{l+1}, ..., then the blocks above its last layer.
    ``gain`` scales every push (ê = e + gain (controller(e) - e)); 1 is the trained controller.
    """
    levels = list(controller.levels) if isinstance(controller, StackedController) else [controller]
    for j, level in enumerate(levels):
        if j:
            e = base.between(e, layer + j - 1, layer + j, cache)
        e = push(level, e, subgoal, gain)
    return base.upper(e, layer + len(levels) - 1, cache, with_obs=with_obs)


class SteeringTrainer:
    """Batches and loss for :func:`internal_rl.train.loop.fit` (the base model is frozen)."""

    def __init__(
        self,
        base: nn.Module,
        controller: nn.Module,
        dataset,
        layer: int,
        cfg: SteerConfig,
        seed: int,
        action_targets: ActionTargets | None = None,
    ):
        """Batches of ``cfg.batch_size`` episodes of ``dataset`` (D*) on the base model's device, the loss in
        ``cfg.precision``, each subgoal's first ``START_STEPS`` steps weighted ``cfg.start_weight``; the NLL of the
        recorded actions, or of ``action_targets(batch)`` (B, T, A) distributions (``steer.targets: expert``)."""
        self.base, self.controller, self.dataset, self.action_targets = base, controller, dataset, action_targets
        self.start_weight, self.start_steps = cfg.start_weight, START_STEPS
        self.layer, self.batch_size, self.seed, self.device = layer, cfg.batch_size, seed, base.device
        self.precision, self.memory_swap, self.memory_swap_to = cfg.precision, cfg.memory_swap, cfg.memory_swap_to
        self._batches: StepBatches | None = None
        self._swap: MemorySwap | None = None  # the previous-subgoal components, estimated on first use

    def batch(self, step: int, counterfactual: bool = True):
        """Length-bucketed batch of D* for ``step`` (a pure function of seed and step; little padding), with
        ``steer.memory_swap`` of its segments given another previous subgoal unless ``counterfactual`` is False."""
        b = self.batches()(step)
        with torch.no_grad(), autocast(self.device, self.precision):
            e = self.base.lower(b.observations[:, :-1], self.layer)  # (B, T, D), no gradient needed below l
        if self.memory_swap and counterfactual:
            generator = torch.Generator().manual_seed(self.seed * 1_000_003 + step)
            e = e + self.memory().shift(b.subgoal, self.memory_swap, generator, self.memory_swap_to).to(e.dtype)
        return b, e

    def batches(self) -> StepBatches:
        """The batches over the dataset (made on first use)."""
        if self._batches is None:
            self._batches = StepBatches(self.dataset, min(self.batch_size, len(self.dataset)), self.seed, self.device)
        return self._batches

    def memory(self) -> MemorySwap:
        """The previous-subgoal components of the controlled layer (estimated once, on D*)."""
        if self._swap is None:
            self._swap = estimate_memory(self.batches(), lambda obs: self.base.lower(obs, self.layer), NUM_SUBGOALS)
        return self._swap

    def evaluate(self) -> dict[str, float]:
        """The controller's NLL and accuracy on a batch no training step draws (step 10⁹), as recorded."""
        return self.loss(self.batch(10**9, counterfactual=False))[1]

    def loss(self, batch) -> tuple[Tensor, dict[str, float]]:
        b, e = batch
        with autocast(self.device, self.precision):
            logits, _ = steered_upper(self.base, self.controller, e, b.subgoal, self.layer)  # (B, T, 4)
        dist = self.base.action_dist(logits)
        targets = b.actions if self.action_targets is None else self.action_targets(b)
        nll = dist.nll(targets)  # (B, T), fp32 under bf16 autocast too
        mean_nll = (nll * b.mask).sum() / b.mask.sum()
        loss = mean_nll
        if self.start_weight != 1.0:  # weight the first steps of every subgoal (research option, E10)
            w = b.mask * torch.where(subgoal_starts(b.subgoal, self.start_steps), self.start_weight, 1.0)
            loss = (nll * w).sum() / w.sum()
        acc = (mode_hits(dist, b.actions) & b.mask).sum() / b.mask.sum()
        return loss, {"action_nll": float(mean_nll.detach()), "action_accuracy": float(acc)}
