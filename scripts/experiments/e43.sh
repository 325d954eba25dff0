#!/usr/bin/env bash
# E43 (issue 10): headroom and cost on the bar-1 backbone, and weight decay on a seed that fails bar 1
#   bash scripts/experiments/e43.sh greedy RUN STEP      the E33 steering check on RUN's snapshot at STEP, its controller
#                                                        reused, with the most likely raw action at every step
#   bash scripts/experiments/e43.sh ddp                  pretraining step time, one process against torchrun's two
#                                                        (benchmarks/bench_ddp.py; needs both cores idle)
#   bash scripts/experiments/e43.sh cpu                  the README's main command (configs/cpu.yaml, runs/e43_cpu) timed,
#                                                        on 2 otherwise idle cores
#   bash scripts/experiments/e43.sh wd SEED WD [STOP]    cpu-full pretraining on SEED with weight decay WD
#                                                        (runs/e43_wdWD_sSEED; to STOP of 48k, default 48000; resumable)
set -euo pipefail
export OMP_NUM_THREADS=1
out=docs/experiments/e43
mkdir -p "$out"
case "${1:-}" in
  greedy)
    name=$(basename "$2")_step$3
    .venv/bin/python scripts/experiments/steer_length.py "$2" "step$3" "$out/greedy_$name.json" data=chains \
      steer.rank=128 greedy=1 | tee "$out/greedy_$name.log" ;;
  ddp)
    .venv/bin/python benchmarks/bench_ddp.py --steps 200 | tee "$out/ddp_1proc.json"
    .venv/bin/torchrun --nproc_per_node 2 benchmarks/bench_ddp.py --steps 200 2>/dev/null | tee "$out/ddp_2proc.json" ;;
  cpu)
    unset OMP_NUM_THREADS
    /usr/bin/time -v .venv/bin/internal-rl run --config configs/cpu.yaml --out runs/e43_cpu --quiet \
      2> "$out/cpu_time.txt" | tee "$out/cpu_run.log"
    cp runs/e43_cpu/report/report.md "$out/cpu_report.md" ;;
  wd)
    .venv/bin/python scripts/experiments/e42_seeds.py "$2" "$2" "runs/e43_wd$3_s$2" "pretrain.weight_decay=$3" \
      "pretrain.stop_at=${4:-48000}" ;;
  *) echo "usage: e43.sh greedy RUN STEP | ddp | cpu | wd SEED WD [STOP]" >&2; exit 2 ;;
esac
