"""Attention over feed slots: posts further down a feed are watched less often.

A viewer's attention wanes as they scroll: the chance that an impression in slot s
(0 = the first post of the step's feed) is watched rather than swiped past is the
funnel's view probability times attention(s), a number in 0..1 that is 1 at the first
slot. The default is a gentle decay to a floor,

    attention(s) = floor + (1 - floor) x 2^(-s / half_life_slots),

or any curve given slot by slot (``funnel.attention.by_slot``). The ranking decides
which post goes where, so under For-You and popularity ordering the posts the policy
ranks first also get the most attentive viewers.
"""

from __future__ import annotations

import numpy as np

from simulation.config.funnel import Attention


def attention(config: Attention, slots: np.ndarray) -> np.ndarray:
    """Attention at each feed slot, (n,) int -> (n,) float32 in 0..1."""
    slots = np.asarray(slots)
    if config.by_slot:
        curve = np.asarray(config.by_slot, dtype=np.float32)
        return curve[np.minimum(slots, len(curve) - 1)]
    decay = np.exp2(-slots / config.half_life_slots)
    return (config.floor + (1.0 - config.floor) * decay).astype(np.float32)
