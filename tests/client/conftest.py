import pytest

from tests.helpers.nodes import NodeProcess


@pytest.fixture
def start_node(tmp_path):
    """Start real nodes; every one is stopped when the test ends, pass or fail."""
    started = []

    def start(name="node", **kwargs):
        node = NodeProcess(tmp_path, name, **kwargs)
        started.append(node)
        return node.start()

    yield start
    for node in started:
        node.stop()
