"""The installed package: a wheel in a fresh virtual environment runs shipped scenarios by
name from an empty folder, records the commit it was built from, names its own command in
messages, and runs the notebooks of examples/.

The wheel is built from a clone of this checkout with the working tree's files laid over it
(so uncommitted changes are built too, and the commit is recorded with ``-dirty``), and
installed without its dependencies into a new virtual environment that sees the test
environment's packages through a ``.pth`` line (its own ``simulation`` comes first: the test
environment's editable install is not activated there). With ``ENGAGEMENT_SIM_FULL_INSTALL=1``
the wheel is installed with its ``notebooks`` extra from the package index instead, as a user
would (several minutes on a loaded machine).

The installed package runs with ``ENGAGEMENT_SIM_NUMBA=0``: its kernels would otherwise be
compiled again for the new install location (about a minute and a half), and what this file
tests is the packaging, not the kernels (tests/unit/kernels/ checks them against their numpy
twins). Of the notebooks, the first runs here (it imports the package and opens a shipped
scenario by name); all of them run from the checkout in tests/contract/test_examples.py.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest

from tests.support.examples import EXAMPLES, TINY
from tests.support.scenarios import ROOT

pytestmark = [pytest.mark.slow, pytest.mark.once]


def _run(command: list[str | Path], cwd: Path, timeout: float = 900) -> subprocess.CompletedProcess:
    environment = {key: value for key, value in os.environ.items()
                   if key not in ("VIRTUAL_ENV", "PYTHONPATH")} | {"ENGAGEMENT_SIM_NUMBA": "0"}
    return subprocess.run([str(part) for part in command], cwd=cwd, capture_output=True,
                          text=True, timeout=timeout, env=environment)


def _source_copy(target: Path) -> None:
    """A clone of this checkout with the working tree's files (tracked and new) laid over it."""
    cloned = _run(["git", "clone", "--quiet", "--local", ROOT, target], cwd=ROOT.parent)
    assert cloned.returncode == 0, cloned.stderr
    listed = _run(["git", "ls-files", "--cached", "--others", "--exclude-standard", "-z"], ROOT)
    for name in filter(None, listed.stdout.split("\0")):
        source = ROOT / name
        if source.is_file():
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target / name)


def _expected_commit() -> str:
    head = _run(["git", "rev-parse", "HEAD"], ROOT).stdout.strip()
    dirty = _run(["git", "status", "--porcelain", "--untracked-files=no"], ROOT).stdout.strip()
    return f"{head}-dirty" if dirty else head


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """A fresh virtual environment with the wheel installed: its bin folder, and the commit
    the wheel recorded (this checkout's at the time of the build)."""
    work = tmp_path_factory.mktemp("package")
    expected = _expected_commit()
    _source_copy(work / "source")
    built = _run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "-w",
                  work / "dist", work / "source"], cwd=work)
    assert built.returncode == 0, built.stderr[-3000:]
    (wheel,) = (work / "dist").glob("engagement_sim-*.whl")
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
        shipped = {n for n in names if n.startswith("simulation/scenarios/")}
        assert "simulation/scenarios/baseline.toml" in shipped
        assert len(shipped) == len(list((ROOT / "scenarios").rglob("*.toml")))
        recorded = json.loads(archive.read("simulation/_build.json"))
    assert recorded["git_commit"] == expected
    created = _run([sys.executable, "-m", "venv", work / "venv"], cwd=work)
    assert created.returncode == 0, created.stderr
    bin_folder = work / "venv" / "bin"
    if os.environ.get("ENGAGEMENT_SIM_FULL_INSTALL"):
        install = [f"{wheel}[notebooks]"]
    else:
        install = ["--no-deps", wheel]
        found = _run([bin_folder / "python", "-c", "import sysconfig; "
                      "print(sysconfig.get_paths()['purelib'])"], cwd=work)
        ours = sysconfig.get_paths()["purelib"]
        (Path(found.stdout.strip()) / "test-environment.pth").write_text(ours + "\n")
    pip = _run([bin_folder / "python", "-m", "pip", "install", "--quiet", *install],
               cwd=work, timeout=1800)
    assert pip.returncode == 0, pip.stderr[-3000:]
    where = _run([bin_folder / "python", "-c", "import simulation; print(simulation.__file__)"],
                 cwd=work)
    assert where.stdout.strip().startswith(str(work / "venv")), where.stdout + where.stderr
    return bin_folder, expected


def test_a_shipped_scenario_runs_by_name_from_an_empty_folder(installed, tmp_path):
    bin_folder, commit = installed
    command = bin_folder / "engagement-sim"
    helped = _run([command, "--help"], tmp_path)
    assert helped.returncode == 0 and "engagement-sim run baseline" in helped.stdout
    assert "python run.py" not in helped.stdout
    listed = _run([command, "scenarios"], tmp_path)
    assert listed.returncode == 0 and "levers/pause" in listed.stdout
    result = _run([command, "run", "baseline", "--viewers", "2000", "--steps", "12"], tmp_path)
    assert result.returncode == 0, result.stderr[-3000:]
    (folder,) = (tmp_path / "results").glob("baseline-seed1*")  # -set-<digest>: overrides
    manifest = json.loads((folder / "manifest.json").read_text())
    assert manifest["git_commit"] == commit
    assert manifest["command"][0] == "engagement-sim"
    summary = json.loads((folder / "summary.json").read_text())
    assert summary["viewers"] == 2000 and summary["steps"] == 12
    missing = _run([command, "run", "basline"], tmp_path)
    assert missing.returncode == 2 and "`engagement-sim scenarios` lists" in missing.stderr
    # The checkout's paths, as the documentation writes them, work too.
    assert _run([command, "validate", "scenarios/viral_mismatch.toml"], tmp_path).returncode == 0


def test_the_first_notebook_runs_in_the_installed_package(installed, tmp_path):
    bin_folder, _ = installed
    runner = tmp_path / "run_notebook.py"
    runner.write_text(
        "import sys\nimport nbformat\nfrom nbclient import NotebookClient\n"
        "book = nbformat.read(sys.argv[1], as_version=4)\n"
        "[cell] = [c for c in book.cells if 'parameters' in c.metadata.get('tags', [])]\n"
        "cell.source = open(sys.argv[2]).read()\n"
        "NotebookClient(book, timeout=900, kernel_name='python3',\n"
        "               resources={'metadata': {'path': '.'}}).execute()\n")
    for name, parameters in list(TINY.items())[:1]:
        (tmp_path / f"{name}.txt").write_text(parameters)
        done = _run([bin_folder / "python", runner, EXAMPLES / f"{name}.ipynb",
                     tmp_path / f"{name}.txt"], tmp_path)
        assert done.returncode == 0, f"{name}:\n{done.stderr[-3000:]}"
