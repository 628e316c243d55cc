"""``python -m experiments``: every experiment from one entry.

``python -m experiments COMMAND [ARGS]`` runs ``reproduce``, ``poisoning``, ``strategies`` (the
attacks on the claim rule: ``experiments.poisoning --strategies``) or ``market`` with ``ARGS`` (each
command's own ``--help`` lists them). With no command, or with options only, it runs ``reproduce``
with them, as it always has: ``python -m experiments`` is ``python -m experiments.reproduce``.
"""
from __future__ import annotations

import argparse
import sys
from typing import Callable, Optional


def _reproduce(argv: list[str]) -> int:
    from .reproduce import main

    return int(main(argv))


def _poisoning(argv: list[str]) -> int:
    from .poisoning import main

    return int(main(argv))


def _strategies(argv: list[str]) -> int:
    from .poisoning import main

    return int(main(["--strategies", *argv]))


def _market(argv: list[str]) -> int:
    from .market import main

    return int(main(argv))


COMMANDS: dict[str, tuple[Callable[[list[str]], int], str]] = {
    "reproduce": (_reproduce, "Fig. 4, 5 and 6 of the paper through real nodes (docs/experiments.md); the default"),
    "poisoning": (_poisoning, "honest contributors and a label flipper, with and without deposits (docs/deposits.md)"),
    "strategies": (_strategies, "attacks on the claim rule, protocol 2 against 3 (= poisoning --strategies)"),
    "market": (_market, "the training-job market on a protocol-3 node (docs/jobs.md)"),
}


def parser() -> argparse.ArgumentParser:
    listing = "\n".join(f"  {name:<11} {text}" for name, (_, text) in COMMANDS.items())
    p = argparse.ArgumentParser(
        prog="python -m experiments",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description="Every experiment from one entry. With no command (or options only) it runs reproduce, "
        "as python -m experiments.reproduce does.",
        epilog=f"commands:\n{listing}\n\n'python -m experiments COMMAND --help' gives a command's options.")
    p.add_argument("command", choices=list(COMMANDS), metavar="COMMAND", help="one of: " + ", ".join(COMMANDS))
    p.add_argument("args", nargs=argparse.REMAINDER, metavar="ARGS", help="the command's own options")
    return p


def main(argv: Optional[list[str]] = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if not args or (args[0].startswith("-") and args[0] not in ("-h", "--help")):
        return _reproduce(args)  # the documented default: reproduce, with its own options
    chosen = parser().parse_args(args)
    run, _ = COMMANDS[chosen.command]
    return run(chosen.args)


if __name__ == "__main__":
    raise SystemExit(main())
