"""Counter-based random numbers: a uniform that is a pure function of a key and a counter.

A compiled loop over viewers cannot draw from numpy's generators, and drawing every
uniform up front costs a pass over memory per draw. Here each uniform is computed where
it is used, from a 64-bit key and a counter: the output function of SplitMix64 (Steele,
Lea and Flood 2014, "Fast splittable pseudorandom number generators"), the generator
that seeds numpy's and Java's, applied to ``key + (counter + 1) x golden gamma``. A
viewer's numbers come from its own key, ``mix(step key + (viewer + 1) x gamma)``, so they
do not depend on which other viewers are drawn with it, in which order, or on how many
threads: blocks of viewers and the numpy twin see the same numbers.

Integer arithmetic modulo 2^64 only, so the compiled helpers and the numpy twins give the
same bits; a uniform is the top 53 bits over 2^53, in [0, 1).
"""

from __future__ import annotations

import numpy as np

from simulation.kernels.compiler import kernel

GAMMA = np.uint64(0x9E3779B97F4A7C15)
"""SplitMix64's increment: 2^64 over the golden ratio, odd."""
_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)
_S30, _S27, _S31, _S11 = np.uint64(30), np.uint64(27), np.uint64(31), np.uint64(11)
_UNIT = 2.0**-53


def mix(values: np.ndarray) -> np.ndarray:
    """SplitMix64's output function on uint64 values (any shape), modulo 2^64."""
    z = np.asarray(values, dtype=np.uint64)
    z = (z ^ (z >> _S30)) * _M1
    z = (z ^ (z >> _S27)) * _M2
    return z ^ (z >> _S31)


def row_keys(key: np.uint64, rows: np.ndarray) -> np.ndarray:
    """Each row's key (n,) uint64 from the step's ``key`` and row ids ``rows`` (n,) >= 0."""
    return mix(np.uint64(key) + (np.asarray(rows).astype(np.uint64) + np.uint64(1)) * GAMMA)


def uniforms(keys: np.ndarray, counters: np.ndarray) -> np.ndarray:
    """Uniforms in [0, 1) (A, Q) float64 for row keys (A,) and counters (Q,) or (A, Q)."""
    counters = np.asarray(counters).astype(np.uint64)
    z = mix(np.asarray(keys, dtype=np.uint64)[:, None] + (counters + np.uint64(1)) * GAMMA)
    return (z >> _S11).astype(np.float64) * _UNIT


def step_key(rng: np.random.Generator) -> np.uint64:
    """A fresh 64-bit key drawn from ``rng`` (one number of its stream)."""
    return np.uint64(rng.integers(0, 2**64, dtype=np.uint64))


@kernel(inline=True)
def _mix(z):  # pragma: no cover
    z = (z ^ (z >> _S30)) * _M1
    z = (z ^ (z >> _S27)) * _M2
    return z ^ (z >> _S31)


@kernel(inline=True)
def _row_key(key, row):  # pragma: no cover
    return _mix(key + (np.uint64(row) + np.uint64(1)) * GAMMA)


@kernel(inline=True)
def _uniform(row_key, counter):  # pragma: no cover
    return np.float64(_mix(row_key + (np.uint64(counter) + np.uint64(1)) * GAMMA) >> _S11) * _UNIT
