#!/usr/bin/env bash
# E59 (issue 10): the pipeline's discovery on E57's DART backbone collapses (seed 0: one switch per episode, F1 0, the
# NLL flat at the backbone's through 4,000 steps at α = 0). What a subgoal code could buy there, and which levers make
# the code carry anything in the first 400 steps with β ≡ 1 and α = 0 (the schedule's open-gate phase).
#   bash scripts/experiments/e59.sh nll [rank=R]            Eq. 3's NLL against the expert on D*: the backbone alone,
#                                                           the supervised subgoal controller, discovery seed 0
#   bash scripts/experiments/e59.sh diag NAME [F=V ...]     400 steps, β ≡ 1, α = 0 in runs/e59_NAME (E57's
#                                                           backbone and D*), the discover section's F set; its held-out
#                                                           metrics and how much its code varies (code_spread.py)
#   bash scripts/experiments/e59.sh sigma NAME LOGSIGMA OUT_STD     the same with the encoder's σ and output weights
#                                                           initialised otherwise (e59_sigma.py)
#   bash scripts/experiments/e59.sh eps0 NAME               the same on a D* made at ε = 0 (meta_eps.py)
set -euo pipefail
source "$(dirname "$0")/link_run.sh"  # $py, link_run, set_discover
out=docs/experiments/e59
src=runs/cpufull_dart
mkdir -p "$out"
short() {  # short RUN [FIELD=VALUE ...]: RUN's discover section set to 400 open-gate steps at α = 0, then the FIELDs
  for kv in steps=400 open_gate_steps=400 kl_free_steps=400 checkpoint_every=100 seeds=1 "${@:2}"; do
    set_discover "$1/config.yaml" "${kv%%=*}" "${kv#*=}"
  done
}
after() {  # after NAME: how much arm NAME's code varies, and its training curve
  $py scripts/experiments/code_spread.py "runs/e59_$1" seed0 | tee "$out/spread_$1.json"
  $py scripts/experiments/tb_scalars.py "runs/e59_$1/discover/seed0/tb" "$out/curve_$1.json" train/
}
case "${1:-}" in
  nll) $py scripts/experiments/e59_nll.py $src "$out/nll_cpufull_dart_meta${2:+_${2/=/}}.json" ${2:+"$2"} ;;
  diag)
    link_run $src "runs/e59_$2" && short "runs/e59_$2" "${@:3}"
    $py scripts/experiments/discover_seed.py "runs/e59_$2" 0 "$out/diag_$2.json"
    after "$2" ;;
  sigma)
    link_run $src "runs/e59_$2" && short "runs/e59_$2"
    $py scripts/experiments/e59_sigma.py "runs/e59_$2" 0 "$out/diag_$2.json" logsigma="$3" out_std="$4"
    after "$2" ;;
  eps0)
    $py scripts/experiments/meta_eps.py $src "runs/e59_$2" 0
    $py scripts/experiments/set_field.py "runs/e59_$2/config.yaml" data.meta_epsilon 0 && short "runs/e59_$2"
    $py scripts/experiments/discover_seed.py "runs/e59_$2" 0 "$out/diag_$2.json"
    after "$2" ;;
  *) echo "usage: e59.sh nll [rank=R] | diag NAME [F=V ...] | sigma NAME LOGSIGMA OUT_STD | eps0 NAME" >&2; exit 2 ;;
esac
