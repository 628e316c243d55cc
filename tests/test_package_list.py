"""Every Python package of the product is in pyproject.toml's package list, so that `pip install .`
ships it (a subpackage left out installs, then fails at import: tests/test_package.py would find it
only by building a venv)."""
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PRODUCT = ("api", "blockchain", "ml", "client")


def test_every_product_package_is_listed():
    listed = set(tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"])
    found = {".".join(init.parent.relative_to(ROOT).parts)
             for top in PRODUCT for init in (ROOT / top).rglob("__init__.py")}
    assert found, "no packages found: the walk is wrong"
    assert found - listed == set(), f"add these to [tool.setuptools] packages: {sorted(found - listed)}"
