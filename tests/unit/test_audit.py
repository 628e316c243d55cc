"""Tamper evidence: every tampered chain is caught and named, by the node's audit and by the
standalone verifier (which share one code path); proofs of inclusion; safe model snapshots."""
import copy
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from blockchain import audit_chain, verify_inclusion
from blockchain.block import Block
from blockchain.proofs import inclusion_proof
from blockchain.verify import main as verify_main
from ml import IrisModel, SnapshotError
from ml.measurements import text
from tests.helpers.chains import remine, rich_chain
from tests.helpers.vectors import vectors

ROOT = Path(__file__).resolve().parent.parent.parent


@pytest.fixture(scope="module")
def chain():
    return rich_chain(difficulty=1)[0]


def _tx(chain, block, kind, n=0):
    return [t for t in chain[block]["transactions"] if t["type"] == kind][n]


def t_amount(c):
    _tx(c, 3, "TRANSFER")["amount"] = 2
    return c


def t_amount_remined(c):
    _tx(c, 3, "TRANSFER")["amount"] = 5
    return remine(c, 3, 1)


def t_drop_flower(c):
    c[3]["transactions"].pop(2)
    return c


def t_drop_flower_remined(c):
    c[3]["transactions"].pop(2)
    return remine(c, 3, 1)


def t_timestamp(c):
    c[2]["timestamp_ms"] += 1
    return c


def t_nonce(c):
    c[4]["nonce"] += 1
    return c


def t_fake_hash(c):
    c[5]["hash"] = "0" * 64
    return c


def t_swap(c):
    c[2], c[3] = c[3], c[2]
    return c


def t_remove_block(c):
    del c[2]
    return c


def t_genesis(c):
    c[0]["transactions"][1]["data"]["test_correct"] = 29
    return remine(c, 0, 1)


def t_reward_100(c):
    c[2]["transactions"][0]["amount"] = 100
    return c


def t_update_first(c):
    txs = c[1]["transactions"]
    txs.insert(0, txs.pop())
    return remine(c, 1, 1)


def t_signature(c):
    tx = _tx(c, 4, "TRANSFER")
    tx["signature"] = ("0" if tx["signature"][0] != "0" else "1") + tx["signature"][1:]
    return c


def t_future(c):
    c[6]["timestamp_ms"] = 4_000_000_000_000
    return remine(c, 6, 1)


def t_replayed_tx(c):
    c[6]["transactions"].insert(1, copy.deepcopy(_tx(c, 1, "FLOWER_DATA")))
    return remine(c, 6, 1)


def t_accuracy_claim(c):
    data = _tx(c, 5, "MODEL_UPDATE")["data"]
    data["test_correct"] = data["test_correct"] - 1 if data["test_correct"] else 1
    return remine(c, 5, 1)


TAMPERS = [  # (what, how, block named first, words in its message)
    ("transfer amount edited", t_amount, 3, "transaction id must be"),
    ("transfer amount edited and blocks re-mined", t_amount_remined, 3, "must have at least"),
    ("flower removed", t_drop_flower, 3, "merkle_root must be"),
    ("flower removed and blocks re-mined", t_drop_flower_remined, 3, "MODEL_UPDATE must equal"),
    ("block timestamp edited", t_timestamp, 2, "hash must be"),
    ("nonce edited", t_nonce, 4, "hash must be"),
    ("hash replaced by zeros", t_fake_hash, 5, "hash must be"),
    ("two blocks swapped", t_swap, 3, "index must be"),
    ("a block removed", t_remove_block, 3, "index must be"),
    ("genesis model edited and re-mined", t_genesis, 0, "genesis"),
    ("reward of 100", t_reward_100, 2, "REWARD must have"),
    ("MODEL_UPDATE moved first", t_update_first, 1, "first transaction must be the block's one REWARD"),
    ("signature edited", t_signature, 4, "does not verify"),
    ("block from the future", t_future, 6, "ahead of this node's clock"),
    ("old transaction replayed", t_replayed_tx, 6, "unique"),
    ("test_correct claim edited and re-mined", t_accuracy_claim, 5, "MODEL_UPDATE must equal"),
]


def test_the_untampered_chain_is_valid(chain):
    result = audit_chain(chain, IrisModel())
    assert result.valid, [str(i) for i in result.issues]


@pytest.mark.parametrize("what,tamper,index,words", TAMPERS, ids=[t[0] for t in TAMPERS])
def test_audit_names_each_tampering(chain, what, tamper, index, words):
    result = audit_chain(tamper(copy.deepcopy(chain)), IrisModel(), now_ms=1_900_000_000_000)
    assert not result.valid
    first = result.issues[0]
    assert first.block_index == index, [str(i) for i in result.issues]
    assert any(words in i.message for i in result.issues if i.block_index == index), [str(i) for i in result.issues]


@pytest.mark.parametrize("what,tamper,index,words", TAMPERS, ids=[t[0] for t in TAMPERS])
def test_verifier_cli_names_each_tampering(chain, tmp_path, capsys, what, tamper, index, words):
    path = tmp_path / "chain.json"
    path.write_text(json.dumps({"chain": tamper(copy.deepcopy(chain)), "length": len(chain)}))
    assert verify_main([str(path), "--difficulty", "1"]) == 1
    out = capsys.readouterr().out.splitlines()
    assert any(line.startswith(f"block {index}") and words in line for line in out), out
    assert out[-1].startswith("INVALID:")


@pytest.mark.parametrize("case", vectors()["invalid_chains_staked_d2"], ids=lambda c: c["reason"])
def test_verifier_cli_catches_every_invalid_vector(case, tmp_path, capsys):
    path = tmp_path / "chain.json"
    path.write_text(json.dumps(case["chain"]))  # a bare list of blocks
    assert verify_main([str(path), "--difficulty", "2"]) == 1
    assert capsys.readouterr().out.splitlines()[-1].startswith("INVALID:")


def test_verifier_as_a_real_command(tmp_path):
    good = tmp_path / "good.json"
    good.write_text(json.dumps({"chain": vectors()["valid_chain_staked_d2"]["chain"], "length": 8}))
    run = subprocess.run([sys.executable, "-m", "blockchain.verify", str(good)], cwd=ROOT,
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "VALID: 8 blocks" in run.stdout
    missing = subprocess.run([sys.executable, "-m", "blockchain.verify", str(tmp_path / "nope.json")], cwd=ROOT,
                             capture_output=True, text=True, timeout=120)
    assert missing.returncode == 2 and missing.stderr.startswith("error: cannot read")
    assert "Traceback" not in missing.stderr


def test_proofs_for_every_transaction(chain):
    counts = set()
    for data in chain:
        block = Block.from_dict(data)
        counts.add(len(block.transactions))
        for tx in block.transactions:
            proof = json.loads(json.dumps(inclusion_proof(block, tx.id)))
            assert verify_inclusion(proof)
            wrong_leaf = {**proof, "tx_id": "0" * 64}
            assert not verify_inclusion(wrong_leaf)
            if proof["path"]:
                bent = copy.deepcopy(proof)
                bent["path"][0]["side"] = "left" if bent["path"][0]["side"] == "right" else "right"
                assert not verify_inclusion(bent) or bent["path"][0]["hash"] == tx.id
            wrong_header = copy.deepcopy(proof)
            wrong_header["header"]["nonce"] += 1
            assert not verify_inclusion(wrong_header)
    assert {1, 2, 3, 5, 6, 8} <= counts  # odd and even counts of leaves


def _trained_model():
    model = IrisModel()
    rng = np.random.default_rng(7)
    for block in range(5):
        for _ in range(block + 1):
            row = [text(int(v)) for v in rng.integers(50, 750, size=4)]
            model.add_data_point(row, ["setosa", "versicolor", "virginica"][block % 3])
        model.commit_data_points()
    return model


def test_snapshot_round_trip_predicts_the_same():
    model = _trained_model()
    data = json.loads(json.dumps(model.snapshot()))  # plain JSON, no pickle
    again = model.restore(data)
    assert again.summary() == model.summary()
    assert again.update_history() == model.update_history()
    grid = [[text(int(v)) for v in row] for row in np.random.default_rng(1).integers(10, 800, size=(200, 4))]
    assert [again.predict(p) for p in grid] == [model.predict(p) for p in grid]


@pytest.mark.parametrize("edit", [
    lambda d: d["labels"].__setitem__(3, (d["labels"][3] + 1) % 3),
    lambda d: d["rows"][0].__setitem__(0, d["rows"][0][0] + 1),
    lambda d: (d["rows"].pop(), d["labels"].pop(), d["sizes"].__setitem__(-1, d["sizes"][-1] - 1)),
    lambda d: d["sizes"].pop(0),
    lambda d: d.__setitem__("model_hash", "0" * 64),
    lambda d: d.__setitem__("base_hash", "0" * 64),
    lambda d: d.__setitem__("format", "pickle"),
    lambda d: d.__setitem__("rows", "nope"),
], ids=["label", "feature", "dropped-row", "merged-updates", "hash", "base", "format", "malformed"])
def test_a_tampered_snapshot_is_refused(edit):
    model = _trained_model()
    data = json.loads(json.dumps(model.snapshot()))
    edit(data)
    with pytest.raises(SnapshotError):
        model.restore(data)
