#!/usr/bin/env bash
# Install stpredict with its test dependencies and run the test suite.
# Usage: bash tools/run_tests.sh [pytest options...]
set -euo pipefail
REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# shellcheck disable=SC1091
source "$REPO_ROOT/tools/setup_env.sh" tests
cd "$REPO_ROOT"
python -m pytest tests -q -p no:cacheprovider "$@"
