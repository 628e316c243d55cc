"""``python -m client``: a small wallet.

    python -m client keygen  --key alice.key
    python -m client address --key alice.key
    python -m client send    --key alice.key --to bob --amount 2 [--node URL]
    python -m client flower  --key alice.key --sepal-length 5.1 --sepal-width 3.5 \\
                             --petal-length 1.4 --petal-width 0.2 --type setosa [--deposit N] [--node URL]
    python -m client refund  FLOWER_ID --key alice.key [--node URL]
    python -m client report  FLOWER_ID --key alice.key [--node URL]
    python -m client contributions [ADDRESS | --key alice.key] [--node URL]
    python -m client balance [ADDRESS | --key alice.key] [--node URL]

Transactions are signed here, with the key never leaving this machine: the node receives the
body, the public key and the Ed25519 signature of the canonical body (PROTOCOL.md). Errors are
one line on stderr; the exit status is 1 for a refused or failed request, 2 for bad usage.
"""
from __future__ import annotations

import argparse
import os
import re
import sys
import time
from pathlib import Path

import requests

from blockchain import crypto
from blockchain.strictjson import JSONRejected, loads_strict
from blockchain.transactions import claim_body, flower_body, transfer_body
from ml.errors import MeasurementError
from ml.measurements import from_number, units

DEFAULT_NODE = os.environ.get("IRIS_NODE", "http://127.0.0.1:5000")
TIMEOUT = 30


class WalletError(Exception):
    pass


class UsageError(WalletError):
    """The command line itself is wrong (exit status 2, like argparse's own usage errors)."""


def _post(node: str, path: str, body: dict) -> dict:
    return _call("POST", node, path, body)


def _call(method: str, node: str, path: str, body=None) -> dict:
    url = node.rstrip("/") + path
    try:
        r = requests.request(method, url, json=body, timeout=TIMEOUT, allow_redirects=False)
    except requests.RequestException as exc:
        raise WalletError(f"cannot reach the node at {node} ({type(exc).__name__}); is it running?") from None
    try:
        data = loads_strict(r.content)
    except JSONRejected as exc:
        raise WalletError(f"the node at {node} answered {r.status_code} without strict JSON ({exc})") from None
    if r.status_code >= 400:
        err = data.get("error", {}) if isinstance(data, dict) else {}
        raise WalletError(f"refused ({r.status_code} {err.get('code', '?')}): {err.get('message', data)}")
    return data


def _key(args):
    return crypto.read_key_file(Path(args.key))


def _signed(key, body: dict) -> dict:
    """The request fields of a signed transaction: its body's fields plus the signature."""
    return {"signature": crypto.sign_body(key, body)}


def cmd_keygen(args) -> str:
    key = crypto.create_key_file(Path(args.key))
    address = crypto.address_of(crypto.public_key_hex(key))
    return f"created {args.key} (readable by you only)\naddress {address}"


def cmd_address(args) -> str:
    key = _key(args)
    return crypto.address_of(crypto.public_key_hex(key))


def _now_ms() -> int:
    return int(time.time() * 1000)


def _identity(args):
    key = _key(args)
    pub = crypto.public_key_hex(key)
    return key, pub, crypto.address_of(pub)


def cmd_send(args) -> str:
    key, pub, sender = _identity(args)
    body = transfer_body(sender, args.to, args.amount, _now_ms(), pub)
    request = {"sender": sender, "recipient": args.to, "amount": args.amount, "timestamp_ms": body["timestamp_ms"],
               "public_key": pub, **_signed(key, body)}
    answer = _post(args.node, "/transactions/new", request)
    return f"sent {args.amount} to {args.to}: transaction {answer['transaction_id']} (block {answer['block_index']})"


def cmd_flower(args) -> str:
    key, pub, sender = _identity(args)
    measures = {"sepal_length": args.sepal_length, "sepal_width": args.sepal_width,
                "petal_length": args.petal_length, "petal_width": args.petal_width}
    body = flower_body(sender, measures, args.type, _now_ms(), args.deposit, pub)
    request = {"sender": sender, **body["data"], "deposit": args.deposit, "timestamp_ms": body["timestamp_ms"],
               "public_key": pub, **_signed(key, body)}
    answer = _post(args.node, "/flower/add", request)
    deposit = f" with a deposit of {args.deposit}" if args.deposit else ""
    return f"flower data sent{deposit}: transaction {answer['transaction_id']} (block {answer['block_index']})"


def _claim(kind: str, args) -> str:
    key, pub, sender = _identity(args)
    body = claim_body(kind, sender, args.flower_id, _now_ms(), pub)
    request = {"sender": sender, "flower_id": args.flower_id, "timestamp_ms": body["timestamp_ms"],
               "public_key": pub, **_signed(key, body)}
    answer = _post(args.node, f"/flower/{kind.lower()}", request)
    return f"{kind.lower()} sent: transaction {answer['transaction_id']} (block {answer['block_index']})"


def cmd_refund(args) -> str:
    return _claim("REFUND", args)


def cmd_report(args) -> str:
    return _claim("REPORT", args)


def _address_arg(args) -> str:
    if args.address and args.key:
        raise UsageError("give an address or --key, not both")
    address = args.address or (crypto.address_of(crypto.public_key_hex(_key(args))) if args.key else None)
    if not address:
        raise UsageError(f"give an address or --key (python -m client {args.command} ADDRESS | --key FILE)")
    return address


CONTRIBUTIONS_PAGE = 1000  # the node's largest page of /contributions


def _all_contributions(node: str, sender: str) -> tuple[dict, list[dict]]:
    """The first page's answer and every contribution, following ``next`` page by page."""
    start, items, first = 0, [], None
    while True:
        query = requests.compat.urlencode({"sender": sender, "from": start, "limit": CONTRIBUTIONS_PAGE})
        answer = _call("GET", node, f"/contributions?{query}")
        first = first or answer
        items += answer["contributions"]
        following = answer.get("next")
        if not isinstance(following, int) or following <= start:
            return first, items
        start = following


def cmd_contributions(args) -> str:
    answer, contributions = _all_contributions(args.node, _address_arg(args))
    lines = [f"{answer['sender']}: {answer['count']} contribution(s), good {answer['good']}"]
    for c in contributions:
        d = c["data"]
        if not c["deposit"]:
            state = "no deposit"
        elif c["refunded"]:
            state = f"deposit {c['deposit']} refunded"
        else:
            state = f"deposit {c['deposit']}, {c['left']} left, claimable from block {c['claimable_from_block']}"
        agrees = "model agrees" if c["model_agrees"] else "model disagrees"
        lines.append(f"{c['flower_id']}  block {c['block_index']}  {d['flower_type']} ({d['sepal_length']}, "
                     f"{d['sepal_width']}, {d['petal_length']}, {d['petal_width']})  {state}; {agrees}")
    return "\n".join(lines)


def cmd_judgement(args) -> str:
    j = _call("GET", args.node, f"/flower/{args.flower_id}/judgement")
    verdict = ", ".join(f"{what} {'allowed' if j[key] else 'refused'}"
                        for what, key in (("refund", "refund_allowed"), ("report", "report_allowed")))
    lines = [f"{j['flower_id']}: {j['label']}, judged in block {j['judged_in_block']} by protocol {j['protocol']} "
             f"({j['rule']}): {j['agree']} of {j['k']} agree; {verdict}"
             + ("; a refund would be good" if j["refund_allowed"] and j["good"] else "")]
    for reason in j.get("blocked_by", ()):
        lines.append(f"  not now: {reason}")
    for n in j["neighbours"]:
        mark = "counts " if n["counted"] else "ignored"
        who = f"flower {n['flower_id'][:16]}..." if n["flower_id"] else "base"
        lines.append(f"  {mark} row {n['row']:>5} {n['label']:<12} distance {n['distance']:>12}  {who}: {n['why']}")
    return "\n".join(lines)


def cmd_balance(args) -> str:
    answer = _call("GET", args.node, f"/balance/{_address_arg(args)}")
    return f"{answer['address']}: balance {answer['balance']}, available {answer['available']}"


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


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m client", description="Wallet: sign and send transactions.")
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
    return parser


def main(argv=None) -> int:
    args = build_parser().parse_args(argv)
    try:
        print(args.func(args))
    except UsageError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except (WalletError, crypto.KeyFileError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0
