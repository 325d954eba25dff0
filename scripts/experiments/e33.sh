#!/usr/bin/env bash
# E33 (issue 10): E32's bf16 chains backbone to the end of its 48k schedule, and the discovery collapse separated.
#   bash scripts/experiments/e32.sh long              resumes runs/chains_bf16_s0 (36k -> 48k; snapshots every 6k)
#   bash scripts/experiments/e32.sh steer RUN STEP    the length check on a snapshot (as in E32)
#   bash scripts/experiments/e33.sh discover_fp32     discovery seed 0 in fp32 on E32's seed-1 chains backbone (24k),
#                                                     in a fresh run folder that links the backbone's stages
#   bash scripts/experiments/e33.sh steer2048 RUN STEP  E32's length check with 2,048 episodes per group (the
#                                                     controller fitted by `e32.sh steer` is reused)
#   bash scripts/experiments/e33.sh discover RUN K [FIELD=VALUE ...]   discovery seed K on RUN (fp32), then what its
#                                                     codes carry, their closed-loop ceiling and internal RL on them
#   bash scripts/experiments/e33.sh per_step          discovery seed 0 with discover.embedding=per_step on the seed-1
#                                                     chains backbone (24k), in runs/chains_s1e, then its codes
#   bash scripts/experiments/e33.sh extend_s1         E32's seed-1 chains backbone (cpu-full, stopped at 24k) trained on
#                                                     to 48k (pretrain.stop_at raised), in a copy: runs/chains_s1_long
set -euo pipefail
source "$(dirname "$0")/link_run.sh"  # one thread per job, $py, the run-folder helpers
out=docs/experiments/e33
mkdir -p $out
case $1 in
  discover_fp32)
    link_run runs/chains_s1 runs/chains_s1d
    $py scripts/experiments/discover_seed.py runs/chains_s1d 0 $out/discover_chains_s1_fp32.json discover.precision=fp32
    ;;
  per_step)
    link_run runs/chains_s1 runs/chains_s1e
    sed -i 's/^  embed_dim: 32$/  embed_dim: 32\n  embedding: per_step/' runs/chains_s1e/config.yaml
    grep -q "embedding: per_step" runs/chains_s1e/config.yaml
    bash "$0" discover runs/chains_s1e 0
    ;;
  extend_s1)
    [ -d runs/chains_s1_long ] || { mkdir -p runs/chains_s1_long && cp -r runs/chains_s1/{config.yaml,data,pretrain} runs/chains_s1_long/; }
    .venv/bin/internal-rl pretrain --config configs/cpu-full.yaml --out runs/chains_s1_long --quiet \
      --set data.task_set=table_a1_chains --set pretrain.precision=auto --set steer.precision=auto --set seed=1 \
      --set discover.seeds=1 --set pretrain.stop_at=48000 --force
    ;;
  steer2048)
    name=$(basename "$2")_step$3_2048
    $py scripts/experiments/steer_length.py "$2" "step$3" "$out/length_$name.json" episodes=2048 data=chains \
      steer.rank=128 | tee "$out/length_$name.log"
    ;;
  discover)
    name=$(basename "$2")
    $py scripts/experiments/discover_seed.py "$2" "$3" "$out/discover_${name}_seed$3.json" "${@:4}"
    $py scripts/experiments/code_content.py "$2" "seed$3" "$out/code_content_${name}_seed$3.json"
    $py scripts/experiments/code_ceiling.py "$2" "seed$3" "$out/ceiling_${name}_seed$3.json" episodes=512
    $py scripts/experiments/internal_rl_arm.py "$2" "seed$3" "$out/rl_${name}_seed$3.json" seed="$3"
    ;;
  *) echo "usage: e33.sh discover_fp32 | per_step | extend_s1 | steer2048 RUN STEP | discover RUN K [FIELD=VALUE ...]" >&2; exit 2 ;;
esac
