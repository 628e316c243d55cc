"""Issue 20 item 1 and 19 through the HTTP API: a side block is kept only with the body its
header commits to, GET /block/<hash> says whether a block is on the main chain, and a block
that claims our tip as parent but skips an index is invalid (400), not a conflict (409)."""
from blockchain import Block, Transaction, transfer_body
from blockchain.block import block_hash, header_prefix
from blockchain.pow import search_nonce
from blockchain.transactions import reward


def _mine(index, parent_hash, timestamp_ms, txs):
    root = Block.assemble(index, timestamp_ms, parent_hash, 1, txs, 0).merkle_root
    prefix = header_prefix(index, timestamp_ms, parent_hash, 1, root)
    nonce = search_nonce(prefix, 1)
    return {"index": index, "timestamp_ms": timestamp_ms, "previous_hash": parent_hash, "difficulty": 1,
            "merkle_root": root, "nonce": nonce, "hash": block_hash(prefix, nonce),
            "transactions": [t.to_dict() for t in txs]}


def _genesis(client):
    return client.get("/block/0").get_json()


def _tip_at(client, height):
    for _ in range(height):
        assert client.post("/mine").status_code == 200


def test_a_side_block_whose_body_does_not_match_its_merkle_root_is_refused_and_not_served(client):
    genesis = _genesis(client)
    _tip_at(client, 2)
    honest = [reward("m", 1)]
    header = _mine(1, genesis["hash"], genesis["timestamp_ms"] + 1, honest)
    theft = Transaction.create(transfer_body("satoshi", "thief", 10**12, genesis["timestamp_ms"] + 2))
    forged = {**header, "transactions": [t.to_dict() for t in honest + [theft]]}
    answer = client.post("/blocks", json=forged)
    assert answer.status_code == 400 and answer.get_json()["error"]["code"] == "invalid_block"
    assert "merkle_root" in answer.get_json()["error"]["message"]
    assert client.get(f"/block/{header['hash']}").status_code == 404


def test_a_valid_side_block_is_served_labelled_as_not_on_the_main_chain(client):
    genesis = _genesis(client)
    _tip_at(client, 2)
    side = _mine(1, genesis["hash"], genesis["timestamp_ms"] + 1, [reward("m", 1)])
    assert client.post("/blocks", json=side).status_code == 409
    served = client.get(f"/block/{side['hash']}").get_json()
    assert served["hash"] == side["hash"] and served["main_chain"] is False
    main = client.get("/block/1").get_json()
    assert main["main_chain"] is True and main["hash"] != side["hash"]
    assert client.get(f"/block/{main['hash']}").get_json()["main_chain"] is True


def test_a_block_on_our_tip_that_skips_an_index_is_400(client):
    _tip_at(client, 1)
    tip = client.get("/block/1").get_json()
    skipping = _mine(3, tip["hash"], tip["timestamp_ms"] + 1, [reward("m", 3)])
    answer = client.post("/blocks", json=skipping)
    assert answer.status_code == 400 and answer.get_json()["error"]["code"] == "invalid_block"
    assert client.get("/health").get_json()["height"] == 1
