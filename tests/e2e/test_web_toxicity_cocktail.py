"""Issue 16 "Done means" in a real browser: a new user signs up, imports an exposure CSV (a
bad file first: every bad row listed with its column, nothing written), fits a toxicity
model as a background job, opens its page (fitted curves over the measured points,
parameters with intervals, residuals, held-out errors, equations), designs a 3-CPA
vitrification cocktail for a shipped cell type (an infeasible time limit first: named next
to its field) and sees the Pareto front, the chosen composition and protocol and each
candidate alone. Numbers on the pages are checked against the API's answers.

The exposure data are SYNTHETIC: simulated here by ``science/toxicity/synthetic.py`` from
ILLUSTRATIVE parameters made up for this test (not published values, never shipped).
Screenshots go to test-artifacts/screenshots/toxicity-*.png.
"""

from __future__ import annotations

from typing import Any

import pytest

from cryoprotect.web.numbers import format_quantity
from tests.e2e.conftest import Tab, sign_up_in_browser
from tests.exposure_data import CONDITIONS, CPAS, HEADER, TIMES_S, synthetic_exposure_csv

pytestmark = pytest.mark.e2e

GROUPS = 3


def _synthetic_csv() -> bytes:
    return synthetic_exposure_csv(n_groups=GROUPS, seed=5)


BAD_CSV = "\n".join(
    [
        HEADER,
        "P1,A1,Glycerol,2,,,,,mol/kg,10,22,80,%,1",  # good
        "P1,A2,Glycerol,2,,,,,mol/kg,-5,22,80,%,1",  # negative time
        "P1,A3,Glycerol,2,,,,,mol/kg,10,22,120,%,1",  # viability over 100 %
        "P1,A4,Unobtainium,2,,,,,mol/kg,10,22,80,%,1",  # unknown CPA
    ]
).encode()


def _token(tab: Tab) -> str:
    token = tab.page.evaluate("() => window.localStorage.getItem('cryoprotect.token')")
    assert token, "signing up in the browser stores an access token"
    return str(token)


def _upload(page: Any, title: str, content: bytes) -> None:
    form = page.locator("#import-form")
    form.get_by_label("Title of the experiment").fill(title)
    form.locator('input[name="file"]').set_input_files(
        files=[{"name": "exposure.csv", "mimeType": "text/csv", "buffer": content}]
    )
    page.get_by_role("button", name="Import").click()


def test_import_fit_and_design_a_cocktail(  # noqa: PLR0915 - one journey, step by step
    tab: Tab, app: Any, new_account: dict[str, str]
) -> None:
    from playwright.sync_api import expect

    page = tab.page
    client = app.test_client()
    sign_up_in_browser(tab, new_account)
    headers = {"Authorization": f"Bearer {_token(tab)}"}

    # 1. the toxicity-model page, from the nav (which links cocktail design too)
    expect(
        page.get_by_role("navigation", name="Main").get_by_role("link", name="Cocktails")
    ).to_be_visible()
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Toxicity").click()
    page.wait_for_url(f"{tab.base}/toxicity-models")
    assert page.title() == "Toxicity models · CryoProtect"
    expect(page.locator("#import-form")).to_be_visible()
    expect(page.locator("#empty")).to_be_visible()
    template = page.locator("#template-link").get_attribute("href")
    got = client.get(template)
    assert got.status_code == 200 and got.data.decode().startswith("plate,well,cpa_1")

    # 2. a bad file: every bad row with its column, nothing written
    _upload(page, "bad plate", BAD_CSV)
    rejected = page.locator("#row-errors tbody tr")
    expect(rejected).to_have_count(3)
    found = {
        (r[0], r[1])
        for r in rejected.evaluate_all("rs => rs.map(r => [...r.cells].map(c => c.textContent))")
    }
    assert found == {("3", "exposure_time_min"), ("4", "viability"), ("5", "cpa_1")}
    expect(page.locator("#import-rejected-summary")).to_contain_text("nothing was imported")
    assert client.get("/api/v1/experiments?per_page=1", headers=headers).json["total"] == 0
    tab.shot("toxicity-01-bad-rows")

    # 3. the synthetic file: imported, offered to the fit
    _upload(page, "synthetic exposure plates", _synthetic_csv())
    rows = len(CONDITIONS) * len(TIMES_S) * GROUPS
    expect(page.locator("#import-done")).to_contain_text(f"Imported {rows} rows")
    expect(page.locator("#import-rejected")).to_be_hidden()
    expect(page.locator('input[name="experiment_ids"]')).to_have_count(1)

    # 4. fit (few bootstrap resamples: the fit is a job the page follows)
    fit = page.locator("#fit-form")
    fit.get_by_label("Name").fill("e2e synthetic model")
    fit.get_by_label("Bootstrap resamples").fill("30")
    page.get_by_role("button", name="Fit model").click()
    expect(page.locator("#fit-progress")).to_be_visible()
    expect(page.locator("#fit-done")).to_be_visible(timeout=240_000)
    tab.shot("toxicity-02-fitted")
    listed = client.get("/api/v1/toxicity-models", headers=headers).json["items"]
    assert len(listed) == 1 and listed[0]["status"] == "ready"
    model_id = listed[0]["id"]
    model = client.get(f"/api/v1/toxicity-models/{model_id}", headers=headers).json
    expect(page.locator("#models-table tbody tr")).to_have_count(1)

    # 5. the model page: curves per condition, parameters with intervals, residuals, held-out
    page.locator("#fit-link").click()
    page.wait_for_url(f"{tab.base}/toxicity-models/{model_id}")
    expect(page.locator("#model-title")).to_have_text("e2e synthetic model v1")
    params = page.locator("#parameters-table tbody tr")
    expect(params).to_have_count(len(model["parameters"]))
    first = model["parameters"][0]
    expect(params.first.locator("th")).to_have_text(first["name"])
    assert first["low"] is not None and first["high"] is not None
    expect(params.first.locator("td").nth(1)).not_to_have_text("—")
    expect(page.locator("#chart-curves .scatterlayer .trace")).to_have_count(2 * len(CONDITIONS))
    expect(page.locator("#chart-residuals .scatterlayer .trace")).to_have_count(len(CONDITIONS))
    expect(page.locator("#held-out-table tbody tr")).to_have_count(len(model["held_out"]))
    expect(page.locator("#equations")).to_contain_text("exp(")
    expect(page.locator("#citations")).to_contain_text("Warner")
    expect(page.locator("#data-table tbody tr")).to_have_count(rows)
    tab.shot("toxicity-03-model-page")

    # 6. cocktail design with this model for the shipped generic mammalian cell
    page.locator("#design-link").click()
    page.wait_for_url(f"{tab.base}/cocktails/design?model={model_id}")
    form = page.locator("#cocktail-form")
    expect(form).to_be_visible()
    assert page.locator('select[name="toxicity_model_id"]').input_value() == model_id
    chosen = [page.locator(f'input[name="candidates[{i}]"]').input_value() for i in range(3)]
    assert sorted(chosen) == sorted(CPAS), chosen
    form.get_by_label("Least total CPA molality (mol/kg)").fill("3")
    form.get_by_label("Most steps per phase").fill("2")
    page.locator("details summary", has_text="Search resolution").click()
    form.get_by_label("Spacing of CPA proportions").fill("0.5")
    form.get_by_label("Pareto levels").fill("2")

    # an impossible time limit: the failed job's constraint next to its field
    form.get_by_label("Longest protocol, loading + unloading (min)").fill("0.02")
    page.get_by_role("button", name="Design cocktail").click()
    slot = page.locator('[data-error-for="max_total_time_min"]')
    expect(slot).to_be_visible(timeout=120_000)
    expect(page.locator("#error")).to_contain_text("No design")
    expect(page.locator("#results")).to_be_hidden()
    form.get_by_label("Longest protocol, loading + unloading (min)").fill("")

    with page.expect_response(lambda r: r.url.endswith("/api/v1/cocktails/design")) as answer:
        page.get_by_role("button", name="Design cocktail").click()
    job_id = answer.value.json()["job_id"]
    expect(page.locator("#results")).to_be_visible(timeout=240_000)
    job = client.get(f"/api/v1/jobs/{job_id}", headers=headers).json
    assert job["status"] == "done"
    result = job["result"]
    best = result["best"]

    # the Pareto front, the chosen composition, its steps and charts, each CPA alone
    expect(page.locator("#pareto-table tbody tr")).to_have_count(len(result["pareto"]))
    expect(page.locator("#chart-pareto .scatterlayer .trace")).to_have_count(2)
    survival = format_quantity(best["prediction"]["surviving_fraction"], "coefficient")
    expect(page.locator("#best-summary")).to_contain_text(f"S = {survival}")
    composition = page.locator("#composition-table tbody tr")
    expect(composition).to_have_count(len(best["composition"]["molality_mol_per_kg"]) + 1)
    expect(page.locator("#steps-table tbody tr")).to_have_count(len(best["steps"]))
    expect(page.locator("#chart-volume .scatterlayer .trace")).to_have_count(3)
    expect(page.locator("#chart-concentration .scatterlayer .trace")).not_to_have_count(0)
    expect(page.locator("#binding-table tbody tr")).to_have_count(len(best["binding_constraints"]))
    singles = page.locator("#single-table tbody tr")
    expect(singles).to_have_count(len(result["one_cpa"]))
    assert sorted(s["cpa"] for s in result["one_cpa"]) == sorted(CPAS)
    for k, single in enumerate(result["one_cpa"]):
        if single["ratio"] is not None:
            ratio = format_quantity(single["ratio"], "number")  # the policy's 3 s.f.
            expect(singles.nth(k).locator("td").nth(3)).to_have_text(ratio)
        else:
            expect(singles.nth(k)).to_contain_text("unknown")
    tab.shot("toxicity-04-cocktail")
    tab.assert_no_js_errors()
