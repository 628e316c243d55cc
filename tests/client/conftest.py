"""The client's tests start real nodes with the same fixture as the multi-node tests."""
from tests.network.conftest import start_node  # noqa: F401 - the fixture, shared rather than copied
