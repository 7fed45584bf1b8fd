"""Saved models: exact round trip, checksums catch tampering, foreign types are refused."""

from __future__ import annotations

import json

import numpy as np
import pytest
import skops.io as sio

from cryoprotect.errors import CryoprotectError
from cryoprotect.ml import artifacts
from cryoprotect.ml.artifacts import ArtifactIntegrityError, ModelArtifact
from cryoprotect.ml.synthetic import SYNTHETIC_TARGET, make_synthetic_dataset
from cryoprotect.ml.train import TrainedModel, gp_kernels, predict, train

pytestmark = pytest.mark.unit


class Foreign:
    """A type CryoProtect never writes into a model."""

    def __init__(self) -> None:
        self.payload = "not ours"


@pytest.fixture(scope="module")
def data():
    return make_synthetic_dataset(n_groups=10, rows_per_group=8, seed=2)


@pytest.fixture(scope="module", params=["ridge", "random_forest", "gaussian_process"])
def model(request, data) -> TrainedModel:
    params = {
        "ridge": None,
        "random_forest": {"model__n_estimators": 15},
        "gaussian_process": {"model__n_restarts_optimizer": 0},
    }[request.param]
    grid = {"model__kernel": gp_kernels()[:1]} if request.param == "gaussian_process" else None
    return train(
        data,
        SYNTHETIC_TARGET,
        request.param,
        params=params,
        param_grid=grid,
        outer_folds=3,
        inner_folds=3,
    )


def test_round_trip_predicts_exactly_the_same(model: TrainedModel, data) -> None:
    blob = artifacts.to_bytes(model)
    loaded = artifacts.from_bytes(blob)
    assert loaded.feature_names == model.feature_names
    before = predict(model, data.rows)
    after = predict(loaded, data.rows)
    assert [p.as_dict() for p in after] == [p.as_dict() for p in before]
    assert loaded.hyperparameters == model.hyperparameters
    assert loaded.dataset_hash == data.content_hash


def test_manifest_describes_the_model_and_is_jsonb_safe(model: TrainedModel) -> None:
    saved = artifacts.save(model)
    manifest = saved.manifest
    text = json.dumps(manifest, allow_nan=False)  # PostgreSQL JSONB has no NaN
    again = json.loads(text)
    assert again == manifest
    assert manifest["algorithm"] == model.algorithm
    assert manifest["feature_names"] == model.feature_names
    assert manifest["featurizer"]["feature_names"] == model.feature_names
    assert manifest["dataset"]["hash"] == model.dataset_hash
    assert manifest["level"] == 0.9
    assert set(manifest["library_versions"]) >= {
        "python",
        "numpy",
        "scipy",
        "scikit-learn",
        "skops",
    }
    assert manifest["metrics"]["interval"]["fold_coverage"]
    assert manifest["weights"]["size"] == len(saved.weights)
    assert manifest["created_at"].endswith("+00:00")
    # the separate manifest/weights form (JSONB + bytea) loads too
    loaded = artifacts.load(again, saved.weights)
    assert loaded.algorithm == model.algorithm


def test_flipped_byte_in_weights_is_detected(model: TrainedModel) -> None:
    blob = bytearray(artifacts.to_bytes(model))
    blob[-50] ^= 0x01
    with pytest.raises(ArtifactIntegrityError, match="checksum mismatch: tampered or corrupted"):
        artifacts.from_bytes(bytes(blob))


def test_edited_manifest_is_detected(model: TrainedModel) -> None:
    saved = artifacts.save(model)
    edited = json.loads(json.dumps(saved.manifest))
    edited["level"] = 0.99
    with pytest.raises(ArtifactIntegrityError, match="tampered or corrupted") as err:
        artifacts.load(edited, saved.weights)
    assert isinstance(err.value, CryoprotectError) and isinstance(err.value, ValueError)


def test_foreign_types_are_refused_even_with_matching_checksums(model: TrainedModel) -> None:
    saved = artifacts.save(model)
    evil = sio.dumps({"estimator": Foreign()})
    assert any("Foreign" in t for t in sio.get_untrusted_types(data=evil))
    manifest = json.loads(json.dumps(saved.manifest))
    manifest["weights"]["sha256"] = __import__("hashlib").sha256(evil).hexdigest()
    manifest["manifest_sha256"] = artifacts.manifest_checksum(manifest)
    with pytest.raises(ArtifactIntegrityError, match="never writes"):
        artifacts.load(manifest, evil)


def test_not_a_model_blob() -> None:
    with pytest.raises(ArtifactIntegrityError, match="bad header"):
        artifacts.from_bytes(b"\x80\x04pickle")
    truncated = artifacts.MAGIC + (10**6).to_bytes(8, "big") + b"{}"
    with pytest.raises(ArtifactIntegrityError):
        ModelArtifact.from_bytes(truncated)


def test_trusted_types_cover_what_we_write(model: TrainedModel) -> None:
    untrusted = sio.get_untrusted_types(data=artifacts.save(model).weights)
    assert set(untrusted) <= set(artifacts.TRUSTED_TYPES)
    assert np.isfinite(model.domain.threshold)
