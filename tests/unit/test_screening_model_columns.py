"""`cryoprotect screen --model`: a molecule model's prediction and interval as columns, empty
with the reason outside its applicability domain (issue 14, item 5)."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from cryoprotect.ml.datasets import DatasetRow
from cryoprotect.ml.molecule_features import FREESOLV_TARGET, load_freesolv
from cryoprotect.ml.train import predict, train
from cryoprotect.services.screening import COLUMNS, prediction_columns, screen_file

pytestmark = pytest.mark.unit

STEROL = "CC(C)CCCC(C)C1CCC2C1(CCC3C2CC=C4C3(CCC(C4)O)C)C"


@pytest.fixture(scope="module")
def model():
    data = load_freesolv()
    return train(
        data.subset(range(0, len(data), 3)),
        FREESOLV_TARGET,
        "ridge",
        nested=False,
        param_grid={"model__alpha": [10.0]},
    )


def test_screen_adds_prediction_columns(tmp_path: Path, model) -> None:
    source = tmp_path / "library.smi"
    source.write_text(f"OCC(O)CO glycerol\n{STEROL} cholesterol\nC1CC broken\n", encoding="utf-8")
    output = tmp_path / "ranked.csv"
    summary = screen_file(source, output, processes=1, model=model)
    assert summary.total == 3 and summary.failed == 1
    with output.open(encoding="utf-8") as handle:
        rows = {r["name"]: r for r in csv.DictReader(handle)}
        handle.seek(0)
        header = handle.readline().strip().split(",")
    assert header == COLUMNS + prediction_columns(FREESOLV_TARGET)
    value_col = f"predicted_{FREESOLV_TARGET}"
    expected = predict(model, [DatasetRow("g", (), smiles="OCC(O)CO")])[0]
    glycerol = rows["glycerol"]
    assert glycerol["prediction_in_domain"] == "true"
    assert float(glycerol[value_col]) == pytest.approx(expected.value, abs=1e-4)
    assert float(glycerol[f"{value_col}_lower"]) <= float(glycerol[value_col])
    assert float(glycerol[value_col]) <= float(glycerol[f"{value_col}_upper"])
    sterol = rows["cholesterol"]
    assert sterol[value_col] == "" and sterol[f"{value_col}_lower"] == ""
    assert sterol["prediction_in_domain"] == "false"
    assert sterol["prediction_note"].startswith("outside applicability domain")
    assert rows["broken"][value_col] == "" and rows["broken"]["error"]
