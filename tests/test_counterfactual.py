"""steer.memory_swap (data/counterfactual.py): segments, the additive previous-subgoal components, the swap."""

import pytest
import torch

from internal_rl.config import ConfigError, SteerConfig, load_config
from internal_rl.data import EpisodeDataset, generate_dataset
from internal_rl.data.counterfactual import MemorySwap
from internal_rl.data.segments import previous_subgoal
from internal_rl.envs import PRETRAIN_TASKS, pretraining_tasks
from internal_rl.envs.tasks import abstract_transitions
from internal_rl.models import Transformer

# the eight (p, g) the pretraining tasks use, as subgoal ids
SEEN = sorted({("ABCD".index(p), "ABCD".index(g)) for t in pretraining_tasks() for p, g in abstract_transitions(t)})


def test_previous_subgoal_carries_the_last_label_along_each_segment():
    g = torch.tensor([[0, 0, 2, 2, 2, 1, 3, 3]])
    prev, segment = previous_subgoal(g)
    assert prev.tolist() == [[-1, -1, 0, 0, 0, 2, 1, 1]]
    assert segment.tolist() == [[0, 0, 1, 1, 1, 2, 3, 3]]


def synthetic(a: torch.Tensor, b: torch.Tensor, episodes: int, seed: int):
    """Episodes of chains of the seen transitions, e_t = a[s, p] + b[s, g] + noise (s: steps since the start)."""
    gen = torch.Generator().manual_seed(seed)
    succ = {p: [g for q, g in SEEN if q == p] for p in range(4)}
    rows = []
    for _ in range(episodes):
        labels, g = [], int(torch.randint(4, (1,), generator=gen))
        for _ in range(4):
            labels += [g] * int(torch.randint(2, 6, (1,), generator=gen))
            g = succ[g][int(torch.randint(2, (1,), generator=gen))]
        rows.append(torch.tensor(labels[:16] + [labels[-1]] * (16 - len(labels[:16]))))
    subgoal = torch.stack(rows)  # (E, 16)
    prev, _ = previous_subgoal(subgoal)
    since = torch.zeros_like(subgoal)
    for t in range(1, 16):
        since[:, t] = torch.where(subgoal[:, t] != subgoal[:, t - 1], 0, since[:, t - 1] + 1)
    s = since.clamp(max=a.shape[0] - 1)
    e = a[s, prev.clamp(min=0)] * (prev >= 0).unsqueeze(-1) + b[s, subgoal]
    e = e + 0.01 * torch.randn(e.shape, generator=gen)
    return e, subgoal, torch.ones_like(subgoal, dtype=torch.bool)


def test_the_components_of_unseen_pairs_are_recovered_from_the_seen_ones():
    """The (p, g) cells seen are only the eight pretraining transitions, yet a[q] - a[p] comes back for every q, p:
    the additive model is identified on their connected graph."""
    torch.manual_seed(0)
    a, b = torch.randn(4, 4, 8), torch.randn(4, 4, 8)  # (buckets, K, D)
    swap = MemorySwap.estimate([synthetic(a, b, 300, seed) for seed in range(3)], num_subgoals=4, buckets=4)
    for s in range(4):
        want = a[s, :, None] - a[s, None, :]  # (K, K, D) a[q] - a[p]
        got = swap.components[s, :, None] - swap.components[s, None, :]
        assert torch.allclose(got, want, atol=0.02), (s, (got - want).abs().max())


def test_the_swap_moves_whole_segments_after_the_first_and_nothing_else():
    a = torch.randn(2, 4, 5)
    swap = MemorySwap(a)
    g = torch.tensor([[0, 0, 2, 2, 2, 1, 1], [3, 3, 3, 1, 1, 0, 0]])
    none = swap.shift(g, 0.0, torch.Generator().manual_seed(0))
    assert torch.count_nonzero(none) == 0
    every = swap.shift(g, 1.0, torch.Generator().manual_seed(0))
    prev, segment = previous_subgoal(g)
    assert torch.count_nonzero(every[prev < 0]) == 0  # first segments keep their (absent) past
    assert (every[prev >= 0].abs().sum(-1) > 0).all()  # every other step moves (q != p)
    # one q per segment: the shift at a segment's later steps is a[1, q] - a[1, p] with the same q
    for i in range(2):
        for k in range(1, int(segment[i].max()) + 1):
            steps = (segment[i] == k).nonzero().flatten().tolist()
            p = int(prev[i, steps[0]])
            q = [q for q in range(4) if torch.allclose(every[i, steps[0]], a[0, q] - a[0, p])]
            assert len(q) == 1 and q[0] != p
            for t in steps[1:]:
                assert torch.allclose(every[i, t], a[1, q[0]] - a[1, p])


def test_unidentified_components_are_a_clear_error():
    """Chains of one transition cycle A->C->A only: B and D never precede anything, so nothing identifies them."""
    subgoal = torch.tensor([[0, 0, 2, 2, 0, 0, 2, 2]])
    e = torch.randn(1, 8, 3)
    with pytest.raises(ValueError, match="memory_swap"):
        MemorySwap.estimate([(e, subgoal, torch.ones_like(subgoal, dtype=torch.bool))], num_subgoals=4, buckets=2)


def test_self_swaps_move_every_later_segment_to_its_own_subgoal():
    a = torch.randn(2, 4, 5)
    g = torch.tensor([[0, 0, 2, 2, 2, 1, 1]])
    shift = MemorySwap(a).shift(g, 1.0, torch.Generator().manual_seed(0), to="self")
    prev, _ = previous_subgoal(g)
    s = torch.tensor([[0, 1, 0, 1, 1, 0, 1]])  # steps since the start, buckets 0 and 1+
    want = (a[s, g] - a[s, prev.clamp(min=0)]) * (prev >= 0).unsqueeze(-1)
    torch.testing.assert_close(shift, want)
    with pytest.raises(ValueError, match="memory_swap_to"):
        MemorySwap(a).shift(g, 1.0, torch.Generator(), to="next")


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    root = tmp_path_factory.mktemp("swap")
    generate_dataset(root / "d", num_episodes=64, tasks=PRETRAIN_TASKS, seed=3, progress=False)
    return EpisodeDataset(root / "d")


def test_the_trainer_swaps_training_batches_only(data):
    """steer.memory_swap: a training batch's residual moves on its later segments only, reproducibly for a step;
    the evaluation batch and the labels stay as recorded."""
    from internal_rl.analysis.steering import SteeringTrainer, SubgoalController

    torch.manual_seed(0)
    cfg = load_config(None, ["model.depth=2", "model.width=32", "model.heads=2", "model.mlp=64"])
    base = Transformer(cfg.model).eval().requires_grad_(False)
    ctrl = SubgoalController(32, rank=4, hidden=8)
    plain = SteeringTrainer(base, ctrl, data, 1, SteerConfig(batch_size=16), 0)
    swapped = SteeringTrainer(base, ctrl, data, 1, SteerConfig(batch_size=16, memory_swap=1.0), 0)
    (b0, e0), (b1, e1) = plain.batch(5), swapped.batch(5)
    assert torch.equal(b0.subgoal, b1.subgoal) and torch.equal(b0.actions, b1.actions)
    prev, _ = previous_subgoal(b0.subgoal)
    moved = (e1 - e0).abs().sum(-1) > 0
    assert torch.equal(moved, prev >= 0)
    assert torch.equal(swapped.batch(5)[1], e1)  # a pure function of the step
    assert plain.evaluate() == swapped.evaluate()


def test_memory_swap_is_validated():
    with pytest.raises(ConfigError, match="steer.memory_swap"):
        load_config(None, ["steer.memory_swap=1.5"])
    with pytest.raises(ConfigError, match="steer.memory_swap_to"):
        load_config(None, ["steer.memory_swap_to=next"])


def test_discovery_swaps_its_training_residuals_and_keeps_its_noise(data):
    """discover.memory_swap: the batch carries the shift (later segments only), the ε noise is the unswapped run's,
    and the loss sees the moved residual."""
    from internal_rl.metacontroller import Metacontroller
    from internal_rl.metacontroller.train import DiscoveryTrainer
    from internal_rl.pipeline.artifacts import metacontroller_config

    cfg = load_config(None, ["model.depth=2", "model.width=32", "model.heads=2", "model.mlp=64"])
    torch.manual_seed(0)
    base = Transformer(cfg.model).eval().requires_grad_(False)
    mc = Metacontroller(metacontroller_config(cfg, "learned", 0.1))
    kw = dict(layer=1, batch_size=16, seed=0, device=torch.device("cpu"))
    plain = DiscoveryTrainer(base, mc, data, **kw)
    swapped = DiscoveryTrainer(base, mc, data, memory_swap=1.0, **kw)
    p, s = plain.batch(3), swapped.batch(3)
    assert p[-1] is None and torch.equal(p[1], s[1])
    prev, _ = previous_subgoal(s[0].subgoal)
    assert torch.equal(s[-1].abs().sum(-1) > 0, prev >= 0)
    with torch.no_grad():
        assert float(plain.loss(p)[0]) != float(swapped.loss(s)[0])
        zero = (*s[:-1], torch.zeros_like(s[-1]))
        assert float(plain.loss(p)[0]) == float(swapped.loss(zero)[0])
    with pytest.raises(ConfigError, match="discover.memory_swap"):
        load_config(None, ["discover.memory_swap=-0.1"])
