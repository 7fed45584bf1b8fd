"""Structural alerts on the molecule page, in a real browser (issue 16, item 4).

A user registers hydrazine; its page lists the Brenk and NIH alerts with their atoms and
sources and the alert-adjusted score the API reports. The public library's glycerol shows
that no alert matches, and the same score before and after adjustment. The library list
shows each molecule's alerts (count, catalogues) linking to its page, where formamide's
Brenk aldehyde alert is shown as not penalised and its matched atoms are highlighted in
the drawing.
"""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from tests.e2e.conftest import Tab

pytestmark = pytest.mark.e2e


def _signed_up(client: Any) -> dict[str, str]:
    email = f"e2e-alerts-{uuid.uuid4().hex[:8]}@example.org"
    client.post("/api/v1/auth/register", json={"email": email, "password": "long enough pw"})
    token = client.post(
        "/api/v1/auth/login", json={"email": email, "password": "long enough pw"}
    ).json
    return {"Authorization": f"Bearer {token['access_token']}"}


def test_molecule_page_shows_alerts_and_adjusted_score(tab: Tab, app: Any) -> None:
    from playwright.sync_api import expect

    client = app.test_client()
    headers = _signed_up(client)
    created = client.post(
        "/api/v1/molecules", json={"structure": "NN", "name": "hydrazine"}, headers=headers
    )
    assert created.status_code == 201, created.json
    detail = client.get(f"/api/v1/molecules/{created.json['id']}", headers=headers).json
    page = tab.page
    tab.sign_in_with_token(headers["Authorization"].removeprefix("Bearer "))

    tab.goto(f"/molecules/{created.json['id']}")
    table = page.locator("#alerts-table")
    expect(table).to_be_visible(timeout=30_000)
    rows = table.locator("tbody tr")
    expect(rows).to_have_count(detail["alerts"]["count"])
    brenk = rows.filter(has=page.locator("th", has_text="Brenk")).filter(has_text="hydrazine")
    expect(brenk).to_have_count(1)
    expect(brenk.locator("td").nth(1)).to_have_text("0, 1")
    expect(brenk.locator("td").nth(2)).to_have_text("yes")
    expect(brenk.locator("td").nth(3)).to_contain_text("ChemMedChem 3:435-444 (2008)")
    expect(rows.filter(has=page.locator("th", has_text="NIH"))).to_have_count(1)
    expect(page.locator("#alerts-summary")).to_contain_text("catalogues: Brenk, NIH")
    adjusted = page.locator("#alerts-adjusted")
    expect(adjusted).to_contain_text(f"Alert-adjusted score: {detail['alert_adjusted_score']:.3f}")
    expect(adjusted).to_contain_text(f"CPA score {detail['cpa_score']['score']:.3f}")
    expect(adjusted).to_contain_text(f"penalty factor {detail['alerts']['penalty_factor']:.3f}")
    expect(page.locator("#alerts-section .badge.estimated")).to_have_count(1)
    tab.shot("molecule-alerts-hydrazine")

    glycerol = next(
        m
        for m in client.get("/api/v1/molecules?q=Glycerol&per_page=50").json["items"]
        if m["name"] == "Glycerol"
    )
    clean = client.get(f"/api/v1/molecules/{glycerol['id']}").json
    tab.goto(f"/molecules/{glycerol['id']}")
    expect(page.locator("#alerts-summary")).to_contain_text(
        "No alert of the Brenk, NIH or PAINS catalogues matches", timeout=30_000
    )
    expect(page.locator("#alerts-table")).to_have_count(0)
    score = f"{clean['cpa_score']['score']:.3f}"
    expect(page.locator("#alerts-adjusted")).to_contain_text(
        f"Alert-adjusted score: {score} (CPA score {score} × penalty factor 1.000"
    )
    tab.assert_no_js_errors()


def test_library_column_and_highlighted_atoms_of_an_alert(tab: Tab, app: Any) -> None:
    from playwright.sync_api import expect

    client = app.test_client()
    formamide = next(
        m
        for m in client.get("/api/v1/molecules?q=Formamide&per_page=50").json["items"]
        if m["name"] == "Formamide"
    )
    report = formamide["alerts"]
    assert report["count"] == 1 and report["alerts"][0]["penalised"] is False
    page = tab.page

    tab.goto("/molecules?q=Formamide")
    row = page.locator("#results-table tbody tr").filter(
        has=page.locator("a", has_text="Formamide")
    )
    expect(row.first).to_be_visible(timeout=30_000)
    cell = row.first.locator("a.alerts-cell")
    expect(cell).to_have_text("1 (Brenk, not penalised)")
    assert cell.get_attribute("href") == f"/molecules/{formamide['id']}#alerts-section"
    expect(cell).to_have_attribute("title", "Brenk: aldehyde (not penalised)")
    tab.shot("molecules-list-alerts-column")

    cell.click()
    table = page.locator("#alerts-table")
    expect(table).to_be_visible(timeout=30_000)
    alert_row = table.locator("tbody tr")
    expect(alert_row).to_have_count(1)
    expect(alert_row.locator("td").nth(1)).to_have_text(
        ", ".join(str(i) for i in report["alerts"][0]["atoms"])
    )
    expect(alert_row.locator("td").nth(2)).to_contain_text("no — shown only")
    expect(alert_row.locator("td").nth(2)).to_contain_text("amide")
    expect(page.locator("#alerts-adjusted")).to_contain_text("penalty factor 1.000")
    alert_row.locator("button.highlight-alert").click()
    drawing = page.locator("#alert-highlight-drawing")
    expect(drawing).to_be_visible(timeout=30_000)
    assert int(drawing.get_attribute("data-highlighted") or "0") > 0
    assert "alert-highlight" in (drawing.get_attribute("src") or "")
    expect(page.locator("#alert-figure figcaption")).to_contain_text(
        "Atoms matched by Brenk: aldehyde"
    )
    tab.shot("molecule-alert-highlighted")
    tab.assert_no_js_errors()
