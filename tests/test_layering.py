"""DESIGN.md, "The house": what may import what, and no pickle-like loading outside tests."""
import ast
import sys
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


# -- import cycles --------------------------------------------------------------------------------
# Known cycles, each a set of modules that import one another (a strongly connected component of
# the import graph). A new cycle, or a known one that grows, fails the test; one that is gone must
# be removed from here (the test says so), so that it cannot come back unnoticed.
KNOWN_CYCLES: list[frozenset[str]] = []


def module_name(rel: Path) -> str:
    parts = list(rel.with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def import_graph() -> dict[str, set[str]]:
    """Module -> the project modules it imports (anywhere in its body, functions included: an import
    inside a function still ties the two modules together). ``from package import name`` counts as an
    import of ``package.name`` when that is a module, else of ``package``."""
    modules = {module_name(rel): rel for rel in project_files()}
    graph: dict[str, set[str]] = {name: set() for name in modules}
    for name, rel in modules.items():
        package = name if rel.name == "__init__.py" else name.rpartition(".")[0]
        tree = ast.parse((ROOT / rel).read_text(encoding="utf-8"), filename=str(rel))
        for node in ast.walk(tree):
            targets: list[str] = []
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    anchor = package.split(".")[:len(package.split(".")) - node.level + 1] if package else []
                    base = ".".join([*anchor, *([base] if base else [])])
                targets = [f"{base}.{alias.name}" if f"{base}.{alias.name}" in modules else base
                           for alias in node.names]
            for target in targets:
                while target and target not in modules:   # a name inside a module: the module
                    target = target.rpartition(".")[0]
                if target and target != name:
                    graph[name].add(target)
    return graph


def cycles(graph: dict[str, set[str]]) -> list[frozenset[str]]:
    """The strongly connected components of more than one module (Tarjan's algorithm, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[frozenset[str]] = []
    for root in sorted(graph):
        if root in index:
            continue
        work = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            node, edges = work[-1]
            step = next(edges, None)
            if step is not None:
                if step not in index:
                    index[step] = low[step] = len(index)
                    stack.append(step)
                    on_stack.add(step)
                    work.append((step, iter(sorted(graph[step]))))
                elif step in on_stack:
                    low[node] = min(low[node], index[step])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = set()
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.add(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(frozenset(component))
    return found


def test_no_import_cycle_but_the_known_ones():
    found = cycles(import_graph())
    new = [sorted(c) for c in found if c not in KNOWN_CYCLES]
    gone = [sorted(c) for c in KNOWN_CYCLES if c not in found]
    assert not new, f"import cycles (modules that import one another): {new}"
    assert not gone, f"these cycles are gone: remove them from KNOWN_CYCLES in tests/test_layering.py: {gone}"


def test_the_cycle_check_finds_a_cycle_and_resolves_relative_imports(tmp_path, monkeypatch):
    package = tmp_path / "pkg"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "a.py").write_text("from . import b\n")
    (package / "b.py").write_text("def f():\n    from .c import g\n")
    (package / "c.py").write_text("from pkg.a import x\n")
    (package / "d.py").write_text("import pkg.a\n")
    monkeypatch.setattr(sys.modules[__name__], "ROOT", tmp_path)
    graph = import_graph()
    assert graph["pkg.a"] == {"pkg.b"} and graph["pkg.b"] == {"pkg.c"} and graph["pkg.d"] == {"pkg.a"}
    assert cycles(graph) == [frozenset({"pkg.a", "pkg.b", "pkg.c"})]


def test_nothing_outside_tests_imports_tests():
    """Product code, bench/ and scripts/ use testkit/ (and client.local), never the tests package."""
    found = [f"{rel}:{line}" for rel in project_files() if rel.parts[0] != "tests"
             for line, name in imported_modules(ROOT / rel) if name == "tests"]
    assert not found, found
