"""The documentation: the site builds strictly, and what its pages point at exists.

The strict build (``mkdocs build --strict``, mkdocs.yml) fails on a broken link or anchor
and on a docstring the API reference cannot render; it needs the ``docs`` extra
(``pip install -e '.[docs]'``) and is skipped without it. The other checks read the
Markdown only: every repository file the pages name exists, the "Where is ...?" table of
docs/architecture.md points at real code, and the code shown there is the code as it is.
"""

from __future__ import annotations

import ast
import importlib.util
import os
import re
import subprocess
import sys
from functools import cache
from pathlib import Path

import pytest

from tests.support.scenarios import ROOT

PAGES = [*sorted((ROOT / "docs").glob("*.md")), ROOT / "README.md"]
ARCHITECTURE = ROOT / "docs" / "architecture.md"


def page_id(path: Path) -> str:
    return str(path.relative_to(ROOT))


@pytest.mark.slow  # a whole site build (about 10 s)
@pytest.mark.once
@pytest.mark.skipif(importlib.util.find_spec("mkdocs") is None,
                    reason="mkdocs is not installed: pip install -e '.[docs]' to build the site")
def test_the_site_builds_strictly(tmp_path: Path):
    built = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(tmp_path / "site")],
        cwd=ROOT, capture_output=True, text=True, timeout=300,
        env={**os.environ, "NO_MKDOCS_2_WARNING": "1"})
    assert built.returncode == 0, built.stdout[-3000:] + built.stderr[-5000:]
    site = tmp_path / "site"
    home = (site / "index.html").read_text()
    assert "Two commands" in home, "the home page is not README.md (docs/hooks/pages.py)"
    levers = (site / "api" / "levers" / "index.html").read_text()
    assert "simulation.levers.base" in levers and "publishing_counts" in levers
    assert "population.segments[].intent" in (site / "scenarios" / "index.html").read_text()


# Paths of repository files as pages write them: `simulation/model.py`, `viewers/funnel.py`
# (inside simulation/), `cadence.py` (a lever), `scenarios/levers/pause.toml`, `tests/unit/...`.
FILE_REFERENCE = re.compile(r"(?<![\w./-])((?:[\w-]+/)*[\w-]+\.(?:py|toml|md))\b")
NOT_FILES = {"my_scenario.toml", "bad.toml", "slurm_cluster.py", "scenario.toml", "other.toml",
             "sweep-file.txt", "report.md", "baseline.md", "morris.md", "criteria.md",
             "calibrated.toml"}
"""Names the pages use for files a user writes or a run produces, not files of the repository."""


def resolves(reference: str, page: Path) -> bool:
    """Whether a referenced path names a file or folder of the repository."""
    if Path(reference).name in NOT_FILES or reference.startswith(("results/", "paper/")):
        return True
    bases = (ROOT, ROOT / "simulation", ROOT / "simulation" / "levers", ROOT / "scenarios", page.parent)
    if any((base / reference).exists() for base in bases):
        return True
    # A shipped scenario by its file name alone, where the text names its folder nearby.
    return reference.endswith(".toml") and "/" not in reference and \
        any((ROOT / "scenarios").rglob(reference))


@pytest.mark.parametrize("page", PAGES, ids=page_id)
def test_every_file_a_page_names_exists(page: Path):
    text = page.read_text()
    dead = sorted({match for match in FILE_REFERENCE.findall(text) if not resolves(match, page)})
    assert not dead, f"{page_id(page)} names files that do not exist: {dead}"


@pytest.mark.parametrize("page", PAGES, ids=page_id)
def test_no_page_points_at_the_old_names(page: Path):
    """The specification and the implementation notes had names that differed only in case;
    the source articles are not in the repository."""
    text = page.read_text()
    for old in ("MODEL.md", "docs/model.md", "seeds/00", "effects_levers.md"):
        assert old not in text, f"{page_id(page)} still names {old}"


@cache
def definitions(path: Path) -> dict[str, tuple[int, int]]:
    """Qualified names of a module's functions, classes, methods and top-level assignments,
    with their first and last lines."""
    found: dict[str, tuple[int, int]] = {}

    def visit(nodes: list[ast.stmt], prefix: str) -> None:
        for node in nodes:
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
                first = min([node.lineno] + [d.lineno for d in node.decorator_list])
                found[prefix + node.name] = (first, node.end_lineno or node.lineno)
                if isinstance(node, ast.ClassDef):
                    visit(node.body, f"{prefix}{node.name}.")
            elif isinstance(node, ast.Assign | ast.AnnAssign) and not prefix:
                targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                for target in targets:
                    if isinstance(target, ast.Name):
                        found[target.id] = (node.lineno, node.end_lineno or node.lineno)

    visit(ast.parse(path.read_text()).body, "")
    return found


def where_is_rows() -> list[tuple[str, str, str]]:
    """The rows of the "Where is ...?" table: (what, file, name)."""
    text = ARCHITECTURE.read_text()
    table = text[text.index("## Where is ...?"):].split("\n## ", 1)[0]
    rows = []
    for line in table.splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if len(cells) == 3 and cells[1].startswith("`simulation/"):
            rows.append((cells[0], cells[1].strip("`"), cells[2].strip("`")))
    return rows


def test_the_where_is_table_has_the_rows_a_newcomer_asks_for():
    asked = " ".join(what for what, *_ in where_is_rows())
    for topic in ("like probability", "tier promotion rule", "candidate sources", "leads",
                  "seed streams", "summary's sections", "ranking score"):
        assert topic in asked, topic


@pytest.mark.parametrize("row", where_is_rows(), ids=lambda row: row[0][:40])
def test_the_where_is_table_points_at_real_code(row: tuple[str, str, str]):
    _, file, name = row
    path = ROOT / file
    assert path.exists(), f"{file} does not exist"
    spans = definitions(path)
    assert name in spans, f"{file} defines no {name} (it has {sorted(spans)[:40]})"


def shown_code() -> list[tuple[str, str, str]]:
    """Code blocks of docs/architecture.md marked as a whole file or an excerpt of one:
    (kind, path, code)."""
    marked = re.compile(r"<!-- (file|excerpt): (\S+) -->\n```\w*\n(.*?)```", re.S)
    return marked.findall(ARCHITECTURE.read_text())


@pytest.mark.parametrize("kind, path, code", shown_code(), ids=lambda value: str(value)[:30])
def test_the_code_shown_is_the_code(kind: str, path: str, code: str):
    source = (ROOT / path).read_text()
    if kind == "file":
        assert code == source, f"docs/architecture.md shows an old copy of {path}: paste it again"
    else:
        assert code in source, f"docs/architecture.md shows an excerpt of {path} it no longer has"


def test_architecture_shows_the_example_lever_in_full():
    kinds = {(kind, path) for kind, path, _ in shown_code()}
    assert ("file", "simulation/levers/pause.py") in kinds
    assert ("file", "scenarios/levers/pause.toml") in kinds
