"""Material forms on the molecule page and in the mixture builder (issue 18, "Hydrates
and salts"), in a real browser.

A user registers trehalose dihydrate: the page shows trehalose (the parent) and lists the
dihydrate form, C12H26O13 with subscripts, 378.33 g/mol (C12H22O11·2H2O; The Merck Index
monograph "Trehalose", CAS 6138-23-4). The user adds the trihydrate through "Add form"
(C12H28O14, 396.34 g/mol = 342.297 + 3 × 18.015), then picks the dihydrate for the
component in the mixture builder, whose live composition note says how it was converted.
Screenshots at 1366×900 and 390×844.
"""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from tests.e2e.conftest import Tab

pytestmark = pytest.mark.e2e

TREHALOSE_DIHYDRATE = (
    "OC[C@H]1O[C@H](O[C@H]2O[C@H](CO)[C@@H](O)[C@H](O)[C@H]2O)[C@H](O)[C@@H](O)[C@@H]1O.O.O"
)


def test_molecule_page_lists_the_dihydrate_and_the_builder_offers_it(tab: Tab, app: Any) -> None:
    from playwright.sync_api import expect

    client = app.test_client()
    email = f"e2e-forms-{uuid.uuid4().hex[:8]}@example.org"
    client.post("/api/v1/auth/register", json={"email": email, "password": "long enough pw"})
    token = client.post(
        "/api/v1/auth/login", json={"email": email, "password": "long enough pw"}
    ).json["access_token"]
    created = client.post(
        "/api/v1/molecules",
        json={"structure": TREHALOSE_DIHYDRATE, "name": "Trehalose (lab stock)"},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert created.status_code == 201, created.json
    molecule_id = created.json["id"]
    page = tab.page
    page.set_viewport_size({"width": 1366, "height": 900})
    tab.sign_in_with_token(token)

    tab.goto(f"/molecules/{molecule_id}")
    table = page.locator("#forms-table")
    expect(table).to_be_visible(timeout=30_000)
    dihydrate = table.locator("tbody tr").filter(has=page.locator("th", has_text="dihydrate"))
    expect(dihydrate).to_have_count(1)
    expect(dihydrate.locator("td").nth(0)).to_have_text("hydrate")
    expect(dihydrate.locator("td").nth(1)).to_have_text("C12H26O13")
    expect(dihydrate.locator("td").nth(1).locator("sub")).to_have_count(3)
    expect(dihydrate.locator("td").nth(2)).to_have_text("378.33")
    expect(dihydrate.locator("td").nth(3)).to_have_text("O × 2")
    expect(page.locator("#forms-table caption")).to_contain_text(
        "RDKit average molecular weight from the formula"
    )
    expect(page.locator("#identifiers")).to_contain_text("C12H22O11")  # the parent
    tab.shot("material_forms_molecule_1366x900")

    page.locator("#add-form summary").click()
    form = page.locator("#form-form")
    form.locator("input[name=smiles]").fill("O")
    form.locator("input[name=count]").fill("3")
    form.locator("button[type=submit]").click()
    expect(page.locator("#form-status")).to_contain_text(
        "Added trihydrate: C12H28O14, 396.34 g/mol"
    )
    expect(table.locator("tbody tr")).to_have_count(2)

    page.set_viewport_size({"width": 390, "height": 844})
    tab.goto(f"/molecules/{molecule_id}")
    expect(table.locator("tbody tr")).to_have_count(2, timeout=30_000)
    tab.shot("material_forms_molecule_390x844")
    page.set_viewport_size({"width": 1366, "height": 900})

    # The mixture builder: choose the molecule, then the dihydrate it was weighed as.
    tab.goto(f"/mixtures/new?molecule_id={molecule_id}")
    weighed = page.locator("select[name='components[0].material_form_id']")
    expect(weighed).to_be_visible(timeout=30_000)
    expect(weighed.locator("option")).to_have_count(3)
    weighed.select_option(label="dihydrate (C12H26O13, 378.33 g/mol)")
    page.locator("input[name='components[0].amount']").fill("10")
    page.locator("select[name='components[0].unit']").select_option("% w/w")
    expect(page.locator("#live-density")).to_contain_text(
        "weighed as dihydrate (C12H26O13, 378.33 g/mol", timeout=30_000
    )
    tab.shot("material_forms_builder_1366x900")
    page.set_viewport_size({"width": 390, "height": 844})
    tab.shot("material_forms_builder_390x844")
    tab.assert_no_js_errors()
