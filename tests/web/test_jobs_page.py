"""Training jobs in a real browser (headless Chromium) in front of a real node: the page's verifier
refuses an invalid job chain, and the Jobs pages show a settled job (its timeline, leaderboard,
payouts, the winner's model and what a user can check about it), all replayed in the page.

The first tests take their chains from tests/vectors/jobs-chains-v3.json (the node is held to the
same file): a proxy serves the node's page and answers, but one of those chains in place of the
node's own. The last runs a job on a node through its API and has a proxy tamper with its
settlement."""
import hashlib
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from blockchain import Transaction
from blockchain.block import Block
from blockchain.difficulty import hash_limit
from blockchain.pow import search_below
from ml import kinds
from tests.web.proxy import GatedProxy
from tests.web.test_dashboard import by_testid, open_page, severe_console_messages, wait_for
from tests.web.test_explorer import _downloaded

pytestmark = pytest.mark.network
VECTORS = json.loads((Path(__file__).resolve().parent.parent / "vectors" / "jobs-chains-v3.json").read_text())
CASES = {c["name"]: c for c in VECTORS["cases"]}


class ChainProxy:
    """Serves the node's page and answers, except GET /chain (and /tip, /block/<height>), which
    come from ``blocks``: what a node serving that chain would show."""

    def __init__(self, upstream: str, blocks: list[dict]) -> None:
        by_height = {b["index"]: b for b in blocks}

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def answer(self, status: int, body: bytes, kind: str) -> None:
                self.send_response(status)
                self.send_header("Content-Type", kind)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_GET(self):
                url = urlsplit(self.path)
                query = parse_qs(url.query)
                if url.path == "/chain":
                    start, limit = int(query.get("from", ["0"])[0]), int(query.get("limit", ["1000"])[0])
                    page = blocks[start:start + limit]
                    following = start + len(page) if page and start + len(page) < len(blocks) else None
                    body = {"chain": page, "length": len(blocks), "next": following}
                elif url.path == "/tip":
                    body = {"height": len(blocks) - 1, "hash": blocks[-1]["hash"], "genesis": blocks[0]["hash"],
                            "work": str(sum(2 ** b["difficulty"] for b in blocks))}
                elif url.path.startswith("/block/") and url.path[7:].isdigit() and int(url.path[7:]) in by_height:
                    body = {**by_height[int(url.path[7:])], "main_chain": True}
                else:
                    r = requests.get(upstream + self.path, timeout=30, allow_redirects=False)
                    self.answer(r.status_code, r.content, r.headers.get("Content-Type", "application/json"))
                    return
                self.answer(200, json.dumps(body).encode(), "application/json")

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def node(start_node):
    return start_node("jobs", difficulty=2, extra_args=("--miners", "0", "--protocol", "3"))


@pytest.fixture
def serve(node):
    proxies = []

    def start(blocks):
        proxies.append(ChainProxy(node.url, blocks))
        return proxies[-1]

    yield start
    for proxy in proxies:
        proxy.close()


def cells_of(table):
    rows = table.find_elements("css selector", "tr")[1:]
    return [[td.text for td in tr.find_elements("css selector", "td")] for tr in rows]


def rows_with(browser, text):
    return [tr for tr in browser.find_elements("css selector", "main tr") if text in tr.text]


def verify_result(browser):
    by_testid(browser, "verify-button").click()
    done = ("valid", "INVALID", "could not", "the chain")
    result = lambda: by_testid(browser, "verify-result")  # noqa: E731
    return wait_for(lambda: result().text.startswith(done) and result(), timeout=60, what="the verification")


@pytest.mark.parametrize("variant", ["settlement wrong", "model not matching its commitment", "settlement missing"])
def test_the_page_refuses_an_invalid_job_chain_at_its_block(browser, serve, variant):
    bad = next(v for v in CASES["won"]["invalid"] if v["name"] == variant)
    proxy = serve(bad["chain"])
    open_page(browser, proxy.url, "#/verify")
    result = verify_result(browser)
    assert result.text.startswith(f"INVALID at block {bad['first_bad_block']}"), result.text
    assert result.get_attribute("data-bad-block") == str(bad["first_bad_block"])
    # the Jobs page shows nothing of an invalid chain
    browser.execute_script("location.hash = '#/jobs'")
    error = wait_for(lambda: browser.find_element("css selector", "main .error").text, timeout=60, what="the refusal")
    assert f"INVALID at block {bad['first_bad_block']}" in error


def test_the_jobs_pages_show_a_settled_job_replayed_in_the_page(browser, serve):
    case = CASES["won"]
    proxy = serve(case["chain"])
    open_page(browser, proxy.url, "#/verify")
    assert verify_result(browser).text.startswith("valid"), "the won chain should replay as valid"
    browser.execute_script("location.hash = '#/jobs'")
    table = wait_for(lambda: by_testid(browser, "job-list"), timeout=60, what="the job list")
    [(job_id, settlement)] = case["jobs_after"].items()
    rows = table.find_elements("css selector", "tr")[1:]
    assert len(rows) == 1 and job_id[:12] in rows[0].text
    cells = [td.text for td in rows[0].find_elements("css selector", "td")]
    assert cells[2] == "settled" and cells[7] == f"won: {settlement['winner']}", cells
    rows[0].find_element("css selector", f'a[href="#/job/{job_id}"]').click()
    board = wait_for(lambda: by_testid(browser, "job-leaderboard"), timeout=60, what="the leaderboard")
    assert by_testid(browser, "job-state").text == "settled"
    ranked = cells_of(board)
    paid = dict(settlement["payouts"])
    # best first; a tie (and every unrevealed commitment) in commitment order
    by_score = sorted(settlement["scores"], key=lambda e: -1 if e[1] is None else e[1], reverse=True)
    assert [r[1] for r in ranked] == [w for w, _ in by_score]
    assert [r[3] for r in ranked] == [str(paid.get(w, 0)) for w, _ in by_score]
    payouts = cells_of(by_testid(browser, "job-payouts"))
    assert payouts == [[a, str(n)] for a, n in settlement["payouts"]]
    assert settlement["winner"] in by_testid(browser, "job-outcome").text
    checks = by_testid(browser, "job-checks").text
    assert "TRANSFER from the requester to the winner" in checks or "sent the winner coins" in checks
    assert "on the network's own 30 public test rows the winner scores" in checks  # a job on the network's flowers
    # the winner's model, as revealed on the chain, predicts in the page as ml/kinds.py does
    model = json.loads(by_testid(browser, "job-winner-model").get_attribute("textContent"))
    reveal = next(t for b in case["chain"] for t in b["transactions"]
                  if t["type"] == "JOB_MODEL" and t["sender"] == settlement["winner"])
    assert model == reveal["data"]["model"]
    job = next(t for b in case["chain"] for t in b["transactions"] if t["id"] == job_id)
    form = by_testid(browser, "job-predict-form")
    for row in ([610, 280, 470, 120], [570, 380, 170, 30], [770, 260, 690, 230]):
        for name, value in zip(job["data"]["features"], row, strict=True):
            field = form.find_element("css selector", f'[name="{name}"]')
            field.clear()
            field.send_keys(str(value))
        form.find_element("css selector", "button").click()
        want = job["data"]["classes"][kinds.predict(model, row)]
        wait_for(lambda: by_testid(browser, "job-prediction").text == want, what=f"the prediction {want}")  # noqa: B023
    # the block pages show the job's transactions: the JOB's bounty and stake, the JOB_SETTLE's payouts
    block_of = {t["id"]: b["index"] for b in case["chain"] for t in b["transactions"]}
    settle_tx = next(t for b in case["chain"] for t in b["transactions"] if t["type"] == "JOB_SETTLE")
    for tx_id, shown in ((job_id, f"bounty {job['amount']}, stake {job['data']['stake']}"),
                         (settle_tx["id"], f"settled: won, winner {settlement['winner']}")):
        browser.execute_script(f"location.hash = '#/block/{block_of[tx_id]}'")
        row = wait_for(lambda key=tx_id[:12]: rows_with(browser, key), what=f"block {block_of[tx_id]}")[0]
        assert shown in row.text, row.text
    payout_text = ", ".join(f"{a} {n}" for a, n in settlement["payouts"])
    assert f"payouts {payout_text}" in row.text
    assert severe_console_messages(browser) == []


def test_an_address_page_lists_its_job_transactions_and_payouts_with_links_to_the_job(browser, serve, tmp_path):
    case = CASES["won"]
    proxy = serve(case["chain"])
    [(job_id, settlement)] = case["jobs_after"].items()
    placed = [(b["index"], t) for b in case["chain"] for t in b["transactions"]]
    settle_height, settle = next((h, t) for h, t in placed if t["type"] == "JOB_SETTLE")
    paid = dict(settlement["payouts"])
    for address, role in (("req", "requester"), (settlement["winner"], "worker")):
        sent = [(str(h), t["id"], t["type"], role, str(t["amount"]), "0") for h, t in placed
                if t["type"] in ("JOB", "JOB_COMMIT", "JOB_TEST", "JOB_MODEL") and t["sender"] == address]
        got = [(str(settle_height), settle["id"], "JOB_SETTLE", "paid", "0", str(paid.get(address)))]
        got = got if address in paid else []
        want = list(reversed(sent + got))  # newest first: the settlement last on the chain
        assert len(want) == (2 if role == "requester" else 3)
        open_page(browser, proxy.url, f"#/address/{address}")
        table = wait_for(lambda: by_testid(browser, "job-tx-list"), timeout=60, what=f"{address}'s job transactions")
        cells = cells_of(table)
        assert [(c[0], c[2], c[4], c[5], c[6]) for c in cells] == [(h, t, r, s, g) for h, _, t, r, s, g in want], cells
        assert [c[1] for c in cells] == [tx_id[:16] + "…" for _, tx_id, *_ in want]
        assert all(c[3] == f"job {job_id[:12]}…" for c in cells)
        rows = _downloaded(browser, tmp_path, "csv-jobs", f"jobs-{address}.csv")
        assert rows[0] == ["block_index", "id", "type", "job_id", "role", "sender", "sent", "received", "timestamp_ms"]
        assert [(r[0], r[1], r[2], r[3], r[4], r[6], r[7]) for r in rows[1:]] == [
            (h, tx_id, ty, job_id, r, s, g) for h, tx_id, ty, r, s, g in want]
        (tmp_path / f"jobs-{address}.csv").unlink()
    # each row links to the job's page
    table.find_element("css selector", f'a[href="#/job/{job_id}"]').click()
    assert wait_for(lambda: by_testid(browser, "job-state").text, timeout=60, what="the job's page") == "settled"
    open_page(browser, proxy.url, "#/address/nobody")
    assert wait_for(lambda: by_testid(browser, "job-tx-empty"), timeout=60, what="no job transactions").text == "none"
    assert severe_console_messages(browser) == []


# -- a job run on a real node, through its public API ------------------------------------------
def canon(value) -> bytes:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def send(node, body: dict) -> dict:
    """POST /transactions: a full unsigned transaction (id = H(canon(body))), then POST /mine."""
    tx = {**body, "id": hashlib.sha256(canon(body)).hexdigest()}
    r = node.post("/transactions", json=tx)
    assert r.status_code == 201, r.text
    return tx


def mine(node, blocks=1):
    for _ in range(blocks):
        assert node.post("/mine").status_code == 200


def user(type_, sender, amount, **extra):
    return {"type": type_, "sender": sender, "recipient": "MODEL", "amount": amount,
            "timestamp_ms": int(time.time() * 1000), **extra}


def reforge(blocks: list[dict], start: int) -> None:
    """Recompute every id, Merkle root and proof of work from block ``start`` on, each block linked to
    its new parent: what a dishonest miner with the hash power to rewrite the tail would serve."""
    for block in blocks[start:]:
        for tx in block["transactions"]:
            tx["id"] = hashlib.sha256(canon({k: v for k, v in tx.items() if k not in ("id", "signature")})).hexdigest()
        txs = [Transaction.from_dict(tx) for tx in block["transactions"]]
        previous = blocks[block["index"] - 1]["hash"]
        draft = Block.assemble(block["index"], block["timestamp_ms"], previous, block["difficulty"], txs, 0)
        nonce = search_below(draft.prefix(), hash_limit(block["difficulty"]))  # v3: a hash at most the target
        block.clear()
        block.update(Block.assemble(draft.index, draft.timestamp_ms, previous, draft.difficulty, txs, nonce).to_dict())


class SettleTamperer(ChainProxy):
    """A proxy serving the node's chain with its JOB_SETTLE's payouts swapped and the blocks from there
    on re-mined: every id, root, link and proof of work is right; only the settlement is not."""

    def __init__(self, node) -> None:
        blocks = node.get("/chain").json()["chain"]
        for block in blocks:
            for tx in block["transactions"]:
                if tx["type"] == "JOB_SETTLE":
                    self.bad = block["index"]
                    payouts = tx["data"]["payouts"]
                    tx["data"]["payouts"] = [[a, n] for (a, _), (_, n) in zip(payouts, reversed(payouts), strict=True)]
        reforge(blocks, self.bad)
        super().__init__(node.url, blocks)


REQUESTS = "return performance.getEntriesByType('resource').map((e) => new URL(e.name).pathname)"


def test_the_jobs_page_opened_during_the_address_pages_replay_waits_for_it_instead_of_a_second(browser, serve):
    """The address page's Jobs link followed while the address page is still replaying the chain:
    the Jobs page shows that one replay's jobs; the page downloads the base data and the chain once."""
    case = CASES["won"]
    [(job_id, _)] = case["jobs_after"].items()
    gated = GatedProxy(serve(case["chain"]).url)
    try:
        gated.hold("/model/base")   # the address page's replay waits here, under way
        open_page(browser, gated.url, "#/address/req")
        gated.wait_held()
        tips = browser.execute_script(REQUESTS).count("/tip")
        browser.find_element("css selector", 'a[href="#/jobs?address=req"]').click()
        wait_for(lambda: "Replaying the chain" in browser.find_element("id", "view").text, what="the jobs page")
        # two more answers to GET /tip (the status bar polls it every second): a /tip the Jobs page
        # would ask for a replay of its own has been answered too, before the address page's ends
        wait_for(lambda: browser.execute_script(REQUESTS).count("/tip") >= tips + 2, what="two polls of /tip")
        gated.release()
        table = wait_for(lambda: by_testid(browser, "job-list"), timeout=60, what="the jobs of req")
        assert f'href="#/job/{job_id}"' in table.get_attribute("innerHTML")
        paths = browser.execute_script(REQUESTS)
        assert paths.count("/model/base") == 1 and paths.count("/chain") == 1, paths
        assert severe_console_messages(browser) == []
    finally:
        gated.close()


def test_a_job_settled_by_a_node_is_shown_and_a_tampered_settlement_refused(browser, node):
    mine(node, 4)
    me = node.get("/health").json()["address"]
    for worker in ("ann", "bob"):
        assert node.post("/transactions/new", json={"sender": me, "recipient": worker, "amount": 1}).status_code == 201
    mine(node)
    rows, labels, test_salt = [[1, 0], [0, 1], [2, 1]], [0, 1, 0], "5a17" * 16
    perfect = {"kind": "linear", "weights": [[1, 0], [0, 1]], "bias": [0, 0]}
    ones = {"kind": "linear", "weights": [[0, 0], [0, 0]], "bias": [0, 1]}
    data = {"kind": "linear", "train": {"artifact": "ab" * 32}, "features": ["x", "y"], "classes": ["no", "yes"],
            "test_commitment": kinds.test_commitment(rows, labels, test_salt), "test_rows": 3, "stake": 1,
            "max_commits": 4, "commit_blocks": 1, "test_blocks": 1, "model_blocks": 2}
    job = send(node, user("JOB", me, 3, data=data))
    mine(node)
    salts = {"ann": "a1" * 32, "bob": "b2" * 32}
    models = {"ann": perfect, "bob": ones}
    for worker in ("bob", "ann"):
        commitment = kinds.model_commitment(models[worker], salts[worker], worker)
        send(node, user("JOB_COMMIT", worker, 1, job_id=job["id"], model_commitment=commitment))
    mine(node)
    send(node, user("JOB_TEST", me, 0, job_id=job["id"], data={"rows": rows, "labels": labels, "salt": test_salt}))
    mine(node)
    for worker in ("ann", "bob"):
        reveal = {"model": models[worker], "salt": salts[worker]}
        send(node, user("JOB_MODEL", worker, 0, job_id=job["id"], data=reveal))
    mine(node)
    open_page(browser, node.url, f"#/job/{job['id']}")
    assert wait_for(lambda: by_testid(browser, "job-state").text, timeout=60, what="the job's page") == "model"
    commits = [(b["index"], pos, t) for b in node.get("/chain").json()["chain"]
               for pos, t in enumerate(b["transactions"]) if t["type"] == "JOB_COMMIT"]
    assert cells_of(by_testid(browser, "job-commitments")) == [
        [t["sender"], str(h), str(pos), t["model_commitment"][:16] + "…", "yes"] for h, pos, t in commits]
    mine(node, 2)  # the model window's last block, then the settlement: the open page follows, without a reload
    settle = [t for b in node.get("/chain").json()["chain"] for t in b["transactions"] if t["type"] == "JOB_SETTLE"]
    assert len(settle) == 1 and settle[0]["data"]["winner"] == "ann"  # 3 of 3 against bob's 1 of 3
    assert node.get("/balance/ann").json()["balance"] == 1 - 1 + 1 + 3
    wait_for(lambda: by_testid(browser, "job-leaderboard"), timeout=60, what="the leaderboard, after the settlement")
    assert by_testid(browser, "job-state").text == "settled"
    assert cells_of(by_testid(browser, "job-payouts")) == [[a, str(n)] for a, n in settle[0]["data"]["payouts"]]
    # an address page leads to the jobs of that address, with its roles
    open_page(browser, node.url, "#/address/ann")
    wait_for(lambda: browser.find_element("css selector", 'a[href="#/jobs?address=ann"]'), what="the jobs link").click()
    listed = wait_for(lambda: cells_of(by_testid(browser, "job-list")), timeout=60, what="ann's jobs")
    assert len(listed) == 1 and listed[0][0] == f"job {job['id'][:12]}…" and listed[0][-1] == "worker, paid", listed
    assert severe_console_messages(browser) == []

    proxy = SettleTamperer(node)
    try:
        open_page(browser, proxy.url, "#/verify")
        result = verify_result(browser)
        assert result.text.startswith(f"INVALID at block {proxy.bad}, transaction "), result.text
        assert "must be this chain's settlement" in result.text
    finally:
        proxy.close()
