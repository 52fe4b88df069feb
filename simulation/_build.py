"""Build step of the package (setuptools commands named in pyproject.toml), not used at run time.

A wheel must run shipped scenarios by name outside a checkout and say which code it is,
so building it adds two things to the package:

- ``simulation/scenarios/``: a copy of the repository's top-level ``scenarios/`` folder
  (TOML and YAML files), which stays the one source of truth in the repository;
- ``simulation/_build.json``: ``{"git_commit": ...}``, the commit the package was built
  from (with ``-dirty`` if tracked files had changes), for the manifest of every run.

An editable install (``pip install -e .``) adds neither: it runs from the checkout, which
has both. A source distribution carries the scenarios folder and the commit file, so that
a wheel built from it has them too. setuptools loads this module by its file path, without
importing the ``simulation`` package, so only the standard library and setuptools are used.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

from setuptools.command.build_py import build_py
from setuptools.command.sdist import sdist

ROOT = Path(__file__).resolve().parents[1]
SCENARIOS = ROOT / "scenarios"
RECORD = "_build.json"
SHIPPED_SUFFIXES = (".toml", ".yaml", ".yml")


def source_commit() -> str | None:
    """The commit of the checkout being built, '-dirty' if tracked files changed; None if not one.

    A commit file already in the source (a source distribution's) is used as it is.
    """
    recorded = ROOT / "simulation" / RECORD
    if recorded.is_file():
        return json.loads(recorded.read_text(encoding="utf-8")).get("git_commit")
    try:
        top = subprocess.run(["git", "rev-parse", "--show-toplevel"], cwd=ROOT, capture_output=True,
                             text=True, timeout=10, check=True).stdout.strip()
        if Path(top).resolve() != ROOT:
            return None
        commit = subprocess.run(["git", "rev-parse", "HEAD"], cwd=ROOT, capture_output=True,
                                text=True, timeout=10, check=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=ROOT,
                               capture_output=True, text=True, timeout=10).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return None
    return f"{commit}-dirty" if dirty else commit


def copy_scenarios(target: Path) -> list[Path]:
    """Copy every shipped scenario and sweep file under ``target``; the files written."""
    if not SCENARIOS.is_dir():
        raise FileNotFoundError(f"{SCENARIOS}: the scenarios folder is missing; a package built "
                                "without it could not run scenarios by name")
    written = []
    for path in sorted(SCENARIOS.rglob("*")):
        if path.is_file() and path.suffix in SHIPPED_SUFFIXES:
            destination = target / path.relative_to(SCENARIOS)
            destination.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, destination)
            written.append(destination)
    return written


def write_record(package: Path) -> Path:
    """Write ``_build.json`` (the commit) into a package folder."""
    record = package / RECORD
    record.write_text(json.dumps({"git_commit": source_commit()}) + "\n", encoding="utf-8")
    return record


class BuildPy(build_py):
    """``build_py`` that adds the scenarios and the commit record to the built package."""

    def run(self) -> None:
        super().run()
        if getattr(self, "editable_mode", False):
            return
        package = Path(self.build_lib) / "simulation"
        self._added = [*copy_scenarios(package / "scenarios"), write_record(package)]

    def get_outputs(self, include_bytecode: bool = True) -> list[str]:
        return [*super().get_outputs(include_bytecode), *map(str, getattr(self, "_added", []))]


class SDist(sdist):
    """``sdist`` that carries the scenarios folder and the commit record."""

    def make_release_tree(self, base_dir: str, files: list[str]) -> None:
        super().make_release_tree(base_dir, files)
        copy_scenarios(Path(base_dir) / "scenarios")
        write_record(Path(base_dir) / "simulation")
