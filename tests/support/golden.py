"""Golden summaries: every shipped scenario's ``summary.json`` at a fixed size and seed.

The tests compare the current code with these files exactly. A change that moves a
number regenerates them in the same commit and says why under "Results changes" in
CHANGELOG.md::

    python -m tests.support.golden            # rewrite every golden file
    python -m tests.support.golden baseline   # only the files whose name contains "baseline"
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SCENARIOS = ROOT / "scenarios"
GOLDEN = ROOT / "tests" / "golden"
SEED = 3
SMALL = ("population.size=2000", "steps=12")
"""Every shipped scenario at 2 000 viewers and 12 steps (the size the restructure issue fixed)."""


@dataclass(frozen=True)
class GoldenCase:
    """One golden file: a shipped scenario, the overrides it runs with, and where it is stored."""

    scenario: Path
    overrides: tuple[str, ...]
    name: str

    @property
    def path(self) -> Path:
        return GOLDEN / f"{self.name}.json"


def shipped_scenarios() -> list[Path]:
    """Every scenario file shipped under ``scenarios/``, sweep files aside."""
    return sorted(path for path in SCENARIOS.rglob("*.toml")
                  if "sweeps" not in path.relative_to(SCENARIOS).parts
                  and "calibration" not in path.relative_to(SCENARIOS).parts)


def cases() -> list[GoldenCase]:
    """The small run of every shipped scenario, and the baseline at its full size."""
    small = [GoldenCase(path, SMALL, path.relative_to(SCENARIOS).with_suffix("").as_posix()
                        .replace("/", "__")) for path in shipped_scenarios()]
    return [*small, GoldenCase(SCENARIOS / "baseline.toml", (), "baseline__full_size")]


def canonical(summary: dict) -> str:
    """The text a summary is compared by: JSON as ``summary.json`` writes it, keys sorted."""
    from simulation.io.storage import to_jsonable

    return json.dumps(to_jsonable(summary), indent=1, sort_keys=True, allow_nan=False) + "\n"


def summary_of(case: GoldenCase) -> str:
    """Run a case with the current code and return its canonical summary."""
    from simulation.config.loading import load_scenario
    from simulation.experiments.runs import simulate

    return canonical(simulate(load_scenario(case.scenario, list(case.overrides)), seed=SEED).summary)


def differences(expected: str, actual: str, limit: int = 20) -> list[str]:
    """The summary paths whose values differ, as 'path: expected -> actual' lines."""
    def leaves(value, prefix=""):
        if isinstance(value, dict):
            for key, item in value.items():
                yield from leaves(item, f"{prefix}.{key}" if prefix else key)
        else:
            yield prefix, value

    old, new = dict(leaves(json.loads(expected))), dict(leaves(json.loads(actual)))
    lines = [f"{key}: {old.get(key, '<absent>')!r} -> {new.get(key, '<absent>')!r}"
             for key in dict.fromkeys([*old, *new]) if old.get(key) != new.get(key)]
    return lines[:limit] + ([f"... and {len(lines) - limit} more"] if len(lines) > limit else [])


def main(argv: list[str]) -> int:
    GOLDEN.mkdir(parents=True, exist_ok=True)
    chosen = [case for case in cases() if not argv or any(word in case.name for word in argv)]
    for case in chosen:
        text = summary_of(case)
        changed = not case.path.exists() or case.path.read_text() != text
        case.path.write_text(text)
        print(f"{'changed ' if changed else 'same    '} {case.path.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
