"""Pages of other sites against a real node, in a real browser (headless Chromium): cross-site
mining (<img>, a text/plain form, a no-cors fetch), DNS rebinding (a name that resolves to the
node), framing; and the confirmation before the demo wallet's key is forgotten. Chromium resolves
evil.test, rebind.test and node.lan to 127.0.0.1 (--host-resolver-rules); the attacker's pages come
from a second HTTP server on another port."""
import json
import re
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from tests.helpers.browser import chromium
from tests.web.test_dashboard import by_testid, open_page, wait_for

pytestmark = pytest.mark.network
D = 2
RULES = "--host-resolver-rules=MAP evil.test 127.0.0.1, MAP rebind.test 127.0.0.1, MAP node.lan 127.0.0.1"


@pytest.fixture
def browser(tmp_path):
    driver = chromium(tmp_path / "profile", console_log=True, extra_flags=(RULES, "--no-proxy-server"))
    try:
        yield driver
    finally:
        driver.quit()


class Attacker:
    """Serves ``pages`` (path -> HTML) from 127.0.0.1 on a port of its own."""

    def __init__(self):
        self.pages: dict[str, str] = {}
        pages = self.pages

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_GET(self):
                body = pages.get(self.path.split("?")[0], "not here").encode()
                self.send_response(200 if self.path.split("?")[0] in pages else 404)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def attacker():
    server = Attacker()
    try:
        yield server
    finally:
        server.close()


@pytest.fixture
def node(start_node):
    return start_node("target", difficulty=D, extra_args=("--miners", "0", "--allow-host", "node.lan"))


def height(node):
    return node.get("/health").json()["height"]


def refusals(node, method, path, code):
    return len(re.findall(rf"refused {method} {re.escape(path)}: \d+ {code}:", node.log()))


def all_sent(browser):
    if browser.title != "fetch,form,img":
        raise AssertionError(f"the page's title is {browser.title!r}")
    return True


MINING_PAGE = """<!doctype html><html><head>{meta}<title>working</title></head><body>
<iframe name="sink" id="sink"></iframe>
<form id="f" method="POST" action="{target}/mine" enctype="text/plain" target="sink"><input name="a" value="b"></form>
<script>
const seen = new Set();
let submitted = false;
function done(what) {{ seen.add(what); document.title = [...seen].sort().join(","); }}
const img = document.createElement("img");
img.onload = img.onerror = () => done("img");
{img_policy}
img.src = "{target}/mine";
document.body.appendChild(img);
document.getElementById("sink").onload = () => {{ if (submitted) done("form"); }};
fetch("{target}/mine", {{ method: "POST", mode: "no-cors", body: "x" }}).then(() => done("fetch"), () => done("fetch"));
submitted = true;
document.getElementById("f").submit();
</script></body></html>"""


@pytest.mark.parametrize("site", ["evil.test", "127.0.0.1"])  # another site; the same site on another port
def test_a_page_of_another_site_mines_nothing(browser, node, attacker, site):
    attacker.pages["/"] = MINING_PAGE.format(target=node.url, meta="", img_policy="")
    browser.get(f"http://{site}:{attacker.port}/")
    wait_for(lambda: all_sent(browser), what="the page's three requests")
    wait_for(lambda: refusals(node, "GET", "/mine", "cross_site_request") == 1
             and refusals(node, "POST", "/mine", "cross_site_request") == 2, what="the node's refusals")
    assert height(node) == 0
    # from the address bar, and from curl, /mine still mines
    browser.get(node.url + "/mine")
    assert json.loads(browser.find_element("tag name", "body").text)["message"] == "New block forged"
    assert node.post("/mine").status_code == 200 and node.get("/mine").status_code == 200
    assert height(node) == 3


def test_the_documented_limit_a_plain_http_name_and_no_referrer(browser, node, attacker):
    """docs/browsers.md: Chromium sends no Sec-Fetch-* headers to a plain-http
    address that is not loopback, and a page can drop its Referer, so a GET /mine by <img> looks
    like curl's and mines. POSTs still carry an Origin ("null" without a referrer): refused."""
    attacker.pages["/"] = MINING_PAGE.format(target=f"http://node.lan:{node.port}",
                                             meta='<meta name="referrer" content="no-referrer">',
                                             img_policy='img.referrerPolicy = "no-referrer";')
    browser.get(f"http://evil.test:{attacker.port}/")
    wait_for(lambda: all_sent(browser), what="the page's three requests")
    wait_for(lambda: refusals(node, "POST", "/mine", "cross_site_request") == 2, what="the POSTs refused")
    assert height(node) == 1  # the <img>: the limit
    assert refusals(node, "GET", "/mine", "cross_site_request") == 0


def test_a_rebound_name_gets_421_and_registers_no_peer(browser, node, start_node):
    browser.get(f"http://rebind.test:{node.port}/")
    assert "host_not_allowed" in browser.find_element("tag name", "body").text
    # the rebinding page's script: same origin as far as the browser knows
    status = browser.execute_async_script("""
        const done = arguments[arguments.length - 1];
        fetch("/nodes/register", { method: "POST", headers: { "Content-Type": "application/json" },
                                   body: JSON.stringify({ nodes: ["http://127.0.0.1:9"] }) })
          .then((r) => done(r.status), (e) => done(String(e)));""")
    assert status == 421
    assert node.get("/nodes").json()["nodes"] == []
    # a name given with --allow-host is served: the dashboard works under it
    named = start_node("named", difficulty=D, extra_args=("--miners", "0", "--allow-host", "rebind.test"))
    open_page(browser, f"http://rebind.test:{named.port}")
    assert by_testid(browser, "height").text == "0"


def test_no_other_site_can_frame_the_dashboard(browser, node, attacker):
    attacker.pages["/"] = (f'<!doctype html><title>frame</title>'
                           f'<iframe id="fr" src="{node.url}/#/contribute" width="800" height="600"></iframe>')
    browser.get(f"http://evil.test:{attacker.port}/")

    def refused():
        return [e["message"] for e in browser.get_log("browser")
                if "frame-ancestors" in e["message"] or "X-Frame-Options" in e["message"]]
    assert wait_for(refused, what="Chromium refusing the frame")
    browser.switch_to.frame("fr")
    assert browser.find_elements("css selector", '[data-testid="height"]') == []
    assert browser.find_elements("css selector", "#mine") == []


def test_forgetting_the_wallet_key_asks_first(browser, node):
    open_page(browser, node.url, "#/contribute")
    wait_for(lambda: by_testid(browser, "new-wallet"), what="the wallet button").click()
    address = wait_for(lambda: by_testid(browser, "wallet-address").text, what="the new address")
    stored = lambda: browser.execute_script('return localStorage.getItem("iris-chain-demo-wallet")')  # noqa: E731
    assert stored()
    browser.find_element("id", "forget-wallet").click()
    alert = wait_for(lambda: browser.switch_to.alert, what="the confirmation")
    assert address in alert.text and "cannot be spent" in alert.text
    alert.dismiss()
    assert by_testid(browser, "wallet-address").text == address and stored()
    browser.find_element("id", "forget-wallet").click()
    wait_for(lambda: browser.switch_to.alert, what="the confirmation").accept()
    wait_for(lambda: by_testid(browser, "new-wallet"), what="the wallet gone")
    assert stored() is None
