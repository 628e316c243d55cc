"""Issue 25's explorer expectations in a real browser: a loading state on every view, the overview
at a glance, the "replayed in your browser" mark, CSV downloads and phone width."""
import pytest

from tests.web.proxy import GatedProxy
from tests.web.test_dashboard import FLOWER, D, by_testid, severe_console_messages, wait_for

pytestmark = pytest.mark.network


@pytest.fixture
def node(start_node):
    return start_node("explorer", difficulty=D, extra_args=("--miners", "0", "--protocol", "3"))


@pytest.fixture
def proxy(node):
    p = GatedProxy(node.url)
    yield p
    p.close()


def main_heading(browser):
    return [h.text for h in browser.find_elements("css selector", "main h1")]


def test_every_view_shows_a_loading_state_until_its_data_arrives(browser, node, proxy):
    flower = node.post("/flower/add", json={"sender": "ann", **FLOWER}).json()["transaction_id"]
    node.post("/mine")
    views = [("", ("/model/info",), "Overview"), ("#/blocks", ("/chain",), "Blocks"),
             ("#/block/1", ("/block/",), "Block 1"),
             (f"#/tx/{flower}", ("/proof/",), "Transaction"), ("#/address/ann", ("/balance/",), "Address"),
             (f"#/judgement/{flower}", ("/flower/",), "Judgement"), ("#/model", ("/model/history",), "Model"),
             ("#/network", ("/nodes",), "Network")]
    for i, (hash_, gate, heading) in enumerate(views):
        proxy.hold(*gate)
        if i == 0:  # a fresh page load first, then the others as a user clicks: by changing the hash
            browser.get(proxy.url + "/" + hash_)
        else:
            browser.execute_script("location.hash = arguments[0]", hash_)
        proxy.wait_held()
        spinner = wait_for(lambda: [e for e in browser.find_elements("css selector", 'main [data-testid="loading"]')
                                    if e.is_displayed()], what=f"the loading state of {heading}")
        assert spinner[0].text == "Loading…" and spinner[0].get_attribute("role") == "status"
        assert main_heading(browser) == [], heading  # nothing of the page yet, and not a blank one either
        proxy.release()
        wait_for(lambda: main_heading(browser) == [heading], what=f"the {heading} page")  # noqa: B023
        wait_for(lambda: not browser.find_elements("css selector", 'main [data-testid="loading"]'),
                 what=f"the loading state of {heading} to go")
    assert by_testid(browser, "height").text == "1"
    assert severe_console_messages(browser) == []


def test_the_overview_shows_the_network_at_a_glance(browser, node, start_node):
    peer = start_node("peer", difficulty=D, extra_args=("--miners", "0", "--protocol", "3"))
    assert node.post("/nodes/register", json={"nodes": [peer.url]}).status_code in (200, 201)

    def peer_state():
        return next((n["state"] for n in node.get("/nodes").json()["nodes"] if n["url"] == peer.url), None)

    wait_for(lambda: peer_state() == "ok", what="the node's first poll of the peer")
    for i in range(3):
        node.post("/flower/add", json={"sender": f"g{i}", **FLOWER})
        node.post("/mine")
    node.post("/flower/add", json={"sender": "waiting", **FLOWER})
    browser.get(node.url + "/")
    strip = wait_for(lambda: by_testid(browser, "block-strip").find_elements("css selector", "a.block-card"),
                     what="the block strip")
    assert [int(a.get_attribute("data-height")) for a in strip] == [3, 2, 1, 0]
    assert by_testid(browser, "pending-pool").get_attribute("data-count") == "1"
    assert "waiting" in by_testid(browser, "pending-pool").text
    headers = [node.get("/block/0").json()] + node.get("/headers?limit=2000").json()["headers"]
    value = by_testid(browser, "glance-difficulty").find_element("css selector", "[data-value]")
    assert int(value.get_attribute("data-value")) == headers[-1]["difficulty"]
    times = [h["timestamp_ms"] for h in headers[1:]]
    gaps = sorted(b - a for a, b in zip(times[:-1], times[1:], strict=True))
    ms = by_testid(browser, "glance-block-time").find_element("css selector", "[data-ms]").get_attribute("data-ms")
    assert float(ms) == (gaps[0] + gaps[1]) / 2  # the median of two intervals
    wait_for(lambda: peer.url in by_testid(browser, "peer-list").text, what="the peer")
    row = next(r for r in by_testid(browser, "peer-list").find_elements("css selector", "tr") if peer.url in r.text)
    assert row.find_element("css selector", "td.state-ok").text == "ok" == peer_state()  # its state, as /nodes says
    count = "const c = Chart.getChart(arguments[0]); return c && c.data.datasets[0].data.map((p) => [p.x, p.y]);"
    acc = browser.execute_script(count, by_testid(browser, "overview-accuracy-chart"))
    history = node.get("/model/history").json()["history"]
    assert acc == [[r["block_index"], r["accuracy"]] for r in history]
    diff = browser.execute_script(count, by_testid(browser, "difficulty-chart"))
    assert diff == [[h["index"], h["difficulty"]] for h in headers]
    # v3's difficulty (hashes a block) spans orders of magnitude: a log scale; the accuracy stays linear 0..1
    y_axis = "const y = Chart.getChart(arguments[0]).scales.y; return [y.type, y.min, y.max];"
    assert browser.execute_script(y_axis, by_testid(browser, "difficulty-chart"))[0] == "logarithmic"
    assert browser.execute_script(y_axis, by_testid(browser, "overview-accuracy-chart")) == ["linear", 0, 1]
    node.post("/mine")  # the open page follows: a new block in the strip and in the chart, an empty pool
    wait_for(lambda: by_testid(browser, "block-strip").find_elements("css selector", 'a[data-height="4"]'),
             what="block 4 in the strip")
    wait_for(lambda: by_testid(browser, "pending-pool").get_attribute("data-count") == "0", what="the empty pool")
    assert len(browser.execute_script(count, by_testid(browser, "difficulty-chart"))) == 5
    assert severe_console_messages(browser) == []


def test_every_page_fits_a_phone_width_of_390_px(browser, node, tmp_path):
    flower = node.post("/flower/add", json={"sender": "ann", **FLOWER}).json()["transaction_id"]
    node.post("/mine")
    browser.set_window_size(390, 844)
    width = browser.execute_script("return window.innerWidth")
    assert width <= 390
    pages = ["", "#/blocks", "#/block/1", f"#/tx/{flower}", "#/address/ann", f"#/judgement/{flower}", "#/model",
             "#/contribute", "#/network", "#/verify"]
    for page in pages:
        browser.get(node.url + "/" + page)
        wait_for(lambda: main_heading(browser) and not browser.find_elements(  # noqa: B023
            "css selector", 'main [data-testid="loading"]'), what=f"the page {page!r}")
        sizes = browser.execute_script(
            "const e = document.documentElement; return [e.scrollWidth, e.clientWidth];")
        name = (page.strip("#/").split("/")[0] or "overview")
        browser.save_screenshot(str(tmp_path / f"phone-{name}.png"))
        assert sizes[0] <= sizes[1], f"{page!r} scrolls sideways at {width} px: {sizes}"
        assert (tmp_path / f"phone-{name}.png").stat().st_size > 0
    assert severe_console_messages(browser) == []


def _downloaded(browser, folder, button, name):
    browser.execute_cdp_cmd("Browser.setDownloadBehavior", {"behavior": "allow", "downloadPath": str(folder)})
    wait_for(lambda: by_testid(browser, button), what=f"the {button} button").click()
    path = folder / name
    wait_for(lambda: path.exists() and path.stat().st_size > 0, what=f"{name} downloaded")
    import csv
    return list(csv.reader(path.read_text(encoding="utf-8").splitlines()))


def test_csv_downloads_of_an_address_history_its_contributions_and_the_model_history(browser, node, tmp_path):
    node.post("/mine")
    miner = node.get("/health").json()["address"]
    for i in range(2):
        node.post("/flower/add", json={"sender": miner, **FLOWER, "sepal_length": 6.0 + i / 10})
    assert node.post("/transactions/new", json={"sender": miner, "recipient": "ann", "amount": 1}).status_code == 201
    node.post("/mine")
    browser.get(node.url + f"/#/address/{miner}")
    rows = _downloaded(browser, tmp_path, "csv-transfers", f"transfers-{miner[:40]}.csv")
    transfers = node.get(f"/transfers?address={miner}").json()["transfers"]
    assert rows[0][:6] == ["block_index", "id", "type", "sender", "recipient", "amount"]
    assert [r[1] for r in rows[1:]] == [t["id"] for t in transfers] and len(transfers) >= 1
    assert rows[1][4] == transfers[0]["recipient"] and rows[1][5] == str(transfers[0]["amount"])
    rows = _downloaded(browser, tmp_path, "csv-contributions", f"contributions-{miner[:40]}.csv")
    contributions = node.get(f"/contributions?sender={miner}").json()["contributions"]
    assert rows[0][:4] == ["flower_id", "block_index", "row", "sepal_length"]
    assert [(r[0], r[3]) for r in rows[1:]] == [(c["flower_id"], c["data"]["sepal_length"]) for c in contributions]
    assert len(contributions) == 2
    browser.execute_script("location.hash = '#/model'")
    rows = _downloaded(browser, tmp_path, "csv-history", "model-history.csv")
    history = node.get("/model/history").json()["history"]
    assert rows[0] == ["block_index", "timestamp_ms", "data_points_trained", "model_hash", "test_correct",
                       "test_rows", "accuracy"]
    assert [(int(r[0]), r[3], float(r[6])) for r in rows[1:]] == [
        (h["block_index"], h["model_hash"], h["accuracy"]) for h in history]
    assert severe_console_messages(browser) == []


def test_blocks_replayed_by_the_page_carry_a_mark_and_new_ones_do_not(browser, node):
    for i in range(2):
        node.post("/flower/add", json={"sender": f"r{i}", **FLOWER})
        node.post("/mine")
    browser.get(node.url + "/#/blocks")
    rows = wait_for(lambda: by_testid(browser, "block-list").find_elements("css selector", "tr[data-height]"),
                    what="the block list")
    assert len(rows) == 3 and not browser.find_elements("css selector", '[data-testid="replayed"]')
    browser.execute_script("location.hash = '#/verify'")
    wait_for(lambda: by_testid(browser, "verify-button"), what="the verify page").click()
    wait_for(lambda: by_testid(browser, "verify-result").text.startswith("valid"), timeout=60, what="the replay")
    browser.execute_script("location.hash = '#/blocks'")  # the same page: no reload
    rows = wait_for(lambda: by_testid(browser, "block-list").find_elements("css selector", "tr[data-height]"),
                    what="the block list")
    assert all(r.find_elements("css selector", '[data-testid="replayed"]') for r in rows) and len(rows) == 3
    node.post("/mine")  # a block the page has not replayed
    new = wait_for(lambda: browser.find_elements("css selector", '[data-testid="block-list"] tr[data-height="3"]'),
                   what="block 3")
    assert not new[0].find_elements("css selector", '[data-testid="replayed"]')
    assert len(browser.find_elements("css selector", '[data-testid="block-list"] [data-testid="replayed"]')) == 3
    browser.execute_script("location.hash = '#/'")
    strip = wait_for(lambda: by_testid(browser, "block-strip").find_elements("css selector", "a.block-card"),
                     what="the strip")
    mark = '[data-testid="replayed"]'
    marked = [a.get_attribute("data-height") for a in strip if a.find_elements("css selector", mark)]
    assert marked == ["2", "1", "0"]
    assert severe_console_messages(browser) == []
