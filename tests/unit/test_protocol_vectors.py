"""Every worked example of PROTOCOL.md (tests/vectors/protocol-v1.json) reproduced."""
import pytest

from blockchain import Block, Transaction, audit_chain, canon, make_genesis, merkle_root
from blockchain import crypto
from ml import IrisModel, base_model_hash, iris_base
from tests.helpers.vectors import vectors

V = vectors()


def test_canon_bytes():
    for case in V["canon"]:
        assert canon(case["value"]) == case["canon_utf8"].encode("utf-8")


@pytest.mark.parametrize("tx", V["transactions"], ids=lambda t: t["type"])
def test_transaction_ids(tx):
    parsed = Transaction.from_dict(tx)
    assert parsed.id == tx["id"]
    assert parsed.to_dict() == tx


def test_signed_transaction_verifies_and_address_matches():
    st = V["signed_transaction"]
    key = crypto.private_key_from_seed(st["private_key_seed_hex"])
    assert crypto.public_key_hex(key) == st["public_key"]
    assert crypto.address_of(st["public_key"]) == st["address"]
    tx = Transaction.from_dict(st["transaction"])
    assert tx.id == st["transaction"]["id"] and tx.is_signed
    # Ed25519 is deterministic: signing the same body again gives the vector's signature.
    assert crypto.sign_body(key, dict(tx.body)) == st["transaction"]["signature"]


@pytest.mark.parametrize("case", V["merkle"], ids=lambda c: f"{len(c['ids'])}-leaves")
def test_merkle_roots(case):
    assert merkle_root(case["ids"]) == case["root"]


def test_base_model():
    bm = V["base_model"]
    base = iris_base()
    assert len(base.train_rows) == bm["train_rows"] and len(base.test_rows) == bm["test_rows"]
    assert list(base.train_rows[0]) == bm["first_train_row"] and base.train_labels[0] == bm["first_train_label"]
    assert base_model_hash(3, base.train_rows, base.train_labels) == bm["model_hash"]
    summary = IrisModel().summary()
    assert summary == {"data_points_trained": 120, "model_hash": bm["model_hash"], "accuracy": bm["accuracy"]}


@pytest.mark.parametrize("difficulty", ["1", "2", "3", "4"])
def test_genesis(difficulty):
    genesis = make_genesis(int(difficulty), IrisModel().summary())
    assert genesis.to_dict() == V["genesis"][difficulty]


def test_valid_chain_replays_to_the_same_model():
    chain = V["valid_chain_difficulty_2"]
    result = audit_chain(chain, 2, IrisModel())
    assert result.valid, [str(i) for i in result.issues]
    last_update = chain[-1]["transactions"][-1]["data"]
    assert result.model.summary() == last_update
    assert [Block.from_dict(b).to_dict() for b in chain] == chain


EXPECTED = {  # reason -> (block index, words the first message must contain)
    "flower label changed after mining (hash no longer matches)": (1, "transaction id must be"),
    "flower label changed and blocks re-mined, MODEL_UPDATE left stale": (1, "MODEL_UPDATE must equal the replayed model"),
    "transfer spends more than the sender has": (3, "must have at least"),
    "block mined at a lower difficulty than the network's": (3, "difficulty must be the network's 2"),
    "a second REWARD in one block (duplicate id)": (2, "REWARD"),
    "previous_hash does not point to the parent": (2, "previous_hash must be the parent's hash"),
}


@pytest.mark.parametrize("case", V["invalid_chains_difficulty_2"], ids=lambda c: c["reason"])
def test_invalid_chains_are_caught_and_named(case):
    result = audit_chain(case["chain"], 2, IrisModel())
    assert not result.valid
    index, words = EXPECTED[case["reason"]]
    first = result.issues[0]
    assert first.block_index == index
    assert words in first.message


@pytest.mark.parametrize("difficulty", [5, 6])
def test_known_genesis_nonces_are_the_smallest(difficulty):
    from blockchain.block import header_prefix
    from blockchain.encoding import ZERO_HASH
    from blockchain.genesis import IRIS_ROOT, KNOWN_NONCES
    from blockchain.pow import search_nonce

    genesis = make_genesis(difficulty, IrisModel().summary())
    assert genesis.merkle_root == IRIS_ROOT
    assert search_nonce(header_prefix(0, 0.0, ZERO_HASH, difficulty, IRIS_ROOT), difficulty) == \
        KNOWN_NONCES[(IRIS_ROOT, difficulty)] == genesis.nonce


def test_table_entries_for_the_vectors_match():
    from blockchain.genesis import IRIS_ROOT, KNOWN_NONCES

    for d in "1234":
        assert KNOWN_NONCES[(IRIS_ROOT, int(d))] == V["genesis"][d]["nonce"]
