#!/usr/bin/env bash
# Set up (first time only) and run the whole test suite: ./test.sh [pytest arguments]
set -euo pipefail
cd "$(dirname "$0")"
scripts/setup.sh
exec .venv/bin/python -m pytest "$@"
