"""Every exception the node layer defines sits under one root (api/errors.py), as blockchain's and
ml's do, so that a caller can catch "any failure of the node layer" and every failure has a code."""
import importlib
import pkgutil

import pytest

import api
from api.errors import NodeError, PeerFailure


def api_modules():
    for info in pkgutil.walk_packages(api.__path__, "api."):
        yield importlib.import_module(info.name)


def defined_exceptions():
    """(module, class) for every exception class a module of ``api`` defines at its top level."""
    for module in api_modules():
        for value in vars(module).values():
            if isinstance(value, type) and issubclass(value, BaseException) and value.__module__ == module.__name__:
                yield module.__name__, value


def test_every_exception_of_the_api_package_is_under_the_root():
    found = list(defined_exceptions())
    assert len(found) >= 7, found   # the tree of api/errors.py, at least
    outside = [f"{name}.{cls.__name__}" for name, cls in found if not issubclass(cls, NodeError)]
    assert not outside, f"exceptions outside api.errors.NodeError: {outside}"


def test_every_class_of_the_tree_has_its_own_code():
    codes = {cls.__name__: cls.code for _, cls in defined_exceptions() if cls is not NodeError}
    codes.pop("ApiError")   # an ApiError carries the code of the answer it is
    assert NodeError.code not in codes.values(), codes
    assert len(set(codes.values())) == len(codes), codes


@pytest.mark.parametrize("module,name,also", [
    ("api.peers", "PeerError", PeerFailure),
    ("api.headers_sync", "Misbehaved", PeerFailure),
    ("api.peer_urls", "PeerURLError", ValueError),
    ("api.rounds", "ResolveBusy", NodeError),
    ("api.server", "PortInUse", OSError),
])
def test_the_names_stay_importable_where_they_are_raised(module, name, also):
    cls = getattr(importlib.import_module(module), name)
    assert cls is getattr(importlib.import_module("api.errors"), name)
    assert issubclass(cls, also)
    assert str(cls("what was wrong")) == "what was wrong"
