"""Every worked example of PROTOCOL.md v2 (tests/vectors/protocol-v2.json) reproduced, and every
invalid variant refused: by the audit (what the verifier and /chain/validate run) and by a
node's own ledger taking the blocks one by one (what POST /blocks runs)."""
import json

import pytest

from blockchain import (
    Block,
    BlockConflict,
    Blockchain,
    InvalidBlock,
    Transaction,
    audit_chain,
    canon,
    check_value,
    crypto,
    make_genesis,
    merkle_root,
    network_params,
)
from blockchain.encoding import ValueRuleError
from ml import BaseData, IrisModel, base_model_hash, from_number, iris_base, units
from ml.measurements import MeasurementError
from tests.helpers.vectors import IRIS_BASE_FILE, vectors

V = vectors()
FEATURES = ("sepal_length", "sepal_width", "petal_length", "petal_width")


# -- encoding ---------------------------------------------------------------------------
@pytest.mark.parametrize("case", V["canon"]["valid"], ids=lambda c: c["canon"][:30])
def test_canon_bytes(case):
    check_value(case["value"])
    assert canon(case["value"]) == case["canon"].encode("ascii")


@pytest.mark.parametrize("case", V["canon"]["invalid"], ids=lambda c: c["why"])
def test_values_outside_the_rules_are_refused(case):
    with pytest.raises(ValueRuleError):
        check_value(json.loads(case["value_json"]))


# -- measurements -----------------------------------------------------------------------
@pytest.mark.parametrize("text,expected", sorted(V["measurements"]["valid"].items()))
def test_measurement_units(text, expected):
    assert units(text) == expected


@pytest.mark.parametrize("text", V["measurements"]["invalid"])
def test_invalid_measurements(text):
    with pytest.raises(MeasurementError):
        units(text)


@pytest.mark.parametrize("number,text", V["measurements"]["from_numbers"]["valid"])
def test_measurements_from_numbers(number, text):
    assert from_number(number) == text


@pytest.mark.parametrize("number", V["measurements"]["from_numbers"]["invalid"])
def test_numbers_that_are_not_hundredths_are_refused(number):
    with pytest.raises(MeasurementError):
        from_number(number)


# -- the model ----------------------------------------------------------------------------
def test_iris_base():
    ib = V["iris_base"]
    base = iris_base()
    assert base.to_dict() == json.loads(IRIS_BASE_FILE.read_text())
    assert base.base_hash == ib["base_hash"]
    assert (len(base.train), len(base.test)) == (ib["train_rows"], ib["test_rows"])
    assert list(base.train[0]) == ib["first_train_row"] and base.train_labels[0] == ib["first_train_label"]
    assert base.weights == ib["weights"]
    assert base_model_hash(base.base_hash, 3) == ib["model_hash"]
    assert IrisModel().summary() == {"data_points_trained": 120, "model_hash": ib["model_hash"],
                                     "test_correct": ib["test_correct"], "test_rows": 30}


def _rows(step):
    return [[r[f] for f in FEATURES] for r in step["rows"]], [r["flower_type"] for r in step["rows"]]


def test_model_steps_and_predictions():
    model = IrisModel()
    for step in V["model_steps"]["blocks"]:
        rows, labels = _rows(step)
        assert model.preview_update(rows, labels) == step["after"]
        for row, label in zip(rows, labels, strict=True):
            assert model.add_data_point(row, label)
        assert model.commit_data_points() == step["after"]
    for case in V["model_steps"]["predictions_after"]:
        out = model.predict(case["query"])
        assert out["prediction"] == case["prediction"]
        assert [n["row"] for n in out["neighbours"]] == case["neighbours"]


def test_tie_rules():
    t = V["tie_rules"]
    base = BaseData.from_dict(t["base"])
    assert base.weights == t["weights"]
    model = IrisModel(base)
    out = model.predict(t["query"])
    found = [(n["row"], n["distance"]) for n in out["neighbours"]]
    assert found == [(i, t["distances"][i]) for i in t["neighbours"]]
    assert out["prediction"] == t["prediction"]
    assert model.loo_predict(3) == t["leave_one_out_row_3"]


# -- transactions, merkle, genesis --------------------------------------------------------
@pytest.mark.parametrize("name", ["transfer", "flower", "reward", "refund"])
def test_transaction_ids(name):
    tx = V["transactions"][name]
    parsed = Transaction.from_dict(tx)
    assert parsed.id == tx["id"] and parsed.to_dict() == tx


def test_signed_transaction():
    st = V["transactions"]["signed"]
    key = crypto.private_key_from_seed(st["private_key_seed_hex"])
    assert crypto.public_key_hex(key) == st["public_key"]
    assert crypto.address_of(st["public_key"]) == st["address"]
    tx = Transaction.from_dict(st["transaction"])
    assert tx.id == st["transaction"]["id"] and tx.is_signed
    assert crypto.sign_body(key, tx.body_dict()) == st["transaction"]["signature"]  # Ed25519 is deterministic


@pytest.mark.parametrize("case", V["merkle"], ids=lambda c: f"{len(c['ids'])}-leaves")
def test_merkle_roots(case):
    assert merkle_root(case["ids"]) == case["root"]


@pytest.mark.parametrize("difficulty", ["1", "2", "3", "4"])
def test_iris_genesis(difficulty):
    model = IrisModel()
    genesis = make_genesis(network_params(int(difficulty), model.genesis_params()), model.summary())
    assert genesis.to_dict() == V["genesis"]["iris"][difficulty]


def test_staked_genesis():
    model = IrisModel()
    genesis = make_genesis(network_params(2, model.genesis_params(), 1, 2), model.summary())
    assert genesis.to_dict() == V["genesis"]["staked_iris_d2_min_deposit_1_refund_wait_2"]


# -- chains -------------------------------------------------------------------------------
def _staked_ledger():
    p = V["valid_chain_staked_d2"]["params"]
    return Blockchain(IrisModel(), p["difficulty"], min_deposit=p["min_deposit"], refund_wait=p["refund_wait"],
                      clock=lambda: 1_800_000_000.0)


def test_valid_staked_chain_replays_exactly():
    vc = V["valid_chain_staked_d2"]
    result = audit_chain(vc["chain"], IrisModel())
    assert result.valid, [str(i) for i in result.issues]
    state = result.state
    assert {a: state.balance(a) for a in vc["balances_after"]} == vc["balances_after"]
    assert {f: {"left": state.flowers[f].left} for f in vc["flowers_after"]} == vc["flowers_after"]
    assert {a: state.good.get(a, 0) for a in vc["good_after"]} == vc["good_after"]
    assert state.total_good == vc["total_good"]
    updates = [tx for b in vc["chain"] for tx in b["transactions"] if tx["type"] == "MODEL_UPDATE"]
    assert result.model.summary() == updates[-1]["data"]
    assert [Block.from_dict(b).to_dict() for b in vc["chain"]] == vc["chain"]


def test_a_node_takes_the_valid_chain_block_by_block():
    vc = V["valid_chain_staked_d2"]
    chain = _staked_ledger()
    assert chain.genesis.to_dict() == vc["chain"][0]
    for block in vc["chain"][1:]:
        assert chain.add_block(Block.from_dict(block)) is True
    assert chain.state.tip.hash == vc["chain"][-1]["hash"]
    assert {a: chain.balance(a) for a in vc["balances_after"]} == vc["balances_after"]


@pytest.mark.parametrize("case", V["invalid_chains_staked_d2"], ids=lambda c: c["reason"])
def test_invalid_variants_are_refused_at_the_right_block(case):
    result = audit_chain(case["chain"], IrisModel())
    assert not result.valid
    assert result.issues[0].block_index == case["first_bad_block"]

    chain = _staked_ledger()
    for block in case["chain"][1:case["first_bad_block"]]:
        chain.add_block(Block.from_dict(block))
    before = chain.state.tip.hash
    # A block whose previous_hash is not our tip is a conflict (409: the node syncs), not accepted.
    with pytest.raises((InvalidBlock, BlockConflict)) as caught:
        chain.add_block(Block.from_dict(case["chain"][case["first_bad_block"]]))
    assert caught.value.block_index in (case["first_bad_block"], None)
    assert chain.state.tip.hash == before


@pytest.mark.parametrize("difficulty", [5, 6])
def test_known_genesis_nonces_are_the_smallest(difficulty):
    """The table of genesis nonces (which spares every node a search at start) is re-derived."""
    from blockchain.genesis import KNOWN_NONCES
    from blockchain.pow import search_nonce

    model = IrisModel()
    genesis = make_genesis(network_params(difficulty, model.genesis_params()), model.summary())
    assert (
        search_nonce(genesis.prefix(), difficulty) == KNOWN_NONCES[(genesis.merkle_root, difficulty)] == genesis.nonce
    )


def test_the_nonce_table_agrees_with_the_vectors():
    from blockchain.genesis import KNOWN_NONCES

    for d, block in V["genesis"]["iris"].items():
        assert KNOWN_NONCES[(block["merkle_root"], int(d))] == block["nonce"]
