#!/usr/bin/env bash
# The paper-scale run on one GPU in <= 9 minutes (scripts/gpu_paper_run.py); `--tiny` runs it on a CPU in seconds.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
exec .venv/bin/python scripts/gpu_paper_run.py "$@"
