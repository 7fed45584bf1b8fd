"""Glass transition of aqueous CPA solutions (model) and measured vitrification properties.

This module owns two different kinds of number, and keeps them apart:

* MODEL — the glass transition temperature Tg of a homogeneous solution predicted from
  its composition by the Gordon–Taylor equation. For one solute s in water w (mass
  fractions w_s + w_w = 1)::

      Tg = (w_s Tg_s + k w_w Tg_w) / (w_s + k w_w)

  and for several solutes the standard multicomponent extension, which reduces exactly to
  the binary equation and is the linearised Couchman–Karasz form with
  ΔCp_s/ΔCp_w = 1/k_s::

      Tg = (w_w Tg_w + Σ_s (w_s/k_s) Tg_s) / (w_w + Σ_s w_s/k_s)

  Each k_s is the solute's binary Gordon–Taylor constant with water. Where k_s is not in the
  parameter table, Tg is not computed (NaN) unless ``allow_estimate=True``, in which case
  the Fox equation (1/Tg = Σ w_i/Tg_i; Fox, Bull Am Phys Soc 1:123, 1956) — Gordon–Taylor
  with k_s = Tg_s/Tg_w — is used and tagged ``estimated``.

  The equation describes a homogeneous (ice-free) glass. Dilute solutions crystallise ice on
  cooling; what then vitrifies is the maximally freeze-concentrated phase, whose glass
  transition Tg′ (at solute mass fraction W′g) is a measured property stored per solute.

* MEASURED — published values for named solutions (critical cooling and warming rates, Tg
  of particular mixtures) in ``params/measured_solution_properties.csv``, returned verbatim
  with their source by :func:`load_measured_solution_properties`; never computed.

Every parameter (Tg of water and solutes, k, Tg′, W′g) lives in
``params/glass_transition.csv`` as one row per value with its unit, source, provenance
(``measured``/``fitted``/``estimated``) and whether it was checked against its source.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
from numpy.typing import ArrayLike, NDArray

from cryoprotect.errors import InvalidCompositionError, NotFound, ValidationError
from cryoprotect.science.arrays import per_component
from cryoprotect.science.tables import (
    PROVENANCES,
    Provenance,
    parse_bool,
    published_number,
    read_table,
    solute_entry,
)

PARAMS_DIR = Path(__file__).resolve().parent / "params"
GLASS_TABLE = PARAMS_DIR / "glass_transition.csv"
MEASURED_TABLE = PARAMS_DIR / "measured_solution_properties.csv"

GLASS_COLUMNS = ("solute", "parameter", "value", "unit", "source", "provenance", "verified")
MEASURED_COLUMNS = ("solution", "property", "value", "unit", "source", "provenance", "verified")
GLASS_PARAMETERS = frozenset(
    {
        "tg_k",
        "gordon_taylor_k",
        "tg_prime_k",
        "wg_prime_mass_fraction",
        "homogeneous_glass_min_mass_fraction",
    }
)
WATER = "water"

GORDON_TAYLOR_METHOD = (
    "Gordon–Taylor equation, multicomponent form Tg = (w_w Tg_w + Σ (w_s/k_s) Tg_s)/"
    "(w_w + Σ w_s/k_s) (homogeneous glass; model)"
)
FOX_METHOD = "Fox equation 1/Tg = Σ w_i/Tg_i (Gordon–Taylor with k = Tg_s/Tg_w; estimate)"

FloatArray = NDArray[np.float64]
BoolArray = NDArray[np.bool_]


@dataclass(frozen=True)
class GlassValue:
    """One stored glass-transition parameter with its provenance.

    Attributes:
        value: the number, in ``unit``.
        unit: ``K``, ``mass fraction`` or ``dimensionless``.
        source: citation (or derivation, for a value we derived from cited data).
        provenance: ``measured``, ``fitted`` or ``estimated``.
        verified: whether it was checked against its source.
    """

    value: float
    unit: str
    source: str
    provenance: Provenance
    verified: bool


@dataclass(frozen=True)
class GlassParameters:
    """Glass-transition parameters of one substance (any may be missing).

    Attributes:
        solute: name (the molecule library's name; ``"Water"`` for water).
        tg: Tg of the pure (dry) substance.
        gordon_taylor_k: binary Gordon–Taylor constant with water.
        tg_prime: Tg′ of the maximally freeze-concentrated solution.
        wg_prime: solute mass fraction W′g of that solution.
        homogeneous_min: lowest solute mass fraction forming an ice-free glass on cooling.
    """

    solute: str
    tg: GlassValue | None = None
    gordon_taylor_k: GlassValue | None = None
    tg_prime: GlassValue | None = None
    wg_prime: GlassValue | None = None
    homogeneous_min: GlassValue | None = None


_FIELD = {
    "tg_k": "tg",
    "gordon_taylor_k": "gordon_taylor_k",
    "tg_prime_k": "tg_prime",
    "wg_prime_mass_fraction": "wg_prime",
    "homogeneous_glass_min_mass_fraction": "homogeneous_min",
}


def load_glass_parameters(path: Path | str = GLASS_TABLE) -> dict[str, GlassParameters]:
    """Read the glass-transition parameter table.

    Args:
        path: a CSV with the columns in :data:`GLASS_COLUMNS`, one parameter per row.

    Returns:
        Parameters keyed by lower-cased substance name (water under ``"water"``).

    Raises:
        ValidationError: unknown parameter or provenance, missing source, duplicate value.
    """
    path = Path(path)
    values: dict[str, dict[str, GlassValue]] = {}
    names: dict[str, str] = {}
    for where, row in read_table(path, GLASS_COLUMNS):
        parameter = row["parameter"].strip()
        provenance = row["provenance"].strip()
        if parameter not in GLASS_PARAMETERS:
            raise ValidationError(f"{where}: unknown parameter {parameter!r}")
        if provenance not in PROVENANCES:
            raise ValidationError(f"{where}: unknown provenance {provenance!r}")
        if not row["source"].strip():
            raise ValidationError(f"{where}: every value needs a source")
        name = row["solute"].strip()
        key = name.lower()
        names.setdefault(key, name)
        entry = values.setdefault(key, {})
        if parameter in entry:
            raise ValidationError(f"{where}: {name} {parameter} appears twice")
        entry[parameter] = GlassValue(
            value=float(row["value"]),
            unit=row["unit"].strip(),
            source=row["source"].strip(),
            provenance=provenance,  # type: ignore[arg-type]  # checked just above
            verified=parse_bool(row["verified"], where),
        )
    table: dict[str, GlassParameters] = {}
    for key, entry in values.items():
        fields = {_FIELD[p]: v for p, v in entry.items()}
        table[key] = GlassParameters(solute=names[key], **fields)
    return table


@lru_cache(maxsize=1)
def _default_glass_parameters() -> dict[str, GlassParameters]:
    table = load_glass_parameters(GLASS_TABLE)
    water = table.get(WATER)
    if water is None or water.tg is None:
        raise ValidationError(f"{GLASS_TABLE.name}: the Tg of water is required")
    return table


def default_glass_parameters() -> dict[str, GlassParameters]:
    """The shipped glass-transition table, keyed by lower-case solute name."""
    return dict(_default_glass_parameters())


def glass_parameters(solute: str) -> GlassParameters:
    """The shipped glass-transition parameters of one substance.

    Args:
        solute: name, case-insensitive exact match (``"Glycerol"``, ``"Water"``).

    Raises:
        NotFound: the table has no row for it.
    """
    return solute_entry(
        _default_glass_parameters(), solute, f"no glass-transition parameters for {solute!r}"
    )


def water_tg() -> GlassValue:
    """Tg of pure water as stored in the table (with its source)."""
    value = _default_glass_parameters()[WATER].tg
    assert value is not None  # checked when the table is loaded
    return value


# --- model --------------------------------------------------------------------------------


def gordon_taylor(
    solute_mass_fraction: ArrayLike,
    tg_solute_k: float,
    k: float,
    *,
    tg_water_k: float | None = None,
) -> FloatArray:
    """Gordon–Taylor Tg of a binary solute–water glass.

    Args:
        solute_mass_fraction: w_s in [0, 1] (any shape); water is 1 − w_s.
        tg_solute_k: Tg of the pure solute (K).
        k: the Gordon–Taylor constant (> 0).
        tg_water_k: Tg of water (default: the table's value, 136 K).

    Returns:
        Tg in kelvin, same shape as ``solute_mass_fraction``.
    """
    w = np.asarray(solute_mass_fraction, dtype=np.float64)
    if not np.all(np.isfinite(w)) or np.any(w < 0.0) or np.any(w > 1.0):
        raise InvalidCompositionError("mass fractions must be in [0, 1]", field="mass_fraction")
    if not k > 0.0:
        raise ValidationError("the Gordon–Taylor k must be > 0", field="k")
    tg_w = water_tg().value if tg_water_k is None else tg_water_k
    result: FloatArray = (w * tg_solute_k + k * (1.0 - w) * tg_w) / (w + k * (1.0 - w))
    return result


def gordon_taylor_multicomponent(
    mass_fractions: ArrayLike,
    tg_solutes_k: ArrayLike,
    k: ArrayLike,
    *,
    tg_water_k: float | None = None,
) -> FloatArray:
    """Multicomponent Gordon–Taylor Tg (see the module docstring).

    Args:
        mass_fractions: solute mass fractions in the whole solution, shape ``(n,)`` or
            ``(N, n)``; water is 1 − Σ w_s.
        tg_solutes_k: Tg of each pure solute, shape ``(n,)`` (K).
        k: each solute's binary Gordon–Taylor constant with water, shape ``(n,)``; NaN
            propagates to the compositions that contain that solute.
        tg_water_k: Tg of water (default: the table's value).

    Returns:
        Tg in kelvin, shape ``()`` or ``(N,)``.
    """
    w = _as_fractions(mass_fractions, np.asarray(tg_solutes_k).size)
    tg_s = np.asarray(tg_solutes_k, dtype=np.float64)
    weights = 1.0 / np.asarray(k, dtype=np.float64)
    tg_w = water_tg().value if tg_water_k is None else tg_water_k
    ones = np.ones(w.shape[-1])
    water = 1.0 - w @ ones
    # A solute that is absent contributes nothing, even when its k or Tg is unknown (NaN).
    present = w > 0.0
    terms_num = np.where(present, w * (weights * tg_s), 0.0)
    terms_den = np.where(present, w * weights, 0.0)
    # Matrix–vector products rather than .sum(axis=-1): much faster over a short last axis.
    result: FloatArray = (water * tg_w + terms_num @ ones) / (water + terms_den @ ones)
    return result


def _as_fractions(mass_fractions: ArrayLike, n: int) -> FloatArray:
    w = per_component(mass_fractions, n, what="mass fractions", field="mass_fractions")
    if not np.all(np.isfinite(w)):
        raise ValidationError("mass fractions contain NaN or infinite values")
    if np.any(w < 0.0) or np.any(w @ np.ones(n) > 1.0 + 1e-12):
        raise InvalidCompositionError(
            "solute mass fractions must be ≥ 0 and sum to ≤ 1 (water is the rest)",
            field="mass_fractions",
        )
    return w


@dataclass(frozen=True)
class GlassTransitionResult:
    """Model Tg of homogeneous solutions, with the parameters behind it.

    Attributes:
        tg_k: Tg in kelvin, shape ``()`` or ``(N,)``; NaN where a present solute lacks
            parameters (and no estimate was allowed).
        method: the equation used (Gordon–Taylor, or Fox where estimated).
        parameters: each solute's stored parameters, in input order.
        k_used: the k of each solute actually used (NaN when unavailable).
        k_provenance: solute → provenance of its k (``estimated`` for the Fox fallback,
            ``unavailable`` when missing).
        homogeneous: ``True`` where the composition is in the measured ice-free glass range
            of every present solute (or no range is recorded), shape ``()`` or ``(N,)``.
        warnings: caveats.
        kind: always ``"model"`` (measured values come from
            :func:`load_measured_solution_properties`).
    """

    tg_k: FloatArray
    method: str
    parameters: tuple[GlassParameters, ...]
    k_used: FloatArray
    k_provenance: dict[str, str]
    homogeneous: BoolArray
    warnings: tuple[str, ...]
    kind: str = "model"


def solution_tg(
    mass_fractions: ArrayLike,
    solutes: Sequence[str],
    *,
    allow_estimate: bool = False,
) -> GlassTransitionResult:
    """Model glass transition temperature of aqueous solutions (vectorised).

    Args:
        mass_fractions: solute mass fractions of the whole solution, shape ``(n_solutes,)``
            or ``(N, n_solutes)``; water is the rest.
        solutes: solute names in column order (case-insensitive exact match).
        allow_estimate: use the Fox equation's k for solutes with a Tg but no stored k.

    Returns:
        Tg in kelvin with the parameters used, their provenance, the homogeneous-glass flag
        and warnings.
    """
    table = _default_glass_parameters()
    params = tuple(table.get(s.strip().lower(), GlassParameters(solute=s.strip())) for s in solutes)
    w = _as_fractions(mass_fractions, len(params))
    tg_w = water_tg().value
    tg_s = np.array([p.tg.value if p.tg else np.nan for p in params], dtype=np.float64)
    k = np.full(len(params), np.nan)
    k_provenance: dict[str, str] = {}
    notes: list[str] = []
    estimated = False
    for index, p in enumerate(params):
        if p.tg is None:
            k_provenance[p.solute] = "unavailable"
            notes.append(f"{p.solute}: no Tg of the pure substance recorded; Tg not computed")
        elif p.gordon_taylor_k is not None:
            k[index] = p.gordon_taylor_k.value
            k_provenance[p.solute] = p.gordon_taylor_k.provenance
        elif allow_estimate:
            k[index] = p.tg.value / tg_w
            k_provenance[p.solute] = "estimated"
            estimated = True
            notes.append(f"{p.solute}: no Gordon–Taylor k; Fox-equation estimate k = Tg_s/Tg_w")
        else:
            k_provenance[p.solute] = "unavailable"
            notes.append(
                f"{p.solute}: no Gordon–Taylor k recorded; Tg not computed "
                f"(allow_estimate=True uses the Fox equation)"
            )
    tg = gordon_taylor_multicomponent(w, tg_s, k, tg_water_k=tg_w)
    homogeneous = _homogeneous(w, params, notes)
    if len(params) > 1:
        notes.append("mixture: predicted from binary solute–water parameters only")
    method = GORDON_TAYLOR_METHOD + (f"; {FOX_METHOD} where noted" if estimated else "")
    return GlassTransitionResult(
        tg_k=np.asarray(tg, dtype=np.float64),
        method=method,
        parameters=params,
        k_used=k,
        k_provenance=k_provenance,
        homogeneous=homogeneous,
        warnings=tuple(notes),
    )


def _homogeneous(w: FloatArray, params: Sequence[GlassParameters], notes: list[str]) -> BoolArray:
    ok = np.ones(w.shape[:-1], dtype=np.bool_)
    for index, p in enumerate(params):
        column = w[..., index]
        if p.homogeneous_min is None:
            notes.append(
                f"{p.solute}: the concentration that vitrifies without ice is not recorded"
            )
            continue
        below = (column > 0.0) & (column < p.homogeneous_min.value)
        ok = ok & ~below
        if np.any(below):
            notes.append(
                f"{p.solute}: below {p.homogeneous_min.value:g} mass fraction ice forms on "
                f"cooling; the glass that forms is the freeze-concentrated phase (Tg′)"
            )
    return ok


@dataclass(frozen=True)
class FreezeConcentratedGlass:
    """Measured glass transition of a solute's maximally freeze-concentrated solution.

    Attributes:
        solute: the solute.
        tg_prime_k: Tg′ in kelvin.
        wg_prime_mass_fraction: solute mass fraction W′g of that phase (``None`` if unknown).
        source: where Tg′ was published.
        provenance: always ``measured`` for a stored Tg′.
        verified: whether it was checked against its source.
    """

    solute: str
    tg_prime_k: float
    wg_prime_mass_fraction: float | None
    source: str
    provenance: str
    verified: bool


def freeze_concentrated_glass(solute: str) -> FreezeConcentratedGlass:
    """The published Tg′ (and W′g) of a solute–water system.

    Args:
        solute: name, case-insensitive exact match.

    Raises:
        NotFound: no Tg′ is recorded for the solute.
    """
    p = _default_glass_parameters().get(solute.strip().lower())
    if p is None or p.tg_prime is None:
        raise NotFound(f"no measured Tg′ for {solute!r}", details={"solute": solute})
    return FreezeConcentratedGlass(
        solute=p.solute,
        tg_prime_k=p.tg_prime.value,
        wg_prime_mass_fraction=p.wg_prime.value if p.wg_prime else None,
        source=p.tg_prime.source,
        provenance=p.tg_prime.provenance,
        verified=p.tg_prime.verified,
    )


# --- measured values ----------------------------------------------------------------------


@dataclass(frozen=True)
class MeasuredProperty:
    """A published measurement of a named solution (not a model output).

    Attributes:
        solution: the solution's name (e.g. ``"VS55"``).
        property: e.g. ``critical_cooling_rate``, ``glass_transition_temperature``.
        value: the published number, in ``unit``.
        unit: e.g. ``degC/min``, ``K``.
        source: citation.
        provenance: ``measured``.
        verified: whether the number was checked against the cited source.
        published_decimals: decimals the value is written with in the table ("2.5" → 1).
    """

    solution: str
    property: str
    value: float
    unit: str
    source: str
    provenance: str
    verified: bool
    published_decimals: int | None = None


def load_measured_solution_properties(
    path: Path | str = MEASURED_TABLE,
) -> tuple[MeasuredProperty, ...]:
    """Read the table of measured properties of named solutions.

    Args:
        path: a CSV with the columns in :data:`MEASURED_COLUMNS`.

    Returns:
        Every row, in file order.

    Raises:
        ValidationError: a column is missing, a row lacks a source, or a row is not
            tagged ``measured``.
    """
    path = Path(path)
    rows: list[MeasuredProperty] = []
    for where, row in read_table(path, MEASURED_COLUMNS):
        if row["provenance"].strip() != "measured":
            raise ValidationError(f"{where}: this table holds measured values only")
        if not row["source"].strip():
            raise ValidationError(f"{where}: every value needs a source")
        number = published_number(row["value"], where)
        rows.append(
            MeasuredProperty(
                solution=row["solution"].strip(),
                property=row["property"].strip(),
                value=number.value,
                published_decimals=number.decimals,
                unit=row["unit"].strip(),
                source=row["source"].strip(),
                provenance="measured",
                verified=parse_bool(row["verified"], where),
            )
        )
    return tuple(rows)


def measured_properties(solution: str) -> tuple[MeasuredProperty, ...]:
    """The measured properties of one named solution (case-insensitive exact match).

    Raises:
        NotFound: nothing is recorded for that solution.
    """
    wanted = solution.strip().lower()
    found = tuple(p for p in load_measured_solution_properties() if p.solution.lower() == wanted)
    if not found:
        raise NotFound(f"no measured properties for {solution!r}", details={"solution": solution})
    return found
