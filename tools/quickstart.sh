#!/usr/bin/env bash
# The main job on built-in data, from a fresh clone: install, then the
# transfer demo on flying digits (no download): train two tiny source
# ConvLSTMs (one and two digits), train the three-digit target from scratch,
# by finetuning and by memory transfer (TMU), test each, print one table of
# test metrics and save pictures of observed / true / predicted frames.
# Usage: bash tools/quickstart.sh [WORK_DIR] [--methods scratch finetune l2sp kf tmu]
set -euo pipefail
REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# shellcheck disable=SC1091
source "$REPO_ROOT/tools/setup_env.sh" ""  # no extras (not this script's arguments)
cd "$REPO_ROOT"
WORK_DIR="${1:-work_dirs/quickstart}"
shift || true
if [ "$#" -eq 0 ]; then
    set -- --methods scratch finetune tmu
fi
python tools/analysis_tools/transfer_benchmark.py --work-dir "$WORK_DIR" "$@"
