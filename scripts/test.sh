#!/usr/bin/env bash
# Quick start, command 2: set up, then run the test suite (extra pytest arguments are passed through).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
export OMP_NUM_THREADS=1 MKL_NUM_THREADS=1 INTERNAL_RL_QUIET=1
.venv/bin/ruff check src tests benchmarks scripts
.venv/bin/ruff format --check src tests benchmarks scripts  # the code is formatted by `ruff format`
.venv/bin/mypy  # the protocol modules and their implementations ([tool.mypy] in pyproject.toml)
exec .venv/bin/python -m pytest -n 2 "$@"
