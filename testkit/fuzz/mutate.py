"""One-change mutants of a valid chain, as JSON text (some changes exist only as text).

Each mutator takes (rng, blocks, refused=[...]) and returns (kind, detail, text) or None
(``refused``: the claims the node refused while the chain was generated, see generate.py). After a change to a
value, the chain is usually *resealed*: ids, Merkle root and proof of work of the changed block
are recomputed and the later blocks re-linked and re-mined, so that the change meets the deeper
rules (balances, claims, the model, the clock) instead of a wrong id.
"""
from __future__ import annotations

import copy
import json
import random
from collections.abc import Sequence
from typing import Any, Optional

from blockchain.block import block_hash, header_prefix
from blockchain.encoding import canon, is_hex, merkle_root, sha256_hex
from blockchain.difficulty import hash_limit
from blockchain.pow import search_below, search_nonce
from blockchain.transactions import MAX_FUTURE_MS

from .generate import NOW_MS, RULE_WORDS

ODD_KEYS = ("__proto__", "constructor", "toString", "hasOwnProperty", "valueOf", "", "Amount", "id ", "extra")
PARAM_NAMES = ("difficulty", "min_deposit", "refund_wait", "protocol", "k", "base_hash", "classes", "weights")


def dumps(blocks: Any, rng: random.Random) -> str:
    return json.dumps(blocks, indent=rng.choice((None, 1)), separators=rng.choice(((",", ":"), (", ", ": "))))


def other_values(rng: random.Random, value: Any) -> list:
    """Values of the same type near ``value``, and values of every other type."""
    out: list = [None, True, False, 0, -1, 1, 2**53, 2**53 - 1, "", "x", "0", [], {}, [value]]
    if type(value) is int:
        out += [value + 1, value - 1, -value, value * 2, str(value), 10**12, 10**12 + 1]
    elif type(value) is str:
        out += [value.upper(), value + "0", value[:-1], value[1:], " " + value, value.replace("0", "1", 1)]
        if "." in value:
            out += ["0.00", "100.01", "5.1", "05.10", "1000.00"]
    elif type(value) is dict and value:
        out += [{k: v for k, v in list(value.items())[1:]}]
    return out


def _changed(values: list, old: Any) -> list:
    """The values whose JSON differs from ``old``'s (a mutant always changes something)."""
    text = json.dumps(old, sort_keys=True)
    return [v for v in values if json.dumps(v, sort_keys=True) != text]


def reseal(blocks: list, start: int) -> None:
    """Recompute ids, Merkle root and proof of work from block ``start`` on, where they can be."""
    for i in range(start, len(blocks)):
        b = blocks[i]
        if type(b) is not dict:
            return
        try:
            if i > 0 and type(blocks[i - 1]) is dict:
                b["previous_hash"] = blocks[i - 1].get("hash")
            if i == start:
                for tx in b.get("transactions", []):
                    if type(tx) is dict and "id" in tx:
                        tx["id"] = sha256_hex(canon({k: v for k, v in tx.items() if k not in ("id", "signature")}))
            ids = [tx["id"] for tx in b["transactions"]]
            if all(is_hex(x, 64) for x in ids):
                b["merkle_root"] = merkle_root(ids)
            d = b["difficulty"]
            top = _resealable(blocks)
            if type(d) is int and 1 <= d <= top and type(b["index"]) is int and type(b["timestamp_ms"]) is int:
                prefix = header_prefix(b["index"], b["timestamp_ms"], b["previous_hash"], d, b["merkle_root"])
                b["nonce"] = search_nonce(prefix, d) if top == 2 else search_below(prefix, hash_limit(d))
                b["hash"] = block_hash(prefix, b["nonce"])
        except (TypeError, ValueError, KeyError, AttributeError):
            return


V3_RESEAL_MAX = 2**16  # v3 headers up to this difficulty are re-mined (a v3 fuzz chain stays far below it)


def _resealable(blocks: list) -> int:
    """The highest difficulty ``reseal`` re-mines: v2 2 hex zeros, v3 (its genesis says so) 2^16 hashes."""
    try:
        v3 = blocks[0]["transactions"][0]["params"]["protocol"] == 3
    except (TypeError, KeyError, IndexError):
        v3 = False
    return V3_RESEAL_MAX if v3 else 2


def _pick_tx(rng: random.Random, blocks: list, user_only: bool = False):
    spots = [(i, j) for i, b in enumerate(blocks) for j, t in enumerate(b["transactions"])
             if not user_only or t["type"] in ("TRANSFER", "FLOWER_DATA", "REFUND", "REPORT")]
    return rng.choice(spots) if spots else None


def _target(rng: random.Random, blocks: list):
    """A random object inside the chain (a block, a transaction, a flower's or an update's data)
    and the block it lies in."""
    i = rng.randrange(len(blocks))
    b = blocks[i]
    r = rng.random()
    if r < 0.25 or not b["transactions"]:
        return i, b
    tx = rng.choice(b["transactions"])
    if r < 0.45 and type(tx.get("data")) is dict:
        return i, tx["data"]
    if r < 0.5 and type(tx.get("params")) is dict:
        return i, tx["params"]
    return i, tx


def m_value(rng, blocks, **_):
    i, obj = _target(rng, blocks)
    key = rng.choice(sorted(obj))
    new = rng.choice(_changed(other_values(rng, obj[key]), obj[key]))
    obj[key] = new
    if rng.random() < 0.8:
        reseal(blocks, i)
    return "value", f"block {i} {key} -> {json.dumps(new)[:40]}", dumps(blocks, rng)


def m_keys(rng, blocks, **_):
    i, obj = _target(rng, blocks)
    r = rng.random()
    if r < 0.45:
        key = rng.choice(ODD_KEYS)
        obj[key] = rng.choice((1, "x", None, {}, {"a": 1}))
        what = f"add {key!r}"
    elif r < 0.65:
        key = rng.choice(sorted(obj))
        del obj[key]
        what = f"drop {key!r}"
    elif r < 0.8 and "type" in obj and "id" in obj:
        key = rng.choice(("signature", "public_key", "id"))
        obj[key] = None
        what = f"{key}: null"
    else:
        key = rng.choice(sorted(obj))
        obj[key.upper() if key != key.upper() else key + "_"] = obj.pop(key)
        what = f"rename {key!r}"
    if rng.random() < 0.8:
        reseal(blocks, i)
    return "keys", f"block {i} {what}", dumps(blocks, rng)


def m_json_text(rng, blocks, **_):
    text = dumps(blocks, rng)
    r = rng.random()
    if r < 0.3:  # a duplicate key, either value first
        at = text.find('"amount"', rng.randrange(len(text)))
        if at < 0:
            at = text.find('"amount"')
        value = rng.choice(("0", "1", "7", '"1"'))
        end = text.find(",", at)
        original = text[at:end]
        dup = f'"amount":{value},'
        new = text[:at] + (dup + original if rng.random() < 0.5 else original + "," + dup[:-1]) + text[end:]
        return "json_text", "duplicate amount", new
    if r < 0.45:
        at = text.find('"nonce"')
        end = text.find(",", at)
        num = text[at + 8:end].strip(": ")
        form = rng.choice((num + ".0", num + "e0", "NaN", "Infinity", "-0" if num == "0" else num + ".00", "0" + num))
        return "json_text", f"nonce as {form}", text[:at] + '"nonce":' + form + text[end:]
    if r < 0.55:
        tail = rng.choice((" x", "]", ",", "\x00", "\ufeff"))
        return "json_text", f"trailing {tail!r}", text + tail
    if r < 0.6:
        return "json_text", "BOM", "\ufeff" + text
    if r < 0.7:
        depth = rng.choice((31, 32, 33, 40))
        at = text.find('"data":{') + 7
        if at < 7:
            return None
        nest = "[" * depth + "1" + "]" * depth
        return "json_text", f"nested {depth}", text[:at] + '{"deep":' + nest + "," + text[at + 1:]
    if r < 0.85:  # the same value written another way: valid JSON, must change nothing
        at = text.find('"sender":"') if '"sender":"' in text else text.find('"sender": "')
        at = text.find('"', at + 8) + 1
        ch = text[at]
        return "json_text", "escaped sender character", text[:at] + f"\\u{ord(ch):04x}" + text[at + 1:]
    return "json_text", "whitespace", json.dumps(blocks, indent=rng.choice((2, 4)))


def m_timestamp(rng, blocks, **_):
    r = rng.random()
    if r < 0.6:
        spot = _pick_tx(rng, blocks, user_only=True)
        if spot is None:
            return None
        i, j = spot
        new = rng.choice((NOW_MS + MAX_FUTURE_MS, NOW_MS + MAX_FUTURE_MS + 1, NOW_MS + 10**9, 0, -1, 2**53))
        blocks[i]["transactions"][j]["timestamp_ms"] = new
        reseal(blocks, i)
        return "timestamp", f"block {i} tx {j} timestamp_ms {new}", dumps(blocks, rng)
    i = rng.randrange(1, len(blocks))
    parent = blocks[i - 1]["timestamp_ms"]
    new = rng.choice((NOW_MS + MAX_FUTURE_MS, NOW_MS + MAX_FUTURE_MS + 1, parent, parent - 1, 2**53 - 1))
    blocks[i]["timestamp_ms"] = new
    reseal(blocks, i)
    return "timestamp", f"block {i} timestamp_ms {new}", dumps(blocks, rng)


def m_genesis(rng, blocks, **_):
    params = blocks[0]["transactions"][0]["params"]
    name = rng.choice(PARAM_NAMES)
    old = params[name]
    choices = [True, False, None, 0, -1, str(old), [old]]
    if type(old) is int:
        choices += [old + 1, old - 1, 33]
    params[name] = new = rng.choice(_changed(choices, old))
    reseal(blocks, 0)
    return "genesis", f"params.{name} -> {json.dumps(new)[:40]}", dumps(blocks, rng)


def _insert(rng, block: dict, tx: dict, first: float = 0.0) -> int:
    """Put ``tx`` among ``block``'s user transactions (after the REWARD, before a MODEL_UPDATE);
    with probability ``first`` right after the REWARD, where it meets the parent block's state."""
    txs = block["transactions"]
    lowest = 1 if txs and txs[0].get("type") == "REWARD" else 0
    last = len(txs) - 1 if txs and txs[-1].get("type") == "MODEL_UPDATE" else len(txs)
    at = lowest if rng.random() < first else rng.randint(lowest, max(last, lowest))
    txs.insert(at, tx)
    return at


def m_claim(rng, blocks, refused=(), **_):
    """A forged claim in a resealed block: one the node refused for that very block (the claim
    rule forbade it, or another condition did), or a mined claim moved to another block (where
    the voters, the wait and what is left differ). The rule decides: both verifiers must agree."""
    if refused and rng.random() < 0.75:
        by_rule = [r for r in refused if any(w in r[2] for w in RULE_WORDS)]
        height, tx, why = rng.choice(by_rule if by_rule and rng.random() < 0.75 else refused)
        i = min(height, len(blocks) - 1)
        at = _insert(rng, blocks[i], copy.deepcopy(tx), first=0.7)  # where the node judged it, mostly
        reseal(blocks, i)
        return "claim", f"block {i} tx {at}: forged {tx['type']} ({why[:60]})", dumps(blocks, rng)
    mined = [(i, j) for i, b in enumerate(blocks) for j, t in enumerate(b["transactions"])
             if t["type"] in ("REFUND", "REPORT")]
    if not mined:
        return None
    i, j = rng.choice(mined)
    tx = blocks[i]["transactions"][j]
    to = rng.randrange(1, len(blocks))
    if rng.random() < 0.5:
        del blocks[i]["transactions"][j]  # moved; otherwise copied (a second claim of the same flower)
        reseal(blocks, i)
    at = _insert(rng, blocks[to], tx)
    reseal(blocks, min(i, to))
    return "claim", f"{tx['type']} of block {i} into block {to} at {at}", dumps(blocks, rng)


JOB_TYPES = ("JOB", "JOB_COMMIT", "JOB_TEST", "JOB_MODEL", "JOB_SETTLE")
#: the fields of a job transaction's data a mutant changes, by type
JOB_FIELDS = {"JOB": ("stake", "max_commits", "commit_blocks", "test_blocks", "model_blocks", "test_rows", "kind",
                      "train", "test_commitment", "features", "classes"),
              "JOB_TEST": ("rows", "labels", "salt"), "JOB_MODEL": ("model", "salt"),
              "JOB_SETTLE": ("outcome", "winner", "scores", "payouts", "burnt")}


def _job_value(rng: random.Random, tx: dict, blocks: list) -> str:
    """Change one job field of ``tx``: its job_id, amount (bounty, stake), model_commitment, or a
    field of its data; the new value is near the old one or another job's."""
    job_ids = sorted({t["job_id"] for b in blocks for t in b["transactions"] if "job_id" in t}
                     | {t["id"] for b in blocks for t in b["transactions"] if t.get("type") == "JOB"})
    data: dict = tx["data"] if type(tx.get("data")) is dict else {}
    keys = [k for k in ("job_id", "amount", "model_commitment", "block_index") if k in tx]
    fields = [f for f in JOB_FIELDS.get(tx["type"], ()) if f in data]
    if fields and (not keys or rng.random() < 0.6):
        name = rng.choice(fields)
        old = data[name]
        if name == "model" and type(old) is dict and rng.random() < 0.5:  # the model itself, not its type
            inner = rng.choice(sorted(old))
            old[inner] = rng.choice(_changed(other_values(rng, old[inner]), old[inner]))
            return f"data.model.{inner}"
        if name in ("payouts", "scores") and type(old) is list and old and rng.random() < 0.6:
            row = rng.choice(old)  # one coin more or less to someone, a score off by one, a row dropped
            if rng.random() < 0.3:
                old.remove(row)
                return f"data.{name}: a row dropped"
            if type(row) is list and len(row) == 2:
                row[1] = (row[1] or 0) + rng.choice((1, -1))
                return f"data.{name}: {row[0][:12]} -> {row[1]}"
        data[name] = rng.choice(_changed(other_values(rng, old), old))
        return f"data.{name} -> {json.dumps(data[name])[:40]}"
    key = rng.choice(keys)
    old = tx[key]
    choices = other_values(rng, old)
    if key == "job_id":
        choices += [j for j in job_ids if j != old] * 4
    elif key == "model_commitment":
        choices += [t["model_commitment"] for b in blocks for t in b["transactions"] if "model_commitment" in t]
    tx[key] = rng.choice(_changed(choices, old))
    return f"{key} -> {json.dumps(tx[key])[:40]}"


def m_job(rng, blocks, **_):
    """One change to a training job: a field of one of its transactions (the job it names, a stake,
    a commitment, the test set, a model, the settlement's numbers), a job transaction moved or
    copied to another block (out of its window, a second commitment or reveal), a JOB_SETTLE
    dropped; on a chain without jobs, a job transaction forged into a block (protocol 2 refuses
    every one). Resealed, so that the job rules judge it."""
    spots = [(i, j) for i, b in enumerate(blocks) for j, t in enumerate(b["transactions"]) if t["type"] in JOB_TYPES]
    if not spots:
        i = rng.randrange(1, len(blocks))
        forged = {"type": rng.choice(("JOB_COMMIT", "JOB_TEST")), "sender": "user-a", "recipient": "MODEL",
                  "amount": 1, "timestamp_ms": blocks[i]["timestamp_ms"], "job_id": "ab" * 32,
                  "model_commitment": "cd" * 32}
        if forged["type"] == "JOB_TEST":
            del forged["model_commitment"]
            forged["amount"], forged["data"] = 0, {"rows": [[500, 340, 150, 20]], "labels": [0], "salt": "ef" * 32}
        forged["id"] = ""
        at = _insert(rng, blocks[i], forged)
        reseal(blocks, i)
        return "job", f"block {i} tx {at}: a forged {forged['type']} on a chain without jobs", dumps(blocks, rng)
    i, j = rng.choice(spots)
    tx = blocks[i]["transactions"][j]
    r = rng.random()
    if r < 0.6:
        what = _job_value(rng, tx, blocks)
        reseal(blocks, i)
        return "job", f"block {i} {tx['type']} {what}", dumps(blocks, rng)
    if tx["type"] == "JOB_SETTLE" and r < 0.75:
        del blocks[i]["transactions"][j]
        reseal(blocks, i)
        return "job", f"block {i}: its JOB_SETTLE dropped", dumps(blocks, rng)
    to = rng.randrange(1, len(blocks))
    moved = rng.random() < 0.5 and tx["type"] != "JOB"
    if moved:
        del blocks[i]["transactions"][j]
    at = _insert(rng, blocks[to], copy.deepcopy(tx), first=0.5)
    reseal(blocks, min(i, to))
    how = "moved" if moved else "copied"
    return "job", f"{tx['type']} of block {i} {how} into block {to} at {at}", dumps(blocks, rng)


MUTATORS = {"value": (4, m_value), "keys": (3, m_keys), "json_text": (2, m_json_text),
            "timestamp": (2, m_timestamp), "genesis": (1, m_genesis), "claim": (2, m_claim),
            "job": (2, m_job)}


def mutant(rng: random.Random, chain: list, refused: Sequence[Any] = ()) -> Optional[tuple[str, str, str]]:
    names = list(MUTATORS)
    name = rng.choices(names, [MUTATORS[n][0] for n in names])[0]
    return MUTATORS[name][1](rng, copy.deepcopy(chain), refused=refused)
