"""Creators and brands: topics, strategy, posting rate, offers.
"""

from __future__ import annotations

from pydantic import Field

from simulation.config.base import NAME_PATTERN, Beta, Section
from simulation.config.levers import CreatorLevers


class Offer(Section):
    """What a brand sells: its price, who could want it, and how easy the profile makes buying."""

    price: float = Field(30.0, ge=0, description="Price of the product, in currency units.")
    relevance: dict[str, float] = Field(
        default_factory=dict,
        description="How much each segment could want the offer, 0..1 (segments not named: 0).",
    )
    profile_quality: float = Field(
        0.6, ge=0, le=1, description="Link in bio, clear offer, path to purchase, 0..1."
    )
    margin: float = Field(
        1.0, ge=0, le=1,
        description="Share of the price kept after the cost of goods (1: a sale counts whole).",
    )


class CreatorSettings(Section):
    """What every creator has: topics, strategy, posting rate, followers, quality, an offer."""

    name: str = Field("creator", pattern=NAME_PATTERN, description="Name (numbered when count > 1).")
    count: int = Field(1, ge=1, le=100_000, description="Number of alike creators this entry makes.")
    topic_mix: dict[str, float] = Field(
        default_factory=dict, description="Relative weight of each topic in its posts (empty: all)."
    )
    topic_concentration: float = Field(
        20.0, gt=0, description="Dirichlet concentration of each post's topics around the mix."
    )
    strategy: dict[str, float] = Field(
        default_factory=lambda: {"entertainment": 1.0},
        description="Content strategy: relative weight of each post style.",
    )
    posting_rate: float = Field(2.0, ge=0, le=1000, description="Posts per day (Poisson).")
    initial_followers: float = Field(
        0.01, ge=0, le=1, description="Share of viewers following at the start, chosen by interest."
    )
    production_quality: Beta = Field(
        default_factory=lambda: Beta(a=5.0, b=3.0),
        description="Production quality of each post, 0..1.",
    )
    offer: Offer | None = Field(None, description="The brand's offer; absent for plain creators.")


class Creator(CreatorLevers, CreatorSettings):
    """A creator, or a group of `count` alike creators; with an `offer` it is a brand.

    Its fields are its settings, then its levers' sections (``config/levers.py``).
    """


def _default_creators() -> list[Creator]:
    return [
        Creator(name="comic", count=60, topic_mix={"comedy": 4, "dance": 1, "lifestyle": 1},
                strategy={"entertainment": 1.0}, posting_rate=3.0, initial_followers=0.01),
        Creator(name="dancer", count=30, topic_mix={"dance": 4, "comedy": 1},
                strategy={"entertainment": 1.0}, posting_rate=3.0, initial_followers=0.008),
        Creator(name="lifestyle", count=40, topic_mix={"lifestyle": 3, "food": 1, "beauty": 1},
                strategy={"entertainment": 0.6, "educational": 0.4}, posting_rate=2.0,
                initial_followers=0.006),
        Creator(name="foodie", count=25, topic_mix={"food": 4, "lifestyle": 1},
                strategy={"entertainment": 0.6, "educational": 0.4}, posting_rate=2.0,
                initial_followers=0.006),
        Creator(name="explainer", count=40, topic_mix={"tech": 2, "finance": 2, "fitness": 1},
                strategy={"educational": 0.8, "entertainment": 0.2}, posting_rate=2.0,
                initial_followers=0.005),
        Creator(name="coach", count=25, topic_mix={"fitness": 4, "food": 1},
                strategy={"educational": 0.5, "entertainment": 0.5}, posting_rate=2.0,
                initial_followers=0.005),
        Creator(name="beauty", count=25, topic_mix={"beauty": 4, "lifestyle": 1},
                strategy={"entertainment": 0.6, "educational": 0.4}, posting_rate=2.0,
                initial_followers=0.006),
        Creator(name="glow_skincare", topic_mix={"beauty": 3, "lifestyle": 1},
                strategy={"entertainment": 0.4, "educational": 0.35, "promotional": 0.25},
                posting_rate=6.0, initial_followers=0.01,
                offer=Offer(price=35.0, relevance={"buyers": 1.0, "casual": 0.05},
                            profile_quality=0.7)),
        Creator(name="ledger_app", topic_mix={"finance": 3, "tech": 1},
                strategy={"educational": 0.5, "promotional": 0.3, "entertainment": 0.2},
                posting_rate=4.0, initial_followers=0.005,
                offer=Offer(price=60.0, relevance={"niche_fans": 0.8, "buyers": 0.2},
                            profile_quality=0.5)),
    ]


