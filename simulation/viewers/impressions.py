"""What a viewer brings to each post in their feed: one row per impression for the funnel."""

from __future__ import annotations

import numpy as np

from simulation.core.records import Feed, Impressions
from simulation.kernels.gathers import take, take_pairs
from simulation.kernels.interests import paired_cosine, unit_rows
from simulation.state.creators import CreatorTable
from simulation.state.familiarity import Familiarity
from simulation.state.graph import Follows
from simulation.state.population import Population
from simulation.state.posts import PostStore
from simulation.state.trends import Trends


def impressions_of(feed: Feed, population: Population, interest_units: np.ndarray,
                   creators: CreatorTable, posts: PostStore, trends: Trends,
                   familiarity: Familiarity, follows: Follows, hour: float) -> Impressions:
    """Flatten feeds (A, L) into one row per impression (n,), with what the funnel needs.

    ``interest_units`` (V, T) are the viewers' true interests as unit vectors.
    """
    rows, slots = np.nonzero(feed.posts >= 0)
    viewer = feed.viewers[rows]
    post = feed.posts[rows, slots]
    first = int(post.min(initial=0))
    local = post - first
    live = slice(first, None)  # the posts shown: the gathers below read these alone

    def of_post(values: np.ndarray) -> np.ndarray:
        return take(values[live], local)

    creator = of_post(posts.creator).astype(np.int64)
    segment = take(population.segment, viewer).astype(np.int64)
    trend = posts.trend[live]
    heat = trends.heat(hour) if len(trends) else np.zeros(1)
    trend_heat = np.where(trend >= 0, heat[np.maximum(trend, 0)], 0.0) * posts.trend_alignment[live]
    topic_units = unit_rows(posts.topic[live])  # the same per row as on each impression
    return Impressions(
        viewer=viewer,
        post=post,
        slot=slots,
        tier=of_post(posts.tier).astype(np.int64),
        source=feed.source[rows, slots],
        creator=creator,
        segment=segment,
        interest_match=paired_cosine(interest_units, viewer, topic_units, local),
        intent=take(population.intent, viewer),
        log_propensity=take(population.log_propensity, viewer),
        susceptibility=take(population.susceptibility, viewer),
        entertainment=of_post(posts.entertainment),
        information=of_post(posts.information),
        call_to_action=of_post(posts.call_to_action),
        quality=of_post(posts.quality),
        duration_s=of_post(posts.duration_s),
        trend_heat=take(np.asarray(trend_heat, dtype=np.float32), local),
        displayed_likes=of_post(posts.displayed_likes),
        relevance=take_pairs(creators.relevance, creator, segment),
        is_brand=take(creators.is_brand, creator),
        profile_quality=take(creators.profile_quality, creator),
        price=take(creators.price, creator),
        consistency=take(creators.consistency, creator),
        familiarity=np.asarray(familiarity.read(viewer, creator, hour), dtype=np.float32),
        following=take_pairs(follows.table, viewer, creator),
    )
