"""Records for unit tests: random impressions with every driver in range.
"""

from __future__ import annotations

import numpy as np

from simulation.core.events import PROPENSITY_EVENTS
from simulation.core.records import Impressions

N = 200_000


def impressions(n: int = N, seed: int = 0, **fixed) -> Impressions:
    """Random impressions with every driver in range; keyword arguments fix a driver."""
    rng = np.random.default_rng(seed)
    columns = dict(
        viewer=np.arange(n), post=np.arange(n), slot=rng.integers(0, 20, n),
        tier=rng.integers(0, 4, n), source=np.zeros(n, dtype=np.int8),
        creator=rng.integers(0, 5, n), segment=rng.integers(0, 3, n),
        interest_match=rng.random(n, dtype=np.float32), intent=rng.random(n, dtype=np.float32),
        log_propensity=rng.normal(0, 0.5, (n, len(PROPENSITY_EVENTS))).astype(np.float32),
        susceptibility=rng.random(n, dtype=np.float32),
        entertainment=rng.random(n, dtype=np.float32), information=rng.random(n, dtype=np.float32),
        call_to_action=rng.random(n, dtype=np.float32), quality=rng.random(n, dtype=np.float32),
        duration_s=rng.uniform(5, 60, n).astype(np.float32),
        trend_heat=rng.random(n, dtype=np.float32), displayed_likes=rng.integers(0, 10_000, n),
        relevance=rng.random(n, dtype=np.float32), is_brand=rng.random(n) < 0.5,
        profile_quality=rng.random(n, dtype=np.float32),
        price=rng.uniform(5, 100, n).astype(np.float32),
        consistency=rng.random(n, dtype=np.float32),
        familiarity=rng.exponential(2, n).astype(np.float32), following=rng.random(n) < 0.1)
    for name, value in fixed.items():
        columns[name] = np.broadcast_to(np.asarray(value), (n, *columns[name].shape[1:])).copy()
    return Impressions(**columns)
