"""client.Node against a real node process: results, paging through next, API errors."""
import pytest

from client import ApiError, Node


@pytest.fixture
def node(start_node):
    return Node(start_node("client", difficulty=1).url, timeout=20)


def test_mining_and_paging_through_the_chain(node):
    node.mine()
    node.mine()
    assert node.health().height == 2
    assert [b.index for b in node.iter_chain()] == [0, 1, 2]
    assert list(node.iter_pending()) == []


def test_an_unknown_block_is_an_api_error_with_its_code(node):
    with pytest.raises(ApiError) as caught:
        node.call("GET", "/block/999")
    assert (caught.value.status, caught.value.code) == (404, "unknown_block")
