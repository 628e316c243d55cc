"""A wallet for people and a library for programs: keys, signed transfers and flower data,
balances, typed answers (``client.models``), against any node."""
from . import models
from .jobs import Sealed, TestSet
from .local import LocalNetwork, NodeProcess
from .node import ApiError, Node, NodeError

__all__ = ["ApiError", "LocalNetwork", "Node", "NodeError", "NodeProcess", "Sealed", "TestSet", "models"]
