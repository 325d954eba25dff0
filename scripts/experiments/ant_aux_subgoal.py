"""E40 (issue 13), a diagnostic, not the paper's method: can the ant base model hold the subgoal at this budget if
it is asked to, and does holding it help predict the actions? The run's base model (its config's model section)
is pretrained on the run's D by Eq. 5 (action NLL + lambda x next-observation NLL, lr warm-up then cosine, bf16
where native) plus AUX x the cross-entropy of a linear subgoal head on the residual stream at L/2. AUX = 0 is the
control (the same loop without the head's gradient). At the end: the head's held-out accuracy, a fresh probe at
every layer (probe.quick_probes, 128 + 128 held-out episodes) and the held-out action NLL.

Usage: .venv/bin/python scripts/experiments/ant_aux_subgoal.py RUN OUT.json STEPS AUX
"""

from __future__ import annotations

import json
import math
import sys
import time
from pathlib import Path

import torch
import torch.nn.functional as F

from internal_rl.analysis.probe import NUM_SUBGOALS, quick_probes
from internal_rl.config import load_config
from internal_rl.data import VectorEpisodes
from internal_rl.data.batches import StepBatches
from internal_rl.models.encoders import next_observation_nll
from internal_rl.pipeline.artifacts import build_model
from internal_rl.train.precision import autocast


def losses(model, head, batch, layer: int) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
    """Summed action NLL, next-observation NLL, head cross-entropy and head hits over the batch's valid steps."""
    obs, mask = batch.observations, batch.mask
    out = model(obs[:, :-1], return_residuals=True)
    action_nll = (model.action_dist(out.action_logits).nll(batch.actions) * mask).sum()
    obs_nll = (next_observation_nll(model.cfg, out.obs_logits, obs[:, 1:]) * mask).sum()
    logits = head(out.residuals[layer].float())[mask]  # (N, 4)
    y = batch.subgoal[mask]
    return action_nll, obs_nll, F.cross_entropy(logits, y, reduction="sum"), (logits.argmax(-1) == y).sum()


def main() -> None:
    torch.set_num_threads(1)
    run, out, steps, aux = Path(sys.argv[1]), Path(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4])
    cfg = load_config(run / "config.yaml", [])
    torch.manual_seed(cfg.seed)
    model = build_model(cfg)
    layer = cfg.model.depth // 2
    head = torch.nn.Linear(cfg.model.width, NUM_SUBGOALS)
    pc = cfg.pretrain
    params = list(model.parameters()) + list(head.parameters())
    opt = torch.optim.AdamW(params, lr=pc.lr, weight_decay=pc.weight_decay)
    train, heldout = VectorEpisodes(run / "data" / "train"), VectorEpisodes(run / "data" / "eval")
    batches = StepBatches(train, pc.batch_size, cfg.seed, torch.device("cpu"))
    start, history = time.perf_counter(), []
    for step in range(steps):
        frac = min(1.0, (step + 1) / pc.warmup_steps)
        cosine = 0.5 * (1 + math.cos(math.pi * step / steps))
        for g in opt.param_groups:
            g["lr"] = pc.lr * frac * cosine
        b = batches(step)
        with autocast(torch.device("cpu"), pc.precision):
            a_nll, o_nll, ce, hits = losses(model, head, b, layer)
        n = b.mask.sum()
        loss = (a_nll + pc.obs_weight * o_nll + aux * ce) / n
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, pc.grad_clip)
        opt.step()
        if (step + 1) % 250 == 0:
            row = {"step": step + 1, "action_nll": float(a_nll / n), "head_accuracy": float(hits / n)}
            history.append(row | {"wall_s": round(time.perf_counter() - start)})
            print(json.dumps(history[-1]), flush=True)
    model.eval()
    with torch.no_grad():
        totals = torch.zeros(4)
        n_eval = min(256, len(heldout))
        for s in range(0, n_eval, 64):
            b = heldout.batch(torch.arange(s, min(s + 64, n_eval)).numpy())
            with autocast(torch.device("cpu"), pc.precision):
                a_nll, _, _, hits = losses(model, head, b, layer)
            totals += torch.tensor([float(a_nll), float(hits), float(b.mask.sum()), 0.0])
    result = {
        "steps": steps,
        "aux_weight": aux,
        "layer": layer,
        "heldout_action_nll": float(totals[0] / totals[2]),
        "heldout_head_accuracy": float(totals[1] / totals[2]),
        "probes": quick_probes(model, heldout, torch.device("cpu"), episodes=256, labels=("subgoal",), steps=2000),
        "history": history,
        "wall_s": round(time.perf_counter() - start),
    }
    print(json.dumps({k: v for k, v in result.items() if k != "history"}), flush=True)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
