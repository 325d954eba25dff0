#!/usr/bin/env bash
# E21: discovery schedules on a run's frozen backbone (layer 1, α 0.03, one seed, one thread), one JSON line per
# arm appended to LOG. Usage: bash scripts/experiments/discover_schedule.sh RUN LOG ARM...
#   free8k     12000 x 64: α = 0 for 8000 steps, a linear warm-up over 2000, α 0.03 for 2000
#   open2k     6000 x 64: β ≡ 1 for the first 2000 steps, α = 0 until 4000, warm-up over 1000, α 0.03 for 1000
#   free4k_a01 / free4k_a03   E19's best schedule ending at α 0.1 / 0.3 instead of 0.03 (the paper sweeps α to 1)
#   open2k_a01 / open2k_a03 / open2k_a1  open2k ending at α 0.1 / 0.3 / 1.0 (E25)
#   open4k_a01  6000 x 64: β ≡ 1 over the whole α = 0 phase (4000 steps), warm-up over 1000, α 0.1 for 1000 (E25)
#   open2k_a01_long  12000 x 64: open2k ending at α 0.1, held for 5000 more steps (E25)
#   open2k_s1 / open2k_s2  open2k with discovery seed 1 / 2
#   open2k_a01_gn1 / open2k_a03_gn1 / open2k_a01_gn3  open2k_a01 / a03 with logistic noise of scale 1 / 3 on β's
#                  logit in training (discover.gate_noise; E26); a suffix _s1 / _s2 sets the discovery seed
#   const_a01_gn1  6000 x 64 at the paper's constant α 0.1 (no gate or KL schedule) with gate noise 1 (E26)
#   open2k_a01_s1 / open2k_a01_s2  open2k_a01 with discovery seed 1 / 2 (bar 2's median of 3 seeds; E26)
#   free4k_s1  6000 x 64: E19's best (α = 0 for 4000, warm-up over 1000, α 0.03 for 1000), as a seed check
set -euo pipefail
run=$1 log=$2
shift 2
lever() { OMP_NUM_THREADS=1 .venv/bin/python scripts/experiment_discover_levers.py "$run" "$@" discover.layer=1 | tee -a "$log"; }
for arm in "$@"; do
  case $arm in
    free8k) lever a003_free8k_warm2k discover.steps=12000 discover.kl_free_steps=8000 discover.kl_warmup_steps=2000 ;;
    open2k) lever a003_open2k_free4k_warm1k discover.steps=6000 discover.open_gate_steps=2000 \
      discover.kl_free_steps=4000 discover.kl_warmup_steps=1000 ;;
    open2k_s1 | open2k_s2) lever "a003_open2k_free4k_warm1k_s${arm#open2k_s}" seed="${arm#open2k_s}" discover.steps=6000 \
      discover.open_gate_steps=2000 discover.kl_free_steps=4000 discover.kl_warmup_steps=1000 ;;
    open2k_a01_s1 | open2k_a01_s2) lever "a01_open2k_free4k_warm1k_s${arm#open2k_a01_s}" seed="${arm#open2k_a01_s}" \
      discover.alpha=0.1 discover.steps=6000 discover.open_gate_steps=2000 discover.kl_free_steps=4000 \
      discover.kl_warmup_steps=1000 ;;
    const_a01_gn1) lever a01_const_gn1 discover.alpha=0.1 discover.gate_noise=1 discover.steps=6000 ;;
    open2k_a01_gn* | open2k_a03_gn*)
      a=${arm#open2k_a}; a=${a%%_gn*}; rest=${arm##*_gn}; gn=${rest%%_s*}; seed=0
      [ "$rest" != "$gn" ] && seed=${rest##*_s}
      name="a${a}_open2k_free4k_warm1k_gn${gn}"; [ "$seed" != 0 ] && name="${name}_s${seed}"
      lever "$name" seed="$seed" discover.alpha="0.${a#0}" discover.gate_noise="$gn" discover.steps=6000 \
        discover.open_gate_steps=2000 discover.kl_free_steps=4000 discover.kl_warmup_steps=1000 ;;
    open2k_a01 | open2k_a03 | open2k_a1)
      a=${arm#open2k_a}; alpha=$([ "$a" = 1 ] && echo 1.0 || echo "0.${a#0}")
      lever "a${a}_open2k_free4k_warm1k" discover.alpha="$alpha" discover.steps=6000 discover.open_gate_steps=2000 \
        discover.kl_free_steps=4000 discover.kl_warmup_steps=1000 ;;
    open2k_a01_long) lever a01_open2k_free4k_warm1k_12k discover.alpha=0.1 discover.steps=12000 \
      discover.open_gate_steps=2000 discover.kl_free_steps=4000 discover.kl_warmup_steps=1000 ;;
    open4k_a01) lever a01_open4k_free4k_warm1k discover.alpha=0.1 discover.steps=6000 discover.open_gate_steps=4000 \
      discover.kl_free_steps=4000 discover.kl_warmup_steps=1000 ;;
    free4k_s1) lever a003_free4k_warm1k_s1 seed=1 discover.steps=6000 discover.kl_free_steps=4000 discover.kl_warmup_steps=1000 ;;
    free4k_a01) lever a01_free4k_warm1k discover.alpha=0.1 discover.steps=6000 discover.kl_free_steps=4000 \
      discover.kl_warmup_steps=1000 ;;
    free4k_a03) lever a03_free4k_warm1k discover.alpha=0.3 discover.steps=6000 discover.kl_free_steps=4000 \
      discover.kl_warmup_steps=1000 ;;
    *) echo "unknown arm $arm" >&2; exit 2 ;;
  esac
done
