"""Osmotic virial coefficients: the physical constants, the parameter tables under
``science/params`` (published and fitted, with source and provenance) and the choice of
coefficients per solute (:func:`default_virial_parameters`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from cryoprotect.errors import ValidationError
from cryoprotect.science.records import field_keys, keys_dict
from cryoprotect.science.tables import (
    PROVENANCES,
    Provenance,
    optional_float,
    parse_bool,
    read_table,
    solute_entry,
)

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

PARAMS_DIR = Path(__file__).resolve().parent.parent / "params"
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
        """The parameters as a JSON-serialisable dict (for APIs and reports): the fields, B and
        C keyed ``B_kg_per_mol`` and ``C_kg2_per_mol2``."""
        renamed = {"b_kg_per_mol": "B_kg_per_mol", "c_kg2_per_mol2": "C_kg2_per_mol2"}
        return keys_dict(
            self,
            field_keys(self, renamed=renamed),
            B_kg_per_mol=self.b_kg_per_mol,
            C_kg2_per_mol2=self.c_kg2_per_mol2,
        )


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
    table: dict[str, VirialParameters] = {}
    for where, row in read_table(path, VIRIAL_COLUMNS):
        provenance = row["provenance"].strip()
        if provenance not in PROVENANCES:
            raise ValidationError(f"{where}: unknown provenance {provenance!r}")
        if not row["source"].strip():
            raise ValidationError(f"{where}: every row needs a source")
        params = VirialParameters(
            solute=row["solute"].strip(),
            b_kg_per_mol=float(row["B_kg_per_mol"]),
            c_kg2_per_mol2=float(row["C_kg2_per_mol2"] or 0.0),
            k_diss=float(row["k_diss"] or 1.0),
            valid_max_molality=optional_float(row["valid_max_molality"]),
            source=row["source"].strip(),
            provenance=provenance,  # type: ignore[arg-type]  # checked just above
            verified=parse_bool(row["verified"], where, lenient=True),
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


def reload_default_parameters() -> None:
    """Forget the cached shipped parameter sets, so the next use reads the tables again
    (after :func:`~cryoprotect.science.thermo.fit_missing_from_crc` rewrote them)."""
    _default_parameters.cache_clear()


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
    return solute_entry(
        _default_parameters(), solute, f"no osmotic virial coefficients for {solute!r}"
    )


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
