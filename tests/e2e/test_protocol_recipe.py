"""A designed protocol as a bench recipe in a real browser (issue 18, "Protocols are not
recipes"): the protocol page's Recipe section set to 10 mL shows each step's volumes (checked
against the API's recipe for the same protocol) and the short-step warning, and the print
sheet shows one table per step with checkboxes, the warning and the totals.

The protocol is DMSO 1.4 mol/L for the rhesus MII oocyte at 22 °C, salt-reduced (min carrier
fraction 0) with at most two steps per phase: its last unloading step lasts about 1 s, under
the 30 s the bench can time. Screenshots go to test-artifacts/screenshots/protocol-recipe-*.png.
"""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from cryoprotect.web.numbers import format_quantity
from tests.e2e.conftest import Tab

pytestmark = pytest.mark.e2e

DMSO = "Dimethyl sulfoxide"
REQUEST = {
    "cell_type": "rhesus_mii_oocyte",
    "target": {"components": [{"name": DMSO, "amount": 1.4, "unit": "mol/L"}]},
    "temperature_c": 22.0,
    "max_steps": 2,
    "min_carrier_fraction": 0.0,
}


@pytest.fixture(scope="module")
def saved(app: Any) -> dict[str, Any]:
    """A signed-up scientist's saved salt-reduced protocol and the API's 10 mL recipe of it."""
    client = app.test_client()
    email, password = f"recipe-e2e-{uuid.uuid4().hex[:10]}@example.org", "correct horse battery"
    assert (
        client.post(
            "/api/v1/auth/register", json={"email": email, "password": password}
        ).status_code
        == 202
    )
    token = client.post("/api/v1/auth/login", json={"email": email, "password": password}).json[
        "access_token"
    ]
    headers = {"Authorization": f"Bearer {token}"}
    res = client.post(
        "/api/v1/protocols",
        json={"name": f"Recipe {uuid.uuid4().hex[:6]}", "design_request": REQUEST},
        headers=headers,
    )
    assert res.status_code == 201, res.json
    recipe = client.get(f"/api/v1/protocols/{res.json['id']}/recipe?volume_ml=10", headers=headers)
    assert recipe.status_code == 200, recipe.json
    return {"id": res.json["id"], "token": token, "recipe": recipe.json}


def _dmso_ml(recipe: dict[str, Any]) -> list[str]:
    """The DMSO volumes of the steps as the page prints them (the policy's volume rule)."""
    return [
        format_quantity(item["volume_ml"], "volume")
        for step in recipe["steps"]
        for item in step["recipe"]["ingredients"]
        if item["solute"] == DMSO
    ]


def test_protocol_page_recipe_for_10_ml_and_print_sheet(tab: Tab, saved: dict[str, Any]) -> None:
    from playwright.sync_api import expect

    page = tab.page
    recipe = saved["recipe"]
    short = [s for s in recipe["steps"] if s["hold"]["warning"]]
    assert short, "the design has a hold under 30 s"
    page.set_viewport_size({"width": 1366, "height": 900})
    tab.sign_in_with_token(saved["token"])
    tab.goto(f"/protocols/{saved['id']}")

    section = page.locator("#recipe-section")
    expect(section).to_be_visible()
    page.get_by_label("Volume of each solution (mL)").fill("25")
    page.get_by_role("button", name="Show recipe").click()
    expect(page.locator("#recipe-totals caption")).to_contain_text("25.0 mL")
    page.get_by_label("Volume of each solution (mL)").fill("10")
    page.get_by_role("button", name="Show recipe").click()
    expect(page.locator("#recipe-totals caption")).to_contain_text("10.0 mL")

    tables = section.locator("table.recipe-step")
    expect(tables).to_have_count(len(recipe["steps"]))
    text = section.inner_text()
    for volume in _dmso_ml(recipe):
        assert volume in text, f"{volume} not on the page"
    warning = section.locator(".short-step").first
    expect(warning).to_contain_text("too short to do by hand")
    expect(page.locator("#recipe-warnings")).to_contain_text(short[0]["label"])
    expect(page.locator("#recipe-carrier")).to_contain_text("for the conventional design")
    tab.shot("protocol-recipe-page")
    page.set_viewport_size({"width": 390, "height": 844})
    tab.shot("protocol-recipe-page-390")
    page.set_viewport_size({"width": 1366, "height": 900})

    # bad volume: the API's 422 next to the field
    page.get_by_label("Volume of each solution (mL)").fill("0")
    page.get_by_role("button", name="Show recipe").click()
    expect(page.locator('[data-error-for="volume_ml"]')).to_be_visible()
    page.get_by_label("Volume of each solution (mL)").fill("10")
    page.get_by_role("button", name="Show recipe").click()
    expect(page.locator('[data-error-for="volume_ml"]')).to_be_hidden()

    link = page.get_by_role("link", name="Print sheet")
    expect(link).to_have_attribute(
        "href", f"/protocols/{saved['id']}/recipe?volume_ml=10&carrier_strength=10"
    )
    link.click()
    page.wait_for_url(f"**/protocols/{saved['id']}/recipe?volume_ml=10*")
    sheet = page.locator("#recipe")
    expect(sheet.locator("table.recipe-step")).to_have_count(len(recipe["steps"]))
    rows = sum(len(s["recipe"]["ingredients"]) for s in recipe["steps"])
    expect(sheet.locator("table.recipe-step input[type=checkbox]")).to_have_count(rows)
    expect(sheet.locator(".short-step").first).to_contain_text("too short to do by hand")
    expect(page.locator("#recipe-totals")).to_contain_text(f"{DMSO} (neat)")
    for volume in _dmso_ml(recipe):
        assert volume in sheet.inner_text()
    page.emulate_media(media="print")
    expect(page.locator(".site-header")).to_be_hidden()
    expect(page.get_by_role("button", name="Print")).to_be_hidden()
    tab.shot("protocol-recipe-sheet-print")
    page.emulate_media(media="screen")
    page.set_viewport_size({"width": 390, "height": 844})
    tab.shot("protocol-recipe-sheet-390")
    tab.assert_no_js_errors()
