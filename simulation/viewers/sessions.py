"""Sessions: who opens the app in a step, and how many posts each will scroll through."""

from __future__ import annotations

import numpy as np

from simulation.state.population import Population


def open_sessions(population: Population, rng: np.random.Generator, step_hours: float,
                  max_feed_length: int) -> tuple[np.ndarray, np.ndarray]:
    """Who is active this step and how many posts they will see.

    Sessions per viewer are Poisson(activity x step_hours / 24); an active
    viewer's sessions are merged into one feed whose length is
    Poisson(sessions x session_length), at least 1 and at most
    ``max_feed_length``. Bot accounts never open a session. Returns (viewers (A,),
    feed_length (A,)).
    """
    sessions = rng.poisson(population.activity * (step_hours / 24.0))
    active = np.flatnonzero((sessions > 0) & ~population.is_bot)
    lengths = rng.poisson(sessions[active] * population.session_length[active])
    lengths = np.clip(lengths, 1, max_feed_length).astype(np.int32)
    return active.astype(np.int64), lengths
