"""The compare pages in a real browser (issue 18, "Comparisons").

Protocols: two saved designs (DMSO 1.4 mol/L for the rhesus MII oocyte at 22 °C, at most 2 and
3 steps per phase) on /protocols/compare: the conditions table names both, both designed
curves are drawn on the volume and the concentration chart (one Plotly trace per protocol,
the limits as a band), and each protocol has its step table.

Mixtures: glycerol 20 % w/w and 18 % w/w in water, both at a concentration the CRC Handbook
tabulates, on /mixtures/compare: the measured melting point sits beside the model's, with
the difference the API computed.

Screenshots at 1366×900 and 390×844: test-artifacts/screenshots/compare-protocols-*.png and
compare-mixtures-*.png.
"""

from __future__ import annotations

import uuid
from types import SimpleNamespace
from typing import Any

import pytest

from tests.e2e.conftest import Tab
from tests.integration.test_compare_api import _mixture, _protocol

pytestmark = pytest.mark.e2e

SIZES = ((1366, 900), (390, 844))


@pytest.fixture(scope="module")
def scientist(app: Any) -> dict[str, Any]:
    """A signed-up scientist with two saved protocols and two glycerol mixtures."""
    client = app.test_client()
    email, password = f"compare-{uuid.uuid4().hex[:10]}@example.org", "correct horse battery"
    registered = client.post("/api/v1/auth/register", json={"email": email, "password": password})
    assert registered.status_code == 202
    token = client.post("/api/v1/auth/login", json={"email": email, "password": password}).json[
        "access_token"
    ]
    user = SimpleNamespace(headers={"Authorization": f"Bearer {token}"})
    suffix = uuid.uuid4().hex[:4]
    protocols = [_protocol(client, user, f"DMSO {n} steps {suffix}", n) for n in (2, 3)]
    mixtures = [_mixture(client, user, f"Glycerol {w} % w/w {suffix}", w) for w in (20.0, 18.0)]
    compared = client.post(
        "/api/v1/mixtures/compare", json={"ids": [m["id"] for m in mixtures]}, headers=user.headers
    )
    assert compared.status_code == 200, compared.json
    return {"token": token, "protocols": protocols, "mixtures": mixtures, "compared": compared.json}


def _open(tab: Tab, scientist: dict[str, Any], page_path: str, ids: list[str]) -> Any:
    """Sign in, open ``page_path?ids=…`` at 1366×900 and return the page."""
    tab.sign_in_with_token(scientist["token"])
    tab.page.set_viewport_size({"width": 1366, "height": 900})
    tab.goto(f"{page_path}?ids={','.join(ids)}")
    return tab.page


def _shots(tab: Tab, name: str) -> None:
    for width, height in SIZES:
        tab.page.set_viewport_size({"width": width, "height": height})
        tab.page.wait_for_timeout(300)  # Plotly's responsive relayout
        tab.shot(f"{name}-{width}x{height}")
    tab.assert_no_js_errors()


def _plotly_traces(tab: Tab, element_id: str) -> list[dict[str, Any]]:
    return tab.page.evaluate(
        "(id) => (document.getElementById(id).data || []).map((t) => ({name: t.name, n: (t.y || []).length}))",
        element_id,
    )


def test_protocol_compare_page(tab: Tab, scientist: dict[str, Any]) -> None:
    from playwright.sync_api import expect

    first, second = scientist["protocols"]
    page = _open(tab, scientist, "/protocols/compare", [first["id"], second["id"]])

    table = page.locator("#conditions-table")
    expect(table).to_be_visible()
    header = table.locator("thead")
    expect(header).to_contain_text(first["name"])
    expect(header).to_contain_text(second["name"])
    cell_row = table.locator("tbody tr", has_text="Cell type")
    expect(cell_row).to_contain_text("Rhesus monkey MII oocyte")
    limits = table.locator("tbody tr", has_text="Osmotic tolerance limits")
    expect(limits.locator("td").first).to_have_text("0.600 – 1.400 × V_iso")
    steps_row = table.locator("tbody tr", has_text="Number of steps").locator("td")
    for i, p in enumerate((first, second)):
        expect(steps_row.nth(i)).to_contain_text(f"{len(p['steps'])} (")

    page.wait_for_function(
        "() => (document.getElementById('chart-volume').data || []).length >= 2"
        " && (document.getElementById('chart-concentration').data || []).length >= 2"
    )
    for chart in ("chart-volume", "chart-concentration"):
        traces = _plotly_traces(tab, chart)
        assert [t["name"] for t in traces] == [first["name"], second["name"]]
        expected = [
            len(p["design"]["protocols"]["designed"]["chart"]["time_s"]) for p in (first, second)
        ]
        assert [t["n"] for t in traces] == expected
    bands = page.evaluate(
        "() => document.getElementById('chart-volume').layout.shapes.filter((s) => s.type === 'rect')"
        ".map((s) => [s.y0, s.y1])"
    )
    assert bands == [[0.6, 1.4]]  # both share the cell type's limits: one band
    expect(page.locator("#step-tables table")).to_have_count(2)
    expect(page.locator("#steps-0 tbody tr")).to_have_count(len(first["steps"]))
    _shots(tab, "compare-protocols")


def test_mixture_compare_page_measured_beside_model(tab: Tab, scientist: dict[str, Any]) -> None:
    from playwright.sync_api import expect

    mixtures = scientist["mixtures"]
    page = _open(tab, scientist, "/mixtures/compare", [m["id"] for m in mixtures])

    table = page.locator("#measured-table")
    expect(table).to_be_visible()
    rows = table.locator("tbody tr")
    expect(rows).to_have_count(2)
    for i, (mixture, props) in enumerate(zip(mixtures, scientist["compared"], strict=True)):
        entry = next(e for e in props["measured_vs_model"] if e["property"] == "melting_point")
        measured = f"{entry['measured']['value']:g} °C"  # tabulated: the published digits
        row = rows.nth(i)
        expect(row.locator("th")).to_contain_text(mixture["name"])
        expect(row.locator("td.measured")).to_contain_text(measured)
        expect(row.locator("td.measured")).to_contain_text("CRC Handbook")
        model = entry["model"]["value"]
        assert model is not None, entry  # glycerol ≤ 20 % w/w is inside the fitted range
        expect(row.locator("td.model")).to_contain_text(f"{model:.1f} °C")
        diff = entry["difference"]
        sign = "+" if diff > 0 else ""
        expect(row.locator("td.difference")).to_contain_text(f"{sign}{diff:.1f} °C")
        verdict = "disagrees" if entry["disagrees"] else "agrees within"
        expect(row.locator("td.verdict")).to_contain_text(verdict)
        assert ("disagrees" in (row.get_attribute("class") or "")) is bool(entry["disagrees"])
    _shots(tab, "compare-mixtures")
