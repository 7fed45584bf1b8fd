"""The newcomer's journey in one browser session (issue 7's "done means").

A new user signs up through the page, registers a molecule, builds a mixture and sees its
melting point, trains a model and sees its chart, records an experiment, designs a
protocol; a second user cannot see the first user's private mixture; no page logs a
JavaScript error. Every number asserted on screen is compared with the API's own answer.
"""

from __future__ import annotations

import re
import uuid
from typing import Any

import pytest

from cryoprotect.web.numbers import format_quantity
from tests.conftest import unique_smiles
from tests.e2e.conftest import Tab, sign_up_in_browser

pytestmark = pytest.mark.e2e

UUID_URL = re.compile(r"/[0-9a-f-]{36}$")


def _token(tab: Tab) -> str:
    token = tab.page.evaluate("() => window.localStorage.getItem('cryoprotect.token')")
    assert token, "signing up in the browser stores an access token"
    return str(token)


def test_newcomer_journey(tab: Tab, app: Any, browser: Any, live_server: str) -> None:  # noqa: PLR0915
    from playwright.sync_api import expect

    page = tab.page
    client = app.test_client()
    account = {
        "email": f"journey-{uuid.uuid4().hex[:8]}@example.org",
        "password": "correct horse battery",
        "display_name": "Journey Tester",
    }

    # 1. sign up (ends signed in on the home page, name in the header)
    sign_up_in_browser(tab, account)
    expect(page.locator("#user-name")).to_have_text("Journey Tester")
    expect(page.locator("#counts .card").first).to_be_visible()
    tab.shot("journey-01-home")
    headers = {"Authorization": f"Bearer {_token(tab)}"}

    # 2. register a molecule by SMILES (live validation first)
    smiles = unique_smiles()
    molecule_name = f"Journey compound {uuid.uuid4().hex[:6]}"
    tab.goto("/molecules/register")
    page.get_by_role("textbox", name=re.compile("^Structure")).fill(smiles)
    page.locator("#preview").wait_for(state="visible")
    page.get_by_label(re.compile("^Name")).fill(molecule_name)
    page.get_by_role("button", name="Register").click()
    expect(page.locator("#created")).to_contain_text(molecule_name)
    tab.shot("journey-02-molecule-registered")
    found = client.get(f"/api/v1/molecules?q={molecule_name}", headers=headers).json
    assert found["total"] == 1 and found["items"][0]["visibility"] == "private"

    # 3. build a mixture and see its melting point (as the API computes it)
    mixture_name = f"Journey glycerol {uuid.uuid4().hex[:6]}"
    tab.goto("/mixtures/new")
    page.get_by_label("Name").fill(mixture_name)
    page.locator('input[name="components[0].molecule"]').fill("glycer")
    page.locator(".suggestions button", has_text=re.compile(r"^Glycerol · ")).click()
    page.locator('select[name="components[0].unit"]').select_option("% w/w")
    page.locator('input[name="components[0].amount"]').fill("20")
    expected = client.post(
        "/api/v1/solutions/properties",
        json={"components": [{"name": "Glycerol", "amount": 20, "unit": "% w/w"}]},
    ).json
    melting = format_quantity(expected["melting_point"]["value_c"], "temperature")
    expect(page.locator('#live-cards [data-property="melting_point"] .number')).to_have_text(
        melting
    )
    page.get_by_role("button", name="Save mixture").click()
    page.wait_for_url(UUID_URL)
    mixture_id = page.url.rsplit("/", 1)[1]
    expect(page.locator('#property-cards [data-property="melting_point"] .number')).to_have_text(
        melting
    )
    tab.shot("journey-03-mixture")

    # 4. train a model and see its chart
    tab.goto("/models/train")
    datasets = client.get("/api/v1/datasets?per_page=100").json["items"]
    cryomn = next(d for d in datasets if d["name"] == "cryomn-literature")
    page.get_by_label("Dataset").select_option(cryomn["id"])
    page.get_by_label("Target (what to predict)").select_option("viability_percent")
    page.locator('select[name="algorithm"]').select_option("ridge")
    page.get_by_role("button", name="Train").click()
    expect(page.locator("#progress-done")).to_be_visible(timeout=300_000)
    page.locator("#model-link").click()
    page.wait_for_url(UUID_URL)
    page.wait_for_function(
        "() => document.querySelectorAll('.js-plotly-plot').length >= 4", timeout=60_000
    )
    tab.shot("journey-04-model")

    # 5. record an experiment with that mixture
    title = f"Journey thaw {uuid.uuid4().hex[:6]}"
    tab.goto(f"/experiments/new?mixture_id={mixture_id}")
    page.wait_for_selector("#experiment-form:not([hidden])")
    page.get_by_label("Title").fill(title)
    page.locator("[name='results[0].measure']").select_option("viability_percent")
    page.locator("[name='results[0].value']").fill("64.5")
    page.locator("[name='results[0].replicates']").fill("3")
    page.locator("#save").click()
    page.wait_for_url(UUID_URL)
    experiment = client.get(
        f"/api/v1/experiments/{page.url.rsplit('/', 1)[1]}", headers=headers
    ).json
    assert experiment["title"] == title and experiment["mixture_id"] == mixture_id
    assert experiment["results"][0]["value"] == 64.5
    expect(page.locator("body")).to_contain_text("64.5 %")
    tab.shot("journey-05-experiment")

    # 6. design a protocol (DMSO 1.4 mol/L into rhesus MII oocytes at 22 °C)
    tab.goto("/protocols/design")
    page.locator('select[name="cell_type"]').select_option(
        next(
            c["id"]
            for c in client.get("/api/v1/cell-types?per_page=100").json["items"]
            if c["parameters"].get("key") == "rhesus_mii_oocyte"
        )
    )
    page.locator('input[name="target.components[0].name"]').fill("Dimethyl sulfoxide")
    page.locator('input[name="target.components[0].amount"]').fill("1.4")
    page.locator('select[name="target.components[0].unit"]').select_option("mol/L")
    page.locator('input[name="temperature_c"]').fill("22")
    page.get_by_role("button", name="Design protocol").click()
    expect(page.locator("#design-summary")).to_contain_text("lower than one step", timeout=90_000)
    page.wait_for_function(
        "() => document.querySelectorAll('.js-plotly-plot').length >= 2", timeout=30_000
    )
    tab.shot("journey-06-protocol")
    tab.assert_no_js_errors()

    # 7. a second user cannot see the first user's private mixture
    other = browser.new_context(viewport={"width": 1280, "height": 800})
    try:
        other_page = other.new_page()
        errors: list[str] = []
        other_page.on("pageerror", lambda exc: errors.append(str(exc)))
        second = Tab(page=other_page, base=live_server)
        sign_up_in_browser(
            second,
            {
                "email": f"second-{uuid.uuid4().hex[:8]}@example.org",
                "password": "another good password",
                "display_name": "Second User",
            },
        )
        second.goto(f"/mixtures/{mixture_id}")
        expect(other_page.locator("#error")).to_contain_text("not found or is not visible to you")
        expect(other_page.locator("body")).not_to_contain_text(mixture_name)
        second.shot("journey-07-second-user-private-mixture")
        assert not errors, errors
    finally:
        other.close()


def test_molecule_page_link_starts_a_mixture_with_that_molecule(tab: Tab, app: Any) -> None:
    from playwright.sync_api import expect

    glycerol = app.test_client().get("/api/v1/molecules?q=Glycerol").json["items"][0]
    tab.goto(f"/mixtures/new?molecule_id={glycerol['id']}")
    expect(tab.page.locator(".component-row .picked").first).to_contain_text("Glycerol")
    assert (
        tab.page.locator('input[name="components[0].molecule_id"]').input_value()
        == (glycerol["id"])
    )
    tab.assert_no_js_errors()
