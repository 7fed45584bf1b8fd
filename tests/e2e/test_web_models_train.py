"""Training a model and predicting with it in a real browser: the train page (dataset,
target, algorithm; a bad interval level shown next to its field), the training progress
while the background job runs, the link to the model's chart page, and the model page's
"predict for a mixture" form (typed composition and saved mixture, an unknown component
named next to its field). Numbers are checked against the API's answers.

Screenshots go to test-artifacts/screenshots/models-*.png.
"""

from __future__ import annotations

import re
import uuid
from typing import Any

import pytest

from tests.e2e.conftest import Tab

pytestmark = pytest.mark.e2e

DATASET = "cryomn-literature"
TARGET = "viability_percent"
REFERENCE_MIXTURE = "10% DMSO freezing medium"


def _number(text: str) -> float:
    found = re.search(r"-?\d+(?:\.\d+)?", text)
    assert found, f"no number in {text!r}"
    return float(found.group())


@pytest.fixture(scope="module")
def trainer(app: Any) -> dict[str, Any]:
    client = app.test_client()
    email = f"train-e2e-{uuid.uuid4().hex[:10]}@example.org"
    password = "correct horse battery"
    reg = client.post("/api/v1/auth/register", json={"email": email, "password": password})
    assert reg.status_code == 202, reg.json
    login = client.post("/api/v1/auth/login", json={"email": email, "password": password})
    assert login.status_code == 200, login.json
    token = login.json["access_token"]
    return {"token": token, "headers": {"Authorization": f"Bearer {token}"}}


def test_train_ridge_on_cryomn_then_predict_on_its_page(
    tab: Tab, app: Any, trainer: dict[str, Any]
) -> None:
    from playwright.sync_api import expect

    page = tab.page
    client = app.test_client()
    tab.sign_in_with_token(trainer["token"])
    tab.goto("/models/train")
    form = page.locator("#train-form")
    expect(form).to_be_visible()
    assert page.title() == "Train a predictive model · CryoProtect"

    # the algorithms offered are those the API accepts
    spec = client.get("/api/v1/openapi.json").json
    api_algorithms = spec["components"]["schemas"]["Train"]["properties"]["algorithm"]["enum"]
    offered = page.locator('select[name="algorithm"] option').evaluate_all(
        "options => options.map(o => o.value)"
    )
    assert sorted(offered) == sorted(api_algorithms)

    datasets = client.get("/api/v1/datasets?per_page=100").json["items"]
    cryomn = next(d for d in datasets if d["name"] == DATASET)
    page.get_by_label("Dataset").select_option(cryomn["id"])
    expect(page.locator("#dataset-hint")).to_contain_text(f"{cryomn['row_count']} rows")
    page.get_by_label("Target (what to predict)").select_option(TARGET)
    expect(page.locator('select[name="target"] option:checked')).to_have_text("Viability (%)")
    page.locator('select[name="algorithm"]').select_option("ridge")
    name = f"e2e-ridge-{uuid.uuid4().hex[:6]}"
    page.locator('input[name="name"]').fill(name)

    # a bad interval level: the API's message, restated in percent, next to the field
    page.get_by_label("Prediction interval level (%)").fill("120")
    page.get_by_role("button", name="Train").click()
    level_error = page.locator('[data-error-for="level_percent"]')
    expect(level_error).to_contain_text("from 50 to 99 %")
    expect(page.locator('input[name="level_percent"]')).to_have_attribute("aria-invalid", "true")
    tab.shot("models-train")

    page.get_by_label("Prediction interval level (%)").fill("90")
    page.get_by_role("button", name="Train").click()
    expect(page.locator("#progress-section")).to_be_visible()
    expect(page.locator("#progress-name")).to_contain_text(f"{name} v1 (ridge)")
    expect(page.locator("#progress-done")).to_be_visible(timeout=300_000)
    expect(page.locator("#progress-text")).to_have_text("Training finished: the model is ready.")
    assert page.locator("#progress-bar").evaluate("el => el.value") == 1
    tab.shot("models-train-done")

    # the link leads to the model's charts
    page.locator("#model-link").click()
    page.wait_for_url(re.compile(r"/models/[0-9a-f-]{36}$"))
    model_id = page.url.rsplit("/", 1)[1]
    page.wait_for_function(
        "() => document.querySelectorAll('.js-plotly-plot').length >= 4", timeout=30_000
    )
    expect(page.locator("#model-title")).to_have_text(f"{name} v1")
    expect(page.locator("#metrics-table tbody tr")).to_have_count(3)
    model = client.get(f"/api/v1/predictive-models/{model_id}", headers=trainer["headers"]).json
    assert model["status"] == "ready" and model["algorithm"] == "ridge"
    assert model["target"] == TARGET and model["name"] == name
    tab.shot("models-model")

    # predict for a typed composition: the API's value, interval and nearest rows
    section = page.locator("#predict-section")
    expect(section).to_be_visible()
    page.locator('input[name="components[0].name"]').fill("Dimethyl sulfoxide")
    page.locator('input[name="components[0].amount"]').fill("10")
    page.locator('select[name="components[0].unit"]').select_option("% v/v")
    page.get_by_role("button", name="Predict").click()
    expect(page.locator("#prediction")).to_be_visible()
    expected = client.post(
        f"/api/v1/predictive-models/{model_id}/predict",
        json={"components": [{"name": "Dimethyl sulfoxide", "amount": 10, "unit": "% v/v"}]},
        headers=trainer["headers"],
    ).json
    expect(page.locator("#prediction-value")).to_have_text(f"{expected['value']:.1f} %")
    expect(page.locator("#prediction-interval")).to_have_text(
        f"Interval: {expected['lower']:.1f} – {expected['upper']:.1f} % "
        f"({expected['level'] * 100:.0f} % CV+ interval)"
    )
    badge = "in domain" if expected["in_domain"] else "out of domain"
    expect(page.locator("#prediction-domain .badge")).to_have_text(badge)
    nearest = page.locator("#nearest-table tbody tr")
    expect(nearest).to_have_count(len(expected["nearest"]))
    expect(nearest.first.locator("th")).to_have_text(expected["nearest"][0]["row_id"])
    measured = {
        r["row_id"]: r["measured"]
        for r in model["metrics"]["validation_plots"]["out_of_fold"]["rows"]
    }
    first_measured = measured[expected["nearest"][0]["row_id"]]
    expect(nearest.first.locator("td").nth(1)).to_have_text(f"{first_measured:.1f} %")
    tab.shot("models-predict")

    # an unknown component: the API's message next to that component
    page.locator('input[name="components[0].name"]').fill("No such molecule zzz")
    page.get_by_role("button", name="Predict").click()
    expect(page.locator('[data-error-for="components[0].name"]')).to_contain_text(
        "unknown component"
    )
    expect(page.locator("#prediction")).to_be_hidden()

    # a saved (reference) mixture
    mixtures = client.get(f"/api/v1/mixtures?q={REFERENCE_MIXTURE}").json["items"]
    mixture = next(m for m in mixtures if m["name"] == REFERENCE_MIXTURE)
    page.get_by_label("Saved mixture").select_option(mixture["id"])
    page.get_by_role("button", name="Predict").click()
    expected = client.post(
        f"/api/v1/predictive-models/{model_id}/predict",
        json={"mixture_id": mixture["id"]},
        headers=trainer["headers"],
    ).json
    expect(page.locator("#prediction-value")).to_have_text(f"{expected['value']:.1f} %")
    # one page-level alert: tests/e2e/test_model_page.py relies on it
    assert page.locator("[role=alert]").count() == 1
    tab.assert_no_js_errors()


def test_train_page_asks_a_visitor_to_sign_in(tab: Tab) -> None:
    from playwright.sync_api import expect

    page = tab.page
    tab.goto("/models/train")
    expect(page.locator("#signin-needed")).to_be_visible()
    expect(page.locator("#signin-needed a", has_text="sign in")).to_have_attribute(
        "href", "/signin?next=/models/train"
    )
    expect(page.locator("#train-form")).to_be_hidden()
    tab.shot("models-train-signed-out")
    tab.assert_no_js_errors()
