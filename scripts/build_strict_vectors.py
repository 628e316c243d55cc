"""Build tests/vectors/protocol-v2-strict.json: the "Strict JSON" cases of PROTOCOL.md, and every
disagreement the differential fuzzer (tests/fuzz) has found, as chains that every entry point
must judge alike.

    .venv/bin/python scripts/build_strict_vectors.py [--check]

Each case holds ``blocks_json`` (the JSON text of each block; the chain is ``[`` + them joined by
``,`` + ``]``), ``first_bad_block`` (what a verifier reports: null with valid false means the text
is refused as a whole), and ``node_refuses_block`` (the first block a node refuses when it is sent
blocks 1, 2, ... by POST /blocks; null: it takes them all). Deterministic: rebuilding gives the
same bytes (``--check`` says whether the file is up to date).
"""
from __future__ import annotations

import copy
import json
import random
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from blockchain.block import block_hash, header_prefix  # noqa: E402
from blockchain.encoding import ZERO_HASH, canon, sha256_hex  # noqa: E402
from blockchain.pow import meets_difficulty  # noqa: E402
from testkit.fuzz.generate import generate_chain  # noqa: E402
from testkit.fuzz.mutate import reseal  # noqa: E402
from testkit.vectorfile import write_or_check  # noqa: E402

OUT = ROOT / "tests" / "vectors" / "protocol-v2-strict.json"
CLOCK_MS = 1_700_000_000_000          # the base chain's time: in the past of any real clock
FAR_FUTURE_MS = 4_000_000_000_000_000  # more than 2 hours ahead of any real clock (and < 2^53)
USER = ("TRANSFER", "FLOWER_DATA", "REFUND", "REPORT")


def base_chain() -> list[dict]:
    """The first seeded chain with min_deposit 0, refund_wait 1, unsigned and signed user
    transactions and a flower (so that false == 0 and true == 1 are live in its params)."""
    for n in range(1000):
        blocks = generate_chain(random.Random(f"strict-vectors:{n}"), {}, now_ms=CLOCK_MS)
        params = blocks[0]["transactions"][0]["params"]
        txs = [t for b in blocks[1:] for t in b["transactions"]]
        if (params["min_deposit"], params["refund_wait"]) == (0, 1) and len(blocks) >= 4 \
                and any(t["type"] == "FLOWER_DATA" and "signature" not in t for t in txs) \
                and any("signature" in t for t in txs):
            return blocks
    raise SystemExit("no seed gave a usable base chain")


def find(blocks, pred):
    for i, b in enumerate(blocks[1:], 1):
        for j, t in enumerate(b["transactions"]):
            if pred(t):
                return i, j
    raise SystemExit("no transaction fits")


def texts(blocks) -> list[str]:
    return [json.dumps(b, separators=(",", ":")) for b in blocks]


def case(name, why, blocks_json, first_bad, node_bad="same", valid=False):
    return {"name": name, "why": why, "valid": valid, "first_bad_block": first_bad,
            "node_refuses_block": first_bad if node_bad == "same" else node_bad, "blocks_json": blocks_json}


def build() -> dict:
    base = base_chain()
    cases = [case("valid_base", "the base chain, valid", texts(base), None, valid=True)]

    t = texts(base)
    i, j = find(base, lambda tx: tx["type"] in USER)
    sender = base[i]["transactions"][j]["sender"]
    escaped = "".join(f"\\u{ord(c):04x}" for c in sender)
    t[i] = t[i].replace(f'"sender":"{sender}"', f'"sender":"{escaped}"', 1)
    cases.append(case("valid_escaped_string", "a sender written with \\u escapes is the same string: valid", t,
                      None, valid=True))

    b = copy.deepcopy(base)
    i, j = find(b, lambda tx: tx["type"] in USER and "signature" not in tx)
    b[i]["transactions"][j]["timestamp_ms"] = FAR_FUTURE_MS
    reseal(b, i)
    cases.append(case("user_transaction_from_the_future", "a user transaction's timestamp_ms more than 2 hours "
                      "ahead of the verifier's clock (block and ids resealed)", texts(b), i))

    b = copy.deepcopy(base)
    i, j = find(b, lambda tx: tx["type"] in USER and "signature" not in tx)
    b[i]["transactions"][j]["signature"] = None
    cases.append(case("signature_null", 'an unsigned transaction carrying "signature": null (optional fields '
                      "are absent, never null)", texts(b), i))

    b = copy.deepcopy(base)
    i, j = find(b, lambda tx: tx["type"] in USER and "signature" not in tx)
    b[i]["transactions"][j]["public_key"] = None
    reseal(b, i)
    cases.append(case("public_key_null", '"public_key": null in an unsigned body (id resealed)', texts(b), i))

    # "difficulty": true, and a block 0 mined on the header that Python's old genesis built with it
    b = copy.deepcopy(base)
    b[0]["transactions"][0]["params"]["difficulty"] = True
    tx0 = b[0]["transactions"][0]
    tx0["id"] = sha256_hex(canon({k: v for k, v in tx0.items() if k != "id"}))
    reseal(b, 0)
    prefix = header_prefix(0, 0, ZERO_HASH, True, b[0]["merkle_root"])
    nonce = next(n for n in range(10**6) if meets_difficulty(block_hash(prefix, n), 1))
    b[0]["nonce"], b[0]["hash"] = nonce, block_hash(prefix, nonce)
    reseal(b, 1)
    cases.append(case("genesis_difficulty_true", 'genesis params "difficulty": true (block 0\'s hash taken from a '
                      'header holding true; booleans are never integers)', texts(b), 0, node_bad=1))
    for name, value in (("min_deposit", False), ("refund_wait", True)):
        b = copy.deepcopy(base)
        b[0]["transactions"][0]["params"][name] = value
        reseal(b, 0)
        cases.append(case(f"genesis_{name}_{str(value).lower()}", f'genesis params "{name}": {str(value).lower()} '
                          f"(equal to {int(value)} in Python; booleans are never integers)", texts(b), 0, node_bad=1))

    # what crashed the Python verifier before (fuzzer seed 1 on the code before this file existed)
    for label, bad in (("null", None), ("string", "1"), ("list", [1]), ("huge", 10**12)):
        b = copy.deepcopy(base)
        b[0]["transactions"][0]["params"]["difficulty"] = bad
        reseal(b, 0)
        cases.append(case(f"genesis_difficulty_{label}", f"genesis params difficulty {json.dumps(bad)}: an integer "
                          "from 1 to 32 or the chain is invalid at block 0 (a verifier never crashes on it)",
                          texts(b), 0, node_bad=1))

    t = texts(base)
    i, j = find(base, lambda tx: tx["type"] == "TRANSFER") if any(
        tx["type"] == "TRANSFER" for blk in base[1:] for tx in blk["transactions"]) else find(base, lambda tx: True)
    amount = base[i]["transactions"][j]["amount"]
    tx_text = json.dumps(base[i]["transactions"][j], separators=(",", ":"))
    for name, dup in (
        ("duplicate_key", f'"amount":{amount + 1},'),
        ("duplicate_key_same_value", f'"amount":{amount},'),
    ):
        tt = list(t)
        tt[i] = tt[i].replace(tx_text, tx_text.replace('"amount":', dup + '"amount":', 1), 1)
        assert tt[i] != t[i]
        cases.append(case(name, "a transaction with the key amount twice: the text is refused wherever it is "
                          "parsed", tt, None, node_bad=i))

    t = texts(base)
    i = len(base) - 1
    deep = "[" * 33 + "]" * 33
    t[i] = t[i][:-1] + f',"deep":{deep}' + "}"
    cases.append(case("nested_33_levels", "a value nested more than 32 levels deep: refused by the parser",
                      t, None, node_bad=i))

    for name, where in (("proto_in_block", "block"), ("proto_in_transaction", "transaction"),
                        ("proto_in_flower_data", "data")):
        b = copy.deepcopy(base)
        if where == "block":
            i = 1
            b[i]["__proto__"] = {}
        else:
            i, j = find(b, lambda tx: tx["type"] == "FLOWER_DATA")
            target = b[i]["transactions"][j] if where == "transaction" else b[i]["transactions"][j]["data"]
            target["__proto__"] = {"amount": 1} if where == "transaction" else "5.10"
        # not resealed: the id is still that of the body without the member, so a parser that
        # drops "__proto__" would find nothing wrong
        cases.append(case(name, f'a "__proto__" member in a {where}, the id left as it was without it: an '
                          "extra key like any other (keys match exactly)", texts(b), i))

    b = copy.deepcopy(base)
    i, j = find(b, lambda tx: tx["type"] in USER)
    b[i]["transactions"][j]["type"] = "constructor"
    reseal(b, i)
    cases.append(case("type_constructor", 'a transaction type "constructor" (a name every JavaScript object '
                      "inherits): not a type", texts(b), i))

    b = copy.deepcopy(base)
    i = 2
    b[i]["index"] = 2**53
    cases.append(case("index_beyond_2_53", "a block index of 2^53 (fuzzer seed 1:203:4): reported at its "
                      "position in the chain", texts(b), i))
    return {"about": "Strict JSON cases of PROTOCOL.md and the differential fuzzer's findings; built by "
                     "scripts/build_strict_vectors.py", "cases": cases}


def render() -> str:
    return json.dumps(build(), indent=1) + "\n"


def main(argv: list[str] | None = None) -> int:
    return write_or_check(OUT, render, __doc__.split("\n\n")[0], argv)


if __name__ == "__main__":
    sys.exit(main())
