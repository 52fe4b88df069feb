"""The friendship graph.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from simulation.config.base import Section


class Network(Section):
    """The friendship graph along which shares travel (state.graph.build_social_graph)."""

    generator: Literal["none", "erdos_renyi", "watts_strogatz", "barabasi_albert",
                       "powerlaw_cluster"] = Field(
        "watts_strogatz",
        description="Random-graph model of the friendships (Watts-Strogatz and Erdos-Renyi drawn "
                    "with numpy; the preferential-attachment models with networkx, slow above "
                    "about 200 000 viewers).",
    )
    mean_degree: float = Field(8.0, ge=0, le=1000, description="Mean number of friends.")
    rewire_probability: float = Field(
        0.1, ge=0, le=1, description="watts_strogatz: probability of rewiring each edge."
    )
    triangle_probability: float = Field(
        0.3, ge=0, le=1, description="powerlaw_cluster: probability of closing a triangle."
    )
    share_ttl_hours: float = Field(
        24.0, gt=0, description="Hours a shared post waits in a friend's inbox before expiring."
    )
