#!/usr/bin/env bash
# Quick start, command 1: set up, then run the whole gridworld pipeline (data -> report) on a config.
# Usage: bash scripts/run.sh [config] [out]   (defaults: configs/cpu.yaml runs/cpu). Re-running resumes/skips.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
config=${1:-configs/cpu.yaml}
out=${2:-runs/$(basename "$config" .yaml)}
exec .venv/bin/internal-rl run --config "$config" --out "$out"
