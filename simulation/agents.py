"""Mesa agents: viewers and creators.

Agents are thin views onto the model's arrays: ``viewer.intent`` reads
``model.population.intent[viewer.index]``. The model steps all viewers at once
over those arrays (see ``model.py``), so agents carry identity and a readable
interface, not per-agent loops: they have no ``step()``, and Mesa's ``model.agents.do("step")``
is not how the model advances.

A Mesa agent costs about 1.3 KB and 4 microseconds to register; a million of them
would take a third of the memory budget of a run. Platforms larger than
``population.eager_agents_up_to`` therefore create a viewer's agent the first time
it is asked for (:class:`ViewerAgents`); until then ``model.agents`` holds only the
viewers created so far. The model itself never needs them.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import overload

import numpy as np
from mesa import Agent, Model

from simulation.platform.view import PlatformView


class Viewer(Agent):
    """A viewer of the platform (a row of ``model.population``)."""

    def __init__(self, model: Model, index: int):
        super().__init__(model)
        self.index = index

    @property
    def platform(self) -> PlatformView:
        """The platform's state the agent reads (``model.state``)."""
        return self.model.state

    @property
    def segment(self) -> str:
        """The viewer's segment; bot accounts (``is_bot``) belong to none: "bots"."""
        population = self.platform.population
        if population.is_bot[self.index]:
            return "bots"
        return population.segment_names[population.segment[self.index]]

    @property
    def interests(self) -> np.ndarray:
        """True interests over topics (T,); the platform never sees them."""
        return self.platform.population.interests[self.index]

    @property
    def estimated_interests(self) -> np.ndarray:
        """The platform's estimate of this viewer's interests (T,)."""
        return self.platform.estimates.estimate[self.index]

    @property
    def intent(self) -> float:
        return float(self.platform.population.intent[self.index])

    @property
    def activity(self) -> float:
        """Sessions per day."""
        return float(self.platform.population.activity[self.index])

    @property
    def session_length(self) -> float:
        """Mean posts per session."""
        return float(self.platform.population.session_length[self.index])

    @property
    def susceptibility(self) -> float:
        return float(self.platform.population.susceptibility[self.index])

    @property
    def is_bot(self) -> bool:
        return bool(self.platform.population.is_bot[self.index])

    @property
    def active(self) -> bool:
        """Whether the viewer opened a session in the last step."""
        return bool(self.platform.active[self.index])

    @property
    def following(self) -> int:
        """How many creators this viewer follows."""
        return int(self.platform.follows.table[self.index].sum())

    @property
    def follows(self) -> list[Creator]:
        """Creators this viewer follows."""
        followed = np.flatnonzero(self.platform.follows.table[self.index])
        return [self.model.creator_agents[c] for c in followed]

    def familiarity_with(self, creator: Creator) -> float:
        """Decayed count of this viewer's exposures to ``creator``."""
        return float(self.platform.familiarity.read(np.array([self.index]),
                                                    np.array([creator.index]),
                                                    self.platform.hour)[0])


class Creator(Agent):
    """A creator, or a brand when it has an offer (a row of ``model.creators``)."""

    def __init__(self, model: Model, index: int):
        super().__init__(model)
        self.index = index

    @property
    def platform(self) -> PlatformView:
        """The platform's state the agent reads (``model.state``)."""
        return self.model.state

    @property
    def name(self) -> str:
        return self.platform.creators.names[self.index]

    @property
    def is_brand(self) -> bool:
        return bool(self.platform.creators.is_brand[self.index])

    @property
    def followers(self) -> int:
        return int(self.platform.follows.count[self.index])

    @property
    def price(self) -> float:
        return float(self.platform.creators.price[self.index])

    @property
    def profile_quality(self) -> float:
        return float(self.platform.creators.profile_quality[self.index])

    @property
    def relevance(self) -> dict[str, float]:
        """Relevance of the offer to each segment."""
        names = self.platform.population.segment_names
        row = self.platform.creators.relevance[self.index]
        return {name: float(value) for name, value in zip(names, row, strict=True)}

    @property
    def posts(self) -> np.ndarray:
        """Ids of this creator's posts."""
        return np.flatnonzero(self.platform.posts.creator == self.index)

    def __repr__(self) -> str:
        return f"Creator({self.name!r}, brand={self.is_brand}, followers={self.followers})"


class ViewerAgents(Sequence[Viewer]):
    """The viewers as Mesa agents, by index: created at once, or on first access at scale."""

    def __init__(self, model: Model, size: int, eager: bool,
                 agent_class: type[Viewer] = Viewer):
        self._model, self._class = model, agent_class
        self._agents: list[Viewer | None] = [None] * size
        if eager:
            self._agents = [agent_class(model, index) for index in range(size)]

    def __len__(self) -> int:
        return len(self._agents)

    @overload
    def __getitem__(self, index: int) -> Viewer: ...

    @overload
    def __getitem__(self, index: slice) -> list[Viewer]: ...

    def __getitem__(self, index: int | slice) -> Viewer | list[Viewer]:
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(len(self)))]
        agent = self._agents[index]
        if agent is None:
            position = range(len(self))[index]  # normalises negative indices, checks range
            agent = self._agents[position] = self._class(self._model, position)
        return agent

    def __iter__(self) -> Iterator[Viewer]:
        return (self[index] for index in range(len(self)))

    @property
    def created(self) -> int:
        """How many viewer agents exist so far."""
        return sum(agent is not None for agent in self._agents)
