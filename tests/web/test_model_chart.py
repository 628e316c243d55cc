"""The model page's accuracy chart has a numeric x axis: a model change at block 3 after one at
block 1 sits twice as far from it as block 1 from block 0 (a category axis spaces them evenly)."""
import pytest

from tests.web.test_dashboard import by_testid, open_page, wait_for

pytestmark = pytest.mark.network
FLOWER = {"sepal_length": 6.1, "sepal_width": 2.8, "petal_length": 4.7, "petal_width": 1.2, "flower_type": "versicolor"}


@pytest.fixture
def node(start_node):
    return start_node("chart", difficulty=1, extra_args=("--miners", "0"))


def test_the_accuracy_chart_places_blocks_at_their_heights(browser, node):
    height = node.get("/health").json()["height"]
    node.post("/flower/add", json={"sender": "c1", **FLOWER})
    node.post("/mine")
    node.post("/mine")  # no flower: no model change at this height
    node.post("/flower/add", json={"sender": "c2", **FLOWER})
    node.post("/mine")
    history = node.get("/model/history", params={"limit": 1000}).json()["history"]
    blocks = [h["block_index"] for h in history][-3:]
    assert blocks[1:] == [height + 1, height + 3]
    open_page(browser, node.url, "#/model")
    canvas = wait_for(lambda: by_testid(browser, "accuracy-chart"), what="the chart")
    found = wait_for(lambda: browser.execute_script(
        "const c = Chart.getChart(arguments[0]); if (!c || !c.data.datasets[0].data.length) return null;"
        "return {type: c.scales.x.type, xs: c.data.datasets[0].data.map((p) => p.x),"
        "        px: arguments[1].map((b) => c.scales.x.getPixelForValue(b))};", canvas, blocks), what="the points")
    assert found["type"] == "linear"
    assert found["xs"][-3:] == blocks
    left, middle, right = found["px"]
    gaps = (middle - left) / (blocks[1] - blocks[0]), (right - middle) / (blocks[2] - blocks[1])
    assert gaps[0] > 0 and abs(gaps[0] - gaps[1]) < 0.01 * gaps[0], found  # pixels per block the same
