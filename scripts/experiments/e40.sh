#!/usr/bin/env bash
# E40 (issue 13): why the ant base model holds no linear trace of the subgoal, and which of its levers moves it.
#   bash scripts/experiments/e40.sh data EXPERT         runs/antcpu: configs/ant-cpu.yaml's data stage, its chain
#                                                      expert (data/expert) copied from EXPERT (a recipe-chain
#                                                      directory, e.g. runs/antexp from ant_expert_chain.sh)
#   bash scripts/experiments/e40.sh ceiling             the subgoal probes on the data alone (ant_probe_ceiling.py)
#   bash scripts/experiments/e40.sh arm NAME STEPS [KEY=VALUE ...]   runs/e40_NAME: ant-cpu's base model with the
#                                                      overrides, STEPS pretraining steps on runs/antcpu's data
#                                                      (hard links), its probe stage and the ceiling script's
#                                                      model probes (subgoal, colour entered last)
set -euo pipefail
export OMP_NUM_THREADS=1
py=.venv/bin/python cli=.venv/bin/internal-rl cfg=configs/ant-cpu.yaml out=docs/experiments/e40
mkdir -p "$out"
case $1 in
  data)
    mkdir -p runs/antcpu/data
    [ -d runs/antcpu/data/expert ] || cp -r "$2" runs/antcpu/data/expert
    $cli data --config $cfg --out runs/antcpu --quiet
    cp runs/antcpu/data/metrics.json "$out/data_metrics.json"
    ;;
  ceiling)
    $py scripts/experiments/ant_probe_ceiling.py runs/antcpu "$out/ceiling_data.json" 256
    ;;
  arm)
    name=$2 steps=$3 run=runs/e40_$2
    sets=(--set pretrain.steps="$steps" --set pretrain.snapshot_every=0)
    for kv in "${@:4}"; do sets+=(--set "$kv"); done
    mkdir -p "$run"
    [ -d "$run/data" ] || cp -al runs/antcpu/data "$run/data"
    $cli probe --config $cfg --out "$run" --quiet "${sets[@]}"
    cp "$run/pretrain/metrics.json" "$out/pretrain_$name.json"
    cp "$run/probe/metrics.json" "$out/probe_$name.json"
    $py scripts/experiments/ant_probe_ceiling.py "$run" "$out/ceiling_$name.json" 256
    ;;
  *) echo "usage: e40.sh data EXPERT | ceiling | arm NAME STEPS [KEY=VALUE ...]" >&2; exit 2 ;;
esac
