"""Issue 20 item 1 in a real browser: a block of a side branch is labelled as such."""
import pytest

from blockchain.transactions import reward
from tests.api.test_side_blocks import _mine
from tests.web.test_dashboard import open_page, severe_console_messages, wait_for

pytestmark = pytest.mark.network


def test_the_block_page_labels_a_side_branch_block(browser, start_node):
    node = start_node("side", difficulty=1, extra_args=("--miners", "0"))
    genesis = node.get("/block/0").json()
    for _ in range(2):
        node.post("/mine")
    side = _mine(1, genesis["hash"], genesis["timestamp_ms"] + 1, [reward("m", 1)])
    assert node.post("/blocks", json=side).status_code == 409
    open_page(browser, node.url, f"#/block/{side['hash']}")
    heading = wait_for(lambda: browser.find_element("css selector", "main h1").text, what="the block page")
    assert heading == "Side-branch block 1"
    assert "Not on this node's main chain" in browser.find_element("id", "side-branch").text
    open_page(browser, node.url, "#/block/1")
    wait_for(lambda: browser.find_element("css selector", "main h1").text == "Block 1", what="the main block")
    assert not browser.find_elements("id", "side-branch")
    assert severe_console_messages(browser) == []
