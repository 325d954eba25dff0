"""Analyses of trained models: probes, steering, switch alignment, rate-distortion (SPEC §3-5)."""

from internal_rl.analysis.switching import (
    boundary_times,
    match_events,
    plot_beta_traces,
    switch_alignment,
    switch_times,
)

__all__ = ["boundary_times", "match_events", "plot_beta_traces", "switch_alignment", "switch_times"]
