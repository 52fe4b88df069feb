"""Random streams: every generator of a run comes from its SeedSequence, by name.
"""

from __future__ import annotations

STREAMS = ("dynamics", "population", "network", "creators", "content", "sessions", "reactions",
           "money", "collaborations", "learning", "hashtags", "promotion")
"""Independent random streams spawned from the run's SeedSequence. Keeping them
apart means that, for one seed, a change to the ranking leaves the population,
graph, posts' attributes and who opens the app when as they were, and the
funnel's draws start from the same state every step (common random numbers).
``dynamics`` is the Mesa model's own generator (``model.rng``): the ranking's draws.
New streams go at the end, so that the streams before them keep their seeds."""
