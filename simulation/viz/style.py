"""The one look of every figure: palette, sizes, fonts, and how figures are saved.

Figures are drawn for a journal column: 3.5 inches wide, text at 8 points or
more, PNG at 200 dpi (700 pixels wide) or vector (SVG, PDF with embedded
TrueType fonts). Colours are the Okabe-Ito palette, which stays distinguishable
under the common colour-vision deficiencies; lines and points also differ by
marker so that a figure survives greyscale printing.

Figures are :class:`matplotlib.figure.Figure` objects made without pyplot: no
display, no global figure registry to leak memory, and the Agg renderer for
PNG whatever backend the caller's matplotlib is set to.
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


@contextmanager
def figure_style() -> Iterator[None]:
    """Apply the house style to figures created and saved inside this block."""
    with mpl.rc_context(RC):
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
    figure.suptitle(textwrap.fill(text, TITLE_WIDTH_CHARS), fontsize=TITLE_PT)


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
