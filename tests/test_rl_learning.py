"""A hand-built toy where temporal abstraction obviously helps: internal RL learns, raw-action RL at the same
episode budget does not (the mechanism of Fig. 8 in miniature); and training resumes exactly.

The toy (5x5 grid, one fixed layout, no walls, 12 colours, horizon 24):

    A . . . 0        A start; task 0 -> 1 -> 2 (colours at three corners), 12 raw steps along the border
    x x x x .        x = 9 trap colours lining the inside of the path: entering one ends the episode with 0
    . . . x .
    x x x x .
    2 . . . 1

Base model (hand-set weights, depth 1, controlled layer l = 0, so ê is the controlled input embedding):
e_0 = [1, on_colour, row/4, col/4, 0 ...]; the block adds nothing; logits_a = 5 * LN(ê)[4 + a]. Unsteered,
dims 4..7 are 0 and the policy is uniform: a random walk that must make 12 correct moves in a row while every
inward move is fatal, success ≈ 1e-5 per episode, so raw-action RL sees no reward within the budget.
Metacontroller (hand-set): the decoder maps a code z ∈ R² to U e = 10 * [relu(-z1), relu(z0), relu(z1), relu(-z0)]
in dims 4..7 ("keep going up / right / down / left"), and the switching unit fires when the agent stands on a
colour (the subgoal boundaries). With codes z ~ N(0, I) a random policy succeeds in ≈ 4% of episodes (three
right choices of direction), so PPO on the 3-step abstract problem quickly finds the solution.
Both methods use the same PPO settings, episodes and evaluation.
"""

from __future__ import annotations

import copy
import dataclasses

import pytest
import torch

from internal_rl.envs import GridParams, reset_with_layout
from internal_rl.metacontroller import Metacontroller, MetacontrollerConfig
from internal_rl.models import Transformer, TransformerConfig
from internal_rl.rl import Continuation, Episodes, PPOArgs, make_policy, train_internal_rl, train_raw_action_rl
from internal_rl.rl.resume import resumable
from internal_rl.train.checkpoint import CheckpointMismatch
from internal_rl.worlds import GridWorld

torch.set_num_threads(1)

G, O, D = 5, 12, 16
PARAMS = GridParams(size=G, num_colors=O, num_walls=0, max_steps=24)
TASK = (0, 1, 2)


def cell(r: int, c: int) -> int:
    return r * G + c


COLORS = (
    [cell(0, 4), cell(4, 4), cell(4, 0)]
    + [cell(1, c) for c in range(4)]
    + [cell(2, 3)]
    + [cell(3, c) for c in (3, 2, 1, 0)]
)
START = reset_with_layout([COLORS], [[]], [cell(0, 0)], [TASK], PARAMS)  # the one layout, as a one-env state
ARGS = PPOArgs(
    updates=20,
    batch_size=128,
    lr=1e-2,
    epochs=4,
    minibatches=2,
    policy_hidden=32,
    eval_every=5,
    eval_episodes=256,
    eval_batch=256,
)


@torch.no_grad()
def toy_models() -> tuple[Transformer, Metacontroller]:
    base = Transformer(
        TransformerConfig(depth=1, width=D, heads=1, mlp=4, encoder="linear", grid_size=G, num_channels=O + 1)
    )
    for p in base.parameters():
        p.zero_()
    for m in base.modules():
        if isinstance(m, torch.nn.LayerNorm):
            m.reset_parameters()
    base.encoder.bias[0] = 1.0
    for c in range(G * G):  # the agent's embedding row at cell c
        row = base.encoder.weight[c * (O + 1) + O]
        row[1], row[2], row[3] = float(c in COLORS), (c // G) / (G - 1), (c % G) / (G - 1)
    for a in range(4):
        base.action_head.weight[a, 4 + a] = 5.0
    mc = Metacontroller(
        MetacontrollerConfig(
            width=D,
            latent_dim=2,
            history_dim=2,
            embed_dim=2,
            embedder_hidden=2,
            encoder_hidden=2,
            switch_hidden=2,
            decoder_hidden=4,
            rank=1,
            normalize_input=False,
        )
    )
    sw, dec = mc.switch, mc.decoder
    for p in [*sw.parameters(), *dec.parameters()]:
        p.zero_()
    sw.inp.weight[0, 1], sw.inp.bias[0] = 10.0, -5.0  # fires on colour cells only
    sw.out.weight[0, 0], sw.out.bias[0] = 10.0, -5.0
    dec.hidden.weight.copy_(torch.tensor([[0.0, -1.0], [1.0, 0.0], [0.0, 1.0], [-1.0, 0.0]]))  # up right down left
    for a in range(4):
        dec.out_a.weight[4 + a, a] = 10.0  # A[:, 0] = 10 * h in dims 4..7
    dec.out_b.bias[0] = 1.0  # B[:, 0] = unit vector on the constant dim: Bᵀ e = 1
    return base.eval(), mc.eval()


def test_internal_rl_beats_raw_action_rl_at_equal_budget():
    base, mc = toy_models()
    episodes = Episodes(TASK, GridWorld(PARAMS), START)
    internal = train_internal_rl(base, mc, ARGS, layer=0, episodes=episodes, seed=0)
    raw = train_raw_action_rl(copy.deepcopy(base), ARGS, episodes=episodes, seed=0)
    assert internal["episodes"] == raw["episodes"] == ARGS.updates * ARGS.batch_size
    assert internal["curve"]["episodes"] == raw["curve"]["episodes"]
    assert internal["curve"]["success_rate"][0] < 0.1  # not solved by construction: it is learned
    assert internal["success_rate"] >= 0.9
    assert internal["success_rate_mean"] >= 0.9 and internal["curve"]["success_rate_mean"][0] < 0.1
    assert raw["success_rate"] <= 0.02 and "success_rate_mean" not in raw  # raw actions have no mean code
    hits = [h["train_successes"] for h in internal["history"][1:]]
    assert sum(hits) <= internal["episodes"] and hits[-1] >= 0.5 * ARGS.eval_every * ARGS.batch_size  # learnt
    assert sum(h["train_successes"] for h in raw["history"][1:]) <= 0.05 * raw["episodes"]
    steps = internal["history"][-1]["policy_steps_per_episode"]
    assert 2.5 < steps < 4.5  # ≈ 3 abstract steps (one per leg) instead of 12 raw decisions


def test_training_resumes_exactly():
    base, mc = toy_models()
    args = PPOArgs(
        updates=4, batch_size=32, lr=1e-2, epochs=2, minibatches=2, policy_hidden=8, eval_every=2, eval_episodes=32
    )
    saved = {}

    def on_update(update, modules, optimizer, history):
        if update == 2:
            saved.update(
                policy=copy.deepcopy(modules["policy"].state_dict()),
                optimizer=copy.deepcopy(optimizer.state_dict()),
                history=copy.deepcopy(history),
            )

    kw = dict(layer=0, episodes=Episodes(TASK, GridWorld(PARAMS), START), seed=3)
    full_policy = make_policy(D, 2, 8, seed=3)
    full = train_internal_rl(base, mc, args, cont=Continuation(policy=full_policy, on_update=on_update), **kw)
    resumed_policy = make_policy(D, 2, 8, seed=99)
    resumed_policy.load_state_dict(saved["policy"])
    resumed = train_internal_rl(
        base,
        mc,
        args,
        cont=Continuation(
            policy=resumed_policy, optimizer_state=saved["optimizer"], start_update=2, history=saved["history"]
        ),
        **kw,
    )
    assert resumed["curve"] == full["curve"]
    assert [h.get("train_successes") for h in resumed["history"]] == [h.get("train_successes") for h in full["history"]]
    for a, b in zip(full_policy.parameters(), resumed_policy.parameters(), strict=True):
        assert torch.equal(a, b)
    assert any(
        not torch.equal(a, b)
        for a, b in zip(full_policy.parameters(), make_policy(D, 2, 8, seed=3).parameters(), strict=True)
    )


def test_a_run_stopped_at_a_checkpoint_resumes_from_its_directory_exactly_and_refuses_other_weights(tmp_path):
    """rl/resume.py (the rl stage's and the experiment scripts' resume): 2 updates saved in a directory, then 4
    from there, equal 4 uninterrupted; a checkpoint recorded for another layer is refused, naming the field."""
    base, mc = toy_models()
    args = PPOArgs(updates=4, batch_size=32, lr=1e-2, policy_hidden=8, eval_every=2, eval_episodes=32)
    kw = dict(layer=0, episodes=Episodes(TASK, GridWorld(PARAMS), START), seed=5)
    recorded, saves = {"layer": 0}, []

    def run(directory, updates):
        policy = make_policy(D, 2, 8, seed=5)
        save_at, on_save = (lambda u: u % 2 == 0), (lambda history: saves.append(history[-1]["update"]))
        cont = resumable(directory, {"policy": policy}, recorded, "rl", save_at, on_save)
        return train_internal_rl(base, mc, dataclasses.replace(args, updates=updates), cont=cont, **kw), policy

    full, full_policy = run(tmp_path / "full", 4)
    run(tmp_path / "split", 2)
    assert saves == [2, 4, 2]  # a save at every even update, after its evaluation
    resumed, resumed_policy = run(tmp_path / "split", 4)
    assert saves == [2, 4, 2, 4]  # the resumed run started after update 2
    assert resumed["curve"] == full["curve"]
    for a, b in zip(full_policy.parameters(), resumed_policy.parameters(), strict=True):
        assert torch.equal(a, b)
    with pytest.raises(CheckpointMismatch, match=r"rl\.layer=0 .* rl\.layer=1"):
        resumable(tmp_path / "split", {"policy": make_policy(D, 2, 8, seed=5)}, {"layer": 1}, "rl", lambda u: True)
