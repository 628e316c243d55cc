"""What a browser page may ask of a node (api/guard.py): the Host it names (DNS rebinding), state
changes from other sites, and the headers that stop framing and sniffing. The real browser's side
is in tests/web/test_browser_attacks.py."""
import pytest

from api import create_app
from tests.api.conftest import FLOWER

PEER = {"nodes": ["http://127.0.0.1:9"]}


@pytest.fixture
def make_client():
    apps = []

    def make(**config):
        app = create_app({"ephemeral": True, "difficulty": 1, "port": 5000, **config})
        apps.append(app)
        return app.test_client()

    yield make
    for app in apps:
        app.extensions["node"].close()


def height(client):
    return client.get("/health", headers={"Host": "127.0.0.1:5000"}).get_json()["height"]


# -- item 12: the Host header -----------------------------------------------------------------

@pytest.mark.parametrize(
    "host",
    [
        "rebind.test",
        "rebind.test:5000",
        "127.0.0.1.nip.io:5000",
        "evil.localhost.test:5000",
        "localhost.:5000.evil",
        "",
        "[127.0.0.1]evil.test",
        "[::1]evil.test:80",
        "[fe80::1%evil.test]",
        "[::1",
    ],
)
def test_a_host_name_the_node_does_not_serve_is_421_and_changes_nothing(make_client, host):
    client = make_client()
    for method, path, body in (("POST", "/nodes/register", PEER), ("GET", "/health", None),
                               ("POST", "/mine", None), ("POST", "/flower/add", FLOWER)):
        r = client.open(path, method=method, json=body, headers={"Host": host})
        assert r.status_code == 421, (method, path, host)
        error = r.get_json()["error"]
        assert error["code"] == "host_not_allowed" and "--allow-host" in error["message"]
    assert height(client) == 0
    assert client.get("/nodes", headers={"Host": "localhost:5000"}).get_json()["nodes"] == []
    assert client.get("/transactions/pending", headers={"Host": "localhost"}).get_json()["count"] == 0


@pytest.mark.parametrize("host", ["127.0.0.1:5000", "localhost:5000", "LOCALHOST", "[::1]:5000", "10.77.0.3:5000",
                                  "app.localhost:5000", "localhost.:5000"])
def test_ip_literals_and_localhost_are_served(make_client, host):
    client = make_client()
    assert client.get("/health", headers={"Host": host}).status_code == 200
    assert client.post("/nodes/register", json=PEER, headers={"Host": host}).status_code == 201


def test_the_nodes_own_names_and_allow_host_are_served(make_client):
    client = make_client(host="node.internal", advertise="http://public.example:8080",
                         allow_hosts=["extra.example", "Second.Example"])
    for host in ("node.internal:5000", "public.example:8080", "public.example", "extra.example:5000",
                 "second.example"):
        assert client.get("/health", headers={"Host": host}).status_code == 200, host
    assert client.get("/health", headers={"Host": "other.example"}).status_code == 421


# -- item 13: state changes from other sites --------------------------------------------------

CROSS = [
    {"Sec-Fetch-Site": "cross-site"},
    {"Sec-Fetch-Site": "same-site", "Origin": "http://127.0.0.1:8000"},
    {"Origin": "http://evil.test"},
    {"Origin": "null"},
    {"Origin": "http://127.0.0.1:8000"},  # another port is another origin
    {"Referer": "http://evil.test/page.html"},
]


@pytest.mark.parametrize("headers", CROSS)
@pytest.mark.parametrize("method,path,body", [("GET", "/mine", None), ("POST", "/mine", None),
                                              ("POST", "/flower/add", FLOWER), ("POST", "/nodes/register", PEER),
                                              ("GET", "/nodes/resolve", None), ("HEAD", "/mine", None)])
def test_a_state_change_from_another_site_is_403_and_changes_nothing(make_client, headers, method, path, body):
    client = make_client()
    client.post("/flower/add", json=FLOWER, headers={"Host": "127.0.0.1:5000"})
    r = client.open(path, method=method, json=body, headers={"Host": "127.0.0.1:5000", **headers})
    assert r.status_code == 403
    if method != "HEAD":
        assert r.get_json()["error"]["code"] == "cross_site_request"
    assert height(client) == 0
    assert client.get("/transactions/pending", headers={"Host": "127.0.0.1:5000"}).get_json()["count"] == 1
    assert client.get("/nodes", headers={"Host": "127.0.0.1:5000"}).get_json()["nodes"] == []


@pytest.mark.parametrize("headers", [
    {},                                                          # curl, Postman, the wallet, peers
    {"Sec-Fetch-Site": "none"},                                  # typed in the address bar
    {"Sec-Fetch-Site": "same-origin", "Origin": "http://127.0.0.1:5000"},  # this node's dashboard
    {"Origin": "http://127.0.0.1:5000", "Referer": "http://127.0.0.1:5000/#/contribute"},
    {"Referer": "http://127.0.0.1:5000/"},
])
def test_mining_from_the_node_itself_and_from_non_browsers_works(make_client, headers):
    client = make_client()
    assert client.get("/mine", headers={"Host": "127.0.0.1:5000", **headers}).status_code == 200
    assert client.post("/mine", headers={"Host": "127.0.0.1:5000", **headers}).status_code == 200
    assert height(client) == 2


def test_reads_from_other_sites_are_not_refused(make_client):
    client = make_client()
    r = client.get("/health", headers={"Host": "127.0.0.1:5000", "Sec-Fetch-Site": "cross-site",
                                       "Origin": "http://evil.test"})
    assert r.status_code == 200


# -- item 14: framing and sniffing ------------------------------------------------------------

@pytest.mark.parametrize("path", ["/", "/docs", "/web/app.js", "/health", "/no/such/route"])
def test_every_answer_forbids_framing_and_sniffing(make_client, path):
    r = make_client().get(path, headers={"Host": "127.0.0.1:5000"})
    assert r.headers["X-Frame-Options"] == "DENY"
    assert r.headers["X-Content-Type-Options"] == "nosniff"
    policy = {part.split()[0]: part.split()[1:] for part in r.headers["Content-Security-Policy"].split(";")}
    assert policy["frame-ancestors"] == ["'none'"] and policy["script-src"] == ["'self'"]


def test_every_copy_of_sec_fetch_site_counts(make_client):
    """A request with "none" first and "cross-site" after it is cross-site (not only the first copy counts)."""
    client = make_client()
    r = client.post("/mine", headers=[("Host", "127.0.0.1:5000"), ("Sec-Fetch-Site", "none"),
                                      ("Sec-Fetch-Site", "cross-site")])
    assert r.status_code == 403 and r.get_json()["error"]["code"] == "cross_site_request"
    assert height(client) == 0
