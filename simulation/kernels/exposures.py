"""Scattered updates of viewer x creator tables (familiarity and exposure counts).
"""

from __future__ import annotations

from simulation.kernels.compiler import kernel


@kernel()
def _add_exposures(scaled, viewers, creators, scale):  # pragma: no cover
    for i in range(len(viewers)):  # in order, as numpy's add.at: the same float32 sums
        scaled[viewers[i], creators[i]] += scale


@kernel()
def _count_exposures(count, viewers, creators, saturate):  # pragma: no cover
    for i in range(len(viewers)):
        if count[viewers[i], creators[i]] < saturate:
            count[viewers[i], creators[i]] += 1
