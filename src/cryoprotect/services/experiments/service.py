"""The experiment service: records, verification, comparisons, training data and import
behind one object per app."""

from __future__ import annotations

from cryoprotect.services.experiments.comparisons import ExperimentComparisons
from cryoprotect.services.experiments.records import ExperimentRecords
from cryoprotect.services.experiments.results_import import ExperimentImport
from cryoprotect.services.experiments.training_data import ExperimentTrainingData
from cryoprotect.services.experiments.verification import ExperimentVerification


class ExperimentService(
    ExperimentRecords,
    ExperimentVerification,
    ExperimentComparisons,
    ExperimentTrainingData,
    ExperimentImport,
):
    """Experiments under the caller's identity: record, verify, compare, export, import."""
