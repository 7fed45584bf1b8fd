"""Predictive models: datasets, training (synchronous or as a job), registry, predictions.

The science lives in :mod:`cryoprotect.ml`; this module stores and loads. A trained model
is an immutable version row in ``predictive_models`` — manifest (algorithm,
hyperparameters, feature names, dataset hash, metrics, library versions) plus a skops
artefact whose checksum is verified on every load. Visibility and permissions are the
database's, as for every owned table.

Training cost is bounded: each algorithm accepts at most its ``max_rows`` rows (checked
when the version is registered, 400), and a run happens in a separate worker process
(:mod:`cryoprotect.services.worker_process`) that is terminated at the wall-clock limit
(``CRYOPROTECT_TRAINING_TIMEOUT_S``) or when its job is cancelled; the version is then
marked failed with the reason. The database is written only from this process.

Split by job:

- :mod:`.records`: the kind of a dataset or model, the baseline verdict, the target
  transform and the records of datasets and versions;
- :mod:`.answers`: the records of predictions;
- :mod:`.reference`: the public reference datasets (CryoMN, FreeSolv);
- :mod:`.base`: the database, the training time limit and loading a verified artefact;
- :mod:`.datasets`: list, create and find datasets;
- :mod:`.training`: register a queued version and train it in a worker process;
- :mod:`.registry`: list, read, compare, delete and promote versions;
- :mod:`.prediction`: mixture-model predictions and the stored predictions;
- :mod:`.molecule_predictions`: molecule-model predictions;
- :mod:`.service`: :class:`ModelService`, the one object that combines them.
"""

from cryoprotect.services.models.answers import (
    MoleculePredictionAnswer,
    MoleculePredictionSet,
    PredictionAnswer,
    StoredPredictionAnswer,
    TrainingStarted,
)
from cryoprotect.services.models.datasets import find_dataset
from cryoprotect.services.models.molecule_predictions import MAX_MOLECULE_MODELS
from cryoprotect.services.models.records import (
    MIXTURES,
    MOLECULES,
    NO_COMPARISON,
    Baseline,
    ComparedModel,
    DatasetRecord,
    ModelRecord,
    baseline_status,
    model_kind,
    records_kind,
    target_transform_of,
)
from cryoprotect.services.models.reference import (
    CRYOMN_DIR,
    CRYOMN_SOURCE,
    load_reference_datasets,
)
from cryoprotect.services.models.service import ModelService
from cryoprotect.services.models.training import Progress

__all__ = [
    "CRYOMN_DIR",
    "CRYOMN_SOURCE",
    "MAX_MOLECULE_MODELS",
    "MIXTURES",
    "MOLECULES",
    "NO_COMPARISON",
    "Baseline",
    "ComparedModel",
    "DatasetRecord",
    "ModelRecord",
    "ModelService",
    "MoleculePredictionAnswer",
    "MoleculePredictionSet",
    "PredictionAnswer",
    "Progress",
    "StoredPredictionAnswer",
    "TrainingStarted",
    "baseline_status",
    "find_dataset",
    "load_reference_datasets",
    "model_kind",
    "records_kind",
    "target_transform_of",
]
