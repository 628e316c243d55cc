"""A wallet for people: keys, signed transfers and flower data, balances, against any node."""
from .node import ApiError, Node, NodeError

__all__ = ["ApiError", "Node", "NodeError"]
