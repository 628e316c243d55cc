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
