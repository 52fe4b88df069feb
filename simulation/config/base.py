"""The building blocks of the scenario schema: a strict section and two distributions.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

NAME_PATTERN = r"^[A-Za-z_][A-Za-z0-9_\-]*$"
"""Names of topics, segments, creators and styles: usable as keys and column names."""


class Section(BaseModel):
    """Base of every schema section: unknown keys are errors, types are not coerced, and a
    value assigned to a field is checked at once (``scenario.population.size = -5`` raises
    pydantic's ValidationError naming the field)."""

    model_config = ConfigDict(extra="forbid", strict=True, validate_assignment=True)


class Beta(Section):
    """A Beta(a, b) distribution on 0..1."""

    a: float = Field(2.0, gt=0, description="First shape parameter (> 0).")
    b: float = Field(2.0, gt=0, description="Second shape parameter (> 0).")

    @property
    def mean(self) -> float:
        return self.a / (self.a + self.b)


class Gamma(Section):
    """A Gamma distribution given by its mean and shape (sd = mean / sqrt(shape))."""

    mean: float = Field(1.0, gt=0, description="Mean of the distribution (> 0).")
    shape: float = Field(
        4.0, gt=0, description="Shape k: larger is less spread (sd = mean / sqrt(k))."
    )
