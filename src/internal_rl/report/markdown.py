"""The reproduction report: every stage's numbers beside the paper's, with figures and the compute used."""

from __future__ import annotations

import json
import platform
import shutil
from pathlib import Path

# The paper's reported values (docs/spec.md; Kobayashi et al. 2025, Fig. 4, 6-8, A1-A3).
PAPER = {
    "expert_success": "1.0 on solvable layouts",
    "action_accuracy": "not reported (ceiling with the task latent 0.84, SPEC §3)",
    "probe_mid": "≈ 0.5 at mid-depth, rising from ≈ 0.3 (chance 0.25), Fig. A1",
    "steer": "≈ 0.5-0.7 at L/2 with oracle switching (Fig. 4, A2)",
    "unsteered": "≈ 0",
    "switch": "quasi-binary β, 'essentially perfect' alignment with subgoal boundaries (Fig. 6, A3)",
    "cotrained": "collapses to a single switch at t = 1 (Fig. 7)",
    "internal_rl": "high success within 1e6 episodes (Fig. 8)",
    "baselines": "≈ 0 (raw-action RL, no temporal abstraction, co-training; Fig. 8)",
    "closed_loop": "latent-task bound 1/16 ≈ 0.06",
    "decisions": "Bayes ≈ 0.32 (1/4 at the first pair, 1/2 later) / 1.0",
    "steered_decisions": "≈ 0.95 each (implied by 0.5-0.7 success over 12 colours)",
    "unsteered_decisions": "—",
}

# Ant-pinpad (App. A.2, B.3.2, C.1.1, Fig. 8) where its numbers differ from the gridworld's.
PAPER_ANT = {
    **PAPER,
    "expert_success": "0.8 on the pretraining tasks, 0.7 on the post task (C.1.1)",
    "action_accuracy": "— (continuous actions: see the NLL)",
    "probe_mid": "— (not reported for ant-pinpad)",
    "steer": "— (reported as goal-reaching: next rows)",
    "internal_rl": "high success, normalised by the expert's (Fig. 8)",
    "closed_loop": "—",
    "decisions": "— (each colour is a subgoal: no second colour)",
    "steered_decisions": "goal-reaching 0.36 with an injected code (0.24 on the unseen 0 → 1 transition), B.3.2",
    "unsteered_decisions": "0.23 (0.10 on 0 → 1), B.3.2",
}


class StageMetrics(dict):
    """A stage's metrics.json; a key the report reads but the stage did not write is an error naming both (a
    renamed metric fails the pipeline tests instead of printing "n/a")."""

    def __init__(self, stage: str, data: dict):
        super().__init__(data)
        self.stage = stage

    def __missing__(self, key: str):
        raise KeyError(
            f"the report reads {key!r} from {self.stage}/metrics.json, which has no such key "
            f"(has: {', '.join(sorted(self))})"
        )

    def __getitem__(self, key: str):
        value = super().__getitem__(key)
        return StageMetrics(f"{self.stage}.{key}", value) if isinstance(value, dict) else value


def _load(run: Path, stage: str) -> StageMetrics | None:
    p = run / stage / "metrics.json"
    return StageMetrics(stage, json.loads(p.read_text())) if p.exists() else None


CHOOSERS = {  # rl/ceiling.py's choosers, as the report's rl row names them
    "start": "the prior (internal RL's start)",
    "uniform": "a random subgoal centroid",
    "ceiling": "the subgoal's centroid (ceiling)",
}


def _f(x, nd: int = 3) -> str:
    return "n/a" if x is None else (f"{x:.{nd}f}" if isinstance(x, float) else str(x))


def _decisions(metrics: dict, prefix: str, ant: bool = False) -> str:
    """'pair-start / within-pair' decision accuracies of a closed-loop evaluation (analysis.rollout); on
    ant-pinpad, where each colour is a subgoal, the first alone."""
    kinds = ("pair_start",) if ant else ("pair_start", "within_pair")
    return " / ".join(_f(metrics[f"{prefix}{k}_accuracy"]) for k in kinds)


def _endings(metrics: dict, prefix: str, ant: bool = False) -> str | None:
    """'wrong first colour / wrong second colour / time limit' shares of a closed-loop evaluation's episodes
    (analysis.rollout; on ant-pinpad a wrong colour / the time limit, the rest fell or hit the wall); None for
    metrics written before they were recorded."""
    kinds = (
        ("ended_wrong_pair_start", "timeout_rate")
        if ant
        else ("ended_wrong_pair_start", "ended_wrong_within_pair", "timeout_rate")
    )
    if f"{prefix}ended_wrong_pair_start" not in metrics:
        return None
    return " / ".join(_f(metrics[f"{prefix}{k}"]) for k in kinds)


def _swap(steer: dict) -> str:
    """How the controllers were fitted, where it is not the paper's way (steer.memory_swap, E52)."""
    share = steer.get("memory_swap", 0)
    return f" (fit with {share:g} of the segments' memory swapped: {steer['memory_swap_to']})" if share else ""


def _per_seed_f1(discover: dict) -> str:
    """Each discovery seed's switch F1 beside the median, with its restarts (discover.restart_check, E61): a seed
    that collapsed (E59) or was restarted is not hidden by the others."""
    seeds = discover.get("per_seed", [])

    def one(m: dict) -> str:
        n = m.get("restarts", 0)
        return _f(m["f1"]) + (f" after {n} restart{'s' if n > 1 else ''}" if n else "")

    return f" (seeds: {' / '.join(one(m) for m in seeds)})" if len(seeds) > 1 else ""


def _raw_actions(rl: dict, method: str) -> str:
    """How an internal-RL method's raw actions were drawn, where it is not the paper's way (rl.raw_actions)."""
    greedy = rl.get("raw_actions", "sampled") == "greedy" and method != "raw_action_rl"
    return " (greedy raw actions)" if greedy else ""


def build_report(run: str | Path, out: str | Path | None = None) -> Path:
    """Write ``<run>/report/report.md`` (and copy the stages' figures beside it); returns its path."""
    run = Path(run)
    out = Path(out) if out else run / "report"
    out.mkdir(parents=True, exist_ok=True)
    m = {s: _load(run, s) for s in ("data", "pretrain", "probe", "steer", "discover", "rl")}
    figures = []
    for stage in ("data", "probe", "steer", "discover", "rl"):
        for png in sorted((run / stage).glob("*.png")) if (run / stage).exists() else []:
            shutil.copy(png, out / f"{stage}_{png.name}")
            figures.append(f"{stage}_{png.name}")
    ant = bool(m["data"]) and dict.get(m["data"], "world") == "ant-pinpad"
    paper = PAPER_ANT if ant else PAPER
    decided = "the next colour" if ant else "first / second colour of a pair"
    rows = [("stage", "metric", "this run", "paper")]
    if m["data"]:
        es = m["data"]["expert_success"]
        rows.append(
            (
                "data",
                f"expert success ({' / '.join(es)})",
                " / ".join(_f(v) for v in es.values()),
                paper["expert_success"],
            )
        )
    if m["pretrain"]:
        p = m["pretrain"]
        rows += [
            ("pretrain", "held-out action accuracy", _f(p["action_accuracy"]), paper["action_accuracy"]),
            ("pretrain", "held-out action NLL", _f(p["action_nll"]), "—"),
            (
                "pretrain",
                "closed-loop success, pretraining tasks",
                _f(p["pretrain_task_success"]),
                paper["closed_loop"],
            ),
            (
                "pretrain",
                f"decisions right: {decided}",
                _decisions(p, "pretrain_task_", ant),
                paper["decisions"],
            ),
        ]
    if m["probe"]:
        p = m["probe"]
        acc = ", ".join(f"{a:.2f}" for a in p["accuracy_by_layer"])
        rows += [
            ("probe", "accuracy by layer 0..L", acc, paper["probe_mid"]),
            ("probe", "chance", _f(p["chance"], 2), "0.25"),
        ]
    if m["steer"]:
        s = m["steer"]
        rows += [
            ("steer", f"post-task success at layer {s['layer']}{_swap(s)}", _f(s["post_task_success"]), paper["steer"]),
            ("steer", "post-task success, unsteered", _f(s["post_task_success_unsteered"]), paper["unsteered"]),
            (
                "steer",
                f"post task, decisions right when steered: {decided}",
                _decisions(s, "post_task_", ant),
                paper["steered_decisions"],
            ),
            (
                "steer",
                "post task, " + ("next colour" if ant else "first colour of a pair") + " right, unsteered",
                _f(s["post_task_pair_start_accuracy_unsteered"]),
                paper["unsteered_decisions"],
            ),
            ("steer", "pretraining tasks, success when steered", _f(s["pretrain_tasks_success"]), "—"),
        ]
        if (ended := _endings(s, "post_task_", ant)) is not None:
            why = "a wrong colour / the time limit" if ant else "a wrong first colour / second colour / the time limit"
            rows.insert(-1, ("steer", f"post task, steered episodes that ended in {why}", ended, "—"))
    if m["discover"]:
        d = m["discover"]
        rows += [
            (
                "discover",
                "switch F1 / precision / recall (median over seeds)",
                f"{_f(d['switch_f1'])} / {_f(d['switch_precision'])} / {_f(d['switch_recall'])}" + _per_seed_f1(d),
                paper["switch"],
            ),
            (
                "discover",
                "switches vs subgoals per episode",
                f"{_f(d['switches_per_episode'], 2)} vs {_f(d['subgoals_per_episode'], 2)}",
                "equal",
            ),
            ("discover", "fraction of β in [0.1, 0.9]", _f(d["fraction_beta_mid"]), "≈ 0 (quasi-binary)"),
            (
                "discover",
                "co-trained: switches per episode",
                _f(d["cotrained"]["switches_per_episode"], 2),
                paper["cotrained"],
            ),
        ]
    if m["rl"]:
        expert = m["data"]["expert_success"]["post_task"] if ant else None
        for method, r in m["rl"]["methods"].items():
            rate = _f(r["success_rate"])
            if expert:  # Fig. 8 normalises ant-pinpad's success by the expert's
                rate += f" ({r['success_rate'] / expert:.2f} of the expert's {expert:.2f})"
            rows.append(
                (
                    "rl",
                    f"{method}: success (median over seeds) after {r['episodes']} episodes"
                    + _raw_actions(m["rl"], method),
                    rate,
                    paper["internal_rl"] if method == "internal_rl" else paper["baselines"],
                )
            )
            if "success_rate_mean" in r:  # the same evaluation episodes with the policy's mean codes z = μ
                rows.append(("rl", f"{method}: with the policy's mean codes", _f(r["success_rate_mean"]), "—"))
        if c := m["rl"].get("code_ceiling"):  # rl/ceiling.py: prior, uniform-over-centroids and oracle choosers
            choosers = [k for k in CHOOSERS if f"{k}_success" in c]  # metrics before E46 have no uniform chooser
            rows.append(
                (
                    "rl",
                    f"codes at each switch from {' / '.join(CHOOSERS[k] for k in choosers)}: success (colours in "
                    "order); centroid accuracy of z",
                    " / ".join(f"{_f(c[f'{k}_success'])} ({_f(c[f'{k}_progress'], 2)})" for k in choosers)
                    + f"; {_f(c['centroid_accuracy'])}",
                    "— (start > 0 is needed for Eq. 10 to learn)",
                )
            )
    table = "\n".join(
        "| " + " | ".join(r) + " |" + ("\n|---|---|---|---|" if i == 0 else "") for i, r in enumerate(rows)
    )
    wall = {s: round(v["wall_time_s"], 1) for s, v in m.items() if v}
    wall_text = ", ".join(f"{s} {t:.0f} s" for s, t in wall.items()) or "none yet"
    cpu = platform.processor()
    machine = platform.machine() + (f" ({cpu})" if cpu and cpu != platform.machine() else "")
    devices = ", ".join(sorted({str(v["device"]) for v in m.values() if v})) or "?"
    pretrain = (m.get("pretrain") or {}).get("arithmetic")  # what the backbone's rounding depended on (E50)
    arith = ", ".join(f"{k} {v}" for k, v in pretrain.items()) if pretrain else "not recorded"
    text = f"""# internal-rl reproduction report: `{run.name}`

Kobayashi et al. (2025), *Emergent temporal abstractions in autoregressive models enable hierarchical
reinforcement learning*, reproduced with the configuration in `{run / "config.yaml"}`.

## Numbers beside the paper

{table}

## Figures

{chr(10).join(f"![{f}]({f})" for f in figures) or "none yet"}

## Compute

- machine: {machine}, device: {devices}
- pretraining's arithmetic (a seed replays a run bit for bit only with the same): {arith}
- wall time per stage: {wall_text}; total {sum(wall.values()):.0f} s

Where our numbers differ from the paper's, `docs/deviations.md` and `docs/experiments.md` say why.
"""
    path = out / "report.md"
    path.write_text(text)
    return path
