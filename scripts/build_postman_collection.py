"""Write postman_collection.json (Postman v2.1) from the request list below.

The committed collection is this script's output; tests/test_postman_collection.py checks that
they agree. Run: .venv/bin/python scripts/build_postman_collection.py
"""
from __future__ import annotations

import json
from pathlib import Path

OUT = Path(__file__).resolve().parent.parent / "postman_collection.json"

FLOWER = {"sender": "botanist_123", "sepal_length": 5.1, "sepal_width": 3.5, "petal_length": 1.4,
          "petal_width": 0.2, "flower_type": "setosa"}
MEASURES = {"sepal_length": 6.7, "sepal_width": 3.0, "petal_length": 5.2, "petal_width": 2.3}


def request(name, method, path, tests, body=None, raw=None, content_type="application/json", prerequest=None,
            base="{{baseUrl}}"):
    route, _, query = path.partition("?")
    url = {"raw": base + path, "host": [base], "path": [p for p in route.split("/") if p]}
    if query:
        url["query"] = [{"key": k, "value": v} for k, _, v in (pair.partition("=") for pair in query.split("&"))]
    item = {"name": name, "request": {"method": method, "header": [], "url": url}}
    if body is not None or raw is not None:
        item["request"]["header"].append({"key": "Content-Type", "value": content_type})
        item["request"]["body"] = {"mode": "raw", "raw": raw if raw is not None else json.dumps(body, indent=2)}
    events = [{"listen": "test", "script": {"type": "text/javascript", "exec": tests.strip().splitlines()}}]
    if prerequest:
        events.insert(0, {"listen": "prerequest", "script": {"type": "text/javascript",
                                                             "exec": prerequest.strip().splitlines()}})
    item["event"] = events
    return item


def error_case(name, method, path, status, code, body=None, raw=None, content_type="application/json",
               base="{{baseUrl}}"):
    return request(name, method, path, f"""
pm.test("status is {status}", () => pm.response.to.have.status({status}));
pm.test("JSON error with code {code}", () => {{
    const err = pm.response.json().error;
    pm.expect(err.code).to.eql("{code}");
    pm.expect(err.message).to.be.a("string").and.not.empty;
}});
""", body=body, raw=raw, content_type=content_type, base=base)


SINGLE_NODE = [
    request("Health", "GET", "/health", """
pm.test("status is 200", () => pm.response.to.have.status(200));
const body = pm.response.json();
pm.test("node is ok, speaks protocol 2 and has an address", () => {
    pm.expect(body.status).to.eql("ok");
    pm.expect(body.protocol).to.eql(2);
    pm.expect(body.genesis).to.have.lengthOf(64);
    pm.expect(body.address).to.have.lengthOf(40);
    pm.expect(body.height).to.be.a("number");
});
pm.test("work is the chain's cumulative work, a decimal string", () => {
    pm.expect(body.work).to.match(/^(0|[1-9][0-9]*)$/);
});
pm.collectionVariables.set("nodeAddress", body.address);
pm.collectionVariables.set("startHeight", body.height);
pm.collectionVariables.set("startWork", body.work);
"""),
    request("Tip (what peers poll)", "GET", "/tip", """
pm.test("status is 200", () => pm.response.to.have.status(200));
const tip = pm.response.json();
pm.test("height, hash, genesis and work (a decimal string, as in /health)", () => {
    pm.expect(tip.hash).to.have.lengthOf(64);
    pm.expect(tip.genesis).to.have.lengthOf(64);
    pm.expect(tip.work).to.match(/^(0|[1-9][0-9]*)$/);
    if (tip.height === pm.collectionVariables.get("startHeight")) {
        pm.expect(tip.work).to.eql(pm.collectionVariables.get("startWork"));
    }
});
"""),
    request("Dashboard (HTML)", "GET", "/", """
pm.test("status is 200", () => pm.response.to.have.status(200));
pm.test("an HTML page with the live height", () => {
    pm.expect(pm.response.headers.get("Content-Type")).to.include("text/html");
    pm.expect(pm.response.text()).to.include('data-testid="height"');
});
"""),
    request("Base data (what genesis commits to)", "GET", "/model/base", """
pm.test("status is 200", () => pm.response.to.have.status(200));
const base = pm.response.json();
pm.test("classes, train and test rows of measurement strings", () => {
    pm.expect(base.classes).to.be.an("array").that.is.not.empty;
    pm.expect(base.train.length).to.eql(base.train_labels.length);
    pm.expect(base.test[0][0]).to.match(/^[0-9]+\\.[0-9]{2}$/);
});
"""),
    request("Model info", "GET", "/model/info", """
pm.test("status is 200", () => pm.response.to.have.status(200));
const body = pm.response.json();
pm.test("a KNN over three classes", () => {
    pm.expect(body.n_neighbors).to.eql(3);
    pm.expect(body.classes).to.eql(["setosa", "versicolor", "virginica"]);
    pm.expect(body.data_count).to.be.at.least(120);
    pm.expect(body.model_hash).to.have.lengthOf(64);
});
pm.test("integer weights frozen on the Iris base; accuracy as a count", () => {
    pm.expect(body.weights).to.eql([1597, 2930, 751, 1749]);
    pm.expect(body.test_rows).to.eql(30);
    pm.expect(body.accuracy).to.eql(body.test_correct / body.test_rows);
});
pm.collectionVariables.set("dataCount", body.data_count);
"""),
    request("Add flower data", "POST", "/flower/add", """
pm.test("status is 201", () => pm.response.to.have.status(201));
const body = pm.response.json();
pm.test("answers the transaction id and the block it will go into", () => {
    pm.expect(body.transaction_id).to.have.lengthOf(64);
    pm.expect(body.block_index).to.be.above(0);
});
pm.collectionVariables.set("flowerTx", body.transaction_id);
""", body=FLOWER),
    request("Pending transactions", "GET", "/transactions/pending", """
pm.test("status is 200", () => pm.response.to.have.status(200));
pm.test("one page (1000 at most), oldest first, with count and next", () => {
    const page = pm.response.json();
    pm.expect(page.transactions.length).to.be.at.most(1000);
    pm.expect(page.count).to.be.at.least(page.transactions.length);
    pm.expect(page).to.have.property("next");
});
pm.test("the flower is pending", () => {
    const ids = pm.response.json().transactions.map(t => t.id);
    pm.expect(ids).to.include(pm.collectionVariables.get("flowerTx"));
});
"""),
    request("Mine (POST)", "POST", "/mine", """
pm.test("status is 200", () => pm.response.to.have.status(200));
const body = pm.response.json();
pm.test("a block with the reward, the flower and a model update", () => {
    const types = body.transactions.map(t => t.type);
    pm.expect(types[0]).to.eql("REWARD");
    pm.expect(types).to.include("FLOWER_DATA");
    pm.expect(types[types.length - 1]).to.eql("MODEL_UPDATE");
    pm.expect(body.hash.startsWith("0")).to.be.true;
});
pm.collectionVariables.set("lastIndex", body.index);
"""),
    request("Model info after mining", "GET", "/model/info", """
pm.test("the model learned the mined flower", () => {
    const before = Number(pm.collectionVariables.get("dataCount"));
    pm.expect(pm.response.json().data_count).to.be.at.least(before + 1);
});
"""),
    request("Mine (GET, as in the paper)", "GET", "/mine", """
pm.test("status is 200", () => pm.response.to.have.status(200));
pm.test("the next block", () => {
    pm.expect(pm.response.json().index).to.eql(Number(pm.collectionVariables.get("lastIndex")) + 1);
});
"""),
    request("Balance of the node", "GET", "/balance/{{nodeAddress}}", """
pm.test("status is 200", () => pm.response.to.have.status(200));
pm.test("two rewards at least", () => pm.expect(pm.response.json().balance).to.be.at.least(2));
"""),
    request("New transaction", "POST", "/transactions/new", """
pm.test("status is 201", () => pm.response.to.have.status(201));
pm.test("answers the transaction id", () => pm.expect(pm.response.json().transaction_id).to.have.lengthOf(64));
""", raw='{\n  "sender": "{{nodeAddress}}",\n  "recipient": "bob",\n  "amount": 1\n}'),
    request("Chain", "GET", "/chain", """
pm.test("status is 200", () => pm.response.to.have.status(200));
const body = pm.response.json();
pm.test("blocks link to their parents", () => {
    pm.expect(body.length).to.eql(body.chain.length);
    for (let i = 1; i < body.chain.length; i++) {
        pm.expect(body.chain[i].previous_hash).to.eql(body.chain[i - 1].hash);
    }
});
"""),
    request("Validate chain", "GET", "/chain/validate", """
pm.test("status is 200", () => pm.response.to.have.status(200));
pm.test("the chain is valid", () => {
    pm.expect(pm.response.json().valid).to.be.true;
    pm.expect(pm.response.json().errors).to.be.empty;
});
"""),
    request("Predict", "POST", "/flower/predict", """
pm.test("status is 200", () => pm.response.to.have.status(200));
const body = pm.response.json();
pm.test("a class and probabilities that sum to 1", () => {
    pm.expect(["setosa", "versicolor", "virginica"]).to.include(body.prediction);
    const sum = Object.values(body.probabilities).reduce((a, b) => a + b, 0);
    pm.expect(sum).to.be.closeTo(1, 1e-6);
});
pm.test("predicts virginica for a virginica", () => pm.expect(body.prediction).to.eql("virginica"));
pm.test("shows the 3 neighbours that decided it, nearest first", () => {
    pm.expect(body.neighbours).to.have.lengthOf(3);
    body.neighbours.forEach(n => pm.expect(Number.isInteger(n.distance)).to.be.true);
    pm.expect(body.neighbours[0].distance).to.be.at.most(body.neighbours[2].distance);
});
""", body=MEASURES),
    request("Evaluate", "GET", "/model/evaluate", """
pm.test("status is 200", () => pm.response.to.have.status(200));
const body = pm.response.json();
pm.test("accuracy and per-class metrics on 30 test rows", () => {
    pm.expect(body.accuracy).to.be.within(0, 1);
    pm.expect(body.test_samples).to.eql(30);
    pm.expect(body.class_metrics.setosa).to.have.property("f1-score");
});
"""),
    request("Model history", "GET", "/model/history", """
pm.test("status is 200", () => pm.response.to.have.status(200));
pm.test("genesis first, then each block that changed the model", () => {
    const rows = pm.response.json().history;
    pm.expect(rows[0].block_index).to.eql(0);
    pm.expect(rows.length).to.be.at.least(2);
});
"""),
    request("Proof that the flower is in a block", "GET", "/proof/{{flowerTx}}", """
pm.test("status is 200", () => pm.response.to.have.status(200));
const body = pm.response.json();
pm.test("a confirmed proof with a Merkle path", () => {
    pm.expect(body.status).to.eql("confirmed");
    pm.expect(body.tx_id).to.eql(pm.collectionVariables.get("flowerTx"));
    pm.expect(body.path).to.be.an("array");
    body.path.forEach(step => pm.expect(["left", "right"]).to.include(step.side));
});
"""),
    request("Contributions of a sender", "GET", "/contributions?sender=botanist_123", """
pm.test("status is 200", () => pm.response.to.have.status(200));
const body = pm.response.json();
pm.test("one page, oldest first: count and next (the from of the next page, or null)", () => {
    pm.expect(body.count).to.be.at.least(body.contributions.length);
    pm.expect(body.next === null || body.next === body.contributions.length).to.be.true;
});
pm.test("lists the flower, its deposit, when it can be claimed and whether the model agrees", () => {
    const mine = body.contributions.find(c => c.flower_id === pm.collectionVariables.get("flowerTx"));
    pm.expect(mine).to.be.an("object");
    pm.expect(mine.deposit).to.eql(0);
    pm.expect(mine.claimable_from_block).to.eql(mine.block_index + 10);
    pm.expect(mine.model_agrees).to.be.a("boolean");
    pm.expect(mine.refund_allowed).to.eql(false);  // not due yet
    pm.expect(mine.report_allowed).to.eql(false);
});
"""),
    request("Judgement of a contribution", "GET", "/flower/{{flowerTx}}/judgement", """
pm.test("status is 200", () => pm.response.to.have.status(200));
const body = pm.response.json();
pm.test("names the neighbours that would judge a claim and why each counted", () => {
    pm.expect(body.flower_id).to.eql(pm.collectionVariables.get("flowerTx"));
    pm.expect(body.neighbours.filter(n => n.counted).length).to.eql(body.k);
    body.neighbours.forEach(n => pm.expect(n.why).to.be.a("string"));
    pm.expect(body.refund_allowed).to.be.a("boolean");
});
"""),
    error_case("A refund before refund_wait", "POST", "/flower/refund", 400, "claim_not_allowed",
               raw='{\n  "sender": "botanist_123",\n  "flower_id": "{{flowerTx}}"\n}'),
]

ERRORS = [
    error_case("Broken JSON", "POST", "/flower/add", 400, "invalid_json", raw='{"sender": "a",'),
    error_case(
        "NaN is refused",
        "POST",
        "/flower/predict",
        400,
        "invalid_json",
        raw='{"sepal_length": NaN, "sepal_width": 3.0, "petal_length": 5.2, "petal_width": 2.3}',
    ),
    error_case(
        "Negative measurement", "POST", "/flower/add", 400, "invalid_request", body={**FLOWER, "sepal_length": -1}
    ),
    error_case(
        "Measurement string with one decimal",
        "POST",
        "/flower/add",
        400,
        "invalid_request",
        body={**FLOWER, "sepal_length": "5.1"},
    ),
    error_case(
        "Not a whole number of hundredths",
        "POST",
        "/flower/add",
        400,
        "invalid_request",
        body={**FLOWER, "sepal_length": 5.123},
    ),
    error_case(
        "Unknown flower type", "POST", "/flower/add", 400, "invalid_transaction", body={**FLOWER, "flower_type": "rose"}
    ),
    error_case(
        "Reserved sender",
        "POST",
        "/transactions/new",
        400,
        "invalid_request",
        body={"sender": "0", "recipient": "bob", "amount": 1},
    ),
    error_case(
        "Zero amount",
        "POST",
        "/transactions/new",
        400,
        "invalid_request",
        body={"sender": "alice", "recipient": "bob", "amount": 0},
    ),
    error_case(
        "Transfer without funds",
        "POST",
        "/transactions/new",
        400,
        "insufficient_funds",
        body={"sender": "nobody-has-coins", "recipient": "bob", "amount": 5},
    ),
    error_case(
        "Not JSON", "POST", "/flower/add", 415, "unsupported_media_type", raw="sender=a", content_type="text/plain"
    ),
    error_case("Unknown route", "GET", "/flowers", 404, "not_found"),
    error_case("Proof of an unknown transaction", "GET", "/proof/" + "ab" * 32, 404, "unknown_transaction"),
    error_case("Wrong method", "DELETE", "/chain", 405, "method_not_allowed"),
    request(
        "Duplicate flower (first time)",
        "POST",
        "/flower/add",
        """
pm.test("status is 201", () => pm.response.to.have.status(201));
""",
        raw='{\n  "sender": "dup-test", "sepal_length": 5.0, "sepal_width": 3.4, "petal_length": 1.5,\n'
        '  "petal_width": 0.2, "flower_type": "setosa", "timestamp_ms": {{dupTimestamp}}\n}',
        prerequest='pm.collectionVariables.set("dupTimestamp", Date.now());',
    ),
    error_case(
        "Duplicate flower (again)",
        "POST",
        "/flower/add",
        409,
        "duplicate_transaction",
        raw='{\n  "sender": "dup-test", "sepal_length": 5.0, "sepal_width": 3.4, "petal_length": 1.5,\n'
        '  "petal_width": 0.2, "flower_type": "setosa", "timestamp_ms": {{dupTimestamp}}\n}',
    ),
]


NETWORK = [
    request("Peers (none yet)", "GET", "/nodes", """
pm.test("status is 200", () => pm.response.to.have.status(200));
pm.test("a list of peers", () => pm.expect(pm.response.json().nodes).to.be.an("array"));
"""),
    request("Register the second node", "POST", "/nodes/register", """
pm.test("status is 201", () => pm.response.to.have.status(201));
pm.test("the peer is listed", () => pm.expect(pm.response.json().total_nodes).to.include(pm.variables.get("peerUrl")));
""", raw='{\n  "nodes": ["{{peerUrl}}"]\n}'),
    request("Second node registers the first", "POST", "/nodes/register", """
pm.test("status is 201", () => pm.response.to.have.status(201));
""", raw='{\n  "nodes": ["{{baseUrl}}"]\n}', base="{{peerUrl}}"),
    request("Second node resolves: takes the longer chain", "POST", "/nodes/resolve", """
pm.test("status is 200", () => pm.response.to.have.status(200));
pm.test("it now has the first node's chain", () => {
    pm.expect(pm.response.json().length).to.be.at.least(Number(pm.collectionVariables.get("lastIndex")) + 1);
});
""", base="{{peerUrl}}"),
    request("Second node mines", "POST", "/mine", """
pm.test("status is 200", () => pm.response.to.have.status(200));
pm.collectionVariables.set("peerTip", pm.response.json().hash);
""", base="{{peerUrl}}"),
    request("First node resolves", "GET", "/nodes/resolve", """
pm.test("status is 200", () => pm.response.to.have.status(200));
pm.test("answers whether it switched", () => pm.expect(pm.response.json().replaced).to.be.a("boolean"));
"""),
    request("Both nodes have the same tip", "GET", "/health", """
pm.test("the first node's tip is the block the second mined", () => {
    pm.expect(pm.response.json().tip).to.eql(pm.collectionVariables.get("peerTip"));
});
"""),
    request("Peers, each with its state", "GET", "/nodes", """
pm.test("status is 200", () => pm.response.to.have.status(200));
const peer = pm.response.json().nodes.find(n => n.url === pm.variables.get("peerUrl"));
pm.test("the second node is listed, with a state and a proven height", () => {
    pm.expect(peer).to.be.an("object");
    pm.expect(["new", "ok", "unreachable", "backed_off", "other_network"]).to.include(peer.state);
    pm.expect(peer.bytes_received).to.be.a("number");
});
"""),
    request("Forget the second node", "DELETE", "/nodes/{{peerUrlEncoded}}", """
pm.test("status is 200", () => pm.response.to.have.status(200));
""", prerequest="""
pm.collectionVariables.set("peerUrlEncoded", encodeURIComponent(pm.variables.get("peerUrl")));
"""),
    request("Forget it again: not a peer any more", "DELETE", "/nodes/{{peerUrlEncoded}}", """
pm.test("status is 404", () => pm.response.to.have.status(404));
pm.test("error code is unknown_peer", () => pm.expect(pm.response.json().error.code).to.eql("unknown_peer"));
"""),
    request("Register the second node again", "POST", "/nodes/register", """
pm.test("status is 201", () => pm.response.to.have.status(201));
pm.test("it is new again", () => pm.expect(pm.response.json().added).to.include(pm.variables.get("peerUrl")));
""", raw='{\n  "nodes": ["{{peerUrl}}"]\n}'),
    request("A block already known", "POST", "/blocks", """
pm.test("status is 200 (already known, not re-sent)", () => pm.response.to.have.status(200));
""", raw="{{lastBlock}}", prerequest="""
pm.sendRequest(pm.variables.get("baseUrl") + "/chain", (err, res) => {
    const chain = res.json().chain;
    pm.collectionVariables.set("lastBlock", JSON.stringify(chain[chain.length - 1]));
});
"""),
    error_case("A forged block", "POST", "/blocks", 400, "invalid_block", body={"index": 1, "hash": "00"}),
    error_case("A client cannot send a REWARD", "POST", "/transactions", 400, "invalid_transaction",
               body={"type": "REWARD", "sender": "0", "recipient": "me", "amount": 1, "block_index": 1,
                     "id": "0" * 64}),
    error_case("Link-local peer refused", "POST", "/nodes/register", 400, "invalid_peer",
               body={"nodes": ["http://169.254.169.254:80"]}),
    error_case("A node never registers itself", "POST", "/nodes/register", 400, "invalid_peer",
               raw='{\n  "nodes": ["{{baseUrl}}"]\n}'),
    error_case("A string instead of a list", "POST", "/nodes/register", 400, "invalid_request",
               body={"nodes": "http://127.0.0.1:5001"}),
    request("Second node fetches the first node's artifact", "POST", "/artifacts/fetch", """
pm.test("status is 201, served by the first node", () => {
    pm.response.to.have.status(201);
    pm.expect(pm.response.json().peer).to.eql(pm.variables.get("baseUrl"));
    pm.expect(pm.response.json().sha256).to.eql(pm.collectionVariables.get("artifactSha"));
});
""", raw='{\n  "sha256": "{{artifactSha}}"\n}', base="{{peerUrl}}"),
    request("Second node serves the same bytes", "GET", "/artifacts/{{artifactSha}}", """
pm.test("status is 200, the same bytes", () => {
    pm.response.to.have.status(200);
    pm.expect(pm.response.text()).to.eql(pm.collectionVariables.get("artifactText"));
});
""", base="{{peerUrl}}"),
]


ARTIFACT_BODY = "a file kept by its SHA-256, written at {{artifactStamp}}"
ARTIFACTS = [
    request("Store an artifact (raw bytes)", "PUT", "/artifacts", """
const sha256 = text => require("crypto-js").SHA256(text).toString();
pm.test("status is 201 (a new file)", () => pm.response.to.have.status(201));
const body = pm.response.json();
pm.test("answers its SHA-256 and size", () => {
    const sent = pm.request.body.raw;
    pm.expect(body.sha256).to.eql(sha256(sent));
    pm.expect(body.size).to.eql(sent.length);
    pm.expect(pm.response.headers.get("Location")).to.eql("/artifacts/" + body.sha256);
});
pm.collectionVariables.set("artifactSha", body.sha256);
pm.collectionVariables.set("artifactText", pm.request.body.raw);
""", raw=ARTIFACT_BODY, content_type="application/octet-stream",
            prerequest='pm.collectionVariables.set("artifactStamp", new Date().toISOString());'),
    request("Store it again (POST): already held", "POST", "/artifacts", """
pm.test("status is 200 (held already)", () => pm.response.to.have.status(200));
pm.test("the same name", () => pm.expect(pm.response.json().sha256).to.eql(pm.collectionVariables.get("artifactSha")));
""", raw=ARTIFACT_BODY, content_type="application/octet-stream"),
    request("Get the artifact", "GET", "/artifacts/{{artifactSha}}", """
pm.test("status is 200", () => pm.response.to.have.status(200));
pm.test("the very bytes, as application/octet-stream", () => {
    pm.expect(pm.response.text()).to.eql(pm.collectionVariables.get("artifactText"));
    pm.expect(pm.response.headers.get("Content-Type")).to.eql("application/octet-stream");
});
pm.test("ETag is the SHA-256; cached for ever", () => {
    pm.expect(pm.response.headers.get("ETag")).to.eql('"' + pm.collectionVariables.get("artifactSha") + '"');
    pm.expect(pm.response.headers.get("Cache-Control")).to.include("immutable");
});
"""),
    request("List the artifacts", "GET", "/artifacts?limit=1000", """
pm.test("status is 200", () => pm.response.to.have.status(200));
const page = pm.response.json();
pm.test("the stored file is listed with its size", () => {
    const mine = page.artifacts.find(a => a.sha256 === pm.collectionVariables.get("artifactSha"));
    pm.expect(mine.size).to.eql(pm.collectionVariables.get("artifactText").length);
    pm.expect(page.count).to.be.at.least(page.artifacts.length);
    pm.expect(page.total_bytes).to.be.at.most(page.max_total_bytes);
});
"""),
    request("Fetch what the node holds already", "POST", "/artifacts/fetch", """
pm.test("status is 200, no peer asked", () => {
    pm.response.to.have.status(200);
    pm.expect(pm.response.json().peer).to.eql(null);
});
""", raw='{\n  "sha256": "{{artifactSha}}"\n}'),
    error_case("An artifact name that is not a SHA-256", "GET", "/artifacts/not-a-hash", 400, "invalid_sha256"),
    error_case("An artifact this node does not hold", "GET", "/artifacts/" + "0" * 64, 404, "artifact_not_found"),
    error_case("An artifact sent as text", "PUT", "/artifacts", 415, "unsupported_media_type", raw="some text",
               content_type="text/plain"),
]


NO_JOB = "ab" * 32
JOBS = [
    request("List jobs", "GET", "/jobs", """
pm.test("status is 200", () => pm.response.to.have.status(200));
const body = pm.response.json();
pm.test("a page of jobs, newest first, with its count", () => {
    pm.expect(body.jobs).to.be.an("array");
    pm.expect(body.count).to.be.a("number");
    pm.expect(body.jobs.length).to.be.at.most(body.count);
});
"""),
    request("Settled jobs, one page", "GET", "/jobs?state=settled&offset=0&limit=5", """
pm.test("status is 200", () => pm.response.to.have.status(200));
pm.test("every job listed is settled", () => {
    pm.response.json().jobs.forEach(job => pm.expect(job.state).to.eql("settled"));
});
"""),
    error_case("A state that does not exist", "GET", "/jobs?state=open", 400, "invalid_request"),
    error_case("An unknown job", "GET", "/jobs/" + NO_JOB, 404, "unknown_job"),
    error_case("A job without its fields", "POST", "/jobs", 400, "invalid_request", body={"sender": "alice"}),
    error_case("A commitment to an unknown job", "POST", f"/jobs/{NO_JOB}/commit", 404, "unknown_job",
               body={"sender": "bob", "model_commitment": "cd" * 32}),
    error_case("A test reveal for an unknown job", "POST", f"/jobs/{NO_JOB}/test", 404, "unknown_job",
               body={"sender": "alice", "rows": [[510, 350, 140, 20]], "labels": [0], "salt": "ef" * 32}),
    error_case("A model reveal for an unknown job", "POST", f"/jobs/{NO_JOB}/model", 404, "unknown_job",
               body={"sender": "bob", "model": {"kind": "linear", "weights": [[0, 0, 0, 0]] * 3, "bias": [0, 0, 0]},
                     "salt": "ef" * 32}),
    error_case("A prediction of an unknown job", "POST", f"/jobs/{NO_JOB}/predict", 404, "unknown_job",
               body={"rows": [[510, 350, 140, 20]]}),
]


SKIP_WITHOUT_PEER = """
if (!pm.variables.get("peerUrl")) {
    console.log("skipped: the Network folder needs a second node of the same network; set peerUrl to its URL");
    pm.execution.skipRequest();
}
"""


def needs_peer(item: dict) -> dict:
    """Skip the request (with a message) when no second node is given as peerUrl."""
    events = item["event"]
    pre = next((e for e in events if e["listen"] == "prerequest"), None)
    lines = SKIP_WITHOUT_PEER.strip().splitlines()
    if pre is None:
        events.insert(0, {"listen": "prerequest", "script": {"type": "text/javascript", "exec": lines}})
    else:
        pre["script"]["exec"] = lines + pre["script"]["exec"]
    return item


def collection() -> dict:
    return {
        "info": {
            "name": "Iris chain node",
            "description": "Every route, with tests. Run against a live node (npm run postman -- --env-var "
                           "baseUrl=http://127.0.0.1:5000); add --env-var peerUrl=http://127.0.0.1:5001, a second "
                           "node of the same network, to run the Network folder too (it is skipped without one). "
                           "It can run again and again against the same nodes.",
            "schema": "https://schema.getpostman.com/json/collection/v2.1.0/collection.json",
        },
        "variable": [{"key": "baseUrl", "value": "http://127.0.0.1:5000"},
                     {"key": "peerUrl", "value": ""}],
        "item": [
            {"name": "Single node", "item": SINGLE_NODE},
            {"name": "Errors", "item": ERRORS},
            {"name": "Jobs", "item": JOBS},
            {"name": "Artifacts", "item": ARTIFACTS},
            {"name": "Network (needs a second node at peerUrl)", "item": [needs_peer(i) for i in NETWORK]},
        ],
    }


def render() -> str:
    return json.dumps(collection(), indent=2) + "\n"


if __name__ == "__main__":
    OUT.write_text(render(), encoding="utf-8")
    print(f"wrote {OUT}")
