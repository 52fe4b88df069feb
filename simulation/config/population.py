"""The viewers: segments, their intent, interests, activity and propensities.
"""

from __future__ import annotations

from pydantic import Field

from simulation.config.base import NAME_PATTERN, Beta, Gamma, Section


class Propensities(Section):
    """Personal tendencies to react, as log-normal multipliers of the odds."""

    like: float = Field(1.0, gt=0, description="Median odds multiplier for liking.")
    comment: float = Field(1.0, gt=0, description="Median odds multiplier for commenting.")
    share: float = Field(1.0, gt=0, description="Median odds multiplier for sharing.")
    save: float = Field(1.0, gt=0, description="Median odds multiplier for saving.")
    follow: float = Field(1.0, gt=0, description="Median odds multiplier for following.")
    sigma: float = Field(
        0.5, ge=0, le=3, description="Log-scale spread of each viewer's multipliers (0 = all equal)."
    )


class Segment(Section):
    """A group of viewers whose attributes are drawn from shared distributions."""

    name: str = Field("casual", pattern=NAME_PATTERN, description="Segment name, used in outputs.")
    share: float = Field(
        1.0, gt=0, le=1, description="Share of the population in this segment (shares sum to 1)."
    )
    topic_mix: dict[str, float] = Field(
        default_factory=dict,
        description="Relative weight of each topic in members' interests (empty: all topics equal).",
    )
    interest_concentration: float = Field(
        8.0,
        gt=0,
        description="Dirichlet concentration of members' interests around the mix (higher: more alike).",
    )
    intent: Beta = Field(
        default_factory=lambda: Beta(a=1.0, b=12.0),
        description="Readiness to buy in the brands' category, 0..1.",
    )
    activity: Gamma = Field(
        default_factory=lambda: Gamma(mean=6.0, shape=2.0),
        description="Sessions per day.",
    )
    session_length: Gamma = Field(
        default_factory=lambda: Gamma(mean=12.0, shape=4.0),
        description="Mean posts seen per session (each session draws Poisson around it).",
    )
    propensities: Propensities = Field(
        default_factory=Propensities, description="Tendencies to like, comment, share, save, follow."
    )
    susceptibility: Beta = Field(
        default_factory=lambda: Beta(a=2.0, b=2.0),
        description="Weight given to displayed like counts (social proof), 0..1.",
    )


def _default_segments() -> list[Segment]:
    return [
        Segment(
            name="casual",
            share=0.7,
            topic_mix={"comedy": 3, "dance": 2, "lifestyle": 2, "food": 2, "beauty": 1,
                       "fitness": 1, "tech": 0.5, "finance": 0.5},
            intent=Beta(a=1.0, b=12.0),
        ),
        Segment(
            name="niche_fans",
            share=0.2,
            topic_mix={"tech": 3, "finance": 3, "fitness": 2, "comedy": 1, "food": 1},
            intent=Beta(a=2.0, b=8.0),
            activity=Gamma(mean=5.0, shape=2.0),
        ),
        Segment(
            name="buyers",
            share=0.1,
            topic_mix={"beauty": 4, "lifestyle": 2, "fitness": 1, "comedy": 1},
            intent=Beta(a=4.0, b=4.0),
            activity=Gamma(mean=5.0, shape=2.0),
        ),
    ]


class Population(Section):
    """The viewers of the platform."""

    size: int = Field(20_000, ge=10, le=50_000_000, description="Number of viewers.")
    segments: list[Segment] = Field(
        default_factory=_default_segments, min_length=1, description="Viewer segments."
    )
    eager_agents_up_to: int = Field(
        200_000, ge=0, le=50_000_000,
        description="Platforms up to this size create every viewer's Mesa agent at the start; "
                    "larger ones create an agent when it is first asked for (model.viewer_agents).",
    )
