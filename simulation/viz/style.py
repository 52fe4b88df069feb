"""The one look of every figure: palette, sizes, fonts, and how figures are saved.

Figures are drawn for a journal column: 3.5 inches wide, text at 8 points or
more, PNG at 200 dpi (700 pixels wide) or vector (SVG, PDF with embedded
TrueType fonts). Colours are the Okabe-Ito palette, which stays distinguishable
under the common colour-vision deficiencies; lines and points also differ by
marker so that a figure survives greyscale printing.

Figures are :class:`matplotlib.figure.Figure` objects made without pyplot: no
display, no global figure registry to leak memory, and the Agg renderer for
PNG whatever backend the caller's matplotlib is set to.

A user restyles every figure with a Matplotlib style file (``python run.py plot --style
FILE``): :func:`user_style` applies it over the house style while figures are drawn and
saved; what the file leaves out keeps the house look.
"""

from __future__ import annotations

import io
import textwrap
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Literal

import matplotlib as mpl
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from simulation.io.storage import atomic_path
from simulation.measures.intervals import CONFIDENCE, FEW_RUNS

FigureFormat = Literal["png", "svg", "pdf"]


FORMATS: tuple[FigureFormat, ...] = ("png", "svg", "pdf")


COLUMN_WIDTH_IN = 3.5
"""Width of every figure, in inches: one column of a two-column paper."""


DPI = 200
"""Resolution of PNG figures (a 3.5 in figure is 700 pixels wide)."""


FONT_PT = 8.0
"""Size of all text but the title, in points: the smallest that prints legibly at column width."""


TITLE_PT = 9.0


TITLE_WIDTH_CHARS = 52
"""Titles are wrapped at this many characters to fit the column."""


OKABE_ITO: dict[str, str] = {
    "blue": "#0072B2",
    "orange": "#E69F00",
    "bluish green": "#009E73",
    "vermillion": "#D55E00",
    "reddish purple": "#CC79A7",
    "sky blue": "#56B4E9",
    "yellow": "#F0E442",
    "black": "#000000",
}
"""Okabe & Ito (2008), 'Color Universal Design', ordered for use: strong colours first."""


SERIES_COLOURS: tuple[str, ...] = tuple(OKABE_ITO[name] for name in (
    "blue", "orange", "bluish green", "vermillion", "reddish purple", "sky blue", "black",
    "yellow"))


SERIES_MARKERS: tuple[str, ...] = ("o", "s", "^", "D", "v", "P", "X", "*")


REFERENCE_COLOUR = "#7f7f7f"
"""Grey for reference lines (equality, zero difference); not a data series."""


BAND_ALPHA = 0.25
"""Opacity of 95% bands across seeds or replicates."""


RC: dict[str, Any] = {
    "font.family": "DejaVu Sans",
    "font.size": FONT_PT,
    "axes.titlesize": FONT_PT,
    "axes.labelsize": FONT_PT,
    "xtick.labelsize": FONT_PT,
    "ytick.labelsize": FONT_PT,
    "legend.fontsize": FONT_PT,
    "legend.title_fontsize": FONT_PT,
    "figure.titlesize": TITLE_PT,
    "axes.prop_cycle": mpl.cycler(color=list(SERIES_COLOURS)),
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "grid.color": "#d9d9d9",
    "grid.linewidth": 0.5,
    "axes.linewidth": 0.6,
    "lines.linewidth": 1.2,
    "lines.markersize": 3.5,
    "legend.frameon": False,
    "legend.handlelength": 1.6,
    "legend.borderaxespad": 0.3,
    "figure.dpi": DPI,
    "savefig.dpi": DPI,
    "pdf.fonttype": 42,  # TrueType, not Type 3: what journals ask for
    "ps.fonttype": 42,
    "svg.hashsalt": "engagement-sim",  # stable element ids: same figure, same SVG
}


WARNING_COLOUR = OKABE_ITO["vermillion"]
"""Colour of the note on a figure whose intervals come from fewer than FEW_RUNS runs."""

_USER_STYLES: list[dict[str, Any]] = []
"""Style files applied over the house style (innermost last), set by :func:`user_style`."""


class StyleError(ValueError):
    """A style file that Matplotlib cannot read; ``str()`` names the file and what to do."""


def read_style(path: str | Path) -> dict[str, Any]:
    """The rc settings of a Matplotlib style file, or :class:`StyleError`."""
    path = Path(path)
    if not path.is_file():
        raise StyleError(f"error: --style {path}: no such file. Give a Matplotlib style file "
                         "(lines such as 'font.size: 9'; see matplotlib's style sheets).")
    try:
        return dict(mpl.rc_params_from_file(str(path), use_default_template=False))
    except Exception as exc:  # matplotlib raises several kinds for a bad file
        raise StyleError(f"error: --style {path}: cannot be read as a Matplotlib style file "
                         f"({exc}).") from exc


@contextmanager
def user_style(path: str | Path | None) -> Iterator[None]:
    """Apply a Matplotlib style file over the house style to the figures made in this block."""
    if path is None:
        yield
        return
    _USER_STYLES.append(read_style(path))
    try:
        yield
    finally:
        _USER_STYLES.pop()


@contextmanager
def figure_style() -> Iterator[None]:
    """Apply the house style (and a user's style file, if any) to figures made and saved inside
    this block."""
    with mpl.rc_context(RC):
        for rc in _USER_STYLES:
            mpl.rcParams.update(rc)
        yield


def series_colours(names: Sequence[str]) -> dict[str, str]:
    """A colour for each name, by position: the same vocabulary gets the same colours everywhere."""
    return {name: SERIES_COLOURS[i % len(SERIES_COLOURS)] for i, name in enumerate(names)}


def series_markers(names: Sequence[str]) -> dict[str, str]:
    """A marker for each name, by position (redundant with colour, for greyscale print)."""
    return {name: SERIES_MARKERS[i % len(SERIES_MARKERS)] for i, name in enumerate(names)}


def new_figure(height_in: float, nrows: int = 1, ncols: int = 1, **subplots: Any,
               ) -> tuple[Figure, list[Axes]]:
    """A column-wide figure and its axes as a flat list (call inside :func:`figure_style`)."""
    figure = Figure(figsize=(COLUMN_WIDTH_IN, height_in), dpi=DPI, layout="constrained")
    axes = figure.subplots(nrows, ncols, squeeze=False, **subplots)
    return figure, [ax for row in axes for ax in row]


def set_title(figure: Figure, text: str) -> None:
    """The figure's title (what it shows), wrapped to the column."""
    figure.suptitle(textwrap.fill(text, TITLE_WIDTH_CHARS), fontsize=mpl.rcParams.get(
        "figure.titlesize", TITLE_PT))


def interval_label(runs: int, what: str = "seeds") -> str:
    """What a band or error bar is, for a legend: '95% interval over 3 seeds'."""
    return f"{100 * CONFIDENCE:g}% interval over {runs} {what}"


def few_runs_note(runs: int, what: str = "seeds") -> str:
    """The warning for intervals from fewer than FEW_RUNS runs ('' from FEW_RUNS on)."""
    if runs < 2 or runs >= FEW_RUNS:
        return ""
    return (f"Only {runs} {what}: intervals from fewer than {FEW_RUNS} runs are wide and "
            "rough.")


def warn_few_runs(figure: Figure, runs: int, what: str = "seeds") -> None:
    """Add :func:`few_runs_note` under the figure's title (call after :func:`set_title`), when
    it applies: part of the title, so that the layout keeps room for it."""
    note = few_runs_note(runs, what)
    if note and figure._suptitle is not None:
        title = figure._suptitle
        title.set_text(f"{title.get_text()}\n" + textwrap.fill(f"⚠ {note}", TITLE_WIDTH_CHARS))


def _save(figure: Figure, target: Any, fmt: FigureFormat) -> None:
    metadata = {"Software": "engagement-sim (matplotlib)"} if fmt == "png" else (
        {"Creator": "engagement-sim (matplotlib)", "CreationDate": None} if fmt == "pdf"
        else {"Creator": "engagement-sim (matplotlib)", "Date": None})
    with figure_style():
        figure.savefig(target, format=fmt, dpi=DPI, metadata=metadata)


def save_figure(figure: Figure, path: str | Path, fmt: FigureFormat = "png") -> Path:
    """Write ``figure`` to ``path`` atomically (temporary file, then rename)."""
    path = Path(path)
    with atomic_path(path) as temporary, open(temporary, "wb") as handle:
        _save(figure, handle, fmt)
    return path


def figure_bytes(figure: Figure, fmt: FigureFormat = "png") -> bytes:
    """The figure as a file's bytes in memory (for embedding in a report)."""
    buffer = io.BytesIO()
    _save(figure, buffer, fmt)
    return buffer.getvalue()
