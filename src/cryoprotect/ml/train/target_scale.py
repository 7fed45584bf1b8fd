"""From the link scale the estimator is fitted on to the target's own scale and bounds."""

from __future__ import annotations

import math

import numpy as np

from cryoprotect.errors import ValidationError
from cryoprotect.ml.targets import (
    LINK_NAMES,
    Identity,
    Link,
    TargetDomain,
    link_for,
    target_domain,
)
from cryoprotect.ml.train.common import FloatArray


def clip(values: FloatArray, bounds: tuple[float, float] | None) -> FloatArray:
    return values if bounds is None else np.clip(values, bounds[0], bounds[1])


def _widened(
    point: FloatArray, lower: FloatArray, upper: FloatArray
) -> tuple[FloatArray, FloatArray]:
    # The point comes from the all-data model, the interval from the fold models: widen the
    # interval to contain the point (conservative).
    return np.minimum(lower, point), np.maximum(upper, point)


def to_target_scale(
    link: Link,
    point: FloatArray,
    lower: FloatArray,
    upper: FloatArray,
    bounds: tuple[float, float] | None,
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Link-scale point and CV+ bounds → the target's scale (widened, then clipped to
    ``bounds`` — a no-op for a linked model unless narrower bounds were given)."""
    lo, hi = _widened(point, lower, upper)
    return (
        clip(link.inverse(point), bounds),
        clip(link.inverse(lo), bounds),
        clip(link.inverse(hi), bounds),
    )


def check_bounds(bounds: tuple[float, float] | None) -> tuple[float, float] | None:
    if bounds is None:
        return None
    lo, hi = float(bounds[0]), float(bounds[1])
    if not (math.isfinite(lo) and math.isfinite(hi) and lo < hi):
        raise ValidationError("bounds must be two finite numbers, low < high", field="bounds")
    return lo, hi


def domain_bounds(domain: TargetDomain) -> tuple[float, float] | None:
    """The clipping bounds a target's declared domain implies (``None``: unbounded)."""
    if domain.kind == "unbounded":
        return None
    return domain.low, domain.high


def choose_link(target: str, link: str = "auto") -> Link:
    """The link a model of ``target`` is fitted on (``"auto"``: its declared domain's)."""
    if link not in LINK_NAMES:
        raise ValidationError(f"link must be one of {', '.join(LINK_NAMES)}", field="link")
    return link_for(target_domain(target)) if link == "auto" else Identity()


def domain_notes(target: str, y: FloatArray, link: Link) -> list[str]:
    """Training targets outside the declared domain, said plainly."""
    domain = target_domain(target)
    outside = ~domain.contains(y)
    if not outside.any():
        return []
    return [
        f"{int(outside.sum())} training value(s) of {target} lie outside its domain "
        f"({domain.description}; from {float(np.min(y[outside])):.4g} to "
        f"{float(np.max(y[outside])):.4g}); the {link.describe()} transform holds them at "
        "the nearest fitted value"
    ]


def target_unit(target: str) -> str:
    """Display unit of a target, from its declared domain (``*_percent`` → ``%``)."""
    return target_domain(target).unit
