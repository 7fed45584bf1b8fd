"""The trained model: what :func:`~cryoprotect.ml.train.train` returns and artefacts store."""

from __future__ import annotations

import platform
from dataclasses import dataclass, field
from importlib import metadata
from typing import Any

from cryoprotect.ml.conformal import CVPlus
from cryoprotect.ml.domain import ApplicabilityDomain
from cryoprotect.ml.targets import (
    Link,
    TargetDomain,
    target_domain,
)
from cryoprotect.ml.train.report import CVReport


@dataclass(eq=False)
class TrainedModel:
    """A model refitted on all rows, with everything needed to predict and to explain it."""

    algorithm: str
    target: str
    level: float
    seed: int
    hyperparameters: dict[str, Any]
    params: dict[str, Any]
    featurizer: Any
    """A fitted featurizer (a formulation featurizer of :mod:`cryoprotect.ml.features` or the
    molecule featurizer of :mod:`cryoprotect.ml.molecule_features`)."""
    estimator: Any
    conformal: CVPlus
    domain: ApplicabilityDomain
    report: CVReport | None
    metrics: dict[str, Any]
    dataset_hash: str
    dataset_name: str
    n_rows: int
    n_groups: int
    bounds: tuple[float, float] | None
    created_at: str
    training_seconds: float
    library_versions: dict[str, str]
    warnings: list[str] = field(default_factory=list)
    link: Link | None = None
    """The transform the estimator was fitted on (``None``: stored before links existed;
    its predictions are clipped to the target's domain and say so)."""
    group_calibration: dict[str, Any] | None = None
    """Per-group calibration rows of the CV+ residuals, for the Mondrian interval
    (:func:`cryoprotect.ml.group_conformal.calibration_groups`; ``None``: stored before it
    existed — such a model serves the pooled interval)."""

    @property
    def target_domain(self) -> TargetDomain:
        """The declared domain of the target (:func:`cryoprotect.ml.targets.target_domain`)."""
        return target_domain(self.target)

    @property
    def target_transform(self) -> str:
        """The transform in plain words (what the answers report)."""
        if self.link is None:
            return "none (model stored before target transforms; values clipped to the domain)"
        return self.link.describe()

    @property
    def feature_names(self) -> list[str]:
        """Feature names, in the column order the estimator expects."""
        return list(self.featurizer.feature_names)


def library_versions() -> dict[str, str]:
    """Versions of the libraries a saved model depends on."""
    out = {"python": platform.python_version()}
    for dist in ("numpy", "scipy", "scikit-learn", "skops", "cryoprotect", "rdkit"):
        try:
            out[dist] = metadata.version(dist)
        except metadata.PackageNotFoundError:
            out[dist] = "unknown"
    return out
