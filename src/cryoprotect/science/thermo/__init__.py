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

Layout (one job per module; this package re-exports their public names):

* :mod:`.parameters` — constants, the coefficient tables and the choice per solute;
* :mod:`.virial` — osmolality by the osmotic virial equation (and the ion model for salts);
* :mod:`.melting` — melting point of ice and :func:`solution_thermo`;
* :mod:`.fitting` — fitting coefficients to freezing points, held-out errors;
* :mod:`.published` — reading the CRC Handbook and the other published freezing curves;
* :mod:`.fit_output` — :func:`fit_missing_from_crc` and the files it writes.
"""

from __future__ import annotations

from cryoprotect.science.tables import Provenance
from cryoprotect.science.thermo.fit_output import (
    FITTED_EXTRA_COLUMNS,
    fit_missing_from_crc,
    write_fit_record,
    write_fitted_table,
)
from cryoprotect.science.thermo.fitting import (
    FitResult,
    FreezingSeries,
    HeldOutError,
    SourceHeldOut,
    fit_virial_from_freezing_points,
    held_out_error,
    held_out_error_by_source,
    predict_delta_t_c,
)
from cryoprotect.science.thermo.melting import (
    SolutionThermo,
    freezing_point_depression_c,
    melting_point,
    osmolality_from_melting_point,
    solution_thermo,
)
from cryoprotect.science.thermo.parameters import (
    CRC_NAME_TO_LIBRARY,
    CRYOSCOPIC_CONSTANT_K_KG_PER_MOL,
    FITS_JSON,
    FITTED_TABLE,
    GAS_CONSTANT_J_PER_MOL_K,
    IDEAL_DILUTE_SOURCE,
    LITERATURE_TABLE,
    MELTING_POINT_METHOD,
    PARAMS_DIR,
    VIRIAL_COLUMNS,
    VIRIAL_METHOD,
    WATER_ENTHALPY_OF_FUSION_J_PER_MOL,
    WATER_MELTING_POINT_K,
    WATER_MOLAR_MASS_KG_PER_MOL,
    BoolArray,
    FloatArray,
    VirialParameters,
    default_virial_parameters,
    ideal_parameters,
    load_virial_table,
    merge_parameter_sets,
    resolve_solutes,
    virial_parameters,
)
from cryoprotect.science.thermo.published import (
    CRC_FREEZING_POINTS,
    CRC_SOURCE,
    CRC_SOURCE_KEY,
    DISSOCIATION_THRESHOLD,
    PUBLISHED_FIT_PLAN,
    CrcFit,
    CrcSeries,
    PublishedFitPlan,
    fit_crc_series,
    fit_published_curves,
    is_dissociating,
    measured_freezing_points,
    published_series,
    read_crc_freezing_points,
)
from cryoprotect.science.thermo.virial import (
    OsmolalityResult,
    electrolyte_cross_parameters,
    osmolality,
    virial_osmolality,
    with_ion_model,
)

__all__ = [
    "BoolArray",
    "CRC_NAME_TO_LIBRARY",
    "CRYOSCOPIC_CONSTANT_K_KG_PER_MOL",
    "default_virial_parameters",
    "FITS_JSON",
    "FITTED_TABLE",
    "FloatArray",
    "GAS_CONSTANT_J_PER_MOL_K",
    "IDEAL_DILUTE_SOURCE",
    "ideal_parameters",
    "LITERATURE_TABLE",
    "load_virial_table",
    "MELTING_POINT_METHOD",
    "merge_parameter_sets",
    "PARAMS_DIR",
    "Provenance",
    "resolve_solutes",
    "VIRIAL_COLUMNS",
    "VIRIAL_METHOD",
    "virial_parameters",
    "VirialParameters",
    "WATER_ENTHALPY_OF_FUSION_J_PER_MOL",
    "WATER_MELTING_POINT_K",
    "WATER_MOLAR_MASS_KG_PER_MOL",
    "electrolyte_cross_parameters",
    "osmolality",
    "OsmolalityResult",
    "virial_osmolality",
    "with_ion_model",
    "freezing_point_depression_c",
    "melting_point",
    "osmolality_from_melting_point",
    "solution_thermo",
    "SolutionThermo",
    "fit_virial_from_freezing_points",
    "FitResult",
    "FreezingSeries",
    "held_out_error",
    "held_out_error_by_source",
    "HeldOutError",
    "predict_delta_t_c",
    "SourceHeldOut",
    "CRC_FREEZING_POINTS",
    "CRC_SOURCE",
    "CRC_SOURCE_KEY",
    "CrcFit",
    "CrcSeries",
    "DISSOCIATION_THRESHOLD",
    "fit_crc_series",
    "fit_published_curves",
    "is_dissociating",
    "measured_freezing_points",
    "PUBLISHED_FIT_PLAN",
    "published_series",
    "PublishedFitPlan",
    "read_crc_freezing_points",
    "fit_missing_from_crc",
    "FITTED_EXTRA_COLUMNS",
    "write_fit_record",
    "write_fitted_table",
]
