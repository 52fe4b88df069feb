"""What a viewer brings to each post in their feed: one row per impression for the funnel."""

from __future__ import annotations

import numpy as np

from simulation.core.records import Feed, Impressions
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
    creator = posts.creator[post].astype(np.int64)
    segment = population.segment[viewer].astype(np.int64)
    trend = posts.trend[post]
    heat = trends.heat(hour) if len(trends) else np.zeros(1)
    trend_heat = np.where(trend >= 0, heat[np.maximum(trend, 0)], 0.0) * posts.trend_alignment[post]
    first = int(post.min(initial=0))
    topic_units = unit_rows(posts.topic[first:])  # the same per row as on each impression
    return Impressions(
        viewer=viewer,
        post=post,
        slot=slots,
        tier=posts.tier[post].astype(np.int64),
        source=feed.source[rows, slots],
        creator=creator,
        segment=segment,
        interest_match=paired_cosine(interest_units, viewer, topic_units, post - first),
        intent=population.intent[viewer],
        log_propensity=population.log_propensity[viewer],
        susceptibility=population.susceptibility[viewer],
        entertainment=posts.entertainment[post],
        information=posts.information[post],
        call_to_action=posts.call_to_action[post],
        quality=posts.quality[post],
        duration_s=posts.duration_s[post],
        trend_heat=np.asarray(trend_heat, dtype=np.float32),
        displayed_likes=posts.displayed_likes[post],
        relevance=creators.relevance[creator, segment],
        is_brand=creators.is_brand[creator],
        profile_quality=creators.profile_quality[creator],
        price=creators.price[creator],
        consistency=creators.consistency[creator],
        familiarity=np.asarray(familiarity.read(viewer, creator, hour), dtype=np.float32),
        following=follows.table[viewer, creator],
    )
