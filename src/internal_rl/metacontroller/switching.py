"""Switch alignment: do the metacontroller's switches coincide with the true subgoal boundaries? (SPEC §5)

Time is 1-based in the SPEC and 0-based here: "t > 1" is index ≥ 1. Only the first ``lengths[n]`` steps of
episode n are read.

    switches   = {t > 1 : β_t ≥ threshold}
    boundaries = {t > 1 : label_t ≠ label_{t-1}}

Each boundary is matched to at most one switch and vice versa, if they are at most ``tolerance`` steps apart
(greedy, closest pairs first, ties to the earlier time). Precision = matched / switches, recall = matched /
boundaries, both pooled over all episodes (micro-average); an empty denominator gives 1.0 (no switch = no
false switch; no boundary = nothing missed), so F1 is 0 whenever there is something to find and nothing found.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

BETA_MID = (0.1, 0.9)


def _as_numpy(x: object) -> np.ndarray:
    if hasattr(x, "detach"):  # torch.Tensor, without importing torch here
        x = x.detach().cpu().numpy()  # type: ignore[union-attr]
    return np.asarray(x)


def _check(beta: np.ndarray, labels: np.ndarray, lengths: np.ndarray) -> None:
    if beta.ndim != 2 or labels.shape != beta.shape:
        raise ValueError(f"beta (N, T) and subgoal_labels (N, T) must match, got {beta.shape} and {labels.shape}")
    if lengths.shape != (beta.shape[0],):
        raise ValueError(f"lengths: expected ({beta.shape[0]},), got {lengths.shape}")
    if lengths.size and (lengths.min() < 1 or lengths.max() > beta.shape[1]):
        raise ValueError(f"lengths: must lie in [1, {beta.shape[1]}]")


def switch_times(beta_row: np.ndarray, length: int, threshold: float = 0.5) -> np.ndarray:
    """0-based indices t ≥ 1 (t > 1 in the SPEC) with β_t ≥ threshold, within the first ``length`` steps."""
    return np.flatnonzero(beta_row[1:length] >= threshold) + 1


def boundary_times(label_row: np.ndarray, length: int) -> np.ndarray:
    """0-based indices t ≥ 1 where the subgoal label changes, within the first ``length`` steps."""
    row = label_row[:length]
    return np.flatnonzero(row[1:] != row[:-1]) + 1


def match_events(switches: np.ndarray, boundaries: np.ndarray, tolerance: int = 1) -> int:
    """Size of the greedy one-to-one matching of switches to boundaries at most ``tolerance`` steps apart."""
    pairs = [
        (abs(int(s) - int(b)), int(b), int(s))
        for b in boundaries
        for s in switches
        if abs(int(s) - int(b)) <= tolerance
    ]
    pairs.sort()  # closest first; ties: earlier boundary, then earlier switch
    used_b: set[int] = set()
    used_s: set[int] = set()
    for _, b, s in pairs:
        if b not in used_b and s not in used_s:
            used_b.add(b)
            used_s.add(s)
    return len(used_b)


def switch_alignment(
    beta: object, subgoal_labels: object, lengths: object, threshold: float = 0.5, tolerance: int = 1
) -> dict[str, float]:
    """Switch alignment score of SPEC §5.

    beta (N, T) gate values; subgoal_labels (N, T) abstract subgoal id per step; lengths (N,) valid steps.
    Returns precision, recall, f1, switches_per_episode and subgoals_per_episode (both count the first step:
    the forced switch β_1 ≡ 1 and the first subgoal segment, so perfect alignment makes them equal),
    fraction_beta_mid (fraction of valid steps t > 1 with β in [0.1, 0.9]) and the raw counts.
    """
    b, y = _as_numpy(beta).astype(np.float64), _as_numpy(subgoal_labels)
    n = _as_numpy(lengths).astype(np.int64)
    _check(b, y, n)
    if tolerance < 0:
        raise ValueError(f"tolerance: must be >= 0, got {tolerance}")
    n_switch = n_bound = n_match = n_mid = n_later = 0
    for row_b, row_y, length in zip(b, y, n, strict=True):
        sw = switch_times(row_b, int(length), threshold)
        bd = boundary_times(row_y, int(length))
        n_switch += sw.size
        n_bound += bd.size
        n_match += match_events(sw, bd, tolerance)
        later = row_b[1:length]
        n_mid += int(((later >= BETA_MID[0]) & (later <= BETA_MID[1])).sum())
        n_later += later.size
    episodes = max(len(n), 1)
    precision = n_match / n_switch if n_switch else 1.0
    recall = n_match / n_bound if n_bound else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall > 0 else 0.0
    return {
        "precision": precision,
        "recall": recall,
        "f1": f1,
        "switches_per_episode": 1.0 + n_switch / episodes,
        "subgoals_per_episode": 1.0 + n_bound / episodes,
        "fraction_beta_mid": n_mid / n_later if n_later else 0.0,
        "n_switches": float(n_switch),
        "n_boundaries": float(n_bound),
        "n_matched": float(n_match),
    }


def plot_beta_traces(
    beta: object, subgoal_labels: object, lengths: object, path: str | Path, n: int = 4, threshold: float = 0.5
) -> Path:
    """Save a figure of β_t for the first ``n`` episodes, true subgoal boundaries as dashed vertical lines.

    Time on the x axis is 1-based as in the SPEC. Returns the path written (PNG, or any format matplotlib
    infers from the suffix).
    """
    b, y = _as_numpy(beta).astype(np.float64), _as_numpy(subgoal_labels)
    lens = _as_numpy(lengths).astype(np.int64)
    _check(b, y, lens)
    k = min(n, b.shape[0])
    if k < 1:
        raise ValueError("plot_beta_traces: need at least one episode")
    fig = Figure(figsize=(8.0, 1.6 * k + 0.6))
    FigureCanvasAgg(fig)
    axes = fig.subplots(k, 1, sharex=True, squeeze=False)[:, 0]
    for i, ax in enumerate(axes):
        length = int(lens[i])
        t = np.arange(1, length + 1)
        ax.plot(t, b[i, :length], marker=".", lw=1.2, color="tab:blue", label="β_t")
        for j, bt in enumerate(boundary_times(y[i], length)):
            ax.axvline(bt + 1, color="tab:red", ls="--", lw=1.0, label="subgoal boundary" if j == 0 else None)
        ax.axhline(threshold, color="grey", ls=":", lw=0.8)
        ax.set_ylim(-0.05, 1.05)
        ax.set_ylabel(f"ep {i}")
    axes[0].legend(loc="upper right", fontsize=7)
    axes[-1].set_xlabel("t")
    fig.suptitle("switching gate β_t vs true subgoal boundaries")
    fig.tight_layout()
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out, dpi=100)
    return out
