"""Analyses of a trained backbone: linear probes, supervised steering, closed-loop evaluation and the
steerability check (SPEC §3-4). The switch-alignment score of discovery is metacontroller/switching.py."""
