"""Solution thermodynamics: osmolality and the melting point of ice in CPA solutions.

This module owns the osmolality of aqueous solutions of one or more solutes and the
equilibrium melting point of ice in them. Inputs are molalities (mol solute per kg water;
converting other units is :mod:`cryoprotect.science.composition`'s job).

Osmolality — the multisolute osmotic virial equation (Elliott, Prickett, Elliott & McGann,
J Phys Chem B 111:1775–1785, 2007), with electrolytes handled by an empirical
dissociation constant ``k`` (Prickett, Elliott & McGann, J Phys Chem B 115:14531, 2011)::

    x_i = k_i · m_i                                   (k_i = 1 for non-electrolytes)
    π   = Σ_i x_i + Σ_i Σ_j (B_i + B_j)/2 · x_i x_j + Σ_i Σ_j Σ_l (C_i C_j C_l)^(1/3) · x_i x_j x_l

π in osmol/kg water, B in kg/mol, C in kg²/mol². For one solute this is the single-solute
form π = k m + B (k m)² + C (k m)³ (Zielinski, McGann, Nychka & Elliott, Cryobiology 2014,
eqs. 5 and 9 — checked against a copy of that text). The double and triple sums factorise
exactly, which is what makes the evaluation O(N·n)::

    Σ_i Σ_j (B_i + B_j)/2 · x_i x_j        = (Σ_i B_i x_i) · (Σ_j x_j)
    Σ_i Σ_j Σ_l (C_i C_j C_l)^(1/3) x_i x_j x_l = (Σ_i C_i^(1/3) x_i)³

The combining rules (arithmetic mean of B, geometric mean of C) are the Elliott et al.
2007 rules as stated in the project brief; they could not be checked against the primary
text with the tools available.
The geometric mean is taken with real cube roots, ∛C_i ∛C_j ∛C_l, so it is defined for
either sign of C. Fits to the CRC table alone keep C ≥ 0; the common CPAs' fits to 40–60 %
w/w need C < 0 (:data:`PUBLISHED_FIT_PLAN`), with which π(m) has a maximum far above the
fitted range (no melting point is returned where π ≤ 0).

Electrolytes and buffers (``solution_thermo(..., ions=True)``, used for solution properties):
the salts' own contribution is replaced by the ion model of
:mod:`~cryoprotect.science.electrolytes` (ions by stoichiometry, Pitzer osmotic
coefficient), which gets the dilute, mixed-salt carriers right (PBS, saline, Euro-Collins);
the salt–non-electrolyte cross terms stay the combining rule above (:func:`with_ion_model`).

Melting point — ice in equilibrium with the solution. Osmolality is defined from the
water activity, π = −ln(a_w)/M_w, and the ice–liquid equilibrium with a constant enthalpy
of fusion gives ln(a_w) = −(ΔH_fus/R)(1/T_m − 1/T_m0), hence::

    1/T_m = 1/T_m0 + R · M_w · π / ΔH_fus

with T_m0 = 273.15 K, ΔH_fus = 6008 J/mol (333.55 kJ/kg × 0.018015 kg/mol = 6009 J/mol)
and M_w = 0.018015 kg/mol. Its small-π limit is the familiar ΔT = K_f · π with
K_f = R T_m0² M_w / ΔH_fus = 1.860 K·kg/mol. The constant-ΔH_fus form neglects the heat
capacity difference between water and ice; coefficients fitted to freezing points through
the same relation (:func:`fit_virial_from_freezing_points`) absorb that consistently, so
use fitted coefficients and this relation together.

Parameters — every coefficient lives in a CSV table under ``science/params`` with its source,
a provenance tag (``measured``/``fitted``/``estimated``) and whether the number was
checked against its source:

* ``osmotic_virial.csv``: published coefficients (Elliott 2007, Prickett 2011, Zielinski 2014).
* ``osmotic_virial_fitted.csv``: coefficients fitted here to the CRC Handbook freezing points
  and, for propylene glycol, ethylene glycol, glycerol, methanol and ethanol, also to
  Melinder's published freezing curves (``freezing_points_reference.csv``; see
  :mod:`cryoprotect.science.freezing_reference`), written by :func:`fit_missing_from_crc`
  with the data, residuals and held-out errors in ``osmotic_virial_fits.json``.

:func:`default_virial_parameters` chooses, per solute, verified published coefficients
first, then our fit to measured CRC freezing points, then unverified published
coefficients. A solute with none is treated as ideal-dilute (π contribution = m),
tagged ``estimated``, and a warning says so.
"""

from __future__ import annotations

import csv
import json
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy.optimize import lsq_linear

from cryoprotect.errors import InvalidCompositionError, NotFound, ValidationError
from cryoprotect.science import electrolytes, freezing_reference

# --- constants ----------------------------------------------------------------------------

GAS_CONSTANT_J_PER_MOL_K = 8.314462618
"""Molar gas constant R (exact in the 2019 SI: N_A × k_B)."""
WATER_MOLAR_MASS_KG_PER_MOL = 0.018015
"""Molar mass of water M_w (18.015 g/mol)."""
WATER_MELTING_POINT_K = 273.15
"""Melting point of ice Ih at 1 atm, T_m0."""
WATER_ENTHALPY_OF_FUSION_J_PER_MOL = 6008.0
"""Enthalpy of fusion of ice at T_m0 (333.55 kJ/kg × M_w = 6009 J/mol; 6008 J/mol by convention)."""
CRYOSCOPIC_CONSTANT_K_KG_PER_MOL = (
    GAS_CONSTANT_J_PER_MOL_K
    * WATER_MELTING_POINT_K**2
    * WATER_MOLAR_MASS_KG_PER_MOL
    / WATER_ENTHALPY_OF_FUSION_J_PER_MOL
)
"""K_f = R T_m0² M_w / ΔH_fus ≈ 1.860 K·kg/mol, the dilute limit of the melting-point relation."""

MELTING_POINT_METHOD = (
    "ice–solution equilibrium with constant ΔH_fus: 1/T_m = 1/T_m0 + R·M_w·π/ΔH_fus "
    "(T_m0 = 273.15 K, ΔH_fus = 6008 J/mol, M_w = 0.018015 kg/mol)"
)
VIRIAL_METHOD = (
    "multisolute osmotic virial equation (Elliott et al., J Phys Chem B 111:1775, 2007; "
    "electrolytes via dissociation constant, Prickett et al., J Phys Chem B 115:14531, 2011)"
)
IDEAL_DILUTE_SOURCE = "ideal-dilute limit (no non-ideality coefficients available): π_i = m_i"

PARAMS_DIR = Path(__file__).resolve().parent / "params"
LITERATURE_TABLE = PARAMS_DIR / "osmotic_virial.csv"
FITTED_TABLE = PARAMS_DIR / "osmotic_virial_fitted.csv"
FITS_JSON = PARAMS_DIR / "osmotic_virial_fits.json"

VIRIAL_COLUMNS = (
    "solute",
    "B_kg_per_mol",
    "C_kg2_per_mol2",
    "k_diss",
    "valid_max_molality",
    "source",
    "provenance",
    "verified",
)

Provenance = Literal["measured", "fitted", "estimated"]
_PROVENANCES: frozenset[str] = frozenset({"measured", "fitted", "estimated"})

FloatArray = NDArray[np.float64]
BoolArray = NDArray[np.bool_]

# CRC Handbook names that differ from the molecule library's names (exact matches only).
CRC_NAME_TO_LIBRARY: dict[str, str] = {"1,2-Ethanediol": "Ethylene glycol"}


# --- parameters ---------------------------------------------------------------------------


@dataclass(frozen=True)
class VirialParameters:
    """Osmotic virial coefficients of one solute, with where they come from.

    Attributes:
        solute: the solute's name (the molecule library's name where it has one).
        b_kg_per_mol: second osmotic virial coefficient B (kg/mol).
        c_kg2_per_mol2: third osmotic virial coefficient C (kg²/mol²).
        k_diss: dissociation constant k (1 for non-electrolytes).
        valid_max_molality: highest molality (mol/kg) the coefficients were fitted to, or
            ``None`` when the source does not record it.
        source: citation (published coefficients) or fit description (our fits).
        provenance: ``measured``, ``fitted`` or ``estimated``.
        verified: whether the numbers were checked against the cited source.
        table: the parameter table the row came from (``"ideal"`` for the fallback).
    """

    solute: str
    b_kg_per_mol: float
    c_kg2_per_mol2: float
    k_diss: float
    valid_max_molality: float | None
    source: str
    provenance: Provenance
    verified: bool
    table: str

    def as_dict(self) -> dict[str, Any]:
        """The parameters as a JSON-serialisable dict (for APIs and reports)."""
        return {
            "solute": self.solute,
            "B_kg_per_mol": self.b_kg_per_mol,
            "C_kg2_per_mol2": self.c_kg2_per_mol2,
            "k_diss": self.k_diss,
            "valid_max_molality": self.valid_max_molality,
            "source": self.source,
            "provenance": self.provenance,
            "verified": self.verified,
            "table": self.table,
        }


def ideal_parameters(solute: str) -> VirialParameters:
    """The ideal-dilute fallback for a solute without coefficients (B = C = 0, k = 1).

    Args:
        solute: the solute's name.

    Returns:
        Parameters tagged ``estimated``; the result of :func:`osmolality` warns when used.
    """
    return VirialParameters(
        solute=solute,
        b_kg_per_mol=0.0,
        c_kg2_per_mol2=0.0,
        k_diss=1.0,
        valid_max_molality=None,
        source=IDEAL_DILUTE_SOURCE,
        provenance="estimated",
        verified=False,
        table="ideal",
    )


def _parse_bool(text: str, *, where: str) -> bool:
    value = text.strip().lower()
    if value in {"true", "yes", "1"}:
        return True
    if value in {"false", "no", "0"}:
        return False
    raise ValidationError(f"{where}: 'verified' must be true or false, not {text!r}")


def _optional_float(text: str) -> float | None:
    return float(text) if text.strip() else None


def load_virial_table(path: Path | str) -> dict[str, VirialParameters]:
    """Read an osmotic virial parameter table.

    Args:
        path: a CSV with the columns in :data:`VIRIAL_COLUMNS`.

    Returns:
        Parameters keyed by lower-cased solute name.

    Raises:
        ValidationError: a column is missing, a provenance tag is unknown or a solute repeats.
    """
    path = Path(path)
    with path.open(newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        missing = set(VIRIAL_COLUMNS) - set(reader.fieldnames or ())
        if missing:
            raise ValidationError(f"{path.name}: missing columns {sorted(missing)}")
        table: dict[str, VirialParameters] = {}
        for line, row in enumerate(reader, start=2):
            where = f"{path.name}:{line}"
            provenance = row["provenance"].strip()
            if provenance not in _PROVENANCES:
                raise ValidationError(f"{where}: unknown provenance {provenance!r}")
            if not row["source"].strip():
                raise ValidationError(f"{where}: every row needs a source")
            params = VirialParameters(
                solute=row["solute"].strip(),
                b_kg_per_mol=float(row["B_kg_per_mol"]),
                c_kg2_per_mol2=float(row["C_kg2_per_mol2"] or 0.0),
                k_diss=float(row["k_diss"] or 1.0),
                valid_max_molality=_optional_float(row["valid_max_molality"]),
                source=row["source"].strip(),
                provenance=provenance,  # type: ignore[arg-type]  # checked just above
                verified=_parse_bool(row["verified"], where=where),
                table=path.name,
            )
            key = params.solute.lower()
            if key in table:
                raise ValidationError(f"{where}: solute {params.solute!r} appears twice")
            table[key] = params
    return table


def merge_parameter_sets(
    literature: Mapping[str, VirialParameters], fitted: Mapping[str, VirialParameters]
) -> dict[str, VirialParameters]:
    """Choose one parameter set per solute.

    Order of preference: published coefficients checked against their source; our fits to
    measured freezing points; published coefficients that could not be checked.

    Args:
        literature: published coefficients (``osmotic_virial.csv``).
        fitted: coefficients fitted to the CRC freezing points (``osmotic_virial_fitted.csv``).

    Returns:
        Parameters keyed by lower-cased solute name.
    """
    chosen: dict[str, VirialParameters] = {}
    for key in sorted(set(literature) | set(fitted)):
        published = literature.get(key)
        ours = fitted.get(key)
        if published is not None and published.verified:
            chosen[key] = published
        elif ours is not None:
            chosen[key] = ours
        elif published is not None:
            chosen[key] = published
    return chosen


@lru_cache(maxsize=1)
def _default_parameters() -> dict[str, VirialParameters]:
    literature = load_virial_table(LITERATURE_TABLE)
    fitted = load_virial_table(FITTED_TABLE) if FITTED_TABLE.exists() else {}
    return merge_parameter_sets(literature, fitted)


def default_virial_parameters() -> dict[str, VirialParameters]:
    """The shipped parameter sets, one per solute (see :func:`merge_parameter_sets`).

    Returns:
        A fresh dict keyed by lower-cased solute name.
    """
    return dict(_default_parameters())


def virial_parameters(solute: str) -> VirialParameters:
    """The shipped parameter set for one solute.

    Args:
        solute: the solute's name (case-insensitive exact match, e.g. ``"Glycerol"``).

    Raises:
        NotFound: no coefficients are recorded for the solute.
    """
    found = _default_parameters().get(solute.strip().lower())
    if found is None:
        raise NotFound(f"no osmotic virial coefficients for {solute!r}", details={"solute": solute})
    return found


def resolve_solutes(
    solutes: Sequence[str | VirialParameters],
    *,
    parameters: Mapping[str, VirialParameters] | None = None,
) -> tuple[VirialParameters, ...]:
    """Turn solute names into parameter sets, falling back to ideal-dilute.

    Args:
        solutes: names (case-insensitive exact match) or explicit :class:`VirialParameters`.
        parameters: the table to look names up in (default: :func:`default_virial_parameters`).

    Returns:
        One parameter set per solute, in order.
    """
    table = parameters if parameters is not None else _default_parameters()
    resolved: list[VirialParameters] = []
    for solute in solutes:
        if isinstance(solute, VirialParameters):
            resolved.append(solute)
            continue
        if not isinstance(solute, str) or not solute.strip():
            raise ValidationError("solute names must be non-empty strings", field="solutes")
        found = table.get(solute.strip().lower())
        resolved.append(found if found is not None else ideal_parameters(solute.strip()))
    return tuple(resolved)


# --- osmolality ---------------------------------------------------------------------------


@dataclass(frozen=True)
class OsmolalityResult:
    """Osmolality of one or many solutions, with the parameters behind it.

    Attributes:
        osmolality_osmol_per_kg: π in osmol/kg water; shape ``(N,)`` for an ``(N, n)``
            molality array, shape ``()`` for a single ``(n,)`` composition.
        method: the equation used.
        parameters: the parameter set of each solute, in input order (source, provenance).
        within_range: ``True`` where a solute's molality is inside its parameters' *recorded*
            valid range; ``False`` where it is above it **or no range is recorded** (never
            ``True`` for an unknown range); same leading shape as the input, last
            axis = solutes. :attr:`range_recorded` and :meth:`range_verdict` tell the two
            ``False`` cases apart.
        warnings: human-readable caveats (ideal fallback, unverified or unknown ranges,
            compositions outside a valid range).
        range_recorded: shape ``(n_solutes,)``, whether each parameter set records its range.
    """

    osmolality_osmol_per_kg: FloatArray
    method: str
    parameters: tuple[VirialParameters, ...]
    within_range: BoolArray
    warnings: tuple[str, ...]
    range_recorded: BoolArray = field(default_factory=lambda: np.ones(0, dtype=np.bool_))

    @property
    def all_within_range(self) -> BoolArray:
        """``True`` per composition when every solute is inside a recorded valid range."""
        result: BoolArray = np.all(self.within_range, axis=-1)
        return result

    @property
    def above_range(self) -> BoolArray:
        """``True`` where a solute's molality is above its recorded range (solute axis last)."""
        result: BoolArray = ~self.within_range & self.range_recorded
        return result

    def range_verdict(self) -> list[bool | None]:
        """Per composition: ``True`` (every solute inside a recorded range), ``False`` (a
        solute above its range) or ``None`` (none above, but a range is not recorded, so
        nobody knows). One entry per composition, in input order."""
        above = np.atleast_2d(self.above_range)
        inside = np.atleast_2d(self.within_range)
        return [
            False if bool(np.any(a)) else (True if bool(np.all(w)) else None)
            for a, w in zip(above, inside, strict=True)
        ]

    @property
    def provenance(self) -> dict[str, str]:
        """Solute name → provenance tag of the coefficients used."""
        return {p.solute: p.provenance for p in self.parameters}


def _as_molality(molality: ArrayLike, n_solutes: int) -> FloatArray:
    array = np.asarray(molality, dtype=np.float64)
    if array.ndim not in (1, 2) or array.shape[-1] != n_solutes:
        raise ValidationError(
            f"molality must have shape (n_solutes,) or (N, n_solutes) with n_solutes = "
            f"{n_solutes}; got {array.shape}",
            field="molality",
        )
    if not np.all(np.isfinite(array)):
        raise ValidationError("molality contains NaN or infinite values", field="molality")
    if np.any(array < 0.0):
        raise InvalidCompositionError("molalities must be ≥ 0 mol/kg", field="molality")
    return array


def _coefficients(
    params: Sequence[VirialParameters],
) -> tuple[FloatArray, FloatArray, FloatArray]:
    k = np.array([p.k_diss for p in params], dtype=np.float64)
    b = np.array([p.b_kg_per_mol for p in params], dtype=np.float64)
    c = np.array([p.c_kg2_per_mol2 for p in params], dtype=np.float64)
    return k, b, c


def virial_osmolality(
    molality: FloatArray, k_diss: FloatArray, b: FloatArray, c: FloatArray
) -> FloatArray:
    """The multisolute osmotic virial equation on raw arrays (no checks, no provenance).

    Args:
        molality: shape ``(..., n)`` in mol/kg water.
        k_diss: shape ``(n,)`` dissociation constants.
        b: shape ``(n,)`` second coefficients, kg/mol.
        c: shape ``(n,)`` third coefficients, kg²/mol².

    Returns:
        π in osmol/kg water, shape ``(...)``.
    """
    # Matrix–vector products rather than .sum(axis=-1): much faster over a short last axis.
    x = molality * k_diss
    total = x @ np.ones(x.shape[-1])
    second = (x @ b) * total
    third = (x @ np.cbrt(c)) ** 3
    result: FloatArray = total + second + third
    return result


def osmolality(
    molality: ArrayLike,
    solutes: Sequence[str | VirialParameters],
    *,
    parameters: Mapping[str, VirialParameters] | None = None,
) -> OsmolalityResult:
    """Osmolality of aqueous solutions by the multisolute osmotic virial equation.

    Args:
        molality: mol solute per kg water, shape ``(n_solutes,)`` for one solution or
            ``(N, n_solutes)`` for N solutions (evaluated in one vectorised call).
        solutes: the solutes, in column order: names or :class:`VirialParameters`.
        parameters: the table names are looked up in (default: the shipped tables).

    Returns:
        π in osmol/kg water with per-solute parameters, range flags and warnings.

    Raises:
        ValidationError: wrong shape or non-finite values.
        InvalidCompositionError: a negative molality.
    """
    params = resolve_solutes(solutes, parameters=parameters)
    if not params:
        raise ValidationError("at least one solute is required", field="solutes")
    names = [p.solute.lower() for p in params]
    if len(set(names)) != len(names):
        raise ValidationError("a solute is listed twice", field="solutes")
    array = _as_molality(molality, len(params))
    k, b, c = _coefficients(params)
    # C may be negative (the concentrated-CPA fits): the combining rule then uses real cube
    # roots, (C_i C_j C_l)^(1/3) = ∛C_i ∛C_j ∛C_l, which is what virial_osmolality computes.
    pi = virial_osmolality(array, k, b, c)
    limits = np.array(
        [p.valid_max_molality if p.valid_max_molality is not None else np.inf for p in params]
    )
    recorded: BoolArray = np.array([p.valid_max_molality is not None for p in params])
    above: BoolArray = array > limits
    within: BoolArray = ~above & recorded
    return OsmolalityResult(
        osmolality_osmol_per_kg=np.asarray(pi, dtype=np.float64),
        method=VIRIAL_METHOD,
        parameters=params,
        within_range=within,
        warnings=_warnings(params, above),
        range_recorded=recorded,
    )


def _warnings(params: Sequence[VirialParameters], above: BoolArray) -> tuple[str, ...]:
    notes: list[str] = []
    outside = np.any(above.reshape(-1, len(params)), axis=0)
    for index, p in enumerate(params):
        if p.table == "ideal":
            notes.append(
                f"{p.solute}: no osmotic virial coefficients; ideal-dilute estimate (π_i = m_i)"
            )
            continue
        if not p.verified:
            notes.append(
                f"{p.solute}: coefficients from {p.table} could not be checked against their source"
            )
        if p.valid_max_molality is None:
            notes.append(
                f"{p.solute}: the valid concentration range is not recorded, so whether "
                "this composition is inside it is unknown"
            )
        elif outside[index]:
            notes.append(
                f"{p.solute}: molality above the fitted range "
                f"(≤ {p.valid_max_molality:g} mol/kg); the model is not validated there"
            )
    if len(params) > 1:
        notes.append(
            "mixture: predicted from single-solute coefficients by the Elliott et al. "
            "combining rules (no mixture data used)"
        )
    return tuple(notes)


def electrolyte_cross_parameters(
    salt: str, *, provenance: Provenance = "estimated", verified: bool = False
) -> VirialParameters:
    """Virial stand-in for a salt without coefficients, used only in cross terms.

    Under :func:`with_ion_model` a salt's own contribution comes from the ion model; in the
    cross terms with non-electrolytes it counts as its ν ions (k = ν) with B = C = 0. Its
    valid range is the ion model's: the molality at which the salt alone reaches the
    validated ionic strength (unknown for an uncharged species such as the HEPES zwitterion).

    Args:
        salt: the salt's name (``params/salts.csv``).
        provenance: ``estimated`` when cross terms use B = C = 0; the ion model's provenance
            when the solution has no other solutes (no cross terms).
        verified: whether the numbers behind the answer were checked against their source.
    """
    found = electrolytes.salt(salt)
    charges = electrolytes.species_charges()
    strength_per_mol = 0.5 * sum(count * charges[name] ** 2 for name, count in found.species)
    return VirialParameters(
        solute=salt,
        b_kg_per_mol=0.0,
        c_kg2_per_mol2=0.0,
        k_diss=float(found.particles),
        valid_max_molality=(
            electrolytes.VALID_MAX_IONIC_STRENGTH / strength_per_mol if strength_per_mol else None
        ),
        source=(
            f"no osmotic virial coefficients: its own contribution from the ion model "
            f"({electrolytes.SALT_TABLE.name}: {found.particles} particles); in cross terms "
            "with other solutes k = number of ions, B = C = 0"
        ),
        provenance=provenance,
        verified=verified,
        table=electrolytes.SALT_TABLE.name,
    )


def with_ion_model(
    result: OsmolalityResult, molality: ArrayLike
) -> tuple[OsmolalityResult, electrolytes.IonicResult | None]:
    """Replace the electrolytes' own contribution to π by the ion model.

    π = π_virial(all solutes) − π_virial(the electrolytes alone) + π_ions(the electrolytes),
    so the salt–salt terms come from :mod:`~cryoprotect.science.electrolytes` (ions by
    stoichiometry, Pitzer osmotic coefficient) and the cross terms between salts and
    non-electrolytes stay the Elliott combining rule of the virial equation. Compositions
    whose ionic strength is above the ion model's validated range keep the virial answer
    (with a warning). Salts without virial coefficients enter the cross terms as their ions
    (:func:`electrolyte_cross_parameters`) instead of the ideal-dilute single particle.

    Args:
        result: the virial answer (:func:`osmolality`).
        molality: the same molalities, mol/kg water.

    Returns:
        The answer with the ion model applied, and the ion model's result (``None`` when no
        solute is an electrolyte).
    """
    params = list(result.parameters)
    salts = [i for i, p in enumerate(params) if electrolytes.is_electrolyte(p.solute)]
    if not salts:
        return result, None
    array = np.asarray(molality, dtype=np.float64)
    others = [p for i, p in enumerate(params) if i not in salts]
    ionic = electrolytes.ionic_osmolality(
        array[..., np.array(salts)], [params[i].solute for i in salts]
    )
    # With no other solute there are no cross terms: the stand-in carries the ion model's tags.
    tags: tuple[Provenance, bool] = (
        ("estimated", False) if others else (ionic.provenance, ionic.verified)
    )
    for i in salts:
        if params[i].table == "ideal":
            params[i] = electrolyte_cross_parameters(
                params[i].solute, provenance=tags[0], verified=tags[1]
            )
    index = np.array(salts)
    k, b, c = _coefficients(params)
    pi_all = virial_osmolality(array, k, b, c)
    pi_salts = virial_osmolality(array[..., index], k[index], b[index], c[index])
    applied = ionic.within_range
    pi = np.where(applied, pi_all - pi_salts + ionic.osmolality_osmol_per_kg, pi_all)
    within = np.array(result.within_range, dtype=np.bool_, copy=True)
    within[..., index] = np.where(applied[..., np.newaxis], True, within[..., index])
    everywhere = bool(np.all(applied))
    substituted = {params[i].solute for i in salts if params[i].table != result.parameters[i].table}
    replaced = {params[i].solute for i in salts} if everywhere else substituted
    notes = [
        w
        for w in result.warnings
        if not any(w.startswith(f"{name}:") for name in replaced)
        and not (everywhere and not others and w.startswith("mixture:"))
    ]
    notes.extend(ionic.warnings)
    if others:
        notes.extend(
            f"{params[i].solute}: no osmotic virial coefficients; in cross terms with the "
            "other solutes it counts as its ions with B = C = 0"
            for i in salts
            if params[i].table == electrolytes.SALT_TABLE.name
        )
    if not np.any(applied):
        method = result.method
    elif not others and everywhere:
        method = electrolytes.METHOD
    else:
        method = (
            f"{result.method}; the electrolytes' own contribution from the ion model: "
            f"{electrolytes.METHOD}"
        )
    updated = replace(
        result,
        osmolality_osmol_per_kg=np.asarray(pi, dtype=np.float64),
        method=method,
        parameters=tuple(params),
        within_range=within,
        warnings=tuple(notes),
    )
    return updated, ionic


# --- melting point ------------------------------------------------------------------------


def melting_point(osmolality_osmol_per_kg: ArrayLike) -> FloatArray:
    """Equilibrium melting point of ice in a solution of the given osmolality.

    Uses 1/T_m = 1/T_m0 + R·M_w·π/ΔH_fus (see the module docstring).

    Args:
        osmolality_osmol_per_kg: π in osmol/kg water, any shape, ≥ 0.

    Returns:
        T_m in kelvin, same shape.

    Raises:
        ValidationError: a negative or non-finite osmolality.
    """
    pi = np.asarray(osmolality_osmol_per_kg, dtype=np.float64)
    if not np.all(np.isfinite(pi)) or np.any(pi < 0.0):
        raise ValidationError("osmolality must be finite and ≥ 0", field="osmolality")
    slope = (
        GAS_CONSTANT_J_PER_MOL_K * WATER_MOLAR_MASS_KG_PER_MOL / WATER_ENTHALPY_OF_FUSION_J_PER_MOL
    )
    result: FloatArray = 1.0 / (1.0 / WATER_MELTING_POINT_K + slope * pi)
    return result


def osmolality_from_melting_point(melting_point_k: ArrayLike) -> FloatArray:
    """Invert :func:`melting_point`: the osmolality whose ice melting point is T_m.

    Args:
        melting_point_k: T_m in kelvin (0 < T_m ≤ 273.15 K), any shape.

    Returns:
        π in osmol/kg water.
    """
    tm = np.asarray(melting_point_k, dtype=np.float64)
    if not np.all(np.isfinite(tm)) or np.any(tm <= 0.0) or np.any(tm > WATER_MELTING_POINT_K):
        raise ValidationError("melting point must be in (0, 273.15] K", field="melting_point_k")
    slope = (
        GAS_CONSTANT_J_PER_MOL_K * WATER_MOLAR_MASS_KG_PER_MOL / WATER_ENTHALPY_OF_FUSION_J_PER_MOL
    )
    result: FloatArray = (1.0 / tm - 1.0 / WATER_MELTING_POINT_K) / slope
    return result


def freezing_point_depression_c(osmolality_osmol_per_kg: ArrayLike) -> FloatArray:
    """ΔT_f = T_m0 − T_m in °C (positive) for the given osmolality."""
    result: FloatArray = WATER_MELTING_POINT_K - melting_point(osmolality_osmol_per_kg)
    return result


# --- one call for the UI / API ------------------------------------------------------------


@dataclass(frozen=True)
class SolutionThermo:
    """Osmolality and melting point of solutions, each number with its method and provenance.

    Attributes:
        osmolality: the full :class:`OsmolalityResult` (values, parameters, range flags).
        melting_point_k: T_m in kelvin, same shape as the osmolality.
        melting_point_c: T_m in °C.
        methods: quantity → the equation that produced it.
        provenance: solute → provenance tag of the virial coefficients used.
        sources: solute → source of the virial coefficients used.
        within_range: per composition, ``True`` when every solute is inside its
            parameters' recorded valid range (the melting point inherits the osmolality's
            validity); ``False`` also where a range is not recorded — use
            ``osmolality.range_verdict()`` for true / false / unknown.
        warnings: caveats from the osmolality calculation.
        ionic: the ion model's result when it was asked for and the solution has
            electrolytes (``solution_thermo(..., ions=True)``), else ``None``.
    """

    osmolality: OsmolalityResult
    melting_point_k: FloatArray
    melting_point_c: FloatArray
    methods: dict[str, str] = field(default_factory=dict)
    provenance: dict[str, str] = field(default_factory=dict)
    sources: dict[str, str] = field(default_factory=dict)
    within_range: BoolArray = field(default_factory=lambda: np.ones(0, dtype=np.bool_))
    warnings: tuple[str, ...] = ()
    ionic: electrolytes.IonicResult | None = None

    @property
    def osmolality_osmol_per_kg(self) -> FloatArray:
        """π in osmol/kg water."""
        return self.osmolality.osmolality_osmol_per_kg


def solution_thermo(
    molality: ArrayLike,
    solutes: Sequence[str | VirialParameters],
    *,
    parameters: Mapping[str, VirialParameters] | None = None,
    ions: bool = False,
) -> SolutionThermo:
    """Osmolality and ice melting point of one or many solutions in one call.

    Args:
        molality: mol/kg water, shape ``(n_solutes,)`` or ``(N, n_solutes)``.
        solutes: solute names or :class:`VirialParameters`, in column order.
        parameters: the table names are looked up in (default: the shipped tables).
        ions: electrolytes by the ion model (:func:`with_ion_model`) instead of their
            virial coefficients alone.

    Returns:
        Values in osmol/kg, K and °C with methods, provenance, sources and validity flags.
    """
    result = osmolality(molality, solutes, parameters=parameters)
    ionic = None
    if ions:
        result, ionic = with_ion_model(result, molality)
    pi = result.osmolality_osmol_per_kg
    # A fit with C < 0 gives π ≤ 0 far above its range (e.g. > 78 % w/w ethylene glycol):
    # no melting point there (NaN), never an exception.
    physical = pi >= 0.0
    tm_k = np.where(physical, melting_point(np.where(physical, pi, 0.0)), np.nan)
    return SolutionThermo(
        osmolality=result,
        melting_point_k=tm_k,
        melting_point_c=tm_k - WATER_MELTING_POINT_K,
        methods={"osmolality": result.method, "melting_point": MELTING_POINT_METHOD},
        provenance={p.solute: p.provenance for p in result.parameters},
        sources={p.solute: p.source for p in result.parameters},
        within_range=result.all_within_range,
        warnings=result.warnings,
        ionic=ionic,
    )


# --- fitting to freezing points -----------------------------------------------------------


@dataclass(frozen=True)
class FitResult:
    """Osmotic virial coefficients fitted to freezing-point depressions of one solute.

    Attributes:
        b_kg_per_mol: fitted B.
        c_kg2_per_mol2: fitted C (≥ 0; 0 when not fitted).
        k_diss: fitted dissociation constant (1 when not fitted).
        molality: the data's molalities (mol/kg).
        delta_t_c: the data's measured freezing-point depressions (°C, positive).
        predicted_delta_t_c: the fit's freezing-point depressions at the data.
        residuals_c: predicted − measured (°C).
        valid_min_molality: lowest molality in the data.
        valid_max_molality: highest molality in the data (the coefficients' valid range).
        rmse_c: root-mean-square residual (°C).
        fitted_k_diss: whether k was fitted (electrolyte) or fixed at 1.
        fitted_c: whether C was fitted or fixed at 0.
        c_nonnegative: whether C was constrained to C ≥ 0 (otherwise free in sign).
    """

    b_kg_per_mol: float
    c_kg2_per_mol2: float
    k_diss: float
    molality: FloatArray
    delta_t_c: FloatArray
    predicted_delta_t_c: FloatArray
    residuals_c: FloatArray
    valid_min_molality: float
    valid_max_molality: float
    rmse_c: float
    fitted_k_diss: bool
    fitted_c: bool
    c_nonnegative: bool = True

    @property
    def n_points(self) -> int:
        """Number of data points fitted."""
        return int(self.molality.size)

    @property
    def mae_c(self) -> float:
        """Mean absolute residual (°C)."""
        return float(np.mean(np.abs(self.residuals_c)))


def predict_delta_t_c(
    molality: ArrayLike, b: float, c: float = 0.0, k_diss: float = 1.0
) -> FloatArray:
    """Freezing-point depression (°C, positive) of a single-solute solution.

    Args:
        molality: mol/kg water, any shape.
        b: B in kg/mol.
        c: C in kg²/mol² (negative only for fits made with ``c_nonnegative=False``, whose
            osmolality stays positive inside their fitted range).
        k_diss: dissociation constant.
    """
    m = np.asarray(molality, dtype=np.float64)[..., np.newaxis]
    pi = virial_osmolality(m, np.array([k_diss]), np.array([b]), np.array([c]))
    return freezing_point_depression_c(pi)


def fit_virial_from_freezing_points(
    molality: ArrayLike,
    delta_t_c: ArrayLike,
    *,
    fit_k_diss: bool = False,
    fit_c: bool = True,
    c_nonnegative: bool = True,
) -> FitResult:
    """Fit B (and C, and k for an electrolyte) to measured freezing-point depressions.

    Each ΔT_f is converted to the osmolality the melting-point relation assigns to it,
    π_meas = (ΔH_fus/(R M_w))·(1/T_m − 1/T_m0), and π = k m + B (k m)² + C (k m)³ is fitted
    by linear least squares in the coefficients a1 = k, a2 = B k², a3 = C k³ (a1 ≡ 1 for a
    non-electrolyte, the exact ideal-dilute limit), with C ≥ 0 (bounded least squares)
    unless ``c_nonnegative`` is false.

    Concentrated CPA solutions (30–60 % w/w) need C < 0: their measured π/m − 1 grows more
    slowly than linearly in m. A negative C makes π(m) reach a maximum at some molality
    above the data, so such a fit is accepted only when π still increases at the highest
    molality fitted; above that molality the coefficients are outside their valid range.

    Args:
        molality: mol/kg water (> 0), 1-D.
        delta_t_c: measured ΔT_f in °C (positive), same length.
        fit_k_diss: fit the dissociation constant (electrolytes) instead of fixing k = 1.
        fit_c: fit C; otherwise C = 0.
        c_nonnegative: constrain C ≥ 0 (the default); false lets C take either sign.

    Returns:
        The coefficients, the data, predictions, residuals, valid range and RMSE.

    Raises:
        ValidationError: mismatched or too few points, non-positive molalities, or (C free)
            a fit whose osmolality decreases within the data's range.
    """
    m = np.asarray(molality, dtype=np.float64).ravel()
    dt = np.asarray(delta_t_c, dtype=np.float64).ravel()
    n_free = 1 + int(fit_c) + int(fit_k_diss)
    if m.shape != dt.shape:
        raise ValidationError("molality and delta_t_c must have the same length")
    if m.size < n_free + 1:
        raise ValidationError(f"need at least {n_free + 1} points to fit {n_free} coefficients")
    if not (np.all(np.isfinite(m)) and np.all(np.isfinite(dt))) or np.any(m <= 0.0):
        raise ValidationError("molalities must be finite and > 0; ΔT finite")
    pi_measured = osmolality_from_melting_point(WATER_MELTING_POINT_K - dt)
    columns = [m] if fit_k_diss else []
    columns.append(m**2)
    if fit_c:
        columns.append(m**3)
    design = np.column_stack(columns)
    target = pi_measured if fit_k_diss else pi_measured - m
    lower = np.full(design.shape[1], -np.inf)
    if fit_c and c_nonnegative:
        lower[-1] = 0.0
    if fit_k_diss:
        lower[0] = 1e-6
    solution = lsq_linear(
        design, target, bounds=(lower, np.full_like(lower, np.inf)), method="bvls"
    )
    coef = np.asarray(solution.x, dtype=np.float64)
    k = float(coef[0]) if fit_k_diss else 1.0
    a2 = float(coef[1 if fit_k_diss else 0])
    a3 = float(coef[-1]) if fit_c else 0.0
    if c_nonnegative and a3 < 1e-12:
        a3 = 0.0  # the solver stops a hair above the C ≥ 0 bound; report the bound exactly
    b = a2 / k**2
    c = a3 / k**3
    x_max = k * float(m.max())
    if c < 0.0 and 1.0 + 2.0 * b * x_max + 3.0 * c * x_max**2 <= 0.0:
        raise ValidationError(
            "the fitted osmolality decreases within the data's range (C < 0 too large); "
            "fit a narrower concentration range"
        )
    predicted = predict_delta_t_c(m, b, c, k)
    residuals = predicted - dt
    return FitResult(
        b_kg_per_mol=b,
        c_kg2_per_mol2=c,
        k_diss=k,
        molality=m,
        delta_t_c=dt,
        predicted_delta_t_c=predicted,
        residuals_c=residuals,
        valid_min_molality=float(m.min()),
        valid_max_molality=float(m.max()),
        rmse_c=float(np.sqrt(np.mean(residuals**2))),
        fitted_k_diss=fit_k_diss,
        fitted_c=fit_c,
        c_nonnegative=c_nonnegative,
    )


@dataclass(frozen=True)
class HeldOutError:
    """Prediction error of a fitted parameter set on data it was not fitted to.

    Attributes:
        alternate_mae_c: fit on every other point (even indices), mean |error| on the rest.
        alternate_max_c: the largest |error| of that split.
        loo_mae_c: leave-one-out mean |error| (each point predicted by a fit to all others).
        loo_max_c: the largest leave-one-out |error| (usually the extrapolated end point).
        fit_residual_mae_c: the in-sample mean |residual|, for comparison only.
        n_points: number of data points.
    """

    alternate_mae_c: float
    alternate_max_c: float
    loo_mae_c: float
    loo_max_c: float
    fit_residual_mae_c: float
    n_points: int


def held_out_error(
    molality: ArrayLike,
    delta_t_c: ArrayLike,
    *,
    fit_k_diss: bool = False,
    fit_c: bool = True,
    c_nonnegative: bool = True,
) -> HeldOutError:
    """Cross-validated error of :func:`fit_virial_from_freezing_points` on one data series.

    Args:
        molality: mol/kg water, 1-D, sorted or not.
        delta_t_c: measured ΔT_f (°C).
        fit_k_diss: as in :func:`fit_virial_from_freezing_points`.
        fit_c: as in :func:`fit_virial_from_freezing_points`.
        c_nonnegative: as in :func:`fit_virial_from_freezing_points`.

    Returns:
        Alternate-point and leave-one-out errors, with the in-sample residual for contrast.
    """
    m = np.asarray(molality, dtype=np.float64).ravel()
    dt = np.asarray(delta_t_c, dtype=np.float64).ravel()
    order = np.argsort(m)
    m, dt = m[order], dt[order]
    train = np.arange(m.size) % 2 == 0
    options = {"fit_k_diss": fit_k_diss, "fit_c": fit_c, "c_nonnegative": c_nonnegative}
    split = fit_virial_from_freezing_points(m[train], dt[train], **options)
    split_errors = np.abs(
        predict_delta_t_c(m[~train], split.b_kg_per_mol, split.c_kg2_per_mol2, split.k_diss)
        - dt[~train]
    )
    loo_errors = np.empty(m.size)
    for index in range(m.size):
        keep = np.arange(m.size) != index
        fit = fit_virial_from_freezing_points(m[keep], dt[keep], **options)
        loo_errors[index] = abs(
            float(predict_delta_t_c(m[index], fit.b_kg_per_mol, fit.c_kg2_per_mol2, fit.k_diss))
            - dt[index]
        )
    full = fit_virial_from_freezing_points(m, dt, **options)
    return HeldOutError(
        alternate_mae_c=float(split_errors.mean()),
        alternate_max_c=float(split_errors.max()),
        loo_mae_c=float(loo_errors.mean()),
        loo_max_c=float(loo_errors.max()),
        fit_residual_mae_c=full.mae_c,
        n_points=int(m.size),
    )


# --- the CRC Handbook table ---------------------------------------------------------------

CRC_SOURCE = (
    "CRC Handbook of Chemistry and Physics, 102nd ed. (2021), 'Concentrative properties of "
    "aqueous solutions' (20 °C; freezing-point depressions from Wolf, Aqueous Solutions and "
    "Body Fluids, 1966)"
)
DISSOCIATION_THRESHOLD = 1.1
"""Apparent van 't Hoff factor (π/m at m ≤ 0.5 mol/kg) above which k is fitted (electrolyte)."""


@dataclass(frozen=True)
class CrcSeries:
    """Freezing-point data of one solute from the CRC table (rows with a ΔT_f value)."""

    crc_name: str
    mass_percent: FloatArray
    molality: FloatArray
    delta_t_c: FloatArray


def read_crc_freezing_points(
    path: Path | str, *, max_mass_percent: float = 40.0
) -> dict[str, CrcSeries]:
    """Read the CRC aqueous-solutions table's freezing-point depressions.

    Args:
        path: ``crc_aqueous_solutions_20c.csv`` (columns ``solute``, ``mass_percent``,
            ``molality_mol_per_kg``, ``freezing_point_depression_c``).
        max_mass_percent: keep rows up to this mass percent.

    Returns:
        Series keyed by the CRC solute name, rows without ΔT_f or molality dropped.
    """
    grouped: dict[str, list[tuple[float, float, float]]] = {}
    with Path(path).open(newline="", encoding="utf-8") as handle:
        for row in csv.DictReader(line for line in handle if not line.startswith("#")):
            w, m, dt = (
                row.get("mass_percent", ""),
                row.get("molality_mol_per_kg", ""),
                row.get("freezing_point_depression_c", ""),
            )
            if not (w and m and dt) or float(w) > max_mass_percent:
                continue
            grouped.setdefault(row["solute"], []).append((float(w), float(m), float(dt)))
    series: dict[str, CrcSeries] = {}
    for name, points in grouped.items():
        data = np.array(sorted(points), dtype=np.float64)
        series[name] = CrcSeries(name, data[:, 0], data[:, 1], data[:, 2])
    return series


CRC_FREEZING_POINTS = Path(__file__).resolve().parent / "params" / "crc_freezing_points.csv"


@lru_cache(maxsize=1)
def _shipped_crc_series() -> dict[str, CrcSeries]:
    return read_crc_freezing_points(CRC_FREEZING_POINTS, max_mass_percent=100.0)


def measured_freezing_points(crc_name: str) -> CrcSeries | None:
    """The CRC table's measured freezing points of one binary solution (shipped copy), or
    ``None`` when the table has none for ``crc_name`` (see :data:`CRC_SOURCE`)."""
    return _shipped_crc_series().get(crc_name)


def is_dissociating(molality: ArrayLike, delta_t_c: ArrayLike) -> bool:
    """Whether a solute's dilute freezing points show dissociation (k should be fitted).

    The apparent van 't Hoff factor is the median of π_meas/m over points with
    m ≤ 0.5 mol/kg (all points if none); above :data:`DISSOCIATION_THRESHOLD` the solute is
    treated as an electrolyte. The decision is made from the data, not from the name.
    """
    m = np.asarray(molality, dtype=np.float64)
    dt = np.asarray(delta_t_c, dtype=np.float64)
    dilute = m <= 0.5 if np.any(m <= 0.5) else np.ones_like(m, dtype=bool)
    pi = osmolality_from_melting_point(WATER_MELTING_POINT_K - dt[dilute])
    return bool(np.median(pi / m[dilute]) > DISSOCIATION_THRESHOLD)


@dataclass(frozen=True)
class CrcFit:
    """One solute's fit to published freezing points, as written to the fitted table.

    A fit to the CRC table alone leaves the last four attributes empty; a fit to several
    published sources (:func:`fit_published_curves`) fills them.

    Attributes:
        parameters: the coefficients as a parameter-table row.
        crc_name: the solute's CRC name ("" when the CRC table has no freezing points for it).
        fit: the fit (pooled over every source).
        held_out: pooled held-out errors.
        max_mass_percent: the highest concentration fitted (% w/w).
        by_source: held-out errors of each source's points.
        point_sources: the source key of each data point (same order as ``fit.molality``).
        mass_percent: each data point's concentration in % w/w.
        range_reason: why the fitted range ends where it does.
    """

    parameters: VirialParameters
    crc_name: str
    fit: FitResult
    held_out: HeldOutError
    max_mass_percent: float
    by_source: tuple[SourceHeldOut, ...] = ()
    point_sources: tuple[str, ...] = ()
    mass_percent: FloatArray | None = None
    range_reason: str = ""


def fit_crc_series(series: CrcSeries, *, min_points: int = 8) -> CrcFit | None:
    """Fit one CRC series; ``None`` when it has fewer than ``min_points`` usable rows."""
    if series.molality.size < min_points:
        return None
    electrolyte = is_dissociating(series.molality, series.delta_t_c)
    fit = fit_virial_from_freezing_points(
        series.molality, series.delta_t_c, fit_k_diss=electrolyte, fit_c=True
    )
    held = held_out_error(series.molality, series.delta_t_c, fit_k_diss=electrolyte, fit_c=True)
    max_w = float(series.mass_percent.max())
    name = CRC_NAME_TO_LIBRARY.get(series.crc_name, series.crc_name)
    k_text = (
        f"k fitted (apparent van 't Hoff factor > {DISSOCIATION_THRESHOLD:g})"
        if electrolyte
        else "k = 1 (non-electrolyte)"
    )
    source = (
        f"fit to CRC Handbook freezing points ({CRC_SOURCE}; solute '{series.crc_name}'): "
        f"n = {fit.n_points} points, {float(series.mass_percent.min()):g}–{max_w:g} % w/w, "
        f"{fit.valid_min_molality:g}–{fit.valid_max_molality:g} mol/kg; {k_text}; C ≥ 0; "
        f"RMSE {fit.rmse_c:.3f} °C (in-sample), leave-one-out MAE {held.loo_mae_c:.3f} °C"
    )
    params = VirialParameters(
        solute=name,
        b_kg_per_mol=fit.b_kg_per_mol,
        c_kg2_per_mol2=fit.c_kg2_per_mol2,
        k_diss=fit.k_diss,
        valid_max_molality=fit.valid_max_molality,
        source=source,
        provenance="fitted",
        verified=True,
        table=FITTED_TABLE.name,
    )
    return CrcFit(params, series.crc_name, fit, held, max_w)


# --- published freezing curves of the common CPAs (several sources) ------------------------

CRC_SOURCE_KEY = "crc"
"""Source key of the CRC Handbook table in multi-source fits."""


@dataclass(frozen=True)
class PublishedFitPlan:
    """Which published freezing points one CPA's coefficients are fitted to, and up to where.

    Attributes:
        solute: the molecule library's name.
        crc_name: the CRC table's name of the solute, or ``None`` when the CRC has none.
        max_mass_percent: the highest concentration fitted; the coefficients' valid range.
        reason: why the range ends there (eutectic, end of the published data, or where two
            coefficients stop describing the curve to the target accuracy).
    """

    solute: str
    crc_name: str | None
    max_mass_percent: float
    reason: str


PUBLISHED_FIT_PLAN: tuple[PublishedFitPlan, ...] = (
    PublishedFitPlan(
        "Propylene glycol",
        None,
        60.0,
        "the end of Melinder's published curve (0–60 % w/w); no ice–propylene glycol "
        "eutectic is reported in this range (concentrated solutions vitrify)",
    ),
    PublishedFitPlan(
        "Ethylene glycol",
        "1,2-Ethanediol",
        60.0,
        "the end of both published ice lines (CRC to 60 % w/w, −51.2 °C; Melinder 0–60 % w/w)",
    ),
    PublishedFitPlan(
        "Glycerol",
        "Glycerol",
        60.0,
        "the end of Melinder's curve (0–60 % w/w, below the ice–glycerol eutectic reported "
        "near 67 % w/w); the CRC table gives freezing points only to 40 % w/w",
    ),
    PublishedFitPlan(
        "Methanol",
        "Methanol",
        60.0,
        "the end of Melinder's curve (0–60 % w/w); the CRC ice line continues to 68 % w/w "
        "but fitted to 68 % the held-out MAE is 0.6 °C",
    ),
    PublishedFitPlan(
        "Ethanol",
        "Ethanol",
        50.0,
        "the ethanol ice line flattens above about 50 % w/w (−37.7 °C; CRC to 68 % w/w, "
        "Melinder to 60 % w/w), a shape two virial coefficients cannot follow (fitted to "
        "55 % the osmolality already falls inside the data)",
    ),
)
"""The CPAs fitted to several published freezing curves (CRC Handbook and Melinder 2010),
each over the widest range the data and the two-coefficient equation support."""


@dataclass(frozen=True)
class FreezingSeries:
    """Freezing points of one solute from one published source."""

    source: str
    citation: str
    mass_percent: FloatArray
    molality: FloatArray
    delta_t_c: FloatArray


@dataclass(frozen=True)
class SourceHeldOut:
    """Held-out melting-point error of a multi-source fit on one source's points.

    Attributes:
        source: the source key (``crc``, ``melinder2010``).
        citation: the source's full citation.
        n_points: the source's points in the fit.
        min_mass_percent: lowest concentration of those points (% w/w).
        max_mass_percent: highest concentration of those points (% w/w).
        alternate_mae_c: mean |error| on this source's odd-indexed points, coefficients
            fitted to the even-indexed points of every source.
        alternate_max_c: largest |error| of that split.
        loo_mae_c: leave-one-out mean |error| on this source's points.
        loo_max_c: largest leave-one-out |error|.
        fit_residual_mae_c: in-sample mean |residual| of the pooled fit on this source.
    """

    source: str
    citation: str
    n_points: int
    min_mass_percent: float
    max_mass_percent: float
    alternate_mae_c: float
    alternate_max_c: float
    loo_mae_c: float
    loo_max_c: float
    fit_residual_mae_c: float


def _pool(
    series: Sequence[FreezingSeries],
) -> tuple[FloatArray, FloatArray, FloatArray, NDArray[np.int_]]:
    """Concatenate series sorted by molality within each; returns m, ΔT, % w/w, series index."""
    parts = []
    for index, one in enumerate(series):
        order = np.argsort(one.molality, kind="stable")
        parts.append(
            (
                one.molality[order],
                one.delta_t_c[order],
                one.mass_percent[order],
                np.full(order.size, index),
            )
        )
    m = np.concatenate([p[0] for p in parts])
    dt = np.concatenate([p[1] for p in parts])
    w = np.concatenate([p[2] for p in parts])
    group = np.concatenate([p[3] for p in parts]).astype(np.int_)
    return m, dt, w, group


def held_out_error_by_source(
    series: Sequence[FreezingSeries], *, c_nonnegative: bool = False
) -> tuple[HeldOutError, tuple[SourceHeldOut, ...]]:
    """Cross-validated error of a non-electrolyte fit pooled over several sources.

    Alternate split: within each source (sorted by concentration) the even-indexed points
    are fitted together and the odd-indexed ones predicted. Leave-one-out: each point is
    predicted by a fit to all other points of every source.

    Args:
        series: one solute's freezing points, one entry per source.
        c_nonnegative: as in :func:`fit_virial_from_freezing_points`.

    Returns:
        The pooled errors and each source's share of them.
    """
    m, dt, _, group = _pool(series)
    rank = np.concatenate([np.arange(int(np.sum(group == g))) for g in range(len(series))])
    train = rank % 2 == 0
    options = {"fit_k_diss": False, "fit_c": True, "c_nonnegative": c_nonnegative}
    split = fit_virial_from_freezing_points(m[train], dt[train], **options)
    alternate = np.full(m.size, np.nan)
    alternate[~train] = np.abs(
        predict_delta_t_c(m[~train], split.b_kg_per_mol, split.c_kg2_per_mol2) - dt[~train]
    )
    loo = np.empty(m.size)
    for index in range(m.size):
        keep = np.arange(m.size) != index
        fit = fit_virial_from_freezing_points(m[keep], dt[keep], **options)
        loo[index] = abs(
            float(predict_delta_t_c(m[index], fit.b_kg_per_mol, fit.c_kg2_per_mol2)) - dt[index]
        )
    full = fit_virial_from_freezing_points(m, dt, **options)
    residual = np.abs(full.residuals_c)
    pooled = HeldOutError(
        alternate_mae_c=float(np.nanmean(alternate)),
        alternate_max_c=float(np.nanmax(alternate)),
        loo_mae_c=float(loo.mean()),
        loo_max_c=float(loo.max()),
        fit_residual_mae_c=full.mae_c,
        n_points=int(m.size),
    )
    per_source = []
    for index, one in enumerate(series):
        mine = group == index
        held = mine & ~train
        per_source.append(
            SourceHeldOut(
                source=one.source,
                citation=one.citation,
                n_points=int(mine.sum()),
                min_mass_percent=float(one.mass_percent.min()),
                max_mass_percent=float(one.mass_percent.max()),
                alternate_mae_c=float(alternate[held].mean()),
                alternate_max_c=float(alternate[held].max()),
                loo_mae_c=float(loo[mine].mean()),
                loo_max_c=float(loo[mine].max()),
                fit_residual_mae_c=float(residual[mine].mean()),
            )
        )
    return pooled, tuple(per_source)


def published_series(
    plan: PublishedFitPlan,
    *,
    crc: Mapping[str, CrcSeries],
    reference: Mapping[tuple[str, str], freezing_reference.ReferenceSeries],
) -> list[FreezingSeries]:
    """The published freezing points a plan names, cut at its range (CRC first)."""
    found: list[FreezingSeries] = []
    crc_series = crc.get(plan.crc_name) if plan.crc_name else None
    if crc_series is not None:
        keep = crc_series.mass_percent <= plan.max_mass_percent
        found.append(
            FreezingSeries(
                CRC_SOURCE_KEY,
                f"{CRC_SOURCE}; solute '{plan.crc_name}'",
                crc_series.mass_percent[keep],
                crc_series.molality[keep],
                crc_series.delta_t_c[keep],
            )
        )
    for (solute, _), ref in sorted(reference.items()):
        if solute.lower() != plan.solute.lower():
            continue
        keep = ref.mass_percent <= plan.max_mass_percent
        found.append(
            FreezingSeries(
                ref.source,
                ref.citation,
                ref.mass_percent[keep],
                ref.molality[keep],
                ref.delta_t_c[keep],
            )
        )
    return [f for f in found if f.molality.size > 0]


def fit_published_curves(plan: PublishedFitPlan, series: Sequence[FreezingSeries]) -> CrcFit:
    """Fit B and C (either sign; k = 1) to one CPA's freezing points pooled over sources.

    Args:
        plan: the solute and the range fitted.
        series: its published freezing points (see :func:`published_series`).

    Returns:
        The fit, its pooled and per-source held-out errors and the parameter-table row.

    Raises:
        ValidationError: no data, or a fit that fails :func:`fit_virial_from_freezing_points`.
    """
    if not series:
        raise ValidationError(f"no published freezing points for {plan.solute}")
    m, dt, w, group = _pool(series)
    fit = fit_virial_from_freezing_points(m, dt, fit_k_diss=False, fit_c=True, c_nonnegative=False)
    held, by_source = held_out_error_by_source(series, c_nonnegative=False)
    data_text = "; ".join(
        f"{s.citation} [{s.source}: n = {s.n_points}, {s.min_mass_percent:g}–{s.max_mass_percent:g} % w/w]"
        for s in by_source
    )
    source = (
        f"fit to published freezing points of {plan.solute}, 0–{float(w.max()):g} % w/w "
        f"(0–{fit.valid_max_molality:g} mol/kg): {data_text}; k = 1 (non-electrolyte); "
        f"C free in sign; RMSE {fit.rmse_c:.3f} °C (in-sample); held-out MAE "
        f"{held.alternate_mae_c:.3f} °C (alternate points), {held.loo_mae_c:.3f} °C "
        f"(leave-one-out); range ends at {plan.max_mass_percent:g} % w/w: {plan.reason}"
    )
    params = VirialParameters(
        solute=plan.solute,
        b_kg_per_mol=fit.b_kg_per_mol,
        c_kg2_per_mol2=fit.c_kg2_per_mol2,
        k_diss=1.0,
        valid_max_molality=fit.valid_max_molality,
        source=source,
        provenance="fitted",
        verified=True,
        table=FITTED_TABLE.name,
    )
    return CrcFit(
        parameters=params,
        crc_name=plan.crc_name or "",
        fit=fit,
        held_out=held,
        max_mass_percent=float(w.max()),
        by_source=by_source,
        point_sources=tuple(series[int(g)].source for g in group),
        mass_percent=w,
        range_reason=plan.reason,
    )


def fit_missing_from_crc(
    crc_path: Path | str,
    *,
    output_dir: Path | str | None = None,
    literature_path: Path | str | None = None,
    solutes: Iterable[str] | None = None,
    max_mass_percent: float = 40.0,
    min_points: int = 8,
    reference_path: Path | str | None = freezing_reference.REFERENCE_TABLE,
    plan: Sequence[PublishedFitPlan] = PUBLISHED_FIT_PLAN,
) -> list[CrcFit]:
    """Fit osmotic virial coefficients to published freezing points for solutes that lack them.

    A solute "lacks" coefficients when the literature table has no row for it that was
    verified against its source. The CPAs in ``plan`` are fitted to every published curve
    available for them (the CRC table and the reference table of
    :mod:`cryoprotect.science.freezing_reference`) up to the plan's range, C free in sign
    (:func:`fit_published_curves`); every other CRC solute to its CRC rows up to
    ``max_mass_percent`` with C ≥ 0 (:func:`fit_crc_series`). Writes
    ``osmotic_virial_fitted.csv`` (one row per solute, provenance ``fitted``) and
    ``osmotic_virial_fits.json`` (data, predictions, residuals, held-out errors) into
    ``output_dir``. Deterministic: the same input gives the same files.

    Args:
        crc_path: the CRC table (``crc_aqueous_solutions_20c.csv``).
        output_dir: where to write (default: the package's ``science/params``).
        literature_path: the published-coefficients table (default: the shipped one).
        solutes: solutes to fit, by CRC name or by a planned CPA's name (default: all).
        max_mass_percent: use CRC rows up to this mass percent (solutes not in ``plan``).
        min_points: skip CRC series with fewer usable rows.
        reference_path: the reference freezing-point table (``None``: CRC data only, every
            solute fitted as before issue 13, ``plan`` ignored).
        plan: the CPAs fitted to several published curves, with their ranges.

    Returns:
        The fits, sorted by solute name.

    Raises:
        NotFound: a requested solute has no published freezing points.
    """
    series = read_crc_freezing_points(crc_path, max_mass_percent=max_mass_percent)
    all_crc = read_crc_freezing_points(crc_path, max_mass_percent=100.0)
    reference = (
        freezing_reference.read_reference_freezing_points(reference_path)
        if reference_path is not None
        else {}
    )
    literature = load_virial_table(literature_path or LITERATURE_TABLE)
    verified = {key for key, p in literature.items() if p.verified}
    if reference_path is None:
        plan = ()
    planned = {p.solute.lower(): p for p in plan}
    planned_crc = {p.crc_name: p for p in plan if p.crc_name}
    if solutes is None:
        wanted_crc = [c for c in sorted(series) if c not in planned_crc]
        wanted_plans = list(plan)
    else:
        requested = list(solutes)
        wanted_plans = [
            planned_crc.get(s) or planned[s.lower()]
            for s in requested
            if s in planned_crc or s.lower() in planned
        ]
        wanted_crc = [s for s in requested if s in series and s not in planned_crc]
        unknown = [
            s
            for s in requested
            if s not in series and s not in planned_crc and s.lower() not in planned
        ]
        if unknown:
            raise NotFound(f"no published freezing points to fit: {unknown}")
    fits: list[CrcFit] = []
    for crc_name in wanted_crc:
        name = CRC_NAME_TO_LIBRARY.get(crc_name, crc_name)
        if name.lower() in verified:
            continue
        result = fit_crc_series(series[crc_name], min_points=min_points)
        if result is not None:
            fits.append(result)
    for entry in wanted_plans:
        if entry.solute.lower() in verified:
            continue
        data = published_series(entry, crc=all_crc, reference=reference)
        if data:
            fits.append(fit_published_curves(entry, data))
    fits.sort(key=lambda f: f.parameters.solute.lower())
    out = Path(output_dir) if output_dir is not None else PARAMS_DIR
    out.mkdir(parents=True, exist_ok=True)
    write_fitted_table(fits, out / FITTED_TABLE.name)
    write_fit_record(
        fits,
        out / FITS_JSON.name,
        crc_path=Path(crc_path),
        reference_path=Path(reference_path) if reference_path is not None else None,
    )
    _default_parameters.cache_clear()
    return fits


def _round(value: float, digits: int = 6) -> float:
    return float(f"{value:.{digits}g}")


def _round_up(value: float, digits: int = 6) -> float:
    """Round to ``digits`` significant digits, never below ``value`` (a range's upper end
    must keep its own end point inside)."""
    rounded = _round(value, digits)
    if rounded >= value or not math.isfinite(value) or value == 0.0:
        return rounded
    step = 10.0 ** (math.floor(math.log10(abs(rounded))) - digits + 1)
    return _round(rounded + step, digits)


FITTED_EXTRA_COLUMNS = ("valid_max_mass_percent",)
"""Columns the fitted table adds to :data:`VIRIAL_COLUMNS` (the range in % w/w, for people)."""


def write_fitted_table(fits: Sequence[CrcFit], path: Path) -> None:
    """Write fitted coefficients in the :data:`VIRIAL_COLUMNS` format (+ the range in % w/w)."""
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(VIRIAL_COLUMNS + FITTED_EXTRA_COLUMNS)
        for f in fits:
            p = f.parameters
            writer.writerow(
                [
                    p.solute,
                    _round(p.b_kg_per_mol),
                    _round(p.c_kg2_per_mol2),
                    _round(p.k_diss),
                    _round_up(p.valid_max_molality or math.nan),
                    p.source,
                    p.provenance,
                    "true" if p.verified else "false",
                    _round(f.max_mass_percent),
                ]
            )


def _fit_entry(f: CrcFit) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "solute": f.parameters.solute,
        "crc_name": f.crc_name,
        "B_kg_per_mol": _round(f.fit.b_kg_per_mol),
        "C_kg2_per_mol2": _round(f.fit.c_kg2_per_mol2),
        "k_diss": _round(f.fit.k_diss),
        "k_diss_fitted": f.fit.fitted_k_diss,
        "n_points": f.fit.n_points,
        "max_mass_percent": f.max_mass_percent,
        "valid_min_molality": f.fit.valid_min_molality,
        "valid_max_molality": f.fit.valid_max_molality,
        "rmse_c": round(f.fit.rmse_c, 4),
        "held_out": {
            "alternate_points_mae_c": round(f.held_out.alternate_mae_c, 4),
            "alternate_points_max_c": round(f.held_out.alternate_max_c, 4),
            "leave_one_out_mae_c": round(f.held_out.loo_mae_c, 4),
            "leave_one_out_max_c": round(f.held_out.loo_max_c, 4),
        },
        "data": {
            "molality_mol_per_kg": [float(v) for v in f.fit.molality],
            "delta_t_measured_c": [float(v) for v in f.fit.delta_t_c],
            "delta_t_predicted_c": [round(float(v), 4) for v in f.fit.predicted_delta_t_c],
            "residual_c": [round(float(v), 4) for v in f.fit.residuals_c],
        },
    }
    if not f.by_source:
        return entry
    entry["third_coefficient"] = "free in sign" if not f.fit.c_nonnegative else "C ≥ 0"
    entry["range_reason"] = f.range_reason
    entry["held_out_by_source"] = [
        {
            "source": s.source,
            "citation": s.citation,
            "n_points": s.n_points,
            "mass_percent_range": [s.min_mass_percent, s.max_mass_percent],
            "alternate_points_mae_c": round(s.alternate_mae_c, 4),
            "alternate_points_max_c": round(s.alternate_max_c, 4),
            "leave_one_out_mae_c": round(s.loo_mae_c, 4),
            "leave_one_out_max_c": round(s.loo_max_c, 4),
            "fit_residual_mae_c": round(s.fit_residual_mae_c, 4),
        }
        for s in f.by_source
    ]
    entry["data"]["source"] = list(f.point_sources)
    if f.mass_percent is not None:
        entry["data"]["mass_percent"] = [float(v) for v in f.mass_percent]
    return entry


def write_fit_record(
    fits: Sequence[CrcFit], path: Path, *, crc_path: Path, reference_path: Path | None = None
) -> None:
    """Write each fit's data, predictions, residuals and held-out errors as JSON."""
    record: dict[str, Any] = {
        "description": (
            "Osmotic virial coefficients fitted to published freezing points (the CRC Handbook "
            "table; for the common CPAs also the reference table of published curves) by "
            "cryoprotect.science.thermo.fit_missing_from_crc; residuals = predicted − measured "
            "freezing-point depression (°C)."
        ),
        "data_source": CRC_SOURCE,
        "data_file": crc_path.name,
    }
    if reference_path is not None:
        record["reference_data_file"] = reference_path.name
        record["reference_sources"] = dict(freezing_reference.SOURCE_CITATIONS)
    record["melting_point_relation"] = MELTING_POINT_METHOD
    record["fits"] = [_fit_entry(f) for f in fits]
    path.write_text(json.dumps(record, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
