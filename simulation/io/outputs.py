"""The tidy tables and the manifest of a finished run.

Tables (one row per ...): ``posts`` (post), ``creators`` (creator), ``steps``
(step x segment), ``feed_mix`` (step x style, tier or source), ``reach``
(post x cumulative-reach bin x segment, the dilution curve).
"""

from __future__ import annotations

import platform
import subprocess
import sys
from importlib import metadata
from typing import TYPE_CHECKING, Any

import numpy as np
import pyarrow as pa

from simulation.core.events import EVENT_INDEX, EVENTS, REACH_EVENTS
from simulation.core.program import NOT_A_CHECKOUT, build_info, checkout_root
from simulation.core.seeding import STREAMS

if TYPE_CHECKING:
    from simulation.model import EngagementModel


def posts_table(model: EngagementModel) -> pa.Table:
    """Every post: attributes, distribution state, event totals, per segment and per tier."""
    posts, config = model.posts, model.config
    segments, topics = model.population.segment_names, config.topics
    counts = posts.counts
    totals = counts.sum(axis=(2, 3))
    trend_names = np.array([*model.trends.names, ""], dtype=object)
    columns: dict[str, Any] = {
        "post_id": np.arange(posts.size),
        "creator_id": posts.creator.astype(np.int64),
        "creator": np.array(model.creators.names, dtype=object)[posts.creator],
        "is_brand": model.creators.is_brand[posts.creator],
        "style": np.array(model.styles.names, dtype=object)[posts.style],
        "primary_topic": np.array(topics, dtype=object)[posts.primary_topic],
        **{f"topic_{name}": posts.topic[:, t] for t, name in enumerate(topics)},
        "entertainment": posts.entertainment,
        "information": posts.information,
        "call_to_action": posts.call_to_action,
        "trend_alignment": posts.trend_alignment,
        "quality": posts.quality,
        "trend": trend_names[posts.trend],
        "created_hour": posts.created_hour,
        "duration_s": posts.duration_s,
        "tier": posts.tier.astype(np.int64),
        "reached_tier": posts.reached_tier.astype(np.int64),
        "failed_hour": posts.failed_hour,
        **{name: totals[:, e] for e, name in enumerate(EVENTS)},
        "revenue": posts.revenue,
        "mean_watch_fraction": np.divide(posts.watch_fraction_sum, totals[:, 1],
                                         out=np.zeros(posts.size), where=totals[:, 1] > 0),
        # bought likes (levers/bought_likes.py): bot traffic, apart from the real events above
        "bought_views": posts.bot_counts[:, EVENT_INDEX["views"]],
        "bought_likes": posts.bot_counts[:, EVENT_INDEX["likes"]],
        "displayed_likes": posts.displayed_likes,
    }
    for s, segment in enumerate(segments):
        for e, name in enumerate(EVENTS):
            columns[f"{name}__{segment}"] = counts[:, e, s].sum(axis=1)
    for k in range(posts.n_tiers):
        for e, name in enumerate(EVENTS):
            columns[f"{name}__tier{k}"] = counts[:, e, :, k].sum(axis=1)
    return pa.table(columns)


def creators_table(model: EngagementModel) -> pa.Table:
    """Every creator: identity, offer, followers at start and end, event totals, and the
    levers' columns (with money on, revenue by channel: ``money_<channel>``, ``money_total``)."""
    creators, posts = model.creators, model.posts
    per_creator = np.zeros((creators.size, len(EVENTS)), dtype=np.int64)
    np.add.at(per_creator, posts.creator, posts.events())
    earned = {name: column for lever in model.levers.values()
              for name, column in lever.creator_columns(model.state).items()}
    return pa.table({
        "creator_id": np.arange(creators.size),
        "creator": creators.names,
        "entry": np.array([model.config.creators[e].name for e in creators.entry], dtype=object),
        "is_brand": creators.is_brand,
        "price": creators.price,
        "profile_quality": creators.profile_quality,
        "consistency": creators.consistency,
        "posting_rate": creators.posting_rate,
        "posts": np.bincount(posts.creator, minlength=creators.size),
        "followers_start": model.initial_followers,
        "followers_end": model.follows.count,
        **{name: per_creator[:, e] for e, name in enumerate(EVENTS)},
        "revenue": np.bincount(posts.creator, weights=posts.revenue, minlength=creators.size),
        **earned,
    })


def reach_table(model: EngagementModel) -> pa.Table:
    """Dilution curve data: counts per post, cumulative-reach bin and segment (non-zero rows)."""
    posts = model.posts
    edges = np.asarray(model.config.metrics.reach_bins, dtype=np.int64)
    counts = posts.reach_counts  # (P, R, B, S)
    post, reach_bin, segment = np.nonzero(counts[:, REACH_EVENTS.index("impressions")])
    upper = np.append(edges[1:], -1)  # -1: open-ended last bin
    return pa.table({
        "post_id": post,
        "creator": np.array(model.creators.names, dtype=object)[posts.creator[post]],
        "reach_from": edges[reach_bin],
        "reach_to": upper[reach_bin],
        "segment": np.array(model.population.segment_names, dtype=object)[segment],
        **{name: counts[post, r, reach_bin, segment] for r, name in enumerate(REACH_EVENTS)},
    })


def step_tables(model: EngagementModel) -> dict[str, pa.Table]:
    """The run's tables: per step and segment, and the feed's mix per step."""
    collector = model.step_records
    return {name: pa.Table.from_pandas(collector.get_table_dataframe(name), preserve_index=False)
            for name in ("segments", "feed_mix")}


def git_commit() -> str:
    """The commit of the code that ran: the checkout's (with '-dirty' if it has changes), or
    the one an installed package was built from, or "not a checkout" if neither is known."""
    root = checkout_root()
    if root is not None:
        try:
            commit = subprocess.run(["git", "rev-parse", "HEAD"], cwd=root, capture_output=True,
                                    text=True, timeout=5, check=True).stdout.strip()
            dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"],
                                   cwd=root, capture_output=True, text=True,
                                   timeout=5).stdout.strip()
        except (OSError, subprocess.SubprocessError):
            pass
        else:
            return f"{commit}-dirty" if dirty else commit
    return build_info().get("git_commit", NOT_A_CHECKOUT)


def versions() -> dict[str, str | None]:
    """Versions of Python and the packages that shape results."""
    found: dict[str, str | None] = {"python": sys.version.split()[0],
                                    "platform": platform.platform()}
    for package in ("engagement-sim", "mesa", "numpy", "networkx", "pydantic", "scipy",
                    "pyarrow"):
        try:
            found[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            found[package] = None
    return found


def manifest(model: EngagementModel, wall_seconds: float, peak_memory_mb: float,
             command: list[str] | None) -> dict[str, Any]:
    """What was run, with what, and how long it took."""
    return {
        "scenario": model.config.model_dump(mode="json", exclude_none=True),
        "seed": model.seed_value,
        "seed_entropy": str(model.seed_sequence.entropy),
        "random_streams": list(STREAMS),
        "versions": versions(),
        "git_commit": git_commit(),
        "command": command,
        "wall_seconds": round(wall_seconds, 3),
        "peak_memory_mb": round(peak_memory_mb, 1),
        "files": {
            "summary.json": "headline measures (docs/outputs.md: 'Reading summary.json')",
            "posts.parquet": "one row per post",
            "creators.parquet": "one row per creator",
            "steps.parquet": "one row per step and segment",
            "feed_mix.parquet": "one row per step and style, tier or candidate source",
            "reach.parquet": "one row per post, cumulative-reach bin and segment",
            "scenario.toml": "the fully resolved scenario, runnable as is",
            **{f"{name}.parquet": f"a table of the {lever.name} lever"
               for lever in model.levers.values() for name in lever.tables(model.state)},
        },
    }
