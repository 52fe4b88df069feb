"""The HTML report in a real browser: it loads, nothing runs off the page, every image shows.

Headless Chromium (Debian's ``chromium``, installed by ``.ci/run``) loads the report of two
seeds, measures it, and takes a screenshot of the first screen.
"""

from __future__ import annotations

import pytest
from PIL import Image

from simulation.viz import run_figures as plots
from simulation.viz.reports import write_report
from tests.support.browser import HEIGHT, LAYOUT, WIDTH, Browser, chromium


@pytest.fixture(scope="module")
def browser():
    executable = chromium()
    if executable is None:
        pytest.skip("chromium is not installed: `apt-get install -y chromium` (.ci/run does)")
    with Browser(executable) as opened:
        yield opened


@pytest.mark.parametrize("width", [WIDTH, 600])
def test_report_fits_the_window_and_every_image_loads(browser, seeds_folder, tmp_path, width):
    report = write_report(seeds_folder, tmp_path / "report.html").path
    browser.call("Emulation.setDeviceMetricsOverride", session=True, width=width,
                 height=HEIGHT, deviceScaleFactor=1, mobile=False)
    browser.load(report.as_uri())
    layout = browser.evaluate(LAYOUT)
    assert layout["overflowing"] == [] and layout["page"] <= layout["window"], layout
    assert layout["images"] == len(plots.CHARTS) and layout["broken"] == 0, layout
    assert browser.evaluate("document.body.innerText").count("Warning: only 2 runs") == 1
    shot = browser.screenshot(tmp_path / "first_screen.png")
    with Image.open(shot) as image:
        assert image.size == (width, HEIGHT)
