"""A fixed catalog of posts visited once by each viewer (the catalog lever's section).
"""

from __future__ import annotations

from pydantic import Field

from simulation.config.base import NAME_PATTERN, Section


class CatalogPost(Section):
    """One post of a fixed catalog, with its attributes given rather than drawn."""

    name: str = Field("post", pattern=NAME_PATTERN, description="Name of the post, used in outputs.")
    creator: str = Field("creator", description="Its creator, by its name in the outputs "
                                                "(entries with count > 1 are numbered: band-3).")
    style: str = Field("entertainment", description="Its style (for measures by style).")
    topic_mix: dict[str, float] = Field(
        default_factory=dict, description="Relative weight of each topic (empty: all topics equal).")
    quality: float = Field(
        0.5, ge=0, le=1,
        description="Intrinsic quality, 0..1 (the post's production quality: it enters appeal "
                    "with weight funnel.appeal.quality).")
    entertainment: float = Field(0.5, ge=0, le=1, description="Entertainment e, 0..1.")
    information: float = Field(0.0, ge=0, le=1, description="Information i, 0..1.")
    call_to_action: float = Field(0.0, ge=0, le=1, description="Call to action k, 0..1.")
    duration_s: float = Field(30.0, gt=0, le=36_000, description="Duration, seconds.")


class Catalog(Section):
    """A fixed catalog (as in Salganik et al.'s MusicLab): these posts only, no new ones, and
    each viewer visits once, seeing the whole catalog in the order of the ranking policy."""

    posts: list[CatalogPost] = Field(default_factory=lambda: [CatalogPost()], min_length=1,
                                     description="The posts of the catalog.")


