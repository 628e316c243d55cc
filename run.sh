#!/usr/bin/env bash
# Set up (first time only) and start a node: ./run.sh [--port 5000] [--difficulty 4] [...]
set -euo pipefail
cd "$(dirname "$0")"
scripts/setup.sh
exec .venv/bin/python app.py "$@"
