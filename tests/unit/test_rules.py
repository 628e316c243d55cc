"""blockchain/rules/: one rule per transaction type, and the registry everything dispatches through."""
import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from blockchain import InsufficientFunds, InvalidTransaction, Transaction
from blockchain.rules import RULES, Rule, rule_for
from blockchain.rules.base import MAX_AMOUNT, MODEL_ADDRESS, USER_KEYS, fail
from blockchain.transactions import (check_body, claim_body, flower_body, genesis_transaction, model_update,
                                     reward, transfer_body)
from testkit.factories import ledger, measurements

ROOT = Path(__file__).resolve().parents[2]
FLOWER_ID = "ab" * 32
JOB_ID = "9a" * 32


def examples() -> dict[str, dict]:
    """One valid body of every type."""
    m = measurements((5.1, 3.5, 1.4, 0.2))
    summary = {"data_points_trained": 121, "model_hash": "cd" * 32, "test_correct": 29, "test_rows": 30}
    return {
        "TRANSFER": transfer_body("alice", "bob", 3, 1000),
        "FLOWER_DATA": flower_body("alice", m, "setosa", 1000, deposit=2),
        "REFUND": claim_body("REFUND", "alice", FLOWER_ID, 1000),
        "REPORT": claim_body("REPORT", "bob", FLOWER_ID, 1000),
        "REWARD": reward("miner", 4).body_dict(),
        "MODEL_UPDATE": model_update(4, summary).body_dict(),
        "GENESIS": genesis_transaction({"difficulty": 2}).body_dict(),
        "JOB": {"type": "JOB", "sender": "alice", "recipient": MODEL_ADDRESS, "amount": 5, "timestamp_ms": 1000,
                "data": {"kind": "tree"}},  # its data is judged against the chain (blockchain.jobs.job_problem)
        "JOB_COMMIT": {"type": "JOB_COMMIT", "sender": "bob", "recipient": MODEL_ADDRESS, "amount": 2,
                       "timestamp_ms": 1000, "job_id": JOB_ID, "model_commitment": "cd" * 32},
        "JOB_TEST": {"type": "JOB_TEST", "sender": "alice", "recipient": MODEL_ADDRESS, "amount": 0,
                     "timestamp_ms": 1000, "job_id": JOB_ID, "data": {"rows": [[1]], "labels": [0], "salt": "ef" * 32}},
        "JOB_MODEL": {"type": "JOB_MODEL", "sender": "bob", "recipient": MODEL_ADDRESS, "amount": 0,
                      "timestamp_ms": 1000, "job_id": JOB_ID, "data": {"model": {"kind": "tree", "nodes": [[0]]},
                                                                       "salt": "ef" * 32}},
        "JOB_SETTLE": {"type": "JOB_SETTLE", "sender": MODEL_ADDRESS, "recipient": MODEL_ADDRESS, "amount": 0,
                       "block_index": 9, "job_id": JOB_ID, "data": {"outcome": "no_model", "winner": None,
                                                                     "scores": [], "payouts": [["alice", 5]],
                                                                     "burnt": 0}},
    }


def test_every_type_of_the_protocol_has_a_rule_and_every_rule_is_in_the_protocol():
    protocol = (ROOT / "docs" / "PROTOCOL.md").read_text(encoding="utf-8")
    named = set(re.findall(r"\b(TRANSFER|FLOWER_DATA|REFUND|REPORT|REWARD|MODEL_UPDATE|GENESIS|"
                           r"JOB|JOB_COMMIT|JOB_TEST|JOB_MODEL|JOB_SETTLE)\b", protocol))
    assert named == set(RULES)
    assert set(examples()) == set(RULES), "add an example body of the new type to examples()"
    for tx_type, body in examples().items():
        assert rule_for(tx_type).type == tx_type
        check_body(body)  # valid as built


@pytest.mark.parametrize("bad", ["NOPE", "transfer", 7, None])
def test_an_unknown_type_gets_one_message_from_the_registry_and_from_a_body(bad):
    with pytest.raises(InvalidTransaction) as from_registry:
        rule_for(bad)
    with pytest.raises(InvalidTransaction) as from_body:
        Transaction.create({**examples()["TRANSFER"], "type": bad})
    assert from_registry.value.message == from_body.value.message
    assert from_body.value.message.startswith(f"type must be one of {', '.join(RULES)}; got ")


@pytest.mark.parametrize("tx_type", sorted(RULES))
def test_each_rule_s_body_keys_are_exactly_what_a_body_of_its_type_must_have(tx_type):
    body = examples()[tx_type]
    rule = rule_for(tx_type)
    assert set(body) - {"public_key"} == rule.body_keys
    for key in sorted(rule.body_keys - {"type"}):
        short = {k: v for k, v in body.items() if k != key}
        with pytest.raises(InvalidTransaction, match=rf"missing \['{key}'\]"):
            check_body(short)
    extra = "public_key" if not rule.user else "memo"
    with pytest.raises(InvalidTransaction, match=rf"must not have the fields \['{extra}'\]"):
        check_body({**body, extra: "ab" * 32})


# -- a new type touches only its rule -----------------------------------------------------------
BURN = "BURN"


def _burn_check(body):
    if body["recipient"] != MODEL_ADDRESS:
        fail(f'a BURN must have recipient "{MODEL_ADDRESS}"')
    if not 1 <= body["amount"] <= MAX_AMOUNT:
        fail(f"a BURN must burn 1 to {MAX_AMOUNT}; got {body['amount']}")


def _burn_problem(ledger_, tx):
    if ledger_.balance(tx.sender) < tx.amount:
        return f"{tx.sender} must have at least {tx.amount} to burn; has {ledger_.balance(tx.sender)}"
    return None


def _burn_apply(ledger_, tx):
    ledger_.credit(tx.sender, -tx.amount)


@pytest.fixture
def with_burn(monkeypatch):
    """A toy user type that destroys coins, registered the way a new type would be: one Rule."""
    monkeypatch.setitem(RULES, BURN, Rule(BURN, USER_KEYS, _burn_check, user=True, problem=_burn_problem,
                                          apply=_burn_apply, spends=lambda tx: tx.amount))


def burn(sender, amount, ts):
    return Transaction.create({"type": BURN, "sender": sender, "recipient": MODEL_ADDRESS, "amount": amount,
                               "timestamp_ms": ts})


def test_a_new_type_is_one_rule_the_chain_the_state_and_the_pool_take_as_it_is(with_burn):
    chain = ledger()
    chain.mine("alice")
    chain.mine("alice")
    assert chain.balance("alice") == 2
    with pytest.raises(InvalidTransaction, match="must burn 1 to"):
        burn("alice", 0, 1)
    chain.add_transaction(burn("alice", 2, 1))
    with pytest.raises(InsufficientFunds):   # the pool counts what pending burns spend
        chain.add_transaction(burn("alice", 1, 2))
    block = chain.mine("miner")
    assert [tx.type for tx in block.transactions] == ["REWARD", BURN]
    assert chain.balance("alice") == 0
    assert chain.validate_chain().valid   # the audit replays it through the same rule
    chain.state.rewind(chain.height - 1)  # and the undo record takes its effect back
    assert chain.state.balance("alice") == 2


def test_a_rule_s_problem_refuses_a_block_that_breaks_it(with_burn, monkeypatch):
    chain = ledger()
    chain.mine("alice")
    chain.add_transaction(burn("alice", 1, 1))
    block = chain.mine("miner")
    blocks = [b.to_dict() for b in chain.state.blocks]
    assert chain.validate_chain(blocks).valid
    monkeypatch.setitem(RULES, BURN, Rule(BURN, USER_KEYS, _burn_check, user=True, apply=_burn_apply,
                                          problem=lambda ledger_, tx: "burning is closed"))
    report = chain.validate_chain(blocks)
    assert not report.valid
    assert [(i.block_index, i.tx_id, i.message) for i in report.issues] == [
        (block.index, block.transactions[1].id, "burning is closed")]


# -- the two implementations and the docs agree on the table -------------------------------------
def test_the_page_s_verifier_has_the_same_rule_table():
    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not installed")
    script = ("import('./web/verify.js').then((m) => console.log(JSON.stringify(Object.entries(m.RULES)"
              ".map(([type, r]) => [type, [...r.keys].sort(), r.user]))))")
    out = subprocess.run([node, "--input-type=module", "-e", script], cwd=ROOT, capture_output=True, text=True,
                         timeout=60, check=True)
    js = json.loads(out.stdout)
    assert js == [[t, sorted(r.body_keys), r.user] for t, r in RULES.items()]


def test_protocol_md_points_each_type_to_the_module_that_holds_its_rule():
    protocol = (ROOT / "docs" / "PROTOCOL.md").read_text(encoding="utf-8")
    pointers = dict(re.findall(r"^- `([A-Z_]+)`: `(blockchain/rules/[a-z_]+\.py)`", protocol, re.M))
    assert set(pointers) == set(RULES)
    for tx_type, path in pointers.items():
        source = (ROOT / path).read_text(encoding="utf-8")
        assert re.search(rf"^RULE = Rule\({tx_type},", source, re.M), f"{path} does not hold the {tx_type} rule"
