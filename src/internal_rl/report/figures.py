"""Matplotlib figures of the report (Agg backend; every function writes one PNG)."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402


def _save(fig, path: str | Path) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path


def plot_probe(
    curves: dict[str, list[float]], chance: float, path: str | Path, paper: list[float] | None = None
) -> Path:
    """Probe accuracy by layer (Fig. A1 style) with chance marked."""
    fig, ax = plt.subplots(figsize=(4.5, 3.2))
    for name, acc in curves.items():
        ax.plot(range(len(acc)), acc, marker="o", label=name)
    if paper is not None:
        ax.plot(range(len(paper)), paper, ls="--", color="gray", label="paper (approx.)")
    ax.axhline(chance, color="k", ls=":", label=f"chance {chance:.2f}")
    ax.set(xlabel="layer", ylabel="held-out probe accuracy", ylim=(0, 1), title="Abstract subgoal probes")
    ax.legend(fontsize=7)
    return _save(fig, path)


def plot_layer_curve(
    values: dict[int, float],
    path: str | Path,
    ylabel: str,
    title: str,
    reference: float | None = None,
    reference_label: str = "",
) -> Path:
    """A metric against the controlled layer (Fig. 4 style)."""
    fig, ax = plt.subplots(figsize=(4.5, 3.2))
    layers = sorted(values)
    ax.plot(layers, [values[l] for l in layers], marker="o")
    if reference is not None:
        ax.axhline(reference, color="k", ls=":", label=reference_label)
        ax.legend(fontsize=7)
    ax.set(xlabel="controlled layer", ylabel=ylabel, ylim=(0, 1), title=title)
    return _save(fig, path)


def plot_learning_curves(
    curves: dict[str, list[dict]], x: str, ys: list[str], path: str | Path, title: str = ""
) -> Path:
    """Several runs' histories (lists of dicts) against ``x``, one panel per metric in ``ys``."""
    fig, axes = plt.subplots(1, len(ys), figsize=(4.2 * len(ys), 3.2), squeeze=False)
    for ax, y in zip(axes[0], ys, strict=True):
        for name, hist in curves.items():
            pts = [(h[x], h[y]) for h in hist if y in h and x in h]
            if pts:
                ax.plot(*zip(*pts, strict=True), marker=".", label=name)
        ax.set(xlabel=x, ylabel=y)
    axes[0][0].legend(fontsize=7)
    fig.suptitle(title)
    return _save(fig, path)


def plot_success_curves(curves: dict[str, list[dict]], path: str | Path, log_x: bool = False) -> Path:
    """Success rate vs episodes, median and 25-75% band over seeds (Fig. 8 style).

    ``curves[method]`` is a list (one per seed) of {"episodes": [...], "success_rate": [...]}, with
    "success_rate_mean" (internal RL: the policy's mean codes) drawn dashed in the method's colour where every
    seed has it at every point.
    """
    fig, ax = plt.subplots(figsize=(5, 3.4))
    for i, (method, runs) in enumerate(curves.items()):
        if not runs:
            continue
        n = min(len(r["episodes"]) for r in runs)
        if n == 0:
            continue
        xs = np.asarray(runs[0]["episodes"][:n], dtype=float)
        ys = np.asarray([r["success_rate"][:n] for r in runs], dtype=float)
        med, lo, hi = np.median(ys, 0), np.percentile(ys, 25, 0), np.percentile(ys, 75, 0)
        ax.plot(xs, med, label=method, color=f"C{i}")
        ax.fill_between(xs, lo, hi, alpha=0.25, color=f"C{i}")
        means = [r.get("success_rate_mean") for r in runs]
        if all(m is not None and None not in m[:n] for m in means):
            ax.plot(
                xs,
                np.median(np.asarray([m[:n] for m in means], dtype=float), 0),
                color=f"C{i}",
                ls="--",
                label=f"{method} (mean codes)",
            )
    if log_x:
        ax.set_xscale("log")
    ax.set(xlabel="episodes", ylabel="success rate (post-training task)", ylim=(-0.02, 1.02))
    ax.legend(fontsize=7)
    return _save(fig, path)


def plot_rate_distortion(points: list[dict], path: str | Path) -> Path:
    """One point per (alpha, seed): x = action NLL, y = KL (Fig. A3 style)."""
    fig, ax = plt.subplots(figsize=(4.5, 3.4))
    for p in points:
        ax.scatter(p["action_nll"], p["kl"], color="C0")
        ax.annotate(f"α={p['alpha']:g}", (p["action_nll"], p["kl"]), fontsize=7)
    ax.set(xlabel="action NLL (distortion)", ylabel="KL (rate)", title="Rate-distortion over α")
    return _save(fig, path)
