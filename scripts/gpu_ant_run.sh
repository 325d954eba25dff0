#!/usr/bin/env bash
# Ant-pinpad's base model at GPU scale in <= 9 minutes (scripts/gpu_ant_run.py --expert DIR); `--tiny` runs it on a
# CPU in seconds.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
exec .venv/bin/python scripts/gpu_ant_run.py "$@"
