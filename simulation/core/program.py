"""How this copy of the program was installed and is called: a checkout or a package.

Messages tell the user what to type next, so they must name the command the user has:
``python run.py`` in a checkout of the repository, ``engagement-sim`` once the package
is installed (``pip install engagement-sim``). A built package also carries what its build
recorded (``_build.json``: the commit it was built from), so that a run's manifest names
the code that produced it even outside a checkout.
"""

from __future__ import annotations

import json
import sys
from functools import cache
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1]
"""The ``simulation`` package folder."""


BUILD_INFO = PACKAGE / "_build.json"
"""Written into a built package (wheel) by ``simulation/_build.py``; absent in a checkout."""


NOT_A_CHECKOUT = "not a checkout"
"""The manifest's ``git_commit`` when the code is neither a checkout nor a recorded build."""


def checkout_root() -> Path | None:
    """The repository folder holding this package (it has run.py and pyproject.toml), or None."""
    root = PACKAGE.parent
    if (root / "run.py").is_file() and (root / "pyproject.toml").is_file():
        return root
    return None


def program_name() -> str:
    """The command to show in messages: ``python run.py`` or ``engagement-sim``.

    The command that started this process decides; from Python (a notebook, the tests), a
    checkout says ``python run.py`` and an installed package ``engagement-sim``.
    """
    invoked = Path(sys.argv[0]).name if sys.argv and sys.argv[0] else ""
    if invoked == "run.py":
        return "python run.py"
    if invoked.startswith("engagement-sim"):
        return "engagement-sim"
    return "python run.py" if checkout_root() is not None else "engagement-sim"


PROGRAM = program_name()
"""The command line's name for this process's messages."""


@cache
def build_info() -> dict[str, str]:
    """What the build of this package recorded (``git_commit``), or {} in a checkout."""
    try:
        info = json.loads(BUILD_INFO.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return {str(key): str(value) for key, value in info.items() if value is not None}
