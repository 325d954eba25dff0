set -x
export OMP_NUM_THREADS=1
for rk in chains_bf16_s0:0 s0_long:0 s0_long1:1 anneal_1:1 s0_a03:0; do
  r=${rk%%:*}; k=${rk#*:}
  .venv/bin/python scripts/experiments/discover_seed.py runs/$r $k /tmp/target_nll.json
done
