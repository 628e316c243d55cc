"""A wallet for people: keys, signed transfers and flower data, balances, against any node."""
from .local import LocalNetwork, NodeProcess
from .node import ApiError, Node, NodeError

__all__ = ["ApiError", "LocalNetwork", "Node", "NodeError", "NodeProcess"]
