#!/usr/bin/env bash
# Create (or reuse) a virtual environment and install stpredict into it.
# Sourced by tools/quickstart.sh and tools/run_tests.sh.
#   STPREDICT_VENV   where the environment lives (default: .venv in the repo)
#   TORCH_SPEC       the torch requirement (default: torch==2.13.0, the CPU
#                    build; an unpinned torch pulls several GB of CUDA wheels)
set -euo pipefail
REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="${STPREDICT_VENV:-$REPO_ROOT/.venv}"
TORCH_SPEC="${TORCH_SPEC:-torch==2.13.0}"
EXTRAS="${1:-}"

if [ ! -x "$VENV/bin/python" ]; then
    echo "[setup] creating virtual environment $VENV"
    python3 -m venv "$VENV"
fi
# shellcheck disable=SC1091
source "$VENV/bin/activate"

STAMP="$VENV/.stpredict-installed${EXTRAS:+-$EXTRAS}"
REQ_HASH="$(cat "$REPO_ROOT"/requirements/*.txt "$REPO_ROOT/setup.py" | sha1sum | cut -c1-12)"
if [ ! -f "$STAMP" ] || [ "$(cat "$STAMP")" != "$REQ_HASH" ]; then
    LOG="$VENV/pip-install.log"
    echo "[setup] installing $TORCH_SPEC and stpredict${EXTRAS:+[$EXTRAS]} (log: $LOG)"
    {
        python -m pip install --upgrade "pip>=23" || true
        python -m pip install "$TORCH_SPEC" &&
        python -m pip install -e "$REPO_ROOT${EXTRAS:+[$EXTRAS]}"
    } > "$LOG" 2>&1 || { tail -n 30 "$LOG"; echo "[setup] installation failed, see $LOG"; exit 1; }
    echo "$REQ_HASH" > "$STAMP"
fi
# the example plugin (projects/example_plugin): editable, offline (no build
# isolation: the venv's setuptools builds it); checked apart from the stamp
PLUGIN_LOG="$VENV/pip-install-plugin.log"
if ! python -m pip show -q stpredict-example-plugin > /dev/null 2>&1; then
    echo "[setup] installing the example plugin projects/example_plugin (log: $PLUGIN_LOG)"
    {
        python -m pip install --no-build-isolation -e "$REPO_ROOT/projects/example_plugin" ||
        python -m pip install -e "$REPO_ROOT/projects/example_plugin"
    } > "$PLUGIN_LOG" 2>&1 || { tail -n 30 "$PLUGIN_LOG"; echo "[setup] installation of the example plugin failed, see $PLUGIN_LOG"; exit 1; }
fi
python -c "import stpredict, torch, mmengine, mmcv; print(f'[setup] stpredict {stpredict.__version__}, torch {torch.__version__}, mmengine {mmengine.__version__}, mmcv {mmcv.__version__}')"
