#!/usr/bin/env bash
# The main job on built-in data, from a fresh clone: install, train the tiny
# ConvLSTM on flying digits (no download), test it against the
# copy-the-last-frame baseline, and save pictures of predicted vs true frames.
# Usage: bash tools/quickstart.sh [WORK_DIR]
set -euo pipefail
REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# shellcheck disable=SC1091
source "$REPO_ROOT/tools/setup_env.sh"
cd "$REPO_ROOT"
CONFIG=configs/convlstm/convlstm_2x32_flying2digits-10to10_tiny.py
WORK_DIR="${1:-work_dirs/quickstart}"

python tools/train.py "$CONFIG" --work-dir "$WORK_DIR"
CHECKPOINT="$(ls -t "$WORK_DIR"/best_*.pth 2>/dev/null | head -n 1)"
if [ -z "$CHECKPOINT" ]; then
    CHECKPOINT="$WORK_DIR/$(cat "$WORK_DIR/last_checkpoint" | xargs basename)"
fi
python tools/test.py "$CONFIG" "$CHECKPOINT" --work-dir "$WORK_DIR" \
    --show-dir "$WORK_DIR/predictions" --out "$WORK_DIR/test_metrics.json"
python tools/analysis_tools/print_metrics.py "$WORK_DIR/test_metrics.json"
echo "Pictures of observed / true / predicted frames: $WORK_DIR/predictions/"
