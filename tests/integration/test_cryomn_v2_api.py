"""CryoMN v2 reference datasets through the API, and the per-group coverage of a model."""

from __future__ import annotations

import pytest

from tests.conftest import train_model_via_api

pytestmark = pytest.mark.integration


def test_v2_datasets_are_public_reference_data_with_their_citation(client) -> None:
    datasets = {d["name"]: d for d in client.get("/api/v1/datasets?per_page=100").json["items"]}
    expected = {"cryomn-v2-literature": 198, "cryomn-v2-wetlab": 106, "cryomn-v2-all": 316}
    for name, rows in expected.items():
        d = datasets[name]
        assert d["row_count"] == rows and d["visibility"] == "public"
        assert "baitmeister/ML-for-CryoMN" in d["sources"][0]["citation"]
        assert d["target_names"] == ["viability_percent"]
    # v1 stays available beside v2.
    assert {"cryomn-literature", "cryomn-wetlab"} <= set(datasets)


def test_model_detail_has_the_group_coverage_field(app, client) -> None:
    headers, model_id = train_model_via_api(app, "g14")
    model = client.get(f"/api/v1/predictive-models/{model_id}", headers=headers).json
    assert "group_coverage" in model
    # The v1 literature rows carry no cell-type/source conditions: no groups, stated as such.
    assert model["group_coverage"]["keys"] == {}
    assert model["group_coverage"]["min_rows"] == 20
