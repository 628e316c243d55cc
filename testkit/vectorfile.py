"""The command line every vector builder in scripts/ shares: write the file, or ``--check`` it.

    python scripts/build_X.py            # (re)write the committed file
    python scripts/build_X.py --check    # rebuild in memory; exit 1 if the committed file differs

A builder passes its output path and its ``render()`` (the file's whole text, built once).
"""
from __future__ import annotations

import argparse
from pathlib import Path
from typing import Callable, Optional, Sequence


def write_or_check(out: Path, render: Callable[[], str], description: str,
                   argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--check", action="store_true", help="exit 1 if the file differs from a rebuild")
    args = parser.parse_args(argv)
    text = render()
    if args.check:
        same = out.exists() and out.read_text(encoding="utf-8") == text
        print(f"{out} is what the script builds" if same
              else f"{out} differs from a rebuild: run the script without --check")
        return 0 if same else 1
    out.write_text(text, encoding="utf-8")
    print(f"wrote {out} ({len(text.encode())} bytes)")
    return 0
