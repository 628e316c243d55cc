"""Auditing a live node: /chain/validate re-reads storage, /proof, /contributions."""
import json
import sqlite3

import pytest

from api import create_app
from blockchain import verify_inclusion
from tests.api.conftest import FLOWER
from tests.helpers.chains import remine


@pytest.fixture
def disk_app(tmp_path):
    app = create_app({"data_dir": tmp_path / "node", "difficulty": 1, "port": 5999})
    yield app
    app.extensions["node"].close()


def fill(client):
    ids = []
    for i, kind in enumerate(["setosa", "virginica", "versicolor"]):
        for j in range(i + 1):
            r = client.post("/flower/add", json={**FLOWER, "sender": f"s{j}", "flower_type": kind,
                                                  "petal_length": round(1.4 + i + j / 10, 2)})
            ids.append(r.get_json()["transaction_id"])
        client.post("/mine")
    return ids


def rewrite_block(tmp_path, index, edit):
    db = sqlite3.connect(tmp_path / "node" / "chain.sqlite3")
    chain = [json.loads(r[0]) for r in db.execute("SELECT body FROM blocks ORDER BY idx")]
    chain = edit(chain)
    db.execute("DELETE FROM blocks WHERE idx >= ?", (index,))
    db.executemany("INSERT INTO blocks (idx, hash, body) VALUES (?, ?, ?)",
                   [(b["index"], b["hash"], json.dumps(b)) for b in chain[index:]])
    db.commit()
    db.close()


def test_validate_names_a_label_edited_on_disk(disk_app, tmp_path):
    client = disk_app.test_client()
    fill(client)
    assert client.get("/chain/validate").get_json()["valid"] is True

    def edit(chain):
        chain[2]["transactions"][1]["data"]["flower_type"] = "setosa"
        return chain
    rewrite_block(tmp_path, 2, edit)
    report = client.get("/chain/validate").get_json()
    assert report["valid"] is False and report["length"] == 4
    first = report["errors"][0]
    assert first["block_index"] == 2 and first["tx_id"] and "transaction id must be" in first["message"]


def test_validate_names_a_remined_chain_with_a_stale_model_update(disk_app, tmp_path):
    client = disk_app.test_client()
    fill(client)

    def edit(chain):
        chain[1]["transactions"][1]["data"]["flower_type"] = "virginica"
        return remine(chain, 1, 1)
    rewrite_block(tmp_path, 1, edit)
    report = client.get("/chain/validate").get_json()
    assert report["valid"] is False
    assert report["errors"][0]["block_index"] == 1
    assert "MODEL_UPDATE must equal the replayed model" in report["errors"][0]["message"]
    assert any("live tip" in e["message"] for e in report["errors"])


def test_validate_notices_a_block_deleted_on_disk(disk_app, tmp_path):
    client = disk_app.test_client()
    fill(client)
    rewrite_block(tmp_path, 3, lambda chain: chain[:3])
    report = client.get("/chain/validate").get_json()
    assert report["valid"] is False and report["length"] == 3
    assert "stored chain must end at the live tip" in report["errors"][0]["message"]


def test_proof_for_every_transaction_and_pending_and_unknown(client):
    fill(client)
    pending = client.post("/flower/add", json={**FLOWER, "sender": "late"}).get_json()["transaction_id"]
    for block in client.get("/chain").get_json()["chain"]:
        for tx in block["transactions"]:
            proof = client.get(f"/proof/{tx['id']}").get_json()
            assert proof["status"] == "confirmed" and proof["block_hash"] == block["hash"]
            assert verify_inclusion(proof)
    body = client.get(f"/proof/{pending}").get_json()
    assert body["status"] == "pending" and body["block_index"] is None and "pending" in body["message"]
    r = client.get("/proof/" + "a" * 64)
    assert r.status_code == 404 and r.get_json()["error"]["code"] == "unknown_transaction"


def test_contributions_show_deposits_and_whether_the_model_agrees(client):
    ids = fill(client)
    body = client.get("/contributions?sender=s0").get_json()
    assert body == client.get("/contributions/s0").get_json()
    assert body["count"] == 3 and [c["block_index"] for c in body["contributions"]] == [1, 2, 3]
    assert {c["flower_id"] for c in body["contributions"]} <= set(ids)
    for c in body["contributions"]:
        assert (c["deposit"], c["left"], c["refunded"]) == (0, 0, False)
        assert c["claimable_from_block"] == c["block_index"] + 10  # the default refund_wait
        assert isinstance(c["model_agrees"], bool)
    assert body["good"] == 0
    assert client.get("/contributions?sender=nobody").get_json() == {"sender": "nobody", "count": 0,
                                                                     "contributions": [], "next": None, "good": 0}
    r = client.get("/contributions")
    assert r.status_code == 400 and "sender must be given" in r.get_json()["error"]["message"]
