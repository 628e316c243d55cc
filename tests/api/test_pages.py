"""Pages of the chain and the pool, and the peer endpoints of PROTOCOL.md v2 that a syncing node
uses: /tip, /headers (block locator), /blocks, /block/<height or hash>."""
import pytest

from blockchain import Block
from tests.api.conftest import FLOWER


@pytest.fixture
def chain5(client):
    for i in range(5):
        client.post("/flower/add", json={**FLOWER, "sender": f"s{i}"})
        client.post("/mine")
    return client.get("/chain").get_json()["chain"]


def test_tip(client, chain5):
    tip = client.get("/tip").get_json()
    health = client.get("/health").get_json()
    work = str(6 * 16 ** chain5[0]["difficulty"])  # protocol 2: 2^(4 * difficulty) a block, genesis included
    assert tip == {"height": 5, "hash": chain5[-1]["hash"], "genesis": chain5[0]["hash"], "work": work}
    assert (tip["hash"], tip["genesis"], tip["work"]) == (health["tip"], health["genesis"], health["work"])


def test_chain_pages(client, chain5):
    first = client.get("/chain?from=0&limit=2").get_json()
    assert [b["index"] for b in first["chain"]] == [0, 1] and first["length"] == 6 and first["next"] == 2
    last = client.get("/chain?from=4&limit=10").get_json()
    assert [b["index"] for b in last["chain"]] == [4, 5] and last["next"] is None
    assert client.get("/chain").get_json()["next"] is None
    for bad in ("from=-1", "limit=0", "limit=1001", "from=x"):
        r = client.get(f"/chain?{bad}")
        assert r.status_code == 400 and r.get_json()["error"]["code"] == "invalid_request"


def test_one_block_by_height_or_hash(client, chain5):
    assert client.get("/block/3").get_json() == {**chain5[3], "main_chain": True}
    assert client.get(f"/block/{chain5[2]['hash']}").get_json() == {**chain5[2], "main_chain": True}
    for unknown in ("6", "0" * 64, "nope"):
        r = client.get(f"/block/{unknown}")
        assert r.status_code == 404 and r.get_json()["error"]["code"] == "unknown_block"


def test_headers_after_a_locator(client, chain5):
    hashes = [b["hash"] for b in chain5]
    everything = client.get("/headers").get_json()["headers"]
    assert [h["index"] for h in everything] == [1, 2, 3, 4, 5]
    for header, block in zip(everything, chain5[1:], strict=True):
        assert header == {k: v for k, v in block.items() if k != "transactions"}
        assert Block.from_dict(block).computed_hash() == header["hash"]  # checkable without the body
    # newest first; the first hash that is on our chain decides, unknown ones are skipped
    r = client.get(f"/headers?locator={'ab' * 32},{hashes[2]},{hashes[1]}&limit=2").get_json()["headers"]
    assert [h["index"] for h in r] == [3, 4]
    assert client.get(f"/headers?locator={hashes[5]}").get_json()["headers"] == []
    for bad in ("locator=xyz", "locator=" + ",".join(["ab" * 32] * 65), "limit=2001"):
        r = client.get(f"/headers?{bad}")
        assert r.status_code == 400 and r.get_json()["error"]["code"] == "invalid_request"


def test_blocks_from_a_height(client, chain5):
    page = client.get("/blocks?from=2&limit=2").get_json()["blocks"]
    assert page == chain5[2:4]
    assert client.get("/blocks?from=6").get_json()["blocks"] == []
    assert client.get("/blocks?limit=501").status_code == 400


def test_pending_pages(client):
    ids = [
        client.post("/flower/add", json={**FLOWER, "sender": f"p{i}"}).get_json()["transaction_id"] for i in range(5)
    ]
    first = client.get("/transactions/pending?limit=2").get_json()
    assert [t["id"] for t in first["transactions"]] == ids[:2] and first["count"] == 5 and first["next"] == ids[1]
    second = client.get(f"/transactions/pending?after={first['next']}&limit=2").get_json()
    assert [t["id"] for t in second["transactions"]] == ids[2:4] and second["next"] == ids[3]
    last = client.get(f"/transactions/pending?after={ids[3]}&limit=2").get_json()
    assert [t["id"] for t in last["transactions"]] == ids[4:] and last["next"] is None
    assert client.get("/transactions/pending").get_json()["count"] == 5
    for bad in ("after=xyz", "limit=0", "limit=1001"):
        assert client.get(f"/transactions/pending?{bad}").status_code == 400


def test_transfers_of_an_address_are_paged_newest_first(client):
    miner = client.get("/health").get_json()["address"]
    for _ in range(2):
        client.post("/mine")
    sent = [client.post("/transactions/new", json={"sender": miner, "recipient": "carol", "amount": 1}).get_json()
            ["transaction_id"] for _ in range(2)]
    client.post("/mine")
    first = client.get("/transfers?address=carol&limit=1").get_json()
    assert first["count"] == 2 and first["next"] == 1 and first["transfers"][0]["id"] in sent
    second = client.get("/transfers?address=carol&from=1&limit=1").get_json()
    assert second["next"] is None and {first["transfers"][0]["id"], second["transfers"][0]["id"]} == set(sent)
    assert first["transfers"][0]["block_index"] == 3
    for bad in ("", "a b", "x" * 129):
        r = client.get(f"/transfers?address={bad}")
        assert r.status_code == 400 and r.get_json()["error"]["code"] == "invalid_request"


def test_the_pending_pool_is_paged_by_default(client):
    ids = [client.post("/flower/add", json={**FLOWER, "sender": f"q{i}"}).get_json()["transaction_id"]
           for i in range(1003)]
    first = client.get("/transactions/pending").get_json()
    assert [t["id"] for t in first["transactions"]] == ids[:1000]
    assert first["count"] == 1003 and first["next"] == ids[999]
    rest = client.get(f"/transactions/pending?after={first['next']}").get_json()
    assert [t["id"] for t in rest["transactions"]] == ids[1000:] and rest["next"] is None


def test_contributions_are_paged_by_default_oldest_first(client):
    ids = []
    for _ in range(3):
        ids += [client.post("/flower/add", json={**FLOWER, "sender": "prolific", "sepal_length": 4.5 + i / 100})
                .get_json()["transaction_id"] for i in range(50)]
        client.post("/mine")
    client.post("/flower/add", json={**FLOWER, "sender": "other"})
    client.post("/mine")
    first = client.get("/contributions?sender=prolific").get_json()
    assert [c["flower_id"] for c in first["contributions"]] == ids[:100]
    assert first["count"] == 150 and first["next"] == 100
    rest = client.get("/contributions?sender=prolific&from=100").get_json()
    assert [c["flower_id"] for c in rest["contributions"]] == ids[100:] and rest["next"] is None
    small = client.get("/contributions/prolific?from=140&limit=4").get_json()
    assert [c["flower_id"] for c in small["contributions"]] == ids[140:144] and small["next"] == 144
    assert small["contributions"] == rest["contributions"][40:44]
    for bad in ("limit=0", "limit=1001", "from=-1", "from=x"):
        r = client.get(f"/contributions?sender=prolific&{bad}")
        assert r.status_code == 400 and r.get_json()["error"]["code"] == "invalid_request"
