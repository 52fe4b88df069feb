"""The notebooks of examples/ run, top to bottom, on a tiny platform (so that they cannot rot).

Each notebook's cell tagged ``parameters`` sets its size; the test replaces that cell with
:data:`TINY` and executes the notebook with nbclient in a fresh Jupyter kernel, in a
temporary folder (the notebooks write their results under ``results/``).
"""

from __future__ import annotations

import pytest

from tests.support.examples import EXAMPLES, TINY, execute


def test_every_notebook_has_tiny_parameters():
    assert sorted(p.stem for p in EXAMPLES.glob("*.ipynb")) == sorted(TINY)


@pytest.mark.slow
@pytest.mark.once  # the API they call is tested on every Python (tests/unit/test_api.py)
@pytest.mark.parametrize("name", sorted(TINY))
def test_the_notebook_runs(name, tmp_path):
    book = execute(EXAMPLES / f"{name}.ipynb", TINY[name], tmp_path)
    outputs = [output for cell in book.cells if cell.cell_type == "code"
               for output in cell.get("outputs", [])]
    assert not [o for o in outputs if o.get("output_type") == "error"]
    figures = [o for o in outputs if "image/png" in o.get("data", {})]
    assert figures, f"{name}: draws at least one figure"
