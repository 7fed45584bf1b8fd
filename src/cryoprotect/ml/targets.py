"""What a prediction target can be: its declared domain and the link a model is fitted on.

This module owns the target vocabulary's *domains* (declared once, used by training,
prediction, the services and the pages):

* percentages of cells (``viability_percent``, ``recovery_percent``,
  ``attachment_percent``, ``membrane_integrity_percent``, and any other target named
  ``*_percent``): 0–100 %;
* times (``*_s``, ``*_min``, ``*_h``, ``*_time_*``) and absolute temperatures (``*_k``):
  strictly positive.

The names are those of :data:`cryoprotect.ml.datasets.VIABILITY` and of the experiment
measures (``services/experiments.py``: ``viability_percent``, ``recovery_percent``,
``attachment_percent``, ``membrane_integrity_percent``). A target none of these rules
names (e.g. a melting point in °C, ``tm_c``) has no declared domain and is modelled as
it is.

A model is fitted on the *link* of the target, not on the target: the link maps the
domain onto the whole real line, so any prediction the estimator makes — and any
conformal interval bound computed on the link scale — maps back inside the domain:

* :class:`LogitPercent`: ``z = logit(p/100)`` with ``p`` first held within
  ``[ε, 100 − ε]`` (ε = :data:`PERCENT_EPSILON` = 0.5 percentage point: 0 % and 100 %
  are measured values, and logit(0) is −∞; 0.5 % is below the resolution of the usual
  viability assays), inverse ``p = 100·expit(z)``;
* :class:`LogPositive`: ``z = ln(y)``, inverse ``y = exp(z)`` (a non-positive training
  value is refused: it is a unit or sign error, not a time or temperature in K);
* :class:`Identity`: no domain, no transform.

Both links are strictly increasing, so a conformal interval computed on the link scale
and mapped back keeps its coverage (``y ∈ [a, b]`` ⇔ ``link(y) ∈ [link(a), link(b)]``).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np
from numpy.typing import NDArray

from cryoprotect.errors import ValidationError
from cryoprotect.science.records import fields_dict

FloatArray = NDArray[np.float64]

#: Percentages are held within [ε, 100 − ε] (percentage points) before the logit.
PERCENT_EPSILON = 0.5


@dataclass(frozen=True)
class TargetDomain:
    """The physically possible values of a target.

    Attributes:
        kind: ``"percent"`` (0–100 %), ``"positive"`` (> 0) or ``"unbounded"``.
        low: smallest possible value (inclusive for percentages, exclusive for positive).
        high: largest possible value (``inf`` when unbounded above).
        unit: display unit (``"%"``, ``"K"``, ``"s"``, …; ``""`` unknown).
        description: one sentence for the answers and pages.
    """

    kind: str
    low: float
    high: float
    unit: str
    description: str

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready (``None`` for an infinite bound)."""
        return fields_dict(
            self,
            low=self.low if math.isfinite(self.low) else None,
            high=self.high if math.isfinite(self.high) else None,
        )

    def contains(self, values: FloatArray) -> NDArray[np.bool_]:
        """Which values are possible."""
        v = np.asarray(values, dtype=np.float64)
        if self.kind == "percent":
            return np.asarray((v >= self.low) & (v <= self.high))
        if self.kind == "positive":
            return np.asarray(v > self.low)
        return np.isfinite(v)


PERCENT = TargetDomain("percent", 0.0, 100.0, "%", "a percentage of cells, 0–100 %")
UNBOUNDED = TargetDomain("unbounded", -math.inf, math.inf, "", "no declared domain")

#: Targets named explicitly (the shipped data's and the experiment measures').
DECLARED: dict[str, TargetDomain] = {
    "viability_percent": PERCENT,
    "recovery_percent": PERCENT,
    "attachment_percent": PERCENT,
    "membrane_integrity_percent": PERCENT,
}

_POSITIVE_SUFFIXES: tuple[tuple[str, str, str], ...] = (
    (r"_k$", "K", "an absolute temperature, > 0 K"),
    (r"_s$", "s", "a time, > 0 s"),
    (r"_min$", "min", "a time, > 0 min"),
    (r"_h$", "h", "a time, > 0 h"),
    (r"(^|_)time(_|$)", "", "a time, > 0"),
)


#: Unbounded targets whose name still says their unit (free energies may have either sign).
_UNBOUNDED_UNITS: tuple[tuple[str, str], ...] = (
    ("_kcal_per_mol", "kcal/mol"),
    ("_kj_per_mol", "kJ/mol"),
)


def target_domain(target: str) -> TargetDomain:
    """The declared domain of ``target`` (see the module docstring for the rules)."""
    if target in DECLARED:
        return DECLARED[target]
    if target.endswith("_percent"):
        return PERCENT
    for pattern, unit, description in _POSITIVE_SUFFIXES:
        if re.search(pattern, target):
            return TargetDomain("positive", 0.0, math.inf, unit, description)
    for suffix, unit in _UNBOUNDED_UNITS:
        if target.endswith(suffix):
            return TargetDomain("unbounded", -math.inf, math.inf, unit, UNBOUNDED.description)
    return UNBOUNDED


# --- links --------------------------------------------------------------------------------


class Link(Protocol):
    """A strictly increasing map from the target's domain onto the real line."""

    @property
    def name(self) -> str:
        """Registry name (``"logit_percent"``, ``"log"``, ``"identity"``)."""
        ...

    def forward(self, y: FloatArray) -> FloatArray:
        """Target → link scale (what the model is fitted on)."""
        ...

    def inverse(self, z: FloatArray) -> FloatArray:
        """Link scale → target (always inside the domain)."""
        ...

    def describe(self) -> str:
        """Plain words, e.g. ``"logit(p/100), ε = 0.5 %"``."""
        ...

    def state(self) -> dict[str, Any]:
        """JSON-ready parameters (what the manifest records)."""
        ...


@dataclass(frozen=True)
class Identity:
    """No transform (a target without a declared domain)."""

    name: str = "identity"

    def forward(self, y: FloatArray) -> FloatArray:
        return np.asarray(y, dtype=np.float64)

    def inverse(self, z: FloatArray) -> FloatArray:
        return np.asarray(z, dtype=np.float64)

    def describe(self) -> str:
        return "none (no declared domain)"

    def state(self) -> dict[str, Any]:
        return {"name": self.name, "description": self.describe()}


@dataclass(frozen=True)
class LogitPercent:
    """``logit(p/100)`` with ``p`` held within ``[ε, 100 − ε]``."""

    epsilon: float = PERCENT_EPSILON
    name: str = "logit_percent"

    def forward(self, y: FloatArray) -> FloatArray:
        p = np.clip(np.asarray(y, dtype=np.float64), self.epsilon, 100.0 - self.epsilon) / 100.0
        return np.asarray(np.log(p) - np.log1p(-p), dtype=np.float64)

    def inverse(self, z: FloatArray) -> FloatArray:
        z = np.asarray(z, dtype=np.float64)
        # expit without overflow: 1/(1+e^-z) for z >= 0, e^z/(1+e^z) otherwise.
        out = np.empty_like(z)
        pos = z >= 0
        out[pos] = 1.0 / (1.0 + np.exp(-z[pos]))
        ez = np.exp(z[~pos])
        out[~pos] = ez / (1.0 + ez)
        return np.asarray(100.0 * out, dtype=np.float64)

    def describe(self) -> str:
        return f"logit(p/100), ε = {self.epsilon:g} %"

    def state(self) -> dict[str, Any]:
        return {"name": self.name, "epsilon": self.epsilon, "description": self.describe()}


@dataclass(frozen=True)
class LogPositive:
    """``ln(y)`` for a strictly positive target."""

    name: str = "log"

    def forward(self, y: FloatArray) -> FloatArray:
        v = np.asarray(y, dtype=np.float64)
        if np.any(~(v > 0)):
            raise ValidationError(
                "this target must be > 0 (a time or an absolute temperature); "
                f"{int(np.sum(~(v > 0)))} value(s) are not",
                field="target",
            )
        return np.asarray(np.log(v), dtype=np.float64)

    def inverse(self, z: FloatArray) -> FloatArray:
        with np.errstate(over="ignore"):
            return np.asarray(np.exp(np.asarray(z, dtype=np.float64)), dtype=np.float64)

    def describe(self) -> str:
        return "log(y)"

    def state(self) -> dict[str, Any]:
        return {"name": self.name, "description": self.describe()}


LINK_NAMES = ("auto", "none")
"""Training's ``link`` option: the declared domain's link, or none."""


def link_for(domain: TargetDomain) -> Link:
    """The link a model of a target with ``domain`` is fitted on."""
    if domain.kind == "percent":
        return LogitPercent()
    if domain.kind == "positive":
        return LogPositive()
    return Identity()


def link_from_state(state: dict[str, Any] | None) -> Link | None:
    """Rebuild a link from a manifest's ``target_transform`` (``None``: stored without one)."""
    if state is None:
        return None
    name = state.get("name")
    if name == "logit_percent":
        return LogitPercent(epsilon=float(state.get("epsilon", PERCENT_EPSILON)))
    if name == "log":
        return LogPositive()
    if name == "identity":
        return Identity()
    raise ValidationError(f"unknown target transform {name!r}", field="target_transform")
