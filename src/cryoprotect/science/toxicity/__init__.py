"""CPA toxicity: the Benson cost function and the kinetic multi-CPA model (issue 16).

* :mod:`.benson` — the cumulative toxicity cost J = ∫ C^α dt of Benson, Kearsley & Higgins
  (2012), used by protocol design (unchanged; every name importable from here as before).
* :mod:`.terms` — the names and structure of the kinetic model's parameters.
* :mod:`.kinetic` — first-order viability loss with a multi-CPA rate (specific, non-specific,
  interaction terms, Arrhenius temperature dependence).
* :mod:`.fitting` — fitting that model to exposure experiments, with bootstrap intervals,
  identifiability warnings and model comparison.
"""

from __future__ import annotations

from cryoprotect.science.toxicity.benson import (
    DEFAULT_KEY,
    METHOD,
    PARAMS_DIR,
    TOXICITY_COLUMNS,
    TOXICITY_TABLE,
    ToxicityCost,
    ToxicityParameter,
    load_toxicity_table,
    toxicity_cost,
    toxicity_parameter,
)
from cryoprotect.science.toxicity.fitting import (
    ExposureObservation,
    HeldOutError,
    ModelSpec,
    ParameterEstimate,
    ToxicityFit,
    condition_key,
    fit_kinetic_model,
    held_out_errors,
    likelihood_ratio_test,
)
from cryoprotect.science.toxicity.kinetic import (
    CITATIONS,
    EQUATIONS,
    KineticToxicityModel,
    log_survival,
    log_survival_draws,
    surviving_fraction,
)
from cryoprotect.science.toxicity.terms import parameter_kind, standard_parameter_names

__all__ = [
    "CITATIONS",
    "DEFAULT_KEY",
    "EQUATIONS",
    "METHOD",
    "PARAMS_DIR",
    "TOXICITY_COLUMNS",
    "TOXICITY_TABLE",
    "ExposureObservation",
    "HeldOutError",
    "KineticToxicityModel",
    "ModelSpec",
    "ParameterEstimate",
    "ToxicityFit",
    "condition_key",
    "fit_kinetic_model",
    "held_out_errors",
    "likelihood_ratio_test",
    "ToxicityCost",
    "ToxicityParameter",
    "load_toxicity_table",
    "log_survival",
    "log_survival_draws",
    "parameter_kind",
    "standard_parameter_names",
    "surviving_fraction",
    "toxicity_cost",
    "toxicity_parameter",
]
