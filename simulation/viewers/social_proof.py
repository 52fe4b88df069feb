"""Social proof: what a viewer reads into the like count shown on a post.

"High like counts suggest popularity... new viewers interpret likes as validation"
(source article 0, docs/sources.md). The funnel weighs a post's displayed likes at two
points, each with its own coefficient: whether the viewer watches it or swipes past
(``funnel.view.social_proof``) and whether they like it (``funnel.like.social_proof``); in
both the term is the viewer's susceptibility x the count as read here:

- ``absolute`` (the default): log(1 + likes). Every count raises the odds, so a platform
  whose posts all have many likes is watched and liked more everywhere.
- ``feed``: log(1 + likes) minus its mean over the posts of the viewer's feed in this step.
  The count tells the viewer which post is more popular than the others they are shown,
  as in a chart or a list with counts: social proof moves attention between posts rather
  than adding to it.

With ``funnel.show_like_counts = false`` the viewer sees no counts: the term is 0 for
every post (the platform still counts likes, and the popularity policy still ranks by them).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from simulation.config.funnel import Funnel

if TYPE_CHECKING:
    from simulation.core.records import Impressions


def read_like_counts(config: Funnel, imp: Impressions) -> np.ndarray:
    """The like count of each impression as the viewer reads it (n,) float64."""
    if not config.show_like_counts:
        return np.zeros(len(imp))
    read = np.log1p(imp.displayed_likes.astype(np.float64))
    if config.social_proof_reference == "feed" and len(imp):
        # One feed per viewer and step: the mean over the impressions of the same viewer.
        _, feed, size = np.unique(imp.viewer, return_inverse=True, return_counts=True)
        read = read - (np.bincount(feed, weights=read) / size)[feed]
    return read
