"""Osmolality of aqueous solutions of one or more solutes by the multisolute osmotic
virial equation, with the ion model of :mod:`~cryoprotect.science.electrolytes` for salts
(:func:`with_ion_model`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace

import numpy as np
from numpy.typing import ArrayLike

from cryoprotect.errors import InvalidCompositionError, ValidationError
from cryoprotect.science import electrolytes
from cryoprotect.science.arrays import per_component
from cryoprotect.science.tables import Provenance
from cryoprotect.science.thermo.parameters import (
    VIRIAL_METHOD,
    BoolArray,
    FloatArray,
    VirialParameters,
    resolve_solutes,
)

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
    array = per_component(molality, n_solutes, what="molality", field="molality")
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
