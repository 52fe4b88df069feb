"""Writing a report: of a run or seeds folder (``run_report``) or of a sweep (``sweep_report``).

``python run.py report FOLDER`` comes here: the folder decides which report is built;
both are rendered by the same functions, as one self-contained HTML file or Markdown
with a folder of figures.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from simulation.experiments.sweep_results import open_sweep
from simulation.io.results import ResultsError, is_sweep_folder, open_results
from simulation.io.storage import atomic_path, write_text
from simulation.viz.run_report import ReportFormat, build_report, render_html, render_markdown
from simulation.viz.sweep_report import build_sweep_report


@dataclass
class WrittenReport:
    """Where a report went, how big it is and how long it took to build."""

    path: Path
    size_bytes: int
    seconds: float
    figures: int
    skipped: list[tuple[str, str]]
    images: Path | None = None
    notes: list[str] = field(default_factory=list)
    """What was done besides (a sweep analysed because its analysis was missing)."""


def default_report_path(folder: str | Path, fmt: ReportFormat = "html") -> Path:
    return Path(folder) / f"report.{fmt}"


def write_report(folder: str | Path, out: str | Path | None = None, fmt: ReportFormat = "html",
                 progress: bool = False, metrics: Sequence[str] | None = None) -> WrittenReport:
    """Build and write the report of a results or sweep folder (atomically, file by file).

    Markdown also writes its figures as PNG into ``<report stem>_figures/`` beside it.
    ``metrics`` (names or glob patterns of summary measures) chooses a sweep's metrics
    (:mod:`simulation.sweep_report`).
    """
    started = time.perf_counter()
    notes: list[str] = []
    if is_sweep_folder(folder):
        sweep = open_sweep(folder, metrics)
        notes = sweep.notes
        report = build_sweep_report(sweep, progress=progress)
    else:
        if metrics:
            raise ResultsError(f"error: --metric: {folder} is not a sweep folder; --metric "
                               "chooses the metrics of a sweep's report (a run's report holds "
                               "every headline measure).")
        report = build_report(open_results(folder), progress=progress)
    path = Path(out) if out is not None else default_report_path(folder, fmt)
    images = None
    if fmt == "html":
        text = render_html(report)
    else:
        images = path.parent / f"{path.stem}_figures"
        for figure in report.figures:
            with atomic_path(images / f"{figure.name}.png") as temporary:
                temporary.write_bytes(figure.png)
        text = render_markdown(report, images.name)
    write_text(path, text)
    return WrittenReport(path, path.stat().st_size, time.perf_counter() - started,
                         len(report.figures), report.skipped, images, notes)


def describe(written: WrittenReport) -> str:
    """One line for the terminal: where the report is, its size and build time (and notes)."""
    extra = f" and {written.images}/" if written.images else ""
    skipped = "".join(f"\n  skipped {name}: {reason}" for name, reason in written.skipped)
    notes = "".join(f"note: {note}\n" for note in written.notes)
    return (f"{notes}report: {written.path}{extra} ({written.size_bytes / 1e6:.2f} MB, "
            f"{written.figures} figures, built in {written.seconds:.1f} s){skipped}")
