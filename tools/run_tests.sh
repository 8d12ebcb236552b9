#!/usr/bin/env bash
# Install stpredict with its test dependencies (and the nowcasting extra,
# pysteps, whose optical-flow baseline the tests check) and run the test suite
# (tests/ and the example plugin's projects/example_plugin/tests).
# Usage: bash tools/run_tests.sh [pytest options...]
set -euo pipefail
REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# shellcheck disable=SC1091
source "$REPO_ROOT/tools/setup_env.sh" tests,nowcasting
cd "$REPO_ROOT"
python -m pytest tests projects/example_plugin/tests -q -p no:cacheprovider "$@"
