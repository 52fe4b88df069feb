"""What every figure must be: a non-blank column-width PNG with title, labels, legend and CSV.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.text import Text
from PIL import Image

from simulation.viz import run_figures as plots
from simulation.viz.style import COLUMN_WIDTH_IN, DPI, FONT_PT


def assert_publishable(chart: plots.Chart, folder) -> None:
    """Written as a non-blank PNG of column width at 200 dpi, with title, labels, legend, CSV."""
    image_path, table_path = plots.write_chart(chart, folder, "png")
    assert image_path.name == f"{chart.name}.png" and table_path.name == f"{chart.name}.csv"
    with Image.open(image_path) as image:
        image.verify()
    with Image.open(image_path) as image:
        width_in, height_in = chart.figure.get_size_inches()
        assert width_in == COLUMN_WIDTH_IN
        assert image.size[0] == COLUMN_WIDTH_IN * DPI
        assert abs(image.size[1] - height_in * DPI) <= 1
        pixels = np.asarray(image.convert("L"), dtype=float)
    assert pixels.std() > 10, "the image is (nearly) blank"
    assert (pixels < 128).mean() > 0.01, "hardly anything is drawn"
    figure = chart.figure
    assert figure._suptitle is not None and len(figure._suptitle.get_text()) > 15
    axes = [ax for ax in figure.axes if ax.get_label() != "<colorbar>"]
    assert all(any(a.get_ylabel() for a in ax.get_shared_y_axes().get_siblings(ax))
               for ax in axes), "every panel's y axis is labelled (or shares a labelled one)"
    assert any(ax.get_xlabel() for ax in axes)
    assert figure.legends or any(ax.get_legend() for ax in axes) or len(figure.axes) > len(axes)
    sizes = [t.get_fontsize() for t in figure.findobj(Text) if t.get_visible() and t.get_text()]
    assert min(sizes) >= FONT_PT, f"text below {FONT_PT} pt"
    written = pd.read_csv(table_path)
    assert list(written.columns) == list(chart.data.columns) and len(written) == len(chart.data)
    numeric = chart.data.select_dtypes("number").columns
    np.testing.assert_allclose(written[numeric].to_numpy(float),
                               chart.data[numeric].to_numpy(float), rtol=1e-12, equal_nan=True)
