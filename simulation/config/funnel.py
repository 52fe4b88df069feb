"""The reaction funnel: appeal and the coefficients of each event.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from simulation.config.base import Section


class Appeal(Section):
    """How much a post appeals to a viewer (the driver of watching and liking).

    Appeal is a weighted sum; a weight may be negative (the factor then lowers appeal), as
    may the coefficients of the funnel's log-odds below.
    """

    interest_match: float = Field(1.5, description="Weight of the viewer-post topic match (0..1).")
    entertainment: float = Field(3.0, description="Weight of the post's entertainment e.")
    entertainment_taste: float = Field(
        0.0, ge=0, le=1,
        description="How much entertainment depends on the viewer's tastes: its weight is "
                    "scaled by (1 - t) + t x interest match (0: a post entertains everyone alike).")
    quality: float = Field(0.5, description="Weight of production quality.")
    information_intent: float = Field(0.5, description="Weight of information x viewer intent.")
    trend_heat: float = Field(1.5, description="Weight of the trend's heat x alignment h.")
    noise_sd: float = Field(0.5, ge=0, description="Standard deviation of per-impression noise.")


class ViewCoefficients(Section):
    """Log-odds that an impression is watched rather than swiped past."""

    intercept: float = Field(-1.0, description="Log-odds at zero appeal.")
    appeal: float = Field(0.8, description="Per unit of appeal.")
    social_proof: float = Field(
        0.0, description="Per unit of susceptibility x log(1 + displayed likes): like counts "
                         "drawing viewers into a post (0: the choice to watch ignores them)."
    )


class Attention(Section):
    """Attention over feed slots: the chance of watching a post is scaled by attention(slot).

    attention(s) = floor + (1 - floor) x 2^(-s / half_life_slots), s = 0 for the first post of
    the step's feed; or, when ``by_slot`` is given, its values (the last one for later slots).
    """

    floor: float = Field(
        0.8, ge=0, le=1,
        description="Attention far down the feed, relative to the first slot (1: position "
                    "does not matter).")
    half_life_slots: float = Field(
        12.0, gt=0, le=10_000,
        description="Slots after which attention has lost half of the way to the floor.")
    by_slot: list[Annotated[float, Field(ge=0, le=1)]] = Field(
        default_factory=list,
        description="Attention per slot from the first, each 0..1, the last repeated for later "
                    "slots (empty: the decay above).")


class CompletionCoefficients(Section):
    """Log-odds that a watched video is watched to the end."""

    intercept: float = Field(-1.4, description="Log-odds at zero appeal.")
    appeal: float = Field(0.7, description="Per unit of appeal.")
    duration: float = Field(-0.4, description="Per 10 seconds of video.")


class LikeCoefficients(Section):
    """Log-odds of a like, given a view."""

    intercept: float = Field(-7.4, description="Log-odds at zero appeal.")
    appeal: float = Field(0.9, description="Per unit of appeal.")
    social_proof: float = Field(
        0.1, description="Per unit of susceptibility x log(1 + displayed likes)."
    )
    completion: float = Field(0.5, description="If the video was watched to the end.")


class CommentCoefficients(Section):
    """Log-odds of a comment, given a view."""

    intercept: float = Field(-8.5, description="Log-odds at zero appeal.")
    appeal: float = Field(0.6, description="Per unit of appeal.")
    information_intent: float = Field(2.0, description="Per unit of information x intent.")


class ShareCoefficients(Section):
    """Log-odds of a share, given a view."""

    intercept: float = Field(-8.55, description="Log-odds of a post with no entertainment.")
    appeal: float = Field(0.4, description="Per unit of appeal.")
    entertainment: float = Field(1.5, description="Per unit of entertainment e.")
    trend_heat: float = Field(1.0, description="Per unit of trend heat x alignment h.")


class SaveCoefficients(Section):
    """Log-odds of a save, given a view."""

    intercept: float = Field(-6.5, description="Log-odds of a post with no information.")
    information_intent: float = Field(3.0, description="Per unit of information x intent.")
    information: float = Field(0.8, description="Per unit of information i.")


class ProfileVisitCoefficients(Section):
    """Log-odds of a visit to the creator's profile, given a view."""

    intercept: float = Field(-7.05, description="Log-odds with no call to action.")
    call_to_action: float = Field(2.0, description="Per unit of call to action k.")
    intent_relevance: float = Field(3.0, description="Per unit of intent x relevance.")
    familiarity: float = Field(0.3, description="Per unit of log(1 + familiarity).")
    appeal: float = Field(0.4, description="Per unit of appeal.")
    like: float = Field(
        0.0, description="If the viewer liked the post (0: visits do not follow likes, the "
                         "separation of likes and leads that the model keeps by default).")
    like_call_to_action: float = Field(
        0.0, description="If the viewer liked the post, per unit of call to action: a call to "
                         "action turning likers into profile visitors (off by default).")


class FollowCoefficients(Section):
    """Log-odds of following the creator, given a view (not already following)."""

    intercept: float = Field(-9.6, description="Log-odds at zero appeal.")
    appeal: float = Field(0.8, description="Per unit of appeal.")
    consistency: float = Field(1.5, description="Per unit of the creator's topical consistency.")
    profile_visit: float = Field(2.5, description="If the viewer visited the profile.")
    like: float = Field(1.0, description="If the viewer liked the post.")


class LinkClickCoefficients(Section):
    """Log-odds of clicking the link in bio, given a profile visit (brands only)."""

    intercept: float = Field(-3.5, description="Log-odds with an empty profile.")
    profile_quality: float = Field(3.0, description="Per unit of profile quality.")
    intent_relevance: float = Field(3.0, description="Per unit of intent x relevance.")
    familiarity: float = Field(0.3, description="Per unit of log(1 + familiarity).")


class LeadCoefficients(Section):
    """Log-odds of becoming a lead (sign-up, enquiry, add to cart), given a link click."""

    intercept: float = Field(-2.5, description="Log-odds at zero intent.")
    intent_relevance: float = Field(4.0, description="Per unit of intent x relevance.")
    familiarity: float = Field(0.3, description="Per unit of log(1 + familiarity).")


class PurchaseCoefficients(Section):
    """Log-odds of a purchase, given a lead."""

    intercept: float = Field(-1.5, description="Log-odds at zero intent and reference price.")
    intent_relevance: float = Field(3.0, description="Per unit of intent x relevance.")
    familiarity: float = Field(0.3, description="Per unit of log(1 + familiarity) (trust).")
    price: float = Field(-0.5, description="Per unit of log(price / reference price).")


class Funnel(Section):
    """The reaction funnel: each event a Bernoulli draw with log-odds linear in its drivers."""

    appeal: Appeal = Field(default_factory=Appeal, description="The appeal of a post to a viewer.")
    view: ViewCoefficients = Field(default_factory=ViewCoefficients, description="Watch or swipe.")
    completion: CompletionCoefficients = Field(default_factory=CompletionCoefficients,
                                               description="Watched to the end.")
    like: LikeCoefficients = Field(default_factory=LikeCoefficients, description="Like.")
    comment: CommentCoefficients = Field(default_factory=CommentCoefficients,
                                         description="Comment.")
    share: ShareCoefficients = Field(default_factory=ShareCoefficients, description="Share.")
    save: SaveCoefficients = Field(default_factory=SaveCoefficients, description="Save.")
    profile_visit: ProfileVisitCoefficients = Field(default_factory=ProfileVisitCoefficients,
                                                    description="Profile visit.")
    follow: FollowCoefficients = Field(default_factory=FollowCoefficients, description="Follow.")
    link_click: LinkClickCoefficients = Field(default_factory=LinkClickCoefficients,
                                              description="Link click.")
    lead: LeadCoefficients = Field(default_factory=LeadCoefficients, description="Lead.")
    purchase: PurchaseCoefficients = Field(default_factory=PurchaseCoefficients,
                                           description="Purchase.")
    intent_comment_threshold: float = Field(
        0.5, ge=0, le=1, description="A comment from a viewer with at least this intent is an intent comment."
    )
    familiarity_half_life_hours: float = Field(
        72.0, gt=0, description="Half-life of a viewer's familiarity with a creator."
    )
    reference_price: float = Field(30.0, gt=0, description="Price at which the price term is zero.")
    attention: Attention = Field(default_factory=Attention,
                                 description="Attention over feed slots (scales the chance of watching).")
    show_like_counts: bool = Field(
        True, description="Whether viewers see like counts (false: social proof has nothing to "
                          "read; the platform still counts likes and ranks by them).")
    social_proof_reference: Literal["absolute", "feed"] = Field(
        "absolute", description="What a like count is read against: absolute (log(1 + likes) "
                                "as shown) or feed (minus the mean log(1 + likes) of the posts in "
                                "the viewer's feed this step: which post is more popular).")
