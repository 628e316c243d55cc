"""``python -m client`` (installed: ``iris-wallet``): a small wallet.

    python -m client keygen  --key alice.key
    python -m client address --key alice.key
    python -m client send    --key alice.key --to bob --amount 2 [--node URL]
    python -m client flower  --key alice.key --sepal-length 5.1 --sepal-width 3.5 \\
                             --petal-length 1.4 --petal-width 0.2 --type setosa [--deposit N] [--node URL]
    python -m client refund  FLOWER_ID --key alice.key [--node URL]
    python -m client report  FLOWER_ID --key alice.key [--node URL]
    python -m client contributions [ADDRESS | --key alice.key] [--node URL]
    python -m client balance [ADDRESS | --key alice.key] [--node URL]
    python -m client job create|commit|reveal-test|reveal-model|show|list ...   (client/jobcli.py)

Transactions are signed here, with the key never leaving this machine: the node receives the
body, the public key and the Ed25519 signature of the canonical body (PROTOCOL.md). Errors are
one line on stderr; the exit status is 1 for a refused or failed request, 2 for bad usage.
It talks to the node through ``client.Node`` (a total deadline, a size cap, strict JSON).
"""
from __future__ import annotations

import argparse
import os
import re
import sys
from pathlib import Path

from blockchain import crypto
from ml.errors import MeasurementError
from ml.measurements import from_number, units

from . import jobcli
from .jobfiles import JobFileError
from .node import ApiError, Node, NodeError

DEFAULT_NODE = os.environ.get("IRIS_NODE", "http://127.0.0.1:5000")
TIMEOUT = 30


class WalletError(Exception):
    pass


class UsageError(WalletError):
    """The command line itself is wrong (exit status 2, like argparse's own usage errors)."""


def _node(args) -> Node:
    return Node(args.node, timeout=TIMEOUT)


def _key(args):
    return crypto.read_key_file(Path(args.key))


def cmd_keygen(args) -> str:
    key = crypto.create_key_file(Path(args.key))
    address = crypto.address_of(crypto.public_key_hex(key))
    return f"created {args.key} (readable by you only)\naddress {address}"


def cmd_address(args) -> str:
    key = _key(args)
    return crypto.address_of(crypto.public_key_hex(key))


def cmd_send(args) -> str:
    answer = _node(args).send(_key(args), args.to, args.amount)
    return f"sent {args.amount} to {args.to}: transaction {answer.transaction_id} (block {answer.block_index})"


def cmd_flower(args) -> str:
    measures = {"sepal_length": args.sepal_length, "sepal_width": args.sepal_width,
                "petal_length": args.petal_length, "petal_width": args.petal_width}
    answer = _node(args).send_flower(_key(args), args.type, measures, args.deposit)
    deposit = f" with a deposit of {args.deposit}" if args.deposit else ""
    return f"flower data sent{deposit}: transaction {answer.transaction_id} (block {answer.block_index})"


def _claim(kind: str, args) -> str:
    answer = _node(args).claim(_key(args), kind, args.flower_id)
    return f"{kind} sent: transaction {answer.transaction_id} (block {answer.block_index})"


def cmd_refund(args) -> str:
    return _claim("refund", args)


def cmd_report(args) -> str:
    return _claim("report", args)


def _address_arg(args) -> str:
    if args.address and args.key:
        raise UsageError("give an address or --key, not both")
    address = args.address or (crypto.address_of(crypto.public_key_hex(_key(args))) if args.key else None)
    if not address:
        raise UsageError(f"give an address or --key ({args.prog} {args.command} ADDRESS | --key FILE)")
    return address


CONTRIBUTIONS_PAGE = 1000  # the node's largest page of /contributions


def cmd_contributions(args) -> str:
    node, sender = _node(args), _address_arg(args)
    first = node.contributions(sender, limit=CONTRIBUTIONS_PAGE)
    contributions = list(first.contributions)
    if first.next is not None:
        contributions += node.iter_contributions(sender, start=first.next)
    lines = [f"{first.sender}: {first.count} contribution(s), good {first.good}"]
    for c in contributions:
        d = c.data or {}
        if not c.deposit:
            state = "no deposit"
        elif c.refunded:
            state = f"deposit {c.deposit} refunded"
        else:
            state = f"deposit {c.deposit}, {c.left} left, claimable from block {c.claimable_from_block}"
        agrees = "model agrees" if c.model_agrees else "model disagrees"
        lines.append(f"{c.flower_id}  block {c.block_index}  {d.get('flower_type')} ({d.get('sepal_length')}, "
                     f"{d.get('sepal_width')}, {d.get('petal_length')}, {d.get('petal_width')})  {state}; {agrees}")
    return "\n".join(lines)


def cmd_judgement(args) -> str:
    j = _node(args).judgement(args.flower_id)
    verdict = ", ".join(f"{what} {'allowed' if allowed else 'refused'}"
                        for what, allowed in (("refund", j.refund_allowed), ("report", j.report_allowed)))
    lines = [f"{j.flower_id}: {j.label}, judged in block {j.judged_in_block} by protocol {j.protocol} "
             f"({j.rule}): {j.agree} of {j.k} agree; {verdict}"
             + ("; a refund would be good" if j.refund_allowed and j.good else "")]
    for reason in j.blocked_by:
        lines.append(f"  not now: {reason}")
    for n in j.neighbours:
        mark = "counts " if n.counted else "ignored"
        who = f"flower {n.flower_id[:16]}..." if n.flower_id else "base"
        lines.append(f"  {mark} row {n.row:>5} {n.label:<12} distance {n.distance:>12}  {who}: {n.why}")
    return "\n".join(lines)


def cmd_balance(args) -> str:
    answer = _node(args).balance(_address_arg(args))
    return f"{answer.address}: balance {answer.balance}, available {answer.available}"


def _measure(text: str) -> str:
    """Centimetres as the protocol's string: "5.1" and "5.10" give "5.10"; 5.123 is refused."""
    try:
        return text if re.fullmatch(r"[0-9]+\.[0-9]{2}", text) and units(text) else from_number(float(text))
    except (ValueError, MeasurementError) as exc:
        raise argparse.ArgumentTypeError(f"{exc}" if isinstance(exc, MeasurementError)
                                         else f"must be a number of centimetres; got {text!r}") from None


def _whole(least: int):
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"must be a whole number; got {text!r}") from None
        if value < least:
            raise argparse.ArgumentTypeError(f"must be at least {least}; got {value}")
        return value
    return parse


def _flower_id(text: str) -> str:
    if not re.fullmatch(r"[0-9a-f]{64}", text):
        raise argparse.ArgumentTypeError(f"must be a transaction id (64 lowercase hex characters); got {text!r:.80}")
    return text


def program_name() -> str:
    """``iris-wallet`` when run as the installed command, else ``python -m client``."""
    return "iris-wallet" if Path(sys.argv[0]).name == "iris-wallet" else "python -m client"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog=program_name(), description="Wallet: sign and send transactions.")
    # --node is taken before the subcommand as well as after it; after it wins. The subcommands'
    # copy defaults to SUPPRESS so that leaving it out there keeps the value given before.
    parser.add_argument("--node", default=DEFAULT_NODE, help=f"node URL (default {DEFAULT_NODE}, or $IRIS_NODE)")
    sub = parser.add_subparsers(dest="command", required=True)

    def add(name, func, help_, key=True, node=True):
        p = sub.add_parser(name, help=help_)
        if key:
            p.add_argument("--key", required=name not in ("balance", "contributions"), help="key file")
        if node:
            p.add_argument("--node", default=argparse.SUPPRESS,
                           help=f"node URL (default {DEFAULT_NODE}, or $IRIS_NODE)")
        p.set_defaults(func=func)
        return p

    add("keygen", cmd_keygen, "create a new key file (never overwrites)", node=False)
    add("address", cmd_address, "show the address of a key", node=False)
    send = add("send", cmd_send, "send a signed transfer")
    send.add_argument("--to", required=True, help="recipient address")
    send.add_argument("--amount", required=True, type=_whole(1), help="whole coins")
    fl = add("flower", cmd_flower, "send signed flower measurements")
    for name in ("sepal-length", "sepal-width", "petal-length", "petal-width"):
        fl.add_argument(f"--{name}", required=True, type=_measure, help="centimetres, 0.01 to 100.00")
    fl.add_argument("--type", required=True, help="the flower's class (Iris: setosa, versicolor, virginica)")
    fl.add_argument("--deposit", type=_whole(0), default=0, help="coins to lock with it (default 0)")
    for name, func, what in (("refund", cmd_refund, "claim back the deposit of your contribution"),
                             ("report", cmd_report, "report a contribution the model disagrees with")):
        claim = add(name, func, what)
        claim.add_argument("flower_id", type=_flower_id, help="the FLOWER_DATA transaction id")
    judged = add("judgement", cmd_judgement, "show which data would judge a claim of a contribution, and why",
                 key=False)
    judged.add_argument("flower_id", type=_flower_id, help="the FLOWER_DATA transaction id")
    for name, func, what in (("balance", cmd_balance, "show a balance"),
                             ("contributions", cmd_contributions, "list contributions, deposits and claims")):
        p = add(name, func, what)
        p.add_argument("address", nargs="?", help="address (or use --key)")
    jobcli.register(sub, lambda p: p.add_argument("--node", default=argparse.SUPPRESS,
                                                  help=f"node URL (default {DEFAULT_NODE}, or $IRIS_NODE)"),
                    _whole, _node)
    return parser


def main(argv=None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    args.prog = parser.prog
    try:
        print(args.func(args))
    except UsageError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except ApiError as exc:
        print(f"error: refused ({exc.status} {exc.code}): {exc.message}", file=sys.stderr)
        return 1
    except (WalletError, NodeError, crypto.KeyFileError, JobFileError, jobcli.JobCommandError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0
