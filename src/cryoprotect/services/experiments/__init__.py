"""Experiments: what was done to which biological system with which solution, and what was
measured — plus the lab-verification workflow and predicted-versus-measured comparisons.

An experiment cites a mixture *by version* (the snapshot in ``mixture_versions``), a saved
protocol or a free-text one, the biological system (a cell type from the library, or a
tissue/organ described in words), the conditions (cooling/warming rates, storage, step
temperatures) and typed measurements with units and replicates.

Verification is the seed's lab workflow, enforced by the database (migration 0008): the
author submits a team experiment (``pending``); a team member with the *verify* capability
who is not the author marks it ``verified`` or ``rejected`` with notes, equipment and a
timestamp; editing the science of a decided experiment reopens it (``pending``). This
service checks the same rules first only to give a precise message.

Split by job:

- :mod:`.measures`: the measures, conditions and biological systems, and their validation;
- :mod:`.base`: the state and helpers every use case shares (visible row, cited mixture
  version, content cleaning, the record the API dumps);
- :mod:`.records`: create, read, list, edit, delete;
- :mod:`.verification`: submit, decide, history;
- :mod:`.comparisons`: predicted versus measured, per experiment and per model version;
- :mod:`.training_data`: verified experiments as training records;
- :mod:`.results_import`: measurements from CSV;
- :mod:`.service`: :class:`ExperimentService`, the one object that combines them.
"""

from cryoprotect.services.experiments.base import CONTENT_FIELDS, ExperimentRecord
from cryoprotect.services.experiments.comparisons import (
    ModelError,
    PredictedVsMeasured,
    PredictionComparison,
    PredictionSummary,
)
from cryoprotect.services.experiments.measures import (
    BIOLOGICAL_KINDS,
    CONDITION_RANGES,
    CONDITION_TEXT,
    MAX_RESULTS,
    MEASURES,
    VOCABULARY,
    ExperimentVocabulary,
    Measure,
    clean_biological_system,
    clean_conditions,
    clean_result,
    clean_results,
    measured_values,
)
from cryoprotect.services.experiments.results_import import (
    CSV_COLUMN_OF,
    IMPORT_COLUMNS,
    ImportReport,
    ImportRow,
)
from cryoprotect.services.experiments.service import ExperimentService
from cryoprotect.services.experiments.verification import (
    ExperimentChange,
    ExperimentHistory,
    VerificationRecord,
    submit_for_verification,
)

__all__ = [
    "ExperimentChange",
    "ExperimentHistory",
    "ExperimentRecord",
    "ImportReport",
    "ImportRow",
    "ModelError",
    "PredictedVsMeasured",
    "PredictionComparison",
    "PredictionSummary",
    "VerificationRecord",
    "BIOLOGICAL_KINDS",
    "CONDITION_RANGES",
    "CONDITION_TEXT",
    "CONTENT_FIELDS",
    "CSV_COLUMN_OF",
    "IMPORT_COLUMNS",
    "MAX_RESULTS",
    "MEASURES",
    "VOCABULARY",
    "ExperimentService",
    "ExperimentVocabulary",
    "Measure",
    "clean_biological_system",
    "clean_conditions",
    "clean_result",
    "clean_results",
    "measured_values",
    "submit_for_verification",
]
