"""Where a feed slot's post came from: the candidate sources, by index.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    pass


SOURCES: tuple[str, ...] = ("following", "interest", "exploration", "trending", "shared",
                            "backfill", "random", "popular", "retargeting", "promoted")
"""Where a feed slot's post came from; index into this tuple in ``Feed.source``. ``promoted``
slots are paid for (``promotion.py``): they replace organic slots after the feed is built."""


SOURCE_INDEX = {name: index for index, name in enumerate(SOURCES)}


GATED_SOURCES = ("interest", "exploration", "trending")
"""Sources subject to the tier's affinity bar: posts the viewer did not ask for."""


NO_POST = -1
