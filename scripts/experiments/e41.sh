#!/usr/bin/env bash
# E41 (issue 13): does the ant base model find the subgoal when its data are the expert's mean actions?
#   bash scripts/experiments/e41.sh data NAME EPS       runs/e41_NAME: ant-cpu's data stage with data.epsilon=EPS
#                                                      (0 = the Gaussian mean action, D*; 1 = the paper's D) and
#                                                      runs/antcpu's chain expert (no training)
#   bash scripts/experiments/e41.sh arm DATA NAME STEPS [KEY=VALUE ...]   runs/e41_NAME: ant-cpu's base model with
#                                                      the overrides, STEPS pretraining steps on runs/e41_DATA's
#                                                      data (hard links; pass data.epsilon=EPS of that data), its
#                                                      probe stage, and the ceiling script's probes of the data and
#                                                      of the model (subgoal, colour entered last)
set -euo pipefail
export OMP_NUM_THREADS=1
py=.venv/bin/python cli=.venv/bin/internal-rl cfg=configs/ant-cpu.yaml out=docs/experiments/e41
mkdir -p "$out"
case $1 in
  data)
    run=runs/e41_$2
    $cli data --config $cfg --out "$run" --quiet --set data.epsilon="$3" --set ant.expert=runs/antcpu/data/expert/pinpad
    cp "$run/data/metrics.json" "$out/data_$2.json"
    ;;
  arm)
    name=$3 steps=$4 run=runs/e41_$3
    mkdir -p "$run"
    [ -d "$run/data" ] || cp -al "runs/e41_$2/data" "$run/data"
    sets=(--set pretrain.steps="$steps" --set pretrain.snapshot_every=0 --set ant.expert=runs/antcpu/data/expert/pinpad)
    for kv in "${@:5}"; do sets+=(--set "$kv"); done
    $cli probe --config $cfg --out "$run" --quiet "${sets[@]}"
    cp "$run/pretrain/metrics.json" "$out/pretrain_$name.json"
    cp "$run/probe/metrics.json" "$out/probe_$name.json"
    $py scripts/experiments/ant_probe_ceiling.py "$run" "$out/ceiling_$name.json" 256
    ;;
  *) echo "usage: e41.sh data NAME EPS | arm DATA NAME STEPS [KEY=VALUE ...]" >&2; exit 2 ;;
esac
