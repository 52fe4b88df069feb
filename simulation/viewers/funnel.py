"""The reaction funnel: how a viewer reacts to a post placed in their feed.

All impressions of a step are processed at once (n impressions). Each event is
a Bernoulli draw whose log-odds are linear in named drivers, with coefficients
from the scenario. Likes are driven by *appeal*; leads by *intent x relevance*.
That separation is the engine of viral mismatch, and it is kept visible here:
no event downstream of the profile visit looks at entertainment, and no like
looks at intent or relevance.
"""

from __future__ import annotations

import numpy as np

from simulation.config.funnel import Funnel
from simulation.core.events import EVENTS, PROPENSITY_EVENTS
from simulation.core.records import Impressions, Reactions
from simulation.kernels.row_parts import in_row_parts
from simulation.viewers.attention import attention
from simulation.viewers.social_proof import read_like_counts

_PROPENSITY = {name: index for index, name in enumerate(PROPENSITY_EVENTS)}


_DRAWS = ("view", "completion", "watch", "like", "comment", "share", "save", "profile_visit",
          "follow", "link_click", "lead", "purchase")


_DRAW = {name: index for index, name in enumerate(_DRAWS)}


def sigmoid(log_odds: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-log_odds))


def appeal(config: Funnel, imp: Impressions, noise: np.ndarray) -> np.ndarray:
    """How much the post appeals to the viewer: topic match, entertainment, quality,
    information that speaks to their intent, trend heat, noise (n,)."""
    weights = config.appeal
    # Entertainment entertains to the extent the topic is the viewer's (a dance video,
    # dance fans): with taste t, its weight is scaled by (1 - t) + t x interest match.
    taste = weights.entertainment_taste
    # (taste 0 skips the product, so that runs without taste keep their exact numbers)
    entertained = imp.entertainment if taste == 0 else imp.entertainment * (
        (1.0 - taste) + taste * imp.interest_match)
    return (weights.interest_match * imp.interest_match
            + weights.entertainment * entertained
            + weights.quality * imp.quality
            + weights.information_intent * imp.information * imp.intent
            + weights.trend_heat * imp.trend_heat
            + weights.noise_sd * noise)


def react(config: Funnel, imp: Impressions, rng: np.random.Generator) -> Reactions:
    """Draw every funnel event for every impression.

    One uniform per potential event and impression is drawn up front, whether or
    not the event is reachable, so that changing one coefficient does not shift
    the random numbers of the others (common random numbers across scenarios).
    """
    n = len(imp)
    uniform = rng.random((len(_DRAWS), n), dtype=np.float32)  # one row per draw, contiguous
    noise = rng.standard_normal(n, dtype=np.float32)
    # Each impression's reactions depend on its own row alone: ranges of rows run in threads.
    return in_row_parts(n, lambda rows: _react_rows(config, imp.rows(rows), uniform[:, rows],
                                                    noise[rows]), Reactions.joined)


def _react_rows(config: Funnel, imp: Impressions, uniform: np.ndarray,
                noise: np.ndarray) -> Reactions:
    """The funnel for impressions (n,), given their uniforms (n_draws, n) and noise (n,)."""
    n = len(imp)
    appeal_ = appeal(config, imp, noise)
    intent_relevance = imp.intent * imp.relevance
    familiarity = np.log1p(imp.familiarity)

    def happens(name: str, log_odds: np.ndarray, among: np.ndarray) -> np.ndarray:
        return among & (uniform[_DRAW[name]] < sigmoid(log_odds))

    def propensity(name: str) -> np.ndarray:
        return imp.log_propensity[:, _PROPENSITY[name]]

    c = config
    events: dict[str, np.ndarray] = {"impressions": np.ones(n, dtype=bool)}
    # Social proof: what the viewer reads into the like count shown (viewers/social_proof.py).
    social_proof = imp.susceptibility * read_like_counts(c, imp)
    # Watch or swipe: appeal and social proof set the odds; attention at the slot scales the chance.
    watch_chance = attention(c.attention, imp.slot) * sigmoid(
        c.view.intercept + c.view.appeal * appeal_ + c.view.social_proof * social_proof)
    viewed = events["impressions"] & (uniform[_DRAW["view"]] < watch_chance)
    events["views"] = viewed
    completed = happens("completion", c.completion.intercept + c.completion.appeal * appeal_
                        + c.completion.duration * imp.duration_s / 10.0, viewed)
    events["completions"] = completed
    # Share of the video watched: all of it if completed, otherwise a draw that rises with appeal.
    partial = 0.05 + 0.9 * uniform[_DRAW["watch"]] ** (1.0 / (1.0 + np.maximum(appeal_, 0)))
    watch_fraction = np.where(completed, 1.0, np.where(viewed, partial, 0.0)).astype(np.float32)

    events["likes"] = happens("like", c.like.intercept + c.like.appeal * appeal_
                              + c.like.social_proof * social_proof
                              + c.like.completion * completed + propensity("like"), viewed)
    events["comments"] = happens("comment", c.comment.intercept + c.comment.appeal * appeal_
                                 + c.comment.information_intent * imp.information * imp.intent
                                 + propensity("comment"), viewed)
    events["intent_comments"] = events["comments"] & (imp.intent >= c.intent_comment_threshold)
    events["shares"] = happens("share", c.share.intercept + c.share.appeal * appeal_
                               + c.share.entertainment * imp.entertainment
                               + c.share.trend_heat * imp.trend_heat + propensity("share"), viewed)
    events["saves"] = happens("save", c.save.intercept
                              + c.save.information_intent * imp.information * imp.intent
                              + c.save.information * imp.information + propensity("save"), viewed)
    visited = happens("profile_visit", c.profile_visit.intercept
                      + c.profile_visit.call_to_action * imp.call_to_action
                      + c.profile_visit.intent_relevance * intent_relevance
                      + c.profile_visit.familiarity * familiarity
                      + c.profile_visit.appeal * appeal_
                      + events["likes"] * (c.profile_visit.like
                                           + c.profile_visit.like_call_to_action
                                           * imp.call_to_action), viewed)
    events["profile_visits"] = visited
    events["follows"] = happens("follow", c.follow.intercept + c.follow.appeal * appeal_
                                + c.follow.consistency * imp.consistency
                                + c.follow.profile_visit * visited
                                + c.follow.like * events["likes"] + propensity("follow"),
                                viewed & ~imp.following)
    # Past the profile the funnel runs on intent x relevance, trust and the profile itself. Only
    # visitors of a brand's profile can go on (a few in a thousand impressions): the same
    # numbers are computed for them alone.
    tail = np.flatnonzero(visited & imp.is_brand)
    tail_intent_relevance, tail_familiarity = intent_relevance[tail], familiarity[tail]

    def happens_in_tail(name: str, log_odds: np.ndarray, among: np.ndarray) -> np.ndarray:
        return among & (uniform[_DRAW[name], tail] < sigmoid(log_odds))

    clicked = happens_in_tail("link_click", c.link_click.intercept
                              + c.link_click.profile_quality * imp.profile_quality[tail]
                              + c.link_click.intent_relevance * tail_intent_relevance
                              + c.link_click.familiarity * tail_familiarity,
                              np.ones(len(tail), dtype=bool))
    lead = happens_in_tail("lead", c.lead.intercept
                           + c.lead.intent_relevance * tail_intent_relevance
                           + c.lead.familiarity * tail_familiarity, clicked)
    price_term = np.log(np.maximum(imp.price[tail], 1e-6) / c.reference_price)
    purchased = happens_in_tail("purchase", c.purchase.intercept
                                + c.purchase.intent_relevance * tail_intent_relevance
                                + c.purchase.familiarity * tail_familiarity
                                + c.purchase.price * price_term, lead)
    for name, happened in (("link_clicks", clicked), ("leads", lead), ("purchases", purchased)):
        events[name] = np.zeros(n, dtype=bool)
        events[name][tail] = happened
    revenue = np.where(events["purchases"], imp.price, 0.0).astype(np.float64)
    return Reactions(events={name: events[name] for name in EVENTS},
                     watch_fraction=watch_fraction, revenue=revenue)
