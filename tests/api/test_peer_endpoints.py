"""Peer endpoints and registration rules through the test client (DESIGN.md, peer URL rules)."""
import pytest

from blockchain import Transaction
from tests.helpers.chains import build_chain
from tests.helpers.factories import flower
from tests.helpers.fake_peer import FakePeer
from tests.api.conftest import snapshot


@pytest.fixture(scope="module")
def other_chain():
    return build_chain(3, 1, miner="elsewhere")


def nodes(client):
    return [n["url"] for n in client.get("/nodes").get_json()["nodes"]]


@pytest.mark.parametrize("body,words", [
    ({"nodes": "http://127.0.0.1:5001"}, "valid list"),
    ({"nodes": [None]}, "valid string"),
    ({"nodes": [5001]}, "valid string"),
    ({"nodes": []}, "at least 1"),
    ({"nodes": ["http://127.0.0.1:%d" % (6000 + i) for i in range(65)]}, "at most 64"),
    ({}, "required"),
    ({"nodes": ["127.0.0.1:5001"]}, "http:// or https://"),
    ({"nodes": ["ftp://127.0.0.1:5001"]}, "http:// or https://"),
    ({"nodes": ["http://127.0.0.1"]}, "must name a port"),
    ({"nodes": ["http://user:pw@127.0.0.1:5001"]}, "user info"),
    ({"nodes": ["http://127.0.0.1:5001/chain"]}, "no path"),
    ({"nodes": ["http://127.0.0.1:5001?x=1"]}, "no path, query"),
    ({"nodes": ["http://127.0.0.1:5001#top"]}, "fragment"),
    ({"nodes": ["http://169.254.169.254:80"]}, "link-local"),
    ({"nodes": ["http://[fe80::1]:80"]}, "link-local"),
    ({"nodes": ["http://[::ffff:169.254.169.254]:80"]}, "link-local"),
    ({"nodes": ["http://0.0.0.0:5001"]}, "unspecified"),
    ({"nodes": ["http://[::]:5001"]}, "unspecified"),
    ({"nodes": ["http://0:5001"]}, "unspecified address (0.0.0.0)"),           # spelled as the resolver reads them
    ({"nodes": ["http://0.0:5001"]}, "unspecified address (0.0.0.0)"),
    ({"nodes": ["http://2852039166:80"]}, "link-local address (169.254.169.254)"),
    ({"nodes": ["http://0xa9.0xfe.0xa9.0xfe:80"]}, "link-local address (169.254.169.254)"),
    ({"nodes": ["http://0251.0376.0251.0376:80"]}, "link-local address (169.254.169.254)"),
    ({"nodes": ["http://[64:ff9b::a9fe:a9fe]:80"]}, "link-local address (169.254.169.254)"),  # NAT64
    ({"nodes": ["http://[2002:a9fe:a9fe::]:80"]}, "link-local address (169.254.169.254)"),    # 6to4
    ({"nodes": ["http://255.255.255.255:1"]}, "broadcast"),
    ({"nodes": ["http://[::1%25lo]:5001"]}, "zone id"),
    ({"nodes": ["http://\u00e9.example:5001"]}, "an IP address or a DNS name"),
    ({"nodes": ["http://127.1:5000"]}, "never registers itself"),
    ({"nodes": ["http://127.0.0.1:5000"]}, "never registers itself"),
    ({"nodes": ["http://localhost:5000"]}, "never registers itself"),
    ({"nodes": ["http://127.0.0.1:5001", "http://10.0.0.1"]}, "must name a port"),
])
def test_refused_registrations(client, body, words):
    r = client.post("/nodes/register", json=body)
    assert r.status_code == 400
    assert words in r.get_json()["error"]["message"]
    assert nodes(client) == []  # all or nothing


def test_a_long_url_is_refused_with_a_short_quote_of_it(client):
    """The refusal quotes at most 100 characters of the URL, not all 400; a host name longer than
    DNS allows (253) is refused though each label is valid."""
    long_path = "http://127.0.0.1:5001/" + "a" * 400
    message = client.post("/nodes/register", json={"nodes": [long_path]}).get_json()["error"]["message"]
    assert "no path" in message and long_path[:97] + "..." in message and len(message) < 200, message
    long_host = "http://" + ".".join(["a" * 60] * 5) + ":5001"
    r = client.post("/nodes/register", json={"nodes": [long_host]})
    assert r.status_code == 400 and "at most 253 characters" in r.get_json()["error"]["message"]
    assert len(r.get_json()["error"]["message"]) < 200 and nodes(client) == []


def test_a_refused_url_is_never_contacted(client):
    with FakePeer() as fake:
        for bad in (fake.url + "/x", fake.url + "?q=1", fake.url.replace("http://", "http://u@")):
            assert client.post("/nodes/register", json={"nodes": [bad]}).status_code == 400
        assert fake.hits == []


def test_registration_is_normalized_and_idempotent(client):
    with FakePeer() as fake:
        port = fake.url.rsplit(":", 1)[1]
        r = client.post("/nodes/register", json={"nodes": [f"HTTP://LOCALHOST:{port}/", f"http://localhost:{port}"]})
        assert r.status_code == 201
        assert r.get_json()["total_nodes"] == [f"http://localhost:{port}"]
        again = client.post("/nodes/register", json={"nodes": [f"http://localhost:{port}"]})
        assert again.status_code == 201 and again.get_json()["added"] == []
        assert nodes(client) == [f"http://localhost:{port}"]


def test_resolve_without_peers(client):
    for method in ("get", "post"):
        body = getattr(client, method)("/nodes/resolve").get_json()
        assert body["replaced"] is False and body["length"] == 1


def test_post_blocks(client, other_chain):
    assert client.post("/blocks", json=other_chain[1]).status_code == 201
    assert client.get("/health").get_json()["tip"] == other_chain[1]["hash"]
    assert client.post("/blocks", json=other_chain[1]).status_code == 200  # already known
    assert client.get("/health").get_json()["height"] == 1
    before = snapshot(client)
    r = client.post("/blocks", json=other_chain[3])  # skips block 2
    assert r.status_code == 409 and r.get_json()["error"]["code"] == "block_conflict"
    assert snapshot(client) == before
    bad = dict(other_chain[2], nonce=other_chain[2]["nonce"] + 1)
    r = client.post("/blocks", json=bad)
    assert r.status_code == 400 and "hash must be" in r.get_json()["error"]["message"]
    for junk in ({}, {"index": "1"}, {**other_chain[2], "transactions": "x"}):
        r = client.post("/blocks", json=junk)
        assert r.status_code == 400 and r.get_json()["error"]["code"] == "invalid_block"
    assert snapshot(client) == before
    assert client.post("/blocks", json=other_chain[2]).status_code == 201
    assert client.get("/health").get_json()["tip"] == other_chain[2]["hash"]


def test_post_transactions(client):
    tx = flower().to_dict()
    assert client.post("/transactions", json=tx).status_code == 201
    assert client.post("/transactions", json=tx).status_code == 200  # already known: stored once
    assert [t["id"] for t in client.get("/transactions/pending").get_json()["transactions"]] == [tx["id"]]
    before = snapshot(client)
    for bad in ({**tx, "id": "0" * 64}, {**tx, "amount": 5}, {"type": "REWARD"},
                Transaction.create({"type": "REWARD", "sender": "0", "recipient": "me", "amount": 1,
                                    "block_index": 1}).to_dict()):
        r = client.post("/transactions", json=bad)
        assert r.status_code == 400, bad
        assert r.get_json()["error"]["code"].startswith("invalid")
    assert snapshot(client) == before


def test_numeric_hosts_are_stored_as_the_address_they_mean(client):
    with FakePeer() as fake:
        port = fake.url.rsplit(":", 1)[1]
        r = client.post("/nodes/register", json={"nodes": [f"http://127.1:{port}", f"http://2130706433:{port}"]})
        assert r.status_code == 201 and r.get_json()["total_nodes"] == [f"http://127.0.0.1:{port}"]
