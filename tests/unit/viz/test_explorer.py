"""The explorer: its scenario from the sliders, its charts, and the app in a real browser.

The browser test starts ``solara run simulation.viz.explorer_app`` on a free local port,
opens it in Debian's headless Chromium (driven by playwright, which downloads no browser),
presses Step three times and checks that the status and every chart changed. With
``ENGAGEMENT_SIM_SCREENSHOTS=DIR`` set it also saves ``DIR/explorer.png`` (docs/figures/).
"""

from __future__ import annotations

import inspect
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from matplotlib.figure import Figure

from simulation.config.loading import load_scenario
from simulation.viz.explorer import (
    CHARTS,
    ExplorerModel,
    explorer_parameters,
    explorer_scenario,
    status_text,
)
from tests.support.scenarios import BASELINE

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update",
                  "--disable-sync"]


@pytest.fixture(scope="module")
def absolute_budgets(tmp_path_factory) -> Path:
    """The baseline at 2 000 viewers with tier budgets in impressions."""
    path = tmp_path_factory.mktemp("scenarios") / "absolute.toml"
    path.write_text(f'extends = "{BASELINE.as_posix()}"\n[population]\nsize = 2000\n'
                    '[ranking.distribution]\nbudget_unit = "impressions"\n'
                    '[[ranking.distribution.tiers]]\nbudget = 30\n'
                    '[[ranking.distribution.tiers]]\nbudget = 150\n'
                    '[[ranking.distribution.tiers]]\nbudget = "unlimited"\n')
    return path


def test_the_sliders_change_the_scenario(absolute_budgets):
    base = explorer_scenario(BASELINE)
    assert base.population.size == 5000  # the baseline's 20 000, capped for responsiveness
    budgets = [tier.budget for tier in load_scenario(BASELINE).ranking.distribution.tiers]
    changed = explorer_scenario("baseline", viewers=2000, like_weight=4.0, lead_weight=50.0,
                                tier_budgets=2.0, intent=2.0, trend_riding=0.2,
                                show_like_counts=False)
    assert changed.population.size == 2000 and changed.ranking.weights.like == 4.0
    assert changed.ranking.weights.lead == 50.0 and not changed.funnel.show_like_counts
    assert changed.styles["entertainment"].trend_riding == 0.2
    scaled = [tier.budget for tier in changed.ranking.distribution.tiers]
    for before, after in zip(budgets, scaled, strict=True):  # per viewer: only the slider's x2
        assert after == before if before == "unlimited" else after == pytest.approx(2 * before)
    absolute = explorer_scenario(absolute_budgets, viewers=1000, tier_budgets=2.0)
    given = load_scenario(absolute_budgets).ranking.distribution.tiers
    assert [t.budget for t in absolute.ranking.distribution.tiers[:2]] == [
        max(1, round(t.budget * 1000 / 2000 * 2.0)) for t in given[:2]]
    for old, new in zip(base.population.segments, changed.population.segments, strict=True):
        assert new.intent.mean == pytest.approx(min(0.95, 2 * old.intent.mean))
        assert new.intent.a + new.intent.b == pytest.approx(old.intent.a + old.intent.b)


def test_the_parameters_build_the_model_and_every_chart_draws():
    parameters = explorer_parameters("baseline")
    accepted = inspect.signature(ExplorerModel.__init__).parameters
    assert set(parameters) <= set(accepted)
    values = {name: spec["value"] for name, spec in parameters.items()}
    model = ExplorerModel(**{**values, "viewers": 600})
    assert "step 0 of 168" in status_text(model)
    for _ in range(3):
        model.step()
    assert len(model.step_seconds) == 3 and "step 3 of 168" in status_text(model)
    for draw in CHARTS:
        figure = draw(model)
        assert isinstance(figure, Figure) and figure.axes[0].has_data()


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.mark.slow
@pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian's chromium is not installed "
                    "(.ci/run installs it: apt-get install -y chromium)")
def test_the_explorer_steps_in_a_browser(tmp_path):
    from playwright.sync_api import sync_playwright

    scenario = tmp_path / "small.toml"
    scenario.write_text(f'extends = "{BASELINE.as_posix()}"\nname = "explorer_test"\n'
                        "[population]\nsize = 1500\n")
    port = _free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "solara", "run", "simulation.viz.explorer_app", "--port",
         str(port), "--host", "127.0.0.1", "--no-open", "--production"],
        cwd=tmp_path, env={**os.environ, "ENGAGEMENT_SIM_EXPLORE": str(scenario)},
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    url = f"http://127.0.0.1:{port}/"
    try:
        deadline = time.monotonic() + 180
        while True:
            try:
                with urllib.request.urlopen(url, timeout=5):
                    break
            except OSError:
                if server.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(f"the explorer did not start:\n{server.stdout.read()[-3000:]}")
                time.sleep(1)
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
            page = browser.new_page(viewport={"width": 1500, "height": 1150})
            page.goto(url)
            page.get_by_text("step 0 of", exact=False).wait_for(timeout=120_000)
            charts = page.locator("img")
            charts.nth(len(CHARTS) - 1).wait_for(timeout=60_000)
            assert charts.count() == len(CHARTS)
            before = [charts.nth(i).get_attribute("src") for i in range(len(CHARTS))]
            for step in (1, 2, 3):
                page.get_by_role("button", name="Step", exact=True).click()
                page.get_by_text(f"step {step} of", exact=False).wait_for(timeout=120_000)
            page.wait_for_timeout(1500)  # the charts of the last step
            after = [charts.nth(i).get_attribute("src") for i in range(len(CHARTS))]
            assert all(a != b for a, b in zip(after, before, strict=True)), \
                "every chart is redrawn after the steps"
            page.screenshot(path=tmp_path / "explorer.png", full_page=True)
            browser.close()
        wanted = os.environ.get("ENGAGEMENT_SIM_SCREENSHOTS")
        if wanted:
            shutil.copyfile(tmp_path / "explorer.png", Path(wanted) / "explorer.png")
    finally:
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
