"""Model web pages: page shells, the vendored Plotly.js, and the validation-plot data they draw."""

from __future__ import annotations

import re

import pytest

from tests.conftest import train_model_via_api

pytestmark = pytest.mark.integration

URL = "/api/v1/predictive-models"


@pytest.fixture(scope="module")
def trained(app):
    return train_model_via_api(app, "web")


def _html(res) -> str:
    assert res.status_code == 200
    assert res.mimetype == "text/html"
    text = res.get_data(as_text=True)
    assert re.search(r"<title>[^<]+</title>", text)
    assert '<meta name="viewport"' in text and 'role="alert"' in text
    assert "/api/v1/docs" in text
    # CSP-friendly: no inline scripts, only external ones
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", text)
    assert "script-src 'self'" in res.headers["Content-Security-Policy"]
    return text


def test_model_list_page(client) -> None:
    text = _html(client.get("/models"))
    assert 'type="module"' in text and "models.js" in text


def test_model_page(client, trained) -> None:
    _, model_id = trained
    text = _html(client.get(f"/models/{model_id}"))
    assert f'data-model-id="{model_id}"' in text
    assert "/static/vendor/plotly.min.js" in text and "model.js" in text
    assert client.get("/models/not-a-uuid").status_code == 404


def test_static_scripts_are_served(client) -> None:
    for path in ("/static/web/js/api.js", "/static/web/js/model.js", "/static/web/js/models.js"):
        res = client.get(path)
        assert res.status_code == 200, path
        assert "javascript" in res.mimetype
        res.close()


def test_plotly_is_served_from_the_installed_package(client) -> None:
    res = client.get("/static/vendor/plotly.min.js")
    assert res.status_code == 200
    assert "javascript" in res.mimetype
    body = res.get_data()
    assert len(body) > 100_000 and b"plotly" in body[:2000].lower()
    res.close()


def test_model_api_carries_validation_plots(client, trained) -> None:
    headers, model_id = trained
    model = client.get(f"{URL}/{model_id}", headers=headers).json
    metrics = model["metrics"]
    plots = metrics["validation_plots"]
    assert plots["unit"] == "%" and plots["target"] == "viability_percent"
    rows = plots["out_of_fold"]["rows"]
    assert len(rows) == metrics["n_rows"]
    keys = {"row_id", "fold", "measured", "predicted", "lower", "upper", "baseline_mean"}
    assert all(keys <= set(r) for r in rows)
    assert all(r["lower"] <= r["predicted"] <= r["upper"] for r in rows)
    features = plots["permutation_importance"]["features"]
    assert 1 <= len(features) <= 20
    assert {f["feature"] for f in features} <= set(model["feature_names"])
    assert all({"mean", "std"} <= set(f) for f in features)
    coverage = plots["coverage"]
    assert coverage["method"]
    assert [c["nominal"] for c in coverage["levels"]][0] == pytest.approx(0.5)
    assert all(0 <= c["empirical"] <= 1 for c in coverage["levels"])
