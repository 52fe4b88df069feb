"""The scenarios and sweep files that come with the program, by name.

In a checkout they are the repository's ``scenarios/`` folder (the source of truth); a
built package carries a copy of that folder as package data (``simulation/scenarios/``,
copied by ``simulation/_build.py``). Either way a shipped file is named by its path under
that folder without ``.toml``: ``baseline``, ``levers/pause``, ``sweeps/like_weight_vs_leads``.
A sweep file is one with a ``[sweep]`` table; every other file is a scenario.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from simulation.core.program import PACKAGE, checkout_root


def scenarios_folder() -> Path:
    """The folder of shipped scenarios: the package's copy, else the checkout's ``scenarios/``."""
    packaged = PACKAGE / "scenarios"
    if packaged.is_dir():
        return packaged
    root = checkout_root()
    if root is not None and (root / "scenarios").is_dir():
        return root / "scenarios"
    return packaged


@dataclass(frozen=True)
class ShippedFile:
    """One shipped scenario or sweep file."""

    name: str
    """Its name: the path under the scenarios folder without ``.toml`` (``levers/pause``)."""
    path: Path
    kind: Literal["scenario", "sweep"]
    description: str


def _describe(path: Path) -> tuple[Literal["scenario", "sweep"], str]:
    try:
        document = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return "scenario", ""
    kind: Literal["scenario", "sweep"] = "sweep" if "sweep" in document else "scenario"
    description = document.get("description", "")
    return kind, description if isinstance(description, str) else ""


def shipped_files(kind: Literal["scenario", "sweep"] | None = None) -> list[ShippedFile]:
    """Every shipped file (or only scenarios, or only sweeps), top-level files first, by name."""
    folder = scenarios_folder()
    if not folder.is_dir():
        return []
    found = []
    for path in sorted(folder.rglob("*.toml"), key=lambda p: (len(p.relative_to(folder).parts),
                                                             p.relative_to(folder).as_posix())):
        file_kind, description = _describe(path)
        if kind is None or file_kind == kind:
            name = path.relative_to(folder).with_suffix("").as_posix()
            found.append(ShippedFile(name, path, file_kind, description))
    return found


def shipped_names(kind: Literal["scenario", "sweep"] = "scenario") -> list[str]:
    """The names of the shipped scenarios (or sweep files)."""
    return [shipped.name for shipped in shipped_files(kind)]


def find_file(given: str | Path, kind: Literal["scenario", "sweep"] = "scenario") -> Path:
    """The file meant by ``given``: itself if it exists, else the shipped file of that name.

    ``baseline``, ``baseline.toml``, ``levers/pause`` and ``scenarios/levers/pause.toml``
    all name shipped files (the last is the checkout's path, so that commands copied from
    the documentation work outside a checkout too); a sweep file may also be named without
    its folder (``like_weight_vs_leads``). A name that matches nothing comes back
    unchanged, for the reader to report as missing.
    """
    path = Path(given)
    if path.exists():
        return path
    text = path.as_posix()
    if text.startswith("scenarios/"):
        text = text[len("scenarios/"):]
    if text.endswith(".toml"):
        text = text[:-len(".toml")]
    if not text or ".." in Path(text).parts:
        return path
    folder = scenarios_folder()
    candidates = [folder / f"{text}.toml"] + ([folder / "sweeps" / f"{text}.toml"]
                                              if kind == "sweep" else [])
    return next((candidate for candidate in candidates if candidate.is_file()), path)
