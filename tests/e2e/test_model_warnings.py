"""Warning states of the model pages in a real browser (issue 14, item 1).

A ridge model trained on the shipped CryoMN literature does not beat its baselines: the
model list, the model page and the mixture page say so in a sentence, and never in a green
success box. A VS55-like mixture is outside its applicability domain: the model page shows
a warning with the reason, the distance and the nearest training rows, and no number.

Skips locally without Chromium or the ``playwright`` package; fails under CI=true.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import train_model_via_api
from tests.e2e.conftest import Tab

pytestmark = pytest.mark.e2e

VS55_LIKE = [
    ("Dimethyl sulfoxide", "3.1", "mol/L"),
    ("Formamide", "3.1", "mol/L"),
    ("Propylene glycol", "2.2", "mol/L"),
]


@pytest.fixture(scope="module")
def trained(app) -> tuple[dict[str, str], str]:
    return train_model_via_api(app, "e2e-warn")


def test_model_not_better_than_baseline_and_out_of_domain_prediction(
    tab: Tab, app: Any, trained: tuple[dict[str, str], str]
) -> None:
    from playwright.sync_api import expect

    headers, model_id = trained
    client = app.test_client()
    model = client.get(f"/api/v1/predictive-models/{model_id}", headers=headers).json
    assert model["not_better_than_baseline"] is True
    page = tab.page
    tab.sign_in_with_token(headers["Authorization"].removeprefix("Bearer "))

    # the model page: the verdict in a sentence, as a warning
    tab.goto(f"/models/{model_id}")
    verdict = page.locator("#baseline-verdict")
    expect(verdict).to_be_visible(timeout=30_000)
    expect(verdict).to_have_class("warning")
    expect(verdict).to_contain_text("This model does not predict better than")
    expect(page.locator("#provenance")).to_contain_text("logit(p/100), ε = 0.5 %")

    # a VS55-like mixture: no number, the reason, the distance and the nearest rows
    expect(page.locator("#predict-section")).to_be_visible(timeout=30_000)
    for i, (name, amount, unit) in enumerate(VS55_LIKE):
        if i > 0:
            page.locator("#add-predict-component").click()
        page.locator(f'input[name="components[{i}].name"]').fill(name)
        page.locator(f'input[name="components[{i}].amount"]').fill(amount)
        page.locator(f'select[name="components[{i}].unit"]').select_option(unit)
    page.get_by_role("button", name="Predict").click()
    status = page.locator("#prediction-status")
    expect(status).to_be_visible()
    expect(status).to_have_class("warning")
    expect(status).to_contain_text("No prediction: outside applicability domain")
    expect(status).to_contain_text("against the threshold")
    expect(page.locator("#prediction-value")).to_be_hidden()
    expect(page.locator("#prediction-interval")).to_be_hidden()
    expect(page.locator("#prediction .success")).to_have_count(0)
    answer = client.post(
        f"/api/v1/predictive-models/{model_id}/predict",
        json={"components": [{"name": n, "amount": float(a), "unit": u} for n, a, u in VS55_LIKE]},
        headers=headers,
    ).json
    assert answer["value"] is None
    rows = page.locator("#nearest-table tbody tr")
    expect(rows).to_have_count(len(answer["nearest"]))
    expect(rows.first.locator("th")).to_have_text(answer["nearest"][0]["row_id"])
    expect(rows.first.locator("td").nth(2)).to_have_text(answer["nearest"][0]["group"])
    expect(page.locator("#prediction-stored")).to_have_text(
        "Not stored: there is no value to keep."
    )
    tab.shot("model-out-of-domain")

    # in the domain: a value, but the baseline sentence beside it
    for i in (2, 1):
        page.get_by_role("button", name=f"Remove component {i + 1}").click()
    page.locator('input[name="components[0].name"]').fill("Dimethyl sulfoxide")
    page.locator('input[name="components[0].amount"]').fill("10")
    page.locator('select[name="components[0].unit"]').select_option("% v/v")
    page.get_by_role("button", name="Predict").click()
    expect(page.locator("#prediction-value")).to_be_visible()
    expect(page.locator("#prediction-status")).to_be_hidden()
    expect(page.locator("#prediction-baseline")).to_contain_text(
        "This model does not predict better than"
    )

    # the list page: the sentence in the model's row
    tab.goto("/models")
    row = page.locator("#models-table tbody tr", has=page.locator(f"a[href='/models/{model_id}']"))
    expect(row).to_contain_text("This model does not predict better than", timeout=10_000)
    tab.shot("models-list-verdict")

    # the mixture page: a warning, never the green success box
    mixtures = client.get("/api/v1/mixtures?q=10% DMSO freezing medium").json["items"]
    mixture_id = next(m["id"] for m in mixtures if m["name"] == "10% DMSO freezing medium")
    tab.goto(f"/mixtures/{mixture_id}")
    page.get_by_label("Model", exact=True).select_option(model_id)
    page.get_by_role("button", name="Predict").click()
    result = page.locator("#predict-result")
    expect(result).to_be_visible()
    expect(result).to_have_class("warning")
    expect(result).to_contain_text("This model does not predict better than")
    tab.assert_no_js_errors()
