"""Post styles and trends.
"""

from __future__ import annotations

from pydantic import Field

from simulation.config.base import NAME_PATTERN, Beta, Gamma, Section


class Style(Section):
    """A post style: the distributions its posts' attributes are drawn from."""

    entertainment: Beta = Field(default_factory=lambda: Beta(a=2, b=2),
                                description="Entertainment e, 0..1.")
    information: Beta = Field(default_factory=lambda: Beta(a=2, b=2),
                              description="Information i, 0..1.")
    call_to_action: Beta = Field(default_factory=lambda: Beta(a=2, b=2),
                                 description="Call to action k, 0..1.")
    trend_alignment: Beta = Field(default_factory=lambda: Beta(a=2, b=2),
                                  description="Alignment h with the trend it rides, 0..1.")
    trend_riding: float = Field(
        0.0, ge=0, le=1, description="Probability that a post rides a currently hot trend."
    )
    duration_s: Gamma = Field(default_factory=lambda: Gamma(mean=25.0, shape=4.0),
                              description="Video duration, seconds.")


def _default_styles() -> dict[str, Style]:
    # The specification's table of styles (docs/specification.md, 'Creators and brands'):
    # entertainment/trend high e and h; educational high i; promotional high k.
    return {
        "entertainment": Style(
            entertainment=Beta(a=8, b=2), information=Beta(a=1.5, b=8),
            call_to_action=Beta(a=1.2, b=10), trend_alignment=Beta(a=6, b=2.5),
            trend_riding=0.7, duration_s=Gamma(mean=18.0, shape=4.0)),
        "educational": Style(
            entertainment=Beta(a=3, b=5), information=Beta(a=8, b=2),
            call_to_action=Beta(a=4, b=5), trend_alignment=Beta(a=1.5, b=8),
            trend_riding=0.1, duration_s=Gamma(mean=40.0, shape=4.0)),
        "promotional": Style(
            entertainment=Beta(a=2, b=7), information=Beta(a=4, b=4),
            call_to_action=Beta(a=8, b=2), trend_alignment=Beta(a=1.2, b=10),
            trend_riding=0.05, duration_s=Gamma(mean=25.0, shape=4.0)),
    }


class Trend(Section):
    """A trend (sound, challenge, meme) whose heat rises, peaks and fades."""

    name: str = Field("trend", pattern=NAME_PATTERN, description="Trend name.")
    topic: str = Field("comedy", description="Topic the trend belongs to.")
    start_hour: float = Field(0.0, ge=0, description="Hour at which the trend starts rising.")
    rise_hours: float = Field(12.0, gt=0, description="Hours from start to peak (linear rise).")
    half_life_hours: float = Field(24.0, gt=0, description="Half-life of the fade after the peak.")
    peak_heat: float = Field(1.0, ge=0, le=10, description="Heat at the peak.")


def _default_trends() -> list[Trend]:
    return [
        Trend(name="mirror_dance", topic="dance", start_hour=6, rise_hours=18, half_life_hours=30),
        Trend(name="office_prank", topic="comedy", start_hour=60, rise_hours=12, half_life_hours=24),
        Trend(name="glass_skin", topic="beauty", start_hour=100, rise_hours=24, half_life_hours=36,
              peak_heat=0.8),
    ]
