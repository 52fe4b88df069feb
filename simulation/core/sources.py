"""Where a feed slot's post came from: the candidate sources, by index.

``Feed.source`` and ``Impressions.source`` hold an index into :data:`SOURCES`. The
platform's own sources come first; a lever with a source of its own names it here
(its place fixes the column of every per-source table).
"""

from __future__ import annotations

SOURCES: tuple[str, ...] = ("following", "interest", "exploration", "trending", "shared",
                            "backfill", "random", "popular", "retargeting", "promoted")
"""Candidate sources: ``following`` .. ``popular`` are the ranking policies' own;
``retargeting`` is the content-funnel lever's (``levers/retargeting.py``) and ``promoted``
the paid-promotion lever's (``levers/promotion.py``), whose slots replace organic ones
after the feed is built."""

SOURCE_INDEX = {name: index for index, name in enumerate(SOURCES)}

GATED_SOURCES = ("interest", "exploration", "trending")
"""Sources subject to the tier's affinity bar: posts the viewer did not ask for."""

PAID_SOURCES = ("promoted",)
"""Sources whose impressions are bought: they do not spend the post's tier budget."""

NO_POST = -1
"""The post id of an empty candidate or feed slot."""
