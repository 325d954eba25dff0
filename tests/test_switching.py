"""Switch alignment score (SPEC §5) on hand-made cases, and the β-trace figure."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from internal_rl.metacontroller.switching import (
    boundary_times,
    match_events,
    plot_beta_traces,
    switch_alignment,
    switch_times,
)

# One episode of length 12 with subgoal segments [0,0,0,0 | 1,1,1,1 | 2,2,2,2]: boundaries at indices 4, 8.
LABELS = np.array([[0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2]])
LENGTHS = np.array([12])


def gate(*times: int, length: int = 12, first: float = 1.0) -> np.ndarray:
    beta = np.full((1, length), 0.02)
    beta[0, 0] = first
    beta[0, list(times)] = 0.97
    return beta


def test_event_extraction_uses_t_greater_than_one_and_the_length():
    assert boundary_times(LABELS[0], 12).tolist() == [4, 8]
    assert boundary_times(LABELS[0], 6).tolist() == [4]
    assert switch_times(gate(3, 9)[0], 12).tolist() == [3, 9]  # index 0 (t = 1) never counts
    assert switch_times(gate(3, 9)[0], 5).tolist() == [3]
    assert switch_times(np.array([0.2, 0.5, 0.49]), 3).tolist() == [1]  # β ≥ threshold, inclusive


def test_perfect_alignment():
    r = switch_alignment(gate(4, 8), LABELS, LENGTHS)
    assert (r["precision"], r["recall"], r["f1"]) == (1.0, 1.0, 1.0)
    assert r["switches_per_episode"] == r["subgoals_per_episode"] == 3.0


@pytest.mark.parametrize("shift", [-1, 1])
def test_shift_by_one_is_still_perfect(shift):
    r = switch_alignment(gate(4 + shift, 8 + shift), LABELS, LENGTHS)
    assert r["f1"] == 1.0


def test_shift_by_two_misses():
    r = switch_alignment(gate(6, 10), LABELS, LENGTHS)
    assert (r["precision"], r["recall"], r["f1"]) == (0.0, 0.0, 0.0)
    r = switch_alignment(gate(5, 9), LABELS, LENGTHS, tolerance=0)
    assert r["f1"] == 0.0


def test_extra_switches_reduce_precision_only():
    r = switch_alignment(gate(2, 4, 8, 10), LABELS, LENGTHS)
    assert r["precision"] == 0.5 and r["recall"] == 1.0
    assert r["f1"] == pytest.approx(2 / 3)
    assert r["switches_per_episode"] == 5.0 and r["subgoals_per_episode"] == 3.0


def test_matching_is_one_to_one():
    # Two switches flank boundary 4 within tolerance; only one may count.
    assert match_events(np.array([3, 5]), np.array([4]), tolerance=1) == 1
    # Greedy by distance: switch 5 is exactly on boundary 5 and must not be stolen by boundary 4.
    assert match_events(np.array([5, 3]), np.array([4, 5]), tolerance=1) == 2
    r = switch_alignment(gate(3, 5, 8), LABELS, LENGTHS)
    assert r["precision"] == pytest.approx(2 / 3) and r["recall"] == 1.0


def test_no_switches_gives_zero_f1_and_empty_cases_are_defined():
    r = switch_alignment(gate(), LABELS, LENGTHS)
    assert r["precision"] == 1.0 and r["recall"] == 0.0 and r["f1"] == 0.0
    r = switch_alignment(gate(), np.zeros((1, 12), dtype=int), LENGTHS)  # one subgoal, no switch
    assert r["f1"] == 1.0 and r["switches_per_episode"] == r["subgoals_per_episode"] == 1.0


def test_padding_and_first_step_are_ignored():
    beta = gate(4, 8, length=16)
    beta[0, 12:] = 1.0  # padding says "switch" everywhere
    labels = np.concatenate([LABELS, [[3, 0, 3, 0]]], axis=1)  # and its labels change everywhere
    r = switch_alignment(beta, labels, LENGTHS)
    assert r["f1"] == 1.0 and r["n_switches"] == 2 and r["n_boundaries"] == 2
    r = switch_alignment(gate(4, 8, first=0.0), LABELS, LENGTHS)  # β_1 value is irrelevant
    assert r["f1"] == 1.0


def test_pooled_over_episodes_and_fraction_mid():
    beta = np.concatenate([gate(4, 8), gate(6, 10)])
    beta[1, 1:4] = [0.1, 0.5, 0.9]  # three mid values; 0.5 and 0.9 are switches, at 3 matching boundary 4
    labels = np.concatenate([LABELS, LABELS])
    r = switch_alignment(torch.tensor(beta), torch.tensor(labels), torch.tensor([12, 12]))  # torch accepted
    assert r["n_matched"] == 3 and r["n_switches"] == 6 and r["n_boundaries"] == 4
    assert r["precision"] == pytest.approx(3 / 6) and r["recall"] == pytest.approx(3 / 4)
    assert r["fraction_beta_mid"] == pytest.approx(3 / 22)
    assert r["switches_per_episode"] == pytest.approx(1 + 6 / 2)


def test_input_validation():
    with pytest.raises(ValueError, match="lengths"):
        switch_alignment(gate(4), LABELS, np.array([13]))
    with pytest.raises(ValueError, match="subgoal_labels"):
        switch_alignment(gate(4), LABELS[:, :5], LENGTHS)
    with pytest.raises(ValueError, match="tolerance"):
        switch_alignment(gate(4), LABELS, LENGTHS, tolerance=-1)


def test_plot_beta_traces_writes_a_png(tmp_path):
    beta = np.concatenate([gate(4, 8), gate(5, 9), gate(2)])
    labels = np.concatenate([LABELS] * 3)
    out = plot_beta_traces(beta, labels, np.array([12, 10, 8]), tmp_path / "fig" / "beta.png", n=2)
    data = out.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 5_000
