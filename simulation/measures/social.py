"""Measures of social proof and of likes versus followers, per run and across seeds.

Per run (``summary.json``):

- ``catalog`` (only for a fixed catalog, ``levers/catalog.py``): each post's views and likes and
  its share of all of them, their inequality across posts (Gini, top-k shares), and the
  rank correlation between the posts' intrinsic quality and their success;
- ``likes_followers``: follows per 1 000 likes by style and by creator group, each
  creator's follower growth and like-to-follower ratio, the share of its likes given by
  its followers (``state.followers.FollowerLedger``), and the rank correlation across creators
  between likes and follower growth.

Across seeds (``aggregate.json``, written by ``experiments.runs.run_seeds``): for runs of the same
catalog, a seed is a replicate world, and the unpredictability of a post is the mean
absolute difference of its share between pairs of worlds (Salganik, Dodds and Watts 2006).

Computed from the model's counters after the run; nothing here feeds back into the model.
Shapes: N posts, C creators, E events (``EVENTS``), W worlds (seeds).
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

import numpy as np

from simulation.core.events import EVENT_INDEX
from simulation.core.statistics import per, spearman
from simulation.levers.catalog import SHARE_EVENTS
from simulation.measures.registry import section

if TYPE_CHECKING:
    from simulation.model import EngagementModel


def _follower_figures(likes: float, follows: float, posts: int, start: float, end: float,
                      follower_likes: float) -> dict[str, float]:
    """The likes-versus-followers figures of a creator or a group of creators."""
    return {"posts": int(posts), "likes": int(likes), "follows": int(follows),
            "likes_per_post": per(likes, posts),
            "follows_per_1k_likes": per(follows, likes, 1000),
            "followers_start": int(start), "followers_end": int(end),
            "follower_gain": int(end - start),
            "follower_growth": per(end - start, start),
            "like_to_follower_ratio": per(likes, end),
            "likes_from_followers_share": per(follower_likes, likes)}


@section("likes_followers")
def likes_followers(model: EngagementModel) -> dict[str, Any]:
    """``likes_followers``: the measures of :func:`likes_followers_measures`."""
    return {"likes_followers": likes_followers_measures(model)}


def likes_followers_measures(model: EngagementModel) -> dict[str, Any]:
    """Follows per 1 000 likes by style and creator group; followers' growth and likes."""
    posts, creators = model.posts, model.creators
    per_post = posts.events()  # (P, E)
    likes, follows = per_post[:, EVENT_INDEX["likes"]], per_post[:, EVENT_INDEX["follows"]]
    creator = posts.creator.astype(np.int64)
    n = creators.size
    creator_likes = np.bincount(creator, weights=likes, minlength=n)  # (C,)
    creator_follows = np.bincount(creator, weights=follows, minlength=n)
    creator_posts = np.bincount(creator, minlength=n)
    start = model.initial_followers.astype(np.float64)
    end = model.follows.count.astype(np.float64)
    follower_likes = model.followers.counts[:, 1, EVENT_INDEX["likes"]].astype(np.float64)

    by_style = {}
    for index, style in enumerate(model.styles.names):
        mine = posts.style == index
        if mine.any():
            style_likes, style_follows = likes[mine].sum(), follows[mine].sum()
            by_style[style] = {"posts": int(mine.sum()), "likes": int(style_likes),
                               "follows": int(style_follows),
                               "likes_per_post": per(style_likes, mine.sum()),
                               "follows_per_1k_likes": per(style_follows, style_likes, 1000)}

    def figures(among: np.ndarray) -> dict[str, float]:
        return _follower_figures(creator_likes[among].sum(), creator_follows[among].sum(),
                                 creator_posts[among].sum(), start[among].sum(),
                                 end[among].sum(), follower_likes[among].sum())

    by_group = {}
    for index, entry in enumerate(model.config.creators):
        mine = creators.entry == index
        by_group[entry.name] = {"creators": int(mine.sum()), **figures(mine)}
    everyone = np.ones(n, dtype=bool)
    return {
        "follows_per_1k_likes": per(follows.sum(), likes.sum(), 1000),
        "likes_from_followers_share": per(follower_likes.sum(), likes.sum()),
        "spearman": {"likes_follower_gain": spearman(creator_likes, end - start),
                     "likes_followers_end": spearman(creator_likes, end)},
        "by_style": by_style,
        "by_creator_group": by_group,
        "all_creators": figures(everyone),
        "creators": {name: figures(np.arange(n) == c) for c, name in enumerate(creators.names)},
    }


def share_unpredictability(shares: np.ndarray) -> np.ndarray:
    """Per post, the mean absolute difference of its share between pairs of worlds.

    ``shares`` (W, N): each world's share of each post. Returns (N,), NaN if W < 2.
    U_i = sum over pairs j < k of |shares[j, i] - shares[k, i]| / (W choose 2).
    """
    worlds = shares.shape[0]
    if worlds < 2:
        return np.full(shares.shape[1], math.nan)
    differences = np.abs(shares[:, None, :] - shares[None, :, :])  # (W, W, N), symmetric
    return differences.sum(axis=(0, 1)) / (worlds * (worlds - 1))


def across_seed_measures(summaries: Iterable[dict[str, Any]]) -> dict[str, Any]:
    """Measures of a set of runs that no single run has: the catalog's unpredictability.

    Present when every run is of a fixed catalog with the same posts; empty otherwise.
    """
    summaries = list(summaries)
    catalogs = [summary.get("catalog") for summary in summaries]
    if len(catalogs) < 2 or any(c is None for c in catalogs):
        return {}
    names = list(catalogs[0]["by_post"])
    if any(list(c["by_post"]) != names for c in catalogs):
        return {}
    result: dict[str, Any] = {"worlds": len(catalogs)}
    by_post: dict[str, dict[str, float]] = {name: {} for name in names}
    for event in SHARE_EVENTS:
        key = f"{event[:-1]}_share"
        shares = np.array([[c["by_post"][name][key] for name in names] for c in catalogs],
                          dtype=np.float64)  # (W, N)
        unpredictability = share_unpredictability(shares)
        result[f"{key}_unpredictability"] = float(unpredictability.mean())
        for index, name in enumerate(names):
            by_post[name][f"mean_{key}"] = float(shares[:, index].mean())
            by_post[name][f"{key}_unpredictability"] = float(unpredictability[index])
    result["by_post"] = by_post
    return {"catalog": result}
