"""The learning track's notebooks (docs/learn/*.ipynb) run from top to bottom against real local
nodes (each starts its own through client.LocalNetwork and stops it), as a reader runs them.

They are committed without outputs; this test executes them with nbclient in a fresh kernel started
as docs/learn.md tells a reader to start Jupyter: in the notebook's own folder (where Jupyter puts the
kernel) with PYTHONPATH set to the project's root. It fails on any error a cell raises (the notebooks
assert what they show)."""
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = sorted((ROOT / "docs" / "learn").glob("*.ipynb"))


def test_there_are_notebooks():
    assert NOTEBOOKS, "docs/learn has no notebooks"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_the_notebook_is_committed_without_outputs(path):
    nb = nbformat.read(path, as_version=4)
    assert all(not c.get("outputs") and c.get("execution_count") is None for c in nb.cells if c.cell_type == "code")


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_the_notebook_runs(path, monkeypatch):
    monkeypatch.setenv("PYTHONPATH", str(ROOT))  # as docs/learn.md starts Jupyter: PYTHONPATH="$PWD" from the root
    nb = nbformat.read(path, as_version=4)
    NotebookClient(nb, timeout=120, kernel_name="python3", resources={"metadata": {"path": str(path.parent)}}).execute()
    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs]
    assert not [o for o in outputs if o.output_type == "error"]
    if any("plt.show()" in c.source for c in nb.cells if c.cell_type == "code"):  # its plots are drawn inline
        assert any(o.output_type == "display_data" and "image/png" in o.get("data", {}) for o in outputs), "no plot"
