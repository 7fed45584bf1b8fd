"""Saved models: a JSON manifest plus skops weights, checksummed; never a pickle.

This module owns the on-disk / in-database form of a :class:`~cryoprotect.ml.train.TrainedModel`:

* the **manifest** (JSON; the ``predictive_models.manifest`` JSONB column): algorithm,
  hyperparameters, target, interval level, target bounds, the target's declared domain and
  the transform the estimator was fitted on (``target_transform``; absent in models saved
  before transforms existed, which load without one and have their predictions clipped),
  the featurizer's name and fitted state with the feature names, the dataset hash, the
  nested-CV metrics, the per-group calibration rows of the CV+ residuals
  (``group_calibration``, for the Mondrian interval; absent in older models), library
  versions, creation time, recorded training warnings, the
  SHA-256 and size of the weights, and ``manifest_sha256`` — the SHA-256 of the canonical
  JSON of every other manifest field;
* the **weights** (bytes; a bytea column): the refitted estimator, the CV+ fold
  estimators and residuals and the applicability-domain arrays (with the training rows'
  groups and measured targets, shown beside the nearest rows), serialised with
  ``skops.io.dumps``.

Loading verifies both checksums *before* deserialising anything, then lists the types in
the skops data and refuses any that is not in :data:`TRUSTED_TYPES` (the scikit-learn and
numpy types this module writes), then calls ``skops.io.loads`` with that explicit list.
Any failure is an :class:`ArtifactIntegrityError`. NaN and infinities in metrics are
stored as ``null`` (PostgreSQL's JSONB has no NaN).

:func:`to_bytes` / :func:`from_bytes` pack manifest and weights into one self-describing
blob (``MAGIC``, 8-byte manifest length, manifest JSON, weights) for files and the CLI.
"""

from __future__ import annotations

import hashlib
import json
import struct
import zipfile
from dataclasses import dataclass
from typing import Any

import numpy as np
import skops.io as sio

from cryoprotect.errors import CryoprotectError, ValidationError
from cryoprotect.ml.components import ComponentLibrary
from cryoprotect.ml.conformal import CVPlus
from cryoprotect.ml.domain import ApplicabilityDomain
from cryoprotect.ml.features import featurizer_from_state
from cryoprotect.ml.targets import link_from_state
from cryoprotect.ml.train import TrainedModel, library_versions
from cryoprotect.science.jsonable import jsonable

FORMAT = "cryoprotect-model"
FORMAT_VERSION = 1
MAGIC = b"CRYOPROTECT-MODEL\n"
MAX_MANIFEST_BYTES = 64 * 1024 * 1024

TRUSTED_TYPES: tuple[str, ...] = (
    "cryoprotect.ml.noise.SourceNoiseGP",
    "numpy.arcsinh",
    "numpy.ndarray",
    "sklearn.dummy.DummyRegressor",
    "sklearn.ensemble._forest.RandomForestRegressor",
    "sklearn.ensemble._gb.GradientBoostingRegressor",
    "sklearn.gaussian_process._gpr.GaussianProcessRegressor",
    "sklearn.gaussian_process.kernels.ConstantKernel",
    "sklearn.gaussian_process.kernels.Matern",
    "sklearn.gaussian_process.kernels.Product",
    "sklearn.gaussian_process.kernels.RBF",
    "sklearn.gaussian_process.kernels.RationalQuadratic",
    "sklearn.gaussian_process.kernels.Sum",
    "sklearn.gaussian_process.kernels.WhiteKernel",
    "sklearn.linear_model._ridge.Ridge",
    "sklearn.pipeline.Pipeline",
    "sklearn.preprocessing._data.StandardScaler",
    "sklearn.preprocessing._function_transformer.FunctionTransformer",
    "sklearn.tree._classes.DecisionTreeRegressor",
    "sklearn.tree._tree.Tree",
)
"""The only types a CryoProtect model's weights may contain (besides skops' built-in safe
types: Python builtins, numpy dtypes and arrays)."""


class ArtifactIntegrityError(CryoprotectError, ValueError):
    """A saved model is tampered with, corrupted, or not one CryoProtect wrote."""

    code = "artifact_integrity_error"


@dataclass(frozen=True)
class ModelArtifact:
    """A saved model: JSON manifest + skops weights.

    Attributes:
        manifest: JSON-ready dictionary (store as JSONB).
        weights: skops bytes (store as bytea).
    """

    manifest: dict[str, Any]
    weights: bytes

    def to_bytes(self) -> bytes:
        """One self-describing blob: MAGIC, manifest length, manifest JSON, weights."""
        text = canonical_json(self.manifest).encode("utf-8")
        return MAGIC + struct.pack(">Q", len(text)) + text + self.weights

    @classmethod
    def from_bytes(cls, data: bytes) -> ModelArtifact:
        """Split a blob written by :meth:`to_bytes` (checksums are verified by :func:`load`).

        Raises:
            ArtifactIntegrityError: not a CryoProtect model blob, or truncated.
        """
        head = len(MAGIC) + 8
        if len(data) < head or not data.startswith(MAGIC):
            raise ArtifactIntegrityError("not a CryoProtect model artefact (bad header)")
        (length,) = struct.unpack(">Q", data[len(MAGIC) : head])
        if length > MAX_MANIFEST_BYTES or head + length > len(data):
            raise ArtifactIntegrityError(
                "artefact checksum mismatch: tampered or corrupted (bad manifest length)"
            )
        try:
            manifest = json.loads(data[head : head + length].decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise ArtifactIntegrityError(
                "artefact checksum mismatch: tampered or corrupted (manifest is not JSON)"
            ) from exc
        if not isinstance(manifest, dict):
            raise ArtifactIntegrityError("artefact manifest must be a JSON object")
        return cls(manifest=manifest, weights=data[head + length :])


def canonical_json(value: Any) -> str:
    """Sorted-key, compact JSON (what the manifest checksum is computed over)."""
    return json.dumps(
        value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    )


def manifest_checksum(manifest: dict[str, Any]) -> str:
    """SHA-256 of the canonical JSON of the manifest without ``manifest_sha256``."""
    body = {k: v for k, v in manifest.items() if k != "manifest_sha256"}
    return hashlib.sha256(canonical_json(body).encode("utf-8")).hexdigest()


def save(model: TrainedModel) -> ModelArtifact:
    """Serialise a trained model (skops weights + JSON manifest with checksums)."""
    weights = sio.dumps(
        {
            "estimator": model.estimator,
            "fold_estimators": list(model.conformal.fold_estimators),
            "residuals": model.conformal.residuals,
            "fold_of_row": model.conformal.fold_of_row.astype(np.int64),
            "domain_mean": model.domain.mean,
            "domain_scale": model.domain.scale,
            "domain_train": model.domain.train,
            "domain_row_ids": list(model.domain.row_ids),
            **(
                {"domain_row_groups": list(model.domain.groups)}
                if model.domain.groups is not None
                else {}
            ),
            **(
                {"domain_row_targets": np.asarray(model.domain.targets, dtype=np.float64)}
                if model.domain.targets is not None
                else {}
            ),
        },
        compression=zipfile.ZIP_DEFLATED,  # tree ensembles shrink ~10x
        compresslevel=6,
    )
    featurizer_state = model.featurizer.get_state()
    manifest: dict[str, Any] = jsonable(
        {
            "format": FORMAT,
            "format_version": FORMAT_VERSION,
            "algorithm": model.algorithm,
            "target": model.target,
            "level": model.level,
            "seed": model.seed,
            "hyperparameters": model.hyperparameters,
            "params": model.params,
            "bounds": list(model.bounds) if model.bounds is not None else None,
            **({"target_transform": model.link.state()} if model.link is not None else {}),
            "target_domain": model.target_domain.as_dict(),
            "featurizer": featurizer_state,
            "feature_names": list(featurizer_state["feature_names"]),
            "dataset": {
                "hash": model.dataset_hash,
                "name": model.dataset_name,
                "n_rows": model.n_rows,
                "n_groups": model.n_groups,
            },
            "metrics": model.metrics,
            **(
                {"group_calibration": model.group_calibration}
                if model.group_calibration is not None
                else {}
            ),
            "conformal": {
                "method": "CV+ (Barber et al. 2021) with grouped folds",
                "level": model.conformal.level,
                "n_calibration": int(model.conformal.residuals.size),
                "n_folds": len(model.conformal.fold_estimators),
            },
            "domain": {
                "metric": (
                    "Tanimoto distance (1 - similarity) on the fingerprint bits"
                    if model.domain.metric == "tanimoto"
                    else "RMS per-feature distance, arcsinh-standardised features"
                ),
                "metric_name": model.domain.metric,
                "columns": list(model.domain.columns) if model.domain.columns else None,
                "k": model.domain.k,
                "threshold": model.domain.threshold,
                "percentile": model.domain.percentile,
            },
            "library_versions": dict(model.library_versions),
            "created_at": model.created_at,
            "training_seconds": model.training_seconds,
            "warnings": list(model.warnings),
            "weights": {
                "format": "skops (deflate-compressed zip)",
                "sha256": hashlib.sha256(weights).hexdigest(),
                "size": len(weights),
            },
        }
    )
    manifest["manifest_sha256"] = manifest_checksum(manifest)
    return ModelArtifact(manifest=manifest, weights=weights)


def _verify(manifest: dict[str, Any], weights: bytes) -> None:
    if manifest.get("format") != FORMAT:
        raise ArtifactIntegrityError("not a CryoProtect model manifest")
    if manifest.get("format_version") != FORMAT_VERSION:
        raise ArtifactIntegrityError(
            f"unsupported model format version {manifest.get('format_version')!r}"
        )
    try:
        expected = manifest_checksum(manifest)
    except (TypeError, ValueError) as exc:
        raise ArtifactIntegrityError(
            "artefact checksum mismatch: tampered or corrupted (manifest)"
        ) from exc
    if manifest.get("manifest_sha256") != expected:
        raise ArtifactIntegrityError("artefact checksum mismatch: tampered or corrupted (manifest)")
    info = manifest.get("weights")
    if not isinstance(info, dict) or info.get("sha256") != hashlib.sha256(weights).hexdigest():
        raise ArtifactIntegrityError("artefact checksum mismatch: tampered or corrupted (weights)")


def _read_weights(weights: bytes) -> dict[str, Any]:
    try:
        untrusted = sio.get_untrusted_types(data=weights)
    except Exception as exc:  # skops raises many kinds on malformed data
        raise ArtifactIntegrityError(f"artefact weights could not be read: {exc}") from exc
    foreign = sorted(set(untrusted) - set(TRUSTED_TYPES))
    if foreign:
        raise ArtifactIntegrityError(
            "artefact weights contain types CryoProtect never writes: " + ", ".join(foreign)
        )
    try:
        state = sio.loads(weights, trusted=list(TRUSTED_TYPES))
    except Exception as exc:
        raise ArtifactIntegrityError(f"artefact weights could not be read: {exc}") from exc
    if not isinstance(state, dict):
        raise ArtifactIntegrityError("artefact weights have an unexpected layout")
    return state


def load(
    manifest: dict[str, Any], weights: bytes, *, library: ComponentLibrary | None = None
) -> TrainedModel:
    """Rebuild a trained model from its manifest and weights, verifying both first.

    Args:
        manifest: the JSON manifest (e.g. read back from JSONB).
        weights: the skops bytes.
        library: resolves components not seen in training (default: the shipped library).

    Raises:
        ArtifactIntegrityError: checksum mismatch ("tampered or corrupted"), a type the
            format never contains, or an inconsistent manifest.
    """
    _verify(manifest, weights)
    state = _read_weights(weights)
    try:
        featurizer = featurizer_from_state(manifest["featurizer"], library=library)
        names = featurizer.feature_names
        if names != list(manifest["feature_names"]):
            raise ArtifactIntegrityError("feature names of manifest and featurizer differ")
        estimator = state["estimator"]
        n_in = getattr(estimator, "n_features_in_", len(names))
        if int(n_in) != len(names):
            raise ArtifactIntegrityError(
                f"the estimator expects {n_in} features, the manifest names {len(names)}"
            )
        conformal = CVPlus(
            level=float(manifest["conformal"]["level"]),
            fold_estimators=list(state["fold_estimators"]),
            residuals=np.asarray(state["residuals"], dtype=np.float64),
            fold_of_row=np.asarray(state["fold_of_row"], dtype=np.intp),
        )
        dom = manifest["domain"]
        domain = ApplicabilityDomain(
            mean=np.asarray(state["domain_mean"], dtype=np.float64),
            scale=np.asarray(state["domain_scale"], dtype=np.float64),
            train=np.asarray(state["domain_train"], dtype=np.float64),
            row_ids=[str(r) for r in state["domain_row_ids"]],
            k=int(dom["k"]),
            threshold=float(dom["threshold"]),
            percentile=float(dom["percentile"]),
            groups=(
                [str(g) for g in state["domain_row_groups"]]
                if "domain_row_groups" in state
                else None
            ),
            targets=(
                np.asarray(state["domain_row_targets"], dtype=np.float64)
                if "domain_row_targets" in state
                else None
            ),
            metric=str(dom.get("metric_name", "rms")),
            columns=(
                (int(dom["columns"][0]), int(dom["columns"][1])) if dom.get("columns") else None
            ),
        )
        link = link_from_state(manifest.get("target_transform"))
        bounds = manifest.get("bounds")
        notes = list(manifest.get("warnings", []))
        versions = dict(manifest.get("library_versions", {}))
        current = library_versions()
        for lib in ("scikit-learn", "numpy", "skops"):
            if versions.get(lib) != current.get(lib):
                notes.append(
                    f"trained with {lib} {versions.get(lib)}, loaded with {current.get(lib)}"
                )
        dataset = manifest["dataset"]
        return TrainedModel(
            algorithm=str(manifest["algorithm"]),
            target=str(manifest["target"]),
            level=float(manifest["level"]),
            seed=int(manifest["seed"]),
            hyperparameters=dict(manifest["hyperparameters"]),
            params=dict(manifest.get("params", {})),
            featurizer=featurizer,
            estimator=estimator,
            conformal=conformal,
            domain=domain,
            report=None,
            metrics=dict(manifest.get("metrics", {})),
            dataset_hash=str(dataset["hash"]),
            dataset_name=str(dataset["name"]),
            n_rows=int(dataset["n_rows"]),
            n_groups=int(dataset["n_groups"]),
            bounds=(float(bounds[0]), float(bounds[1])) if bounds is not None else None,
            created_at=str(manifest["created_at"]),
            training_seconds=float(manifest["training_seconds"]),
            library_versions=versions,
            warnings=notes,
            link=link,
            group_calibration=_group_calibration(manifest, conformal),
        )
    except ArtifactIntegrityError:
        raise
    except (KeyError, TypeError, ValueError, ValidationError) as exc:
        raise ArtifactIntegrityError(f"artefact manifest is inconsistent: {exc}") from exc


def _group_calibration(manifest: dict[str, Any], conformal: CVPlus) -> dict[str, Any] | None:
    """The manifest's per-group calibration rows, checked against the CV+ residuals
    (absent in models saved before it existed: they serve the pooled interval)."""
    stored = manifest.get("group_calibration")
    if stored is None:
        return None
    n = conformal.residuals.size
    for groups in dict(stored["keys"]).values():
        for entry in dict(groups).values():
            rows = entry.get("rows")
            if rows is not None and (
                len(rows) != int(entry["n"]) or any(not 0 <= int(i) < n for i in rows)
            ):
                raise ArtifactIntegrityError(
                    "artefact manifest is inconsistent: group calibration rows do not match "
                    "the CV+ residuals"
                )
    return dict(stored)


def to_bytes(model: TrainedModel) -> bytes:
    """A trained model as one blob (manifest + weights), for files and the CLI."""
    return save(model).to_bytes()


def from_bytes(data: bytes, *, library: ComponentLibrary | None = None) -> TrainedModel:
    """Inverse of :func:`to_bytes`, with every check of :func:`load`."""
    artifact = ModelArtifact.from_bytes(data)
    return load(artifact.manifest, artifact.weights, library=library)
