"""One training run from plain data to its stored form: what a training worker process runs.

The services run :func:`train_to_artifact` in a separate process, so that a run can be
terminated at its wall-clock limit or when its job is cancelled. It takes and returns only
plain data (dataset records in; manifest, weight bytes and metrics out), so nothing of the
caller's (database connections, locks, threads) is needed or touched in that process.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from cryoprotect.ml import artifacts
from cryoprotect.ml.datasets import dataset_from_records
from cryoprotect.ml.train import CancelSignal, Progress, check_row_limit, json_safe, train


def train_to_artifact(
    records: Sequence[Mapping[str, Any]],
    *,
    dataset_name: str,
    target: str,
    algorithm: str,
    level: float = 0.9,
    seed: int = 0,
    options: Mapping[str, Any] | None = None,
    progress: Progress | None = None,
    cancel: CancelSignal | None = None,
) -> dict[str, Any]:
    """Train on ``records`` and return the model's stored form.

    Args:
        records: dataset records (``datasets.rows``: id, group, components, targets).
        dataset_name: the dataset's name (recorded in the manifest).
        target: the target to predict.
        algorithm: a registered algorithm name.
        level: nominal interval coverage.
        seed: seeds folds and estimators.
        options: further keyword options of :func:`cryoprotect.ml.train.train`.
        progress: called as ``progress(message, fraction_done)``.
        cancel: polled between folds and fits; once set the run stops.

    Returns:
        ``{"manifest": dict, "blob": bytes, "metrics": dict}``: the manifest, the packed
        artefact (:meth:`~cryoprotect.ml.artifacts.ModelArtifact.to_bytes`) and the
        JSON-safe metrics.

    Raises:
        ValidationError, LimitExceeded, InvalidCompositionError: as :func:`train`.
        Cancelled: ``cancel`` was set.
    """
    rows_with_target = sum(1 for r in records if target in (r.get("targets") or {}))
    check_row_limit(algorithm, rows_with_target)  # before parsing 20,000 rows for nothing
    dataset = dataset_from_records(records, name=dataset_name)
    trained = train(
        dataset,
        target,
        algorithm,
        level=level,
        seed=seed,
        progress=progress,
        cancel=cancel,
        **dict(options or {}),
    )
    saved = artifacts.save(trained)
    return {
        "manifest": saved.manifest,
        "blob": saved.to_bytes(),
        "metrics": json_safe(trained.metrics),
    }
