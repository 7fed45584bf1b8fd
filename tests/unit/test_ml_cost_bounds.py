"""Training cost is bounded in the ML core: per-algorithm row caps (a Gaussian process at
most 2,000 rows) and cooperative cancellation between folds (issue 12, finding 3)."""

from __future__ import annotations

import threading

import pytest

from cryoprotect.errors import Cancelled, LimitExceeded
from cryoprotect.ml.synthetic import SYNTHETIC_TARGET, make_synthetic_dataset
from cryoprotect.ml.train import (
    ALGORITHMS,
    GAUSSIAN_PROCESS_MAX_ROWS,
    MAX_TRAINING_ROWS,
    check_row_limit,
    train,
)
from cryoprotect.ml.training_run import train_to_artifact

pytestmark = pytest.mark.unit


def test_every_algorithm_declares_its_row_cap() -> None:
    caps = {name: ALGORITHMS.get(name).max_rows for name in ALGORITHMS.names()}
    assert caps["gaussian_process"] == GAUSSIAN_PROCESS_MAX_ROWS == 2_000
    assert all(0 < cap <= MAX_TRAINING_ROWS for cap in caps.values())
    assert caps["ridge"] == MAX_TRAINING_ROWS


def test_more_rows_than_the_cap_are_refused_naming_the_cap() -> None:
    check_row_limit("gaussian_process", 2_000)
    check_row_limit("ridge", 20_000)
    with pytest.raises(LimitExceeded) as caught:
        check_row_limit("gaussian_process", 2_001)
    assert caught.value.details == {
        "field": "dataset",
        "algorithm": "gaussian_process",
        "max_rows": 2_000,
        "rows": 2_001,
    }
    assert "at most 2,000 rows" in caught.value.message


def test_train_refuses_a_dataset_over_the_cap_before_fitting() -> None:
    big = make_synthetic_dataset(n_groups=41, rows_per_group=50, noise_sd=3.0, seed=0)
    assert len(big) == 2_050
    with pytest.raises(LimitExceeded):
        train(big, SYNTHETIC_TARGET, "gaussian_process")
    records = big.to_records()
    with pytest.raises(LimitExceeded):
        train_to_artifact(
            records, dataset_name="big", target=SYNTHETIC_TARGET, algorithm="gaussian_process"
        )


def test_a_set_cancel_signal_stops_training_between_folds() -> None:
    data = make_synthetic_dataset(n_groups=20, rows_per_group=5, noise_sd=3.0, seed=0)
    cancel = threading.Event()
    folds: list[str] = []

    def progress(message: str, fraction: float) -> None:
        folds.append(message)
        if message.startswith("outer fold 2"):
            cancel.set()

    with pytest.raises(Cancelled):
        train(data, SYNTHETIC_TARGET, "ridge", progress=progress, cancel=cancel)
    assert folds == ["outer fold 1/5", "outer fold 2/5"]  # fold 3 never started


def test_training_to_an_artifact_returns_plain_data() -> None:
    data = make_synthetic_dataset(n_groups=12, rows_per_group=5, noise_sd=3.0, seed=0)
    out = train_to_artifact(
        data.to_records(), dataset_name="synthetic", target=SYNTHETIC_TARGET, algorithm="ridge"
    )
    assert set(out) == {"manifest", "blob", "metrics"}
    assert isinstance(out["blob"], bytes) and out["manifest"]["algorithm"] == "ridge"
