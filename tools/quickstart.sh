#!/usr/bin/env bash
# The main job on built-in data, from a fresh clone: install, then the
# transfer demo on flying digits (no download): from the two shipped tiny
# source ConvLSTMs (one and two digits, checkpoints/tmu_cpu/), train the
# three-digit target (128 training sequences) from scratch, by finetuning
# and by memory transfer (TMU), two runs at a time with one thread each,
# test each, print one table of test metrics and save pictures of
# observed / true / predicted frames.
# Usage: bash tools/quickstart.sh [WORK_DIR] [transfer_benchmark.py options,
#        e.g. --methods scratch finetune l2sp kf tmu --seeds 0 1 2]
set -euo pipefail
REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# shellcheck disable=SC1091
source "$REPO_ROOT/tools/setup_env.sh" ""  # no extras (not this script's arguments)
cd "$REPO_ROOT"
WORK_DIR="${1:-work_dirs/quickstart}"
shift || true
python tools/analysis_tools/transfer_benchmark.py --preset demo --jobs 2 \
    --threads 1 --work-dir "$WORK_DIR" "$@"
