# Sourced by the experiment scripts (e33.sh, e34.sh, e35.sh); set_discover needs $py.
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
