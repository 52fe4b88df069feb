"""The notebooks of examples/ run, top to bottom, on a tiny platform (so that they cannot rot).

Each notebook's cell tagged ``parameters`` sets its size; the test replaces that cell with
:data:`TINY` and executes the notebook with nbclient in a fresh Jupyter kernel, in a
temporary folder (the notebooks write their results under ``results/``).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.scenarios import ROOT

EXAMPLES = ROOT / "examples"

TINY = {
    "01_first_run": "VIEWERS = 400\nSTEPS = 6\nSEED = 1",
    "02_effects": "VIEWERS = 400\nSTEPS = 6\nSEEDS = 2\nWORKERS = 1",
    "03_sweep": ('OVERRIDES = ["population.size=300", "steps=4"]\nWORKERS = 1\n'
                 'OUT = "results/like_weight_vs_leads-notebook"'),
}


def execute(path: Path, parameters: str, cwd: Path):
    """Run a notebook with its parameters cell replaced; returns the executed notebook."""
    import nbformat
    from nbclient import NotebookClient

    book = nbformat.read(path, as_version=4)
    tagged = [cell for cell in book.cells if "parameters" in cell.metadata.get("tags", [])]
    assert len(tagged) == 1, f"{path.name}: one cell must be tagged 'parameters'"
    tagged[0].source = parameters
    client = NotebookClient(book, timeout=600, kernel_name="python3",
                            resources={"metadata": {"path": str(cwd)}})
    client.execute()
    return book


def test_every_notebook_has_tiny_parameters():
    assert sorted(p.stem for p in EXAMPLES.glob("*.ipynb")) == sorted(TINY)


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(TINY))
def test_the_notebook_runs(name, tmp_path):
    book = execute(EXAMPLES / f"{name}.ipynb", TINY[name], tmp_path)
    outputs = [output for cell in book.cells if cell.cell_type == "code"
               for output in cell.get("outputs", [])]
    assert not [o for o in outputs if o.get("output_type") == "error"]
    figures = [o for o in outputs if "image/png" in o.get("data", {})]
    assert figures, f"{name}: draws at least one figure"
