#!/usr/bin/env bash
# Set up (first time only) and run the whole test suite: ./test.sh [pytest arguments]
# The suite runs on every core (pytest-xdist, -n auto), one test file per worker at a time
# (--dist loadfile: a file's module fixtures start once). Any -n/--numprocesses/--dist of yours
# replaces that; -n 0 or -p no:xdist runs it in one process.
set -euo pipefail
cd "$(dirname "$0")"
scripts/setup.sh
parallel=(-n auto --dist loadfile)
for arg in "$@"; do
  case "$arg" in
    no:xdist|-pno:xdist|-n|-n[0-9a]*|--numprocesses|--numprocesses=*|--dist|--dist=*) parallel=() ;;
  esac
done
exec .venv/bin/python -m pytest "${parallel[@]}" "$@"
