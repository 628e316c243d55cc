"""DESIGN.md, "The house": what may import what, and no pickle-like loading outside tests."""
import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
FORBIDDEN = {
    "blockchain": {"flask", "werkzeug", "requests", "sklearn", "numpy", "scipy", "ml", "api", "pydantic", "app"},
    "ml": {"blockchain", "api", "flask", "werkzeug", "requests", "app"},
    "api": {"app"},
}
PICKLE_LIKE = {"pickle", "cPickle", "_pickle", "joblib", "dill", "cloudpickle", "shelve", "marshal"}


def imported_modules(path: Path):
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name.split(".")[0]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            yield node.lineno, node.module.split(".")[0]
        elif isinstance(node, ast.Call) and getattr(node.func, "attr", getattr(node.func, "id", "")) in (
                "import_module", "__import__") and node.args and isinstance(node.args[0], ast.Constant):
            yield node.lineno, str(node.args[0].value).split(".")[0]


def project_files():
    for path in sorted(ROOT.rglob("*.py")):
        rel = path.relative_to(ROOT)
        if rel.parts[0] in (".venv", "node_modules") or "site-packages" in rel.parts:
            continue
        yield rel


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_packages_import_only_what_the_house_allows(package):
    bad = [f"{rel}:{line} imports {mod}" for rel in project_files() if rel.parts[0] == package
           for line, mod in imported_modules(ROOT / rel) if mod in FORBIDDEN[package]]
    assert not bad, "\n".join(bad)


def test_app_imports_only_api_of_the_project():
    project = {"blockchain", "ml", "api", "tests", "bench", "client", "experiments"}
    mods = {mod for _, mod in imported_modules(ROOT / "app.py")} & project
    assert mods == {"api"}


def test_nothing_imports_app():
    bad = [str(rel) for rel in project_files() if rel.name != "app.py"
           for _, mod in imported_modules(ROOT / rel) if mod == "app"]
    assert not bad


def test_no_pickle_like_modules_outside_tests():
    bad = [f"{rel}:{line} imports {mod}" for rel in project_files() if rel.parts[0] != "tests"
           for line, mod in imported_modules(ROOT / rel) if mod in PICKLE_LIKE]
    assert not bad, "\n".join(bad)


def test_the_check_itself_catches_a_forbidden_import(tmp_path):
    sample = tmp_path / "x.py"
    sample.write_text("import os\nfrom sklearn.neighbors import KNeighborsClassifier\nimport pickle\n"
                      "import importlib\nimportlib.import_module('flask.app')\n__import__('numpy')\n")
    assert sorted(m for _, m in imported_modules(sample)) == sorted(
        ["os", "sklearn", "pickle", "importlib", "flask", "numpy"])
