# Sourced by the experiment scripts (e33.sh, e34.sh).
link_run() {  # link_run SRC DST: a run folder sharing SRC's data and backbone, without its discover stage
  mkdir -p "$2"
  cp "$1/config.yaml" "$2/"
  for d in data pretrain probe steer; do if [ -e "$1/$d" ]; then ln -sfn "$(realpath "$1/$d")" "$2/$d"; fi; done
}
