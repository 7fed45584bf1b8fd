"""The model service: datasets, training, the registry and predictions behind one object
per app."""

from __future__ import annotations

from cryoprotect.services.models.datasets import ModelDatasets
from cryoprotect.services.models.molecule_predictions import MoleculePredictions
from cryoprotect.services.models.prediction import ModelPrediction
from cryoprotect.services.models.registry import ModelRegistry
from cryoprotect.services.models.training import ModelTraining


class ModelService(
    ModelDatasets, ModelTraining, ModelRegistry, ModelPrediction, MoleculePredictions
):
    """Datasets, training, the model registry and predictions.

    Args:
        db: the database.
        training_timeout_s: wall-clock limit of one training run; default
            ``db.settings.training_timeout_s``.
    """
