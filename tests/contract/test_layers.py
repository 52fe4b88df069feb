"""The package's shape: the layer contracts of pyproject.toml hold, and no import cycle exists.

Both count every import: at module level, inside functions, and under TYPE_CHECKING.
"""

from __future__ import annotations

import subprocess
import sys

import grimp
import networkx as nx

from tests.support.scenarios import ROOT


def test_layer_contracts_hold():
    """import-linter, configured in pyproject.toml ([tool.importlinter])."""
    checked = subprocess.run(
        [sys.executable, "-c", "import sys; from importlinter.cli import lint_imports; "
         "sys.exit(lint_imports(no_logo=True, no_cache=True))"],
        cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert checked.returncode == 0, checked.stdout[-3000:] + checked.stderr[-2000:]


def test_no_import_cycles():
    graph = grimp.build_graph("simulation", include_external_packages=False)
    edges = nx.DiGraph()
    for module in graph.modules:
        for imported in graph.find_modules_directly_imported_by(module):
            edges.add_edge(module, imported)
    cycles = [sorted(component) for component in nx.strongly_connected_components(edges)
              if len(component) > 1]
    assert not cycles, f"import cycles: {cycles}"
