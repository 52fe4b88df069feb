"""The notebooks of examples/ and the tiny sizes the tests run them at."""

from __future__ import annotations

from pathlib import Path

from tests.support.scenarios import ROOT

EXAMPLES = ROOT / "examples"

TINY = {
    "01_first_run": "VIEWERS = 400\nSTEPS = 6\nSEED = 1",
    "02_effects": "VIEWERS = 400\nSTEPS = 6\nSEEDS = 2\nWORKERS = 1",
    "03_sweep": ('OVERRIDES = ["population.size=300", "steps=4"]\nWORKERS = 1\n'
                 'OUT = "results/like_weight_vs_leads-notebook"'),
}
"""Each notebook's ``parameters`` cell for the tests: a platform of a few hundred viewers."""


def execute(path: Path, parameters: str, cwd: Path):
    """Run a notebook with its ``parameters`` cell replaced, in ``cwd``; the executed notebook."""
    import nbformat
    from nbclient import NotebookClient

    book = nbformat.read(path, as_version=4)
    tagged = [cell for cell in book.cells if "parameters" in cell.metadata.get("tags", [])]
    assert len(tagged) == 1, f"{path.name}: one cell must be tagged 'parameters'"
    tagged[0].source = parameters
    NotebookClient(book, timeout=900, kernel_name="python3",
                   resources={"metadata": {"path": str(cwd)}}).execute()
    return book
