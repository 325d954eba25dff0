# Sourced by the experiment scripts (e33.sh on): one thread per job, the project's Python, run-folder helpers.
export OMP_NUM_THREADS=1
py=.venv/bin/python
rl_episodes=(rl.batch_size=1024 rl.eval_every=100 rl.eval_episodes=1024)  # E46's: batches of 1,024, evaluated every 100
steer_check() {  # steer_check RUN STEP OUT [NAME [ARG ...]]: E42's steering check (chains D*, rank 128, 512 fresh
  #                layouts per group) on RUN's snapshot at STEP with steer_length.py's ARGs added (gain=G,
  #                steer.FIELD=VALUE, ...), into OUT/<NAME, default length>_<RUN's name>_stepSTEP.{json,log}
  local file; file=$3/${4:-length}_$(basename "$1")_step$2
  $py scripts/experiments/steer_length.py "$1" "step$2" "$file.json" data=chains steer.rank=128 "${@:5}" \
    | tee "$file.log"
}
bar1_check() {  # bar1_check OUT RUN STEP [ARG ...]: E58's bar 1 check (2,048 layouts, the run's D*, one thread) on
  #              RUN's step-STEP snapshot with steer_length.py's ARGs, into OUT/length2048[_<ARGs>]_<RUN's name>_stepSTEP
  local tag; tag=$(IFS=_; echo "${*:4}" | tr -d '=' | sed 's/steer\.//g')
  steer_check "$2" "$3" "$1" "length2048${tag:+_$tag}" data=meta episodes=2048 threads=1 "${@:4}"
}
warm_restart() {  # warm_restart SRC DST STEPS LR [KEY=VALUE ...]: E62's warm restart, SRC's finished backbone trained
  #                for STEPS more steps of cpu-full's DART stream (runs/cpufull_dart's data) on a fresh cosine from
  #                LR with a fresh AdamW, in DST (snapshots every 2,500; resumable), with the config KEYs set
  $py scripts/experiments/finetune.py "$1" runs/cpufull_dart "$2" configs/cpu-full.yaml pretrain.steps="$3" \
    pretrain.lr="$4" pretrain.snapshot_every=2500 pretrain.eval_every=1000 threads=1 "${@:5}"
}
rl_gain() {  # rl_gain RUN OUT G UPDATES TASK S [rl.FIELD=VALUE ...]: internal RL on RUN's seed 0 with the push scaled
  #           by G (E47), UPDATES x 1,024 episodes of TASK, RL seed S, into
  #           OUT/rl<UPDATES>x1024_gain<G>_<TASK>_<RUN's name>_rl<S>[_<FIELDVALUE ...>].{json,log} (resumable: appends)
  local tag file
  tag=$(IFS=_; echo "${*:7}" | tr -d '=' | sed 's/rl\.//g')
  file=$2/rl${4}x1024_gain$3_$5_$(basename "$1")_rl$6${tag:+_$tag}
  $py scripts/experiments/internal_rl_arm.py "$1" seed0 "$file.json" gain="$3" task="$5" seed="$6" rl.updates="$4" \
    "${rl_episodes[@]}" "${@:7}" | tee -a "$file.log"
}
link_run() {  # link_run SRC DST: a run folder sharing SRC's data and backbone, without its discover stage
  mkdir -p "$2"
  cp "$1/config.yaml" "$2/"
  for d in data pretrain probe steer; do if [ -e "$1/$d" ]; then ln -sfn "$(realpath "$1/$d")" "$2/$d"; fi; done
}
copy_seed() {  # copy_seed SRC DST K: DST linked to SRC's backbone (when new) with SRC's discovery seed K to train on
  if [ ! -d "$2/discover/seed$3" ]; then
    link_run "$1" "$2"
    mkdir -p "$2/discover/seed$3" && cp -r "$1/discover/seed$3/checkpoint" "$2/discover/seed$3/"
  fi
}
set_discover() {  # set_discover CONFIG FIELD VALUE: one field of the discover section (checked when loaded)
  $py scripts/experiments/set_field.py "$1" "discover.$2" "$3"
}
arm_run() {  # arm_run SRC RUN FIELD=VALUE ...: RUN linked to SRC's backbone, with the discover FIELDs set
  link_run "$1" "$2"
  for kv in "${@:3}"; do set_discover "$2/config.yaml" "${kv%%=*}" "${kv#*=}"; done
}
sgother1() {  # sgother1 SRC RUN OUT TAG [FIELD=VALUE ...]: E52's sgother1 recipe (labelled start, swap `other` on
  #            every segment; the discover FIELDs set) on SRC's backbone in RUN, then its codes and code ceilings,
  #            into OUT/*_TAG_seed0.json
  arm_run "$1" "$2" memory_swap=1 memory_swap_to=other "${@:5}"
  sgother1_in "$2" "$3" "$4"
}
sgother1_in() {  # sgother1_in RUN OUT TAG: sgother1's discovery, codes and ceilings in RUN as it stands (discover set)
  $py scripts/experiments/subgoal_start.py "$1" 0 "$2/discover_$3_seed0.json" start=4000
  $py scripts/experiments/code_content.py "$1" seed0 "$2/code_content_$3_seed0.json"
  $py scripts/experiments/code_gain.py "$1" seed0 "$2/gain_$3_seed0.json" scales=1 gains=1 episodes=2048
}
score_codes() {  # score_codes RUN K OUT TAG: what discovery seed K's codes carry, and internal RL on them
  $py scripts/experiments/code_content.py "$1" "seed$2" "$3/code_content_$4_seed$2.json"
  $py scripts/experiments/internal_rl_arm.py "$1" "seed$2" "$3/rl_$4_seed$2.json" seed="$2"
}
anneal_stages() {  # anneal_stages RUN K OUT TAG STEPS:ALPHA ...: seed K trained on to STEPS at ALPHA, and so on;
  #                  after each stage its held-out metrics and what its codes carry, in OUT/*_TAG_STEPS_seedK.json
  local stage steps alpha
  for stage in "${@:5}"; do
    steps=${stage%%:*} alpha=${stage#*:}
    set_discover "$1/config.yaml" steps "$steps"
    set_discover "$1/config.yaml" alpha "$alpha"
    $py scripts/experiments/discover_seed.py "$1" "$2" "$3/discover_$4_${steps}_seed$2.json"
    $py scripts/experiments/code_content.py "$1" "seed$2" "$3/code_content_$4_${steps}_seed$2.json"
  done
}
discover_arm() {  # discover_arm SRC NAME K OUT FIELD=VALUE ...: discovery seed K in runs/s0_NAME (SRC's backbone, the
  #                 discover FIELDs set), what its codes carry, internal RL on them and the code table of its decoder
  local run=runs/s0_$2
  arm_run "$1" $run "${@:5}"
  $py scripts/experiments/discover_seed.py $run "$3" "$4/discover_$2_seed$3.json"
  score_codes $run "$3" "$4" "$2"
  $py scripts/experiments/code_table.py $run "seed$3" "$4/code_table_$2_seed$3.json" | tee "$4/code_table_$2_seed$3.log"
}
