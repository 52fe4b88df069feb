"""The terminal's view of a run: a readable table of its headline figures.
"""

from __future__ import annotations

import math
from typing import Any


def render_summary(summary: dict[str, Any]) -> str:
    """A readable table of a run's headline figures, for the terminal."""
    lines = []
    totals, rates, inequality = summary["totals"], summary["rates"], summary["inequality"]
    lines.append(f"{summary['scenario']} (seed {summary['seed']}, policy {summary['policy']}): "
                 f"{summary['viewers']:,} viewers, {summary['creators']} creators, "
                 f"{summary['posts']:,} posts, {summary['hours']:g} hours")
    columns = ("impressions", "views", "likes", "comments", "shares", "profile_visits",
               "link_clicks", "leads", "purchases")
    header = f"{'segment':<14}" + "".join(f"{c.replace('_', ' '):>15}" for c in columns)
    lines += ["", "Funnel per segment", header, "-" * len(header)]
    for name, counts in [*summary["segments"].items(), ("all", totals)]:
        lines.append(f"{name:<14}" + "".join(f"{counts[c]:>15,}" for c in columns))

    def pct(value: float | None) -> str:
        return "n/a" if value is None or (isinstance(value, float) and math.isnan(value)) \
            else f"{100 * value:.2f}%"

    lines += ["",
              f"Engagement rate by views {pct(rates['engagement_rate_by_views'])} "
              f"(likes {pct(rates['like_rate'])}, comments {pct(rates['comment_rate'])}, "
              f"shares {pct(rates['share_rate'])}, saves {pct(rates['save_rate'])})",
              f"Views across posts: Gini {inequality['views_gini']:.3f}, "
              f"top 20% of posts hold {pct(inequality['top20_view_share'])}, "
              f"median {inequality['median_views_per_post']:,.0f}, "
              f"max {inequality['max_views_per_post']:,}"]
    for brand, measures in summary["brands"].items():
        rho = measures["likes_leads_spearman"]
        rho_text = "n/a" if rho is None or math.isnan(rho) else f"{rho:+.2f}"
        lines.append(f"Brand {brand}: {measures['likes']:,} likes, {measures['leads']:,} leads, "
                     f"{measures['purchases']:,} purchases, revenue {measures['revenue']:,.0f}; "
                     f"Spearman(likes, leads) across its {measures['posts']} posts {rho_text}")
    if "money" in summary:
        lines += render_money(summary["money"])
    lines += render_purchased_engagement(summary)
    return "\n".join(lines)


def render_purchased_engagement(summary: dict[str, Any]) -> list[str]:
    """Lines for bought likes, the detector and paid promotion, when the run has them."""
    def number(value: float | None, digits: int = 2) -> str:
        return "n/a" if value is None or math.isnan(value) else f"{value:,.{digits}f}"

    lines = []
    for name, order in summary.get("bought_likes", {}).get("creators", {}).items():
        real = order["real"]
        lines.append(f"Bought likes {name}: {order['bought']['likes']:,} bought of "
                     f"{order['displayed_likes']:,} displayed; {real['impressions']:,} real "
                     f"impressions, {real['leads']:,} leads "
                     f"({number(order['leads_per_1k_real_impressions'])} per 1 000 real "
                     f"impressions)")
    if "detection" in summary:
        detection = summary["detection"]
        lines.append(f"Detection ({detection['action']}): {detection['reviews']} reviews, "
                     f"detection rate {number(detection['detection_rate'])}, false-positive "
                     f"rate {number(detection['false_positive_rate'], 4)} "
                     f"({detection['honest_reviews_flagged']} of {detection['honest_reviews']} "
                     f"honest reviews)")
    for name, campaign in summary.get("promotion", {}).items():
        paid = campaign["paid"]
        lines.append(f"Promotion {name}: spent {campaign['spent']:,.2f} of "
                     f"{campaign['budget']:,.2f}; {paid['impressions']:,} paid impressions, "
                     f"{paid['likes']:,} likes, {paid['leads']:,} leads, cost per lead "
                     f"{number(campaign['cost_per_lead'])}; organic leads "
                     f"{campaign['organic']['leads']:,}")
    return lines


def render_money(money: dict[str, Any]) -> list[str]:
    """Lines for the money section of a summary: revenue by channel, what tracks likes, goals."""
    def rho(value: float | None) -> str:
        return "n/a" if value is None or math.isnan(value) else f"{value:+.2f}"

    totals, lines = money["totals"], []
    if money["channels"]:
        per_likes = totals["revenue_per_1k_likes"]["total"]
        lines += ["", "Revenue by channel: " + ", ".join(
            f"{channel.replace('_', ' ')} {totals[channel]:,.2f}" for channel in money["channels"])
            + f"; total {totals['total']:,.2f}"
            + ("" if per_likes is None or math.isnan(per_likes) else
               f" ({per_likes:,.2f} per 1 000 likes)"),
            "Spearman(likes, revenue) across creators: " + ", ".join(
                f"{channel.replace('_', ' ')} {rho(money['spearman']['likes'][channel])}"
                for channel in money["channels"])]
    for name, goal in money["goals"].items():
        reached = f", reached at step {goal['step_reached']}" if goal["step_reached"] else ""
        lines.append(f"Goal {name} ({goal['creator']}: {goal['metric']} "
                     f"{'>=' if goal['direction'] == 'at_least' else '<='} {goal['target']:g} "
                     f"by step {goal['deadline_step']}): {goal['status']}{reached}")
    return lines
