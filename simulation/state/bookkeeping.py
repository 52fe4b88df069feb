"""Recording a step's reactions: counters, what viewers learned, what the platform learned.

After the funnel, one pass over the step's impressions (n,) updates the posts'
counters (by event, segment and tier, and by cumulative reach), the platform-wide
tallies and rates, the impression history, exposures and familiarity, follows, the
platform's interest estimates and friends' share inboxes. Vectorised over impressions.
"""

from __future__ import annotations

import numpy as np

from simulation.core.events import EVENT_INDEX, EVENTS, REACH_EVENTS, event_bits
from simulation.core.records import Impressions, Reactions
from simulation.core.sources import PAID_SOURCES, SOURCE_INDEX, SOURCES
from simulation.kernels.counting import rank_within_groups, tally
from simulation.kernels.gathers import take
from simulation.state.familiarity import EXPOSURE_BUCKETS
from simulation.state.platform_state import PlatformState

_REACH_COLUMNS = [EVENT_INDEX[name] for name in REACH_EVENTS]
_PAID = [SOURCE_INDEX[name] for name in PAID_SOURCES]


def record_reactions(state: PlatformState, imp: Impressions, reactions: Reactions) -> None:
    """Update counters, platform estimates, familiarity, follows and shares."""
    posts, events = state.posts, reactions.events
    n_segments, n_tiers = posts.n_segments, posts.n_tiers
    # A viewer who meets two posts of a creator in one step can follow only once.
    follows = np.flatnonzero(events["follows"])
    pairs = imp.viewer[follows] * state.creators.size + imp.creator[follows]
    once = np.unique(pairs, return_index=True)[1]
    events["follows"][np.delete(follows, once)] = False
    bits = event_bits(events)
    first = int(imp.post.min(initial=0))  # the oldest post shown: counters are kept from there
    if len(imp):
        _record_reach(state, imp, bits, first)
        span = posts.size - first
        local = imp.post - first
        cell = (local * n_segments + imp.segment) * n_tiers + imp.tier
        posts.counts[first:] += np.moveaxis(
            tally(cell, bits, span * n_segments * n_tiers).reshape(
                span, n_segments, n_tiers, len(EVENTS)), 3, 1)
        posts.watch_fraction_sum[first:] += np.bincount(local, weights=reactions.watch_fraction,
                                                        minlength=span)
        posts.revenue[first:] += np.bincount(local, weights=reactions.revenue, minlength=span)
        # Tier budgets are spent by organic impressions; paid ones are not.
        organic = ~np.isin(imp.source, _PAID)
        posts.tier_impressions[first:] += np.bincount(local[organic], minlength=span)

    tallies = state.tallies
    tallies.slots += tally(imp.slot, bits, tallies.slots.shape[1]).T
    tallies.sources += tally(imp.source, bits, len(SOURCES)).T
    step_totals = tally(np.zeros(len(imp), dtype=np.int64), bits, 1)[0].astype(np.float64)
    state.rates.record(step_totals, float(reactions.watch_fraction.sum()))
    state.followers.record(imp, bits)

    # What viewers learned, and what the platform learned about them.
    state.history.mark(imp.viewer, imp.post)
    viewed = np.flatnonzero(events["views"])
    viewer, creator = take(imp.viewer, viewed), take(imp.creator, viewed)  # of each view
    _record_exposures(state, imp, bits, viewer, creator)
    state.familiarity.expose(viewer, creator, state.hour)
    followed = events["follows"]
    state.follows.add(imp.viewer[followed], imp.creator[followed])
    weights = state.config.platform.signal
    # Watching more than half of a video is evidence of interest; a quick swipe is not.
    watched = np.maximum(2.0 * reactions.watch_fraction - 1.0, 0.0)
    signal = (weights.watch * watched + weights.like * events["likes"]
              + weights.comment * events["comments"] + weights.share * events["shares"]
              + weights.save * events["saves"] + weights.follow * events["follows"])
    state.estimates.learn(viewer, take(posts.topic[first:], take(imp.post, viewed) - first),
                          take(signal, viewed).astype(np.float64))
    shared = events["shares"]
    state.inbox.deliver(state.graph, imp.viewer[shared], imp.post[shared], state.hour)


def _record_exposures(state: PlatformState, imp: Impressions, bits: np.ndarray,
                      viewer: np.ndarray, creator: np.ndarray) -> None:
    """Count events by the viewer's prior exposures to the creator, then add this step's
    views (their viewers and creators (m,))."""
    bucket = state.exposures.bucket(imp.viewer, imp.creator)
    n_buckets = len(EXPOSURE_BUCKETS)
    curve = state.tallies.exposures
    curve[0] += tally(bucket, bits, n_buckets)
    curve[1] += tally(bucket[imp.is_brand], bits[imp.is_brand], n_buckets)
    state.exposures.expose(viewer, creator)


def _record_reach(state: PlatformState, imp: Impressions, bits: np.ndarray, first: int) -> None:
    """Count impressions, likes and leads by the post's cumulative reach when they happened."""
    posts = state.posts
    rank = rank_within_groups(imp.post)
    # Called before this step's counters are added: reach so far, plus rank within the step.
    reach_so_far = posts.counts[first:, EVENT_INDEX["impressions"]].sum(axis=(1, 2))
    reach = reach_so_far[imp.post - first] + rank
    edges = np.asarray(state.config.metrics.reach_bins)
    reach_bin = np.searchsorted(edges, reach, side="right") - 1
    n_bins, n_segments = posts.n_reach_bins, posts.n_segments
    span = posts.size - first
    cell = ((imp.post - first) * n_bins + reach_bin) * n_segments + imp.segment
    counted = tally(cell, bits, span * n_bins * n_segments)[:, _REACH_COLUMNS]
    posts.reach_counts[first:] += np.moveaxis(
        counted.reshape(span, n_bins, n_segments, len(REACH_EVENTS)), 3, 1)
