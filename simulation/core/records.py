"""What passes between the layers in one step: feeds, live posts, impressions, reactions.

Plain arrays in dataclasses (A active viewers, L feed slots, n impressions), so that
the ranking, the funnel and the bookkeeping share no state but these records.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

import numpy as np


@dataclass
class Feed:
    """Feeds of the active viewers: posts (A, L) int64, -1 padded; source (A, L) int8.

    ``column`` (A, L) is the candidate column each slot was taken from.
    """

    viewers: np.ndarray
    posts: np.ndarray
    source: np.ndarray
    column: np.ndarray | None = None


@dataclass
class LivePosts:
    """Posts that can still be recommended: the contiguous id range first..first+n-1.

    Per-post arrays are indexed by ``id - first``.
    """

    first: int
    ids: np.ndarray  # (n,)
    freshness: np.ndarray  # (n,) 2^(-age / half-life)
    tier: np.ndarray  # (n,)

    def local(self, posts: np.ndarray) -> np.ndarray:
        """Positions of post ids in the live arrays (invalid ids map to 0)."""
        return np.where(posts >= 0, posts - self.first, 0)


@dataclass
class Impressions:
    """One row per impression (n,): who saw what, where, and what they bring to it."""

    viewer: np.ndarray  # int64 viewer index
    post: np.ndarray  # int64 post id
    slot: np.ndarray  # int64 position in the feed, 0 = first
    tier: np.ndarray  # int64 distribution tier of the post when shown
    source: np.ndarray  # int8 candidate source (core.sources.SOURCES)
    creator: np.ndarray  # int64
    segment: np.ndarray  # int64 viewer segment
    interest_match: np.ndarray  # float32 cosine of true interests and post topics, 0..1
    intent: np.ndarray  # float32 viewer intent
    log_propensity: np.ndarray  # float32 (n, len(PROPENSITY_EVENTS))
    susceptibility: np.ndarray  # float32
    entertainment: np.ndarray  # float32 post attributes...
    information: np.ndarray
    call_to_action: np.ndarray
    quality: np.ndarray
    duration_s: np.ndarray
    trend_heat: np.ndarray  # float32 heat of the post's trend x its alignment, now
    displayed_likes: np.ndarray  # int64 like count shown on the post
    relevance: np.ndarray  # float32 relevance of the creator's offer to the viewer's segment
    is_brand: np.ndarray  # bool creator has an offer (a link to click)
    profile_quality: np.ndarray  # float32
    price: np.ndarray  # float32
    consistency: np.ndarray  # float32 creator's topical consistency
    familiarity: np.ndarray  # float32 viewer's familiarity with the creator
    following: np.ndarray  # bool viewer already follows the creator

    def __len__(self) -> int:
        return len(self.viewer)

    def rows(self, rows: slice) -> Impressions:
        """The impressions of a range of rows (views of these arrays, not copies)."""
        return Impressions(**{field.name: getattr(self, field.name)[rows] for field in fields(self)})


@dataclass
class Reactions:
    """Outcome of each impression: one bool array per event (n,), watch share and revenue."""

    events: dict[str, np.ndarray]
    watch_fraction: np.ndarray  # float32, 0 if swiped past
    revenue: np.ndarray  # float64

    @staticmethod
    def joined(parts: list[Reactions]) -> Reactions:
        """The reactions of consecutive ranges of impressions, as one."""
        if len(parts) == 1:
            return parts[0]
        return Reactions(
            events={name: np.concatenate([part.events[name] for part in parts])
                    for name in parts[0].events},
            watch_fraction=np.concatenate([part.watch_fraction for part in parts]),
            revenue=np.concatenate([part.revenue for part in parts]))
