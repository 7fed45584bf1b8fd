"""The protocol pages in a real browser: design DMSO 1.4 mol/L loading and unloading for the
shipped rhesus MII oocyte (the cell type with published DMSO permeability) at 22 °C, see the
step table, the volume and concentration charts with the tolerance limits and the designed
cost below one step's; an infeasible request names its binding constraint next to the limit
fields and a bad amount gets the API's message next to it; save and find the protocol in the
list; compare two saved protocols; attach one to an experiment; a phone-sized screen.

Numbers on the pages are checked against the API's own answer to the same request.
Screenshots go to test-artifacts/screenshots/protocols-*.png.
"""

from __future__ import annotations

import re
import uuid
from typing import Any

import pytest

from cryoprotect.web.numbers import format_quantity
from tests.e2e.conftest import Tab

pytestmark = pytest.mark.e2e

CELL = "rhesus_mii_oocyte"
CELL_NAME = "Rhesus monkey MII oocyte"
DMSO = "Dimethyl sulfoxide"
REQUEST = {
    "cell_type": CELL,
    "target": {"components": [{"name": DMSO, "amount": 1.4, "unit": "mol/L"}]},
    "temperature_c": 22.0,
}
UUID_URL = re.compile(r"/protocols/[0-9a-f-]{36}$")


def _number(text: str) -> float:
    """The first number in ``text`` ("190.7 (mol/kg)^1.6·s" → 190.7)."""
    found = re.search(r"-?\d+(?:\.\d+)?(?:e[-+]?\d+)?", text)
    assert found, f"no number in {text!r}"
    return float(found.group())


@pytest.fixture(scope="module")
def scientist(app: Any) -> dict[str, Any]:
    """One signed-in user for the module's journeys."""
    client = app.test_client()
    email = f"proto-e2e-{uuid.uuid4().hex[:10]}@example.org"
    password = "correct horse battery"
    reg = client.post("/api/v1/auth/register", json={"email": email, "password": password})
    assert reg.status_code == 202, reg.json
    login = client.post("/api/v1/auth/login", json={"email": email, "password": password})
    assert login.status_code == 200, login.json
    token = login.json["access_token"]
    user_id = client.get(
        "/api/v1/users/me", headers={"Authorization": f"Bearer {login.json['access_token']}"}
    ).json["id"]
    return {"id": user_id, "token": token, "headers": {"Authorization": f"Bearer {token}"}}


@pytest.fixture(scope="module")
def expected_design(app: Any) -> dict[str, Any]:
    """The API's design for the request the browser makes."""
    res = app.test_client().post("/api/v1/protocols/design", json=REQUEST)
    assert res.status_code == 200, res.json
    return dict(res.json)


@pytest.fixture(scope="module")
def cell_id(app: Any) -> str:
    items = app.test_client().get("/api/v1/cell-types?per_page=100").json["items"]
    return str(next(c["id"] for c in items if c["parameters"].get("key") == CELL))


def _fill_design_form(page: Any, cell: str, amount: str = "1.4") -> None:
    page.locator('select[name="cell_type"]').select_option(cell)
    page.locator('input[name="target.components[0].name"]').fill(DMSO)
    page.locator('input[name="target.components[0].amount"]').fill(amount)
    page.locator('select[name="target.components[0].unit"]').select_option("mol/L")
    page.locator('input[name="temperature_c"]').fill("22")


def _chart_data(page: Any, element_id: str) -> list[dict[str, Any]]:
    data: list[dict[str, Any]] = page.evaluate(
        "(id) => document.getElementById(id).data.map("
        "t => ({name: t.name, x: Array.from(t.x), y: Array.from(t.y)}))",
        element_id,
    )
    return data


def test_design_dmso_for_rhesus_oocytes_then_save_and_list(
    tab: Tab, app: Any, scientist: dict[str, Any], expected_design: dict[str, Any], cell_id: str
) -> None:
    from playwright.sync_api import expect

    page = tab.page
    tab.sign_in_with_token(scientist["token"])
    tab.goto("/protocols/design")
    expect(page.locator("#design-form")).to_be_visible()
    assert page.title() == "Design a loading and unloading protocol · CryoProtect"

    # the unit choices are the API's (OpenAPI enum of a component's unit)
    spec = app.test_client().get("/api/v1/openapi.json").json
    api_units = spec["components"]["schemas"]["ComponentIn"]["properties"]["unit"]["enum"]
    units = page.locator('select[name="target.components[0].unit"] option').all_inner_texts()
    assert units == api_units

    # the shipped cell with published DMSO permeability is the default choice
    assert page.locator('select[name="cell_type"]').input_value() == cell_id
    _fill_design_form(page, cell_id)
    # the cell type's parameters with provenance and sources, estimated ones flagged
    page.locator("#cell-summary").click()
    cell_table = page.locator("#cell-table")
    ps = cell_table.locator("tbody tr", has=page.locator("th", has_text=f"Ps ({DMSO})"))
    expect(ps.locator("td").nth(0)).to_have_text("0.24 µm/s")
    expect(ps.locator("td").nth(1)).to_have_text("fitted")
    expect(ps.locator("td").nth(3)).to_contain_text("Karlsson")
    expect(page.locator("#cell-estimated")).to_contain_text("values are estimated, not measured")
    expect(page.locator("#min-default")).to_have_text(
        "empty = 0.600 × V_iso, the cell type's (estimated)"
    )

    page.get_by_role("button", name="Design protocol").click()
    page.wait_for_function(
        "() => ['chart-volume', 'chart-concentration', 'chart-cost'].every("
        "id => document.getElementById(id)?.classList.contains('js-plotly-plot'))",
        timeout=60_000,
    )
    expect(page.locator("[role=alert]")).to_be_hidden()

    # the toxicity-cost comparison: the API's numbers, designed below one step
    costs = {c["name"]: c for c in expected_design["comparison"]}
    table = page.locator("#comparison-table")
    shown = {}
    for key, name in (
        ("designed", "Designed"),
        ("one_step", "One step"),
        ("equal_steps", "Equal steps"),
    ):
        row = table.locator("tbody tr", has=page.locator("th", has_text=re.compile(f"^{name}$")))
        shown[key] = _number(row.locator("td").nth(0).inner_text())
        assert shown[key] == pytest.approx(costs[key]["toxicity_cost"], rel=1e-3)
        expect(row.locator("td").nth(0)).to_contain_text(costs[key]["toxicity_unit"])
        expect(row.locator("td").nth(3)).to_have_text(
            "yes" if costs[key]["within_limits"] else "no"
        )
    assert shown["designed"] < shown["one_step"]
    expect(table.locator("thead")).to_contain_text("Cell volume range (× V_iso)")
    expect(page.locator("#design-summary")).to_contain_text("lower than one step")

    # the step table: addition and removal, concentrations in mol/kg, durations
    designed = expected_design["protocols"]["designed"]
    steps = page.locator("#steps-table tbody tr")
    expect(steps).to_have_count(len(designed["steps"]))
    headers = page.locator("#steps-table thead th").all_inner_texts()
    assert f"{DMSO} (mol/kg)" in headers and "Duration" in headers and "Temperature (°C)" in headers
    dmso_col = headers.index(f"{DMSO} (mol/kg)")
    phases = [row.locator("th, td").nth(0).inner_text() for row in steps.all()]
    assert {"Addition", "Removal"} <= set(phases)
    last_addition = steps.nth(phases.index("Removal") - 1).locator("th, td")
    target = expected_design["target"][DMSO]
    # the last addition step reaches the target; the table shows that step's value as the
    # precision policy writes a molality (3 s.f., cryoprotect.web.numbers = precision.js)
    last_step = designed["steps"][phases.index("Removal") - 1]
    assert last_step["solutes"][DMSO] == pytest.approx(target, abs=5e-4)
    assert last_addition.nth(dmso_col).inner_text() == format_quantity(
        last_step["solutes"][DMSO], "molality", ""
    )
    page.get_by_label("Show the steps of").select_option("one_step")
    expect(steps).to_have_count(len(expected_design["protocols"]["one_step"]["steps"]))
    page.get_by_label("Show the steps of").select_option("designed")
    expect(steps).to_have_count(len(designed["steps"]))

    # volume vs time with the limits; intracellular DMSO vs time with its target
    limits = expected_design["limits"]
    volume = {t["name"]: t for t in _chart_data(page, "chart-volume")}
    assert {"Designed", "One step", "Equal steps"} <= set(volume)
    lower = volume[f"Lower limit {limits['min_volume_fraction']:.3f} × V_iso"]
    upper = volume[f"Upper limit {limits['max_volume_fraction']:.3f} × V_iso"]
    assert set(lower["y"]) == {limits["min_volume_fraction"]}
    assert set(upper["y"]) == {limits["max_volume_fraction"]}
    assert min(volume["Designed"]["y"]) >= limits["min_volume_fraction"] - 1e-6
    assert max(volume["Designed"]["y"]) <= limits["max_volume_fraction"] + 1e-6
    assert volume["Designed"]["x"][-1] == pytest.approx(designed["chart"]["time_s"][-1] / 60)
    concentration = {t["name"]: t for t in _chart_data(page, "chart-concentration")}
    assert max(concentration["Designed"]["y"]) == pytest.approx(
        max(designed["chart"]["intracellular_molality"][DMSO]), rel=1e-6
    )
    assert f"Target {DMSO} {format_quantity(target, 'molality')}" in concentration
    axis = page.evaluate("document.getElementById('chart-volume').layout.yaxis.title.text")
    assert "V/V_iso" in axis
    expect(page.locator("#design-provenance")).to_contain_text("Benson")
    expect(page.locator("#design-provenance")).to_contain_text("two-parameter membrane transport")
    tab.shot("protocols-design")

    # one protocol can be taken off the charts
    page.get_by_label("One step", exact=True).uncheck()
    assert "One step" not in {t["name"] for t in _chart_data(page, "chart-volume")}

    # save → the protocol's page with the same numbers
    name = f"E2E DMSO 1.4 M {uuid.uuid4().hex[:6]}"
    page.get_by_label("Name", exact=True).fill(name)
    page.get_by_role("button", name="Save protocol").click()
    page.wait_for_url(UUID_URL, timeout=60_000)
    expect(page.locator("#protocol-title")).to_have_text(name)
    page.wait_for_function(
        "() => document.getElementById('chart-volume')?.classList.contains('js-plotly-plot')",
        timeout=30_000,
    )
    expect(page.locator("#protocol-facts")).to_contain_text(CELL_NAME)
    expect(page.locator("#protocol-facts")).to_contain_text(
        f"{DMSO} {format_quantity(target, 'molality')}"
    )
    saved_cost = page.locator("#comparison-table tbody tr").first.locator("td").nth(0).inner_text()
    assert _number(saved_cost) == pytest.approx(costs["designed"]["toxicity_cost"], rel=1e-3)
    protocol_id = page.url.rsplit("/", 1)[1]
    tab.shot("protocols-protocol")

    # … and in the list, with its cost and volume range
    tab.goto("/protocols")
    row = page.locator("#protocols-table tbody tr", has=page.get_by_role("link", name=name))
    expect(row).to_be_visible()
    expect(row.get_by_role("link", name=name)).to_have_attribute(
        "href", f"/protocols/{protocol_id}"
    )
    expect(row).to_contain_text(CELL_NAME)
    expect(row).to_contain_text("22.0 °C")
    cells = row.locator("td")
    assert _number(cells.nth(3).inner_text()) == pytest.approx(
        costs["designed"]["toxicity_cost"], rel=1e-3
    )
    low, high = costs["designed"]["min_volume_fraction"], costs["designed"]["max_volume_fraction"]
    expect(cells.nth(4)).to_have_text(f"{low:.3f} – {high:.3f} × V_iso")
    tab.shot("protocols-list")
    tab.assert_no_js_errors()


def test_infeasible_limits_and_a_bad_amount_are_shown_next_to_their_fields(
    tab: Tab, scientist: dict[str, Any], cell_id: str
) -> None:
    from playwright.sync_api import expect

    page = tab.page
    tab.sign_in_with_token(scientist["token"])
    tab.goto("/protocols/design")
    _fill_design_form(page, cell_id)
    page.get_by_label("Smallest volume (× V_iso)").fill("0.99")
    page.get_by_label("Largest volume (× V_iso)").fill("1.01")
    page.get_by_role("button", name="Design protocol").click()
    slot = page.locator('[data-error-for="osmotic_limits.min_volume_fraction"]')
    expect(slot).to_be_visible(timeout=60_000)
    expect(slot).to_contain_text("Binding constraint")
    expect(slot).to_contain_text("above 0.990 × V_iso")
    expect(page.locator('input[name="osmotic_limits.min_volume_fraction"]')).to_have_attribute(
        "aria-invalid", "true"
    )
    expect(page.locator("[role=alert]")).to_contain_text("No protocol meets these limits")
    expect(page.locator("#results")).to_be_hidden()
    expect(page.locator("#save-section")).to_be_hidden()
    tab.shot("protocols-design-infeasible")

    # a negative amount: the API's validation message next to the amount
    page.get_by_label("Smallest volume (× V_iso)").fill("")
    page.get_by_label("Largest volume (× V_iso)").fill("")
    page.locator('input[name="target.components[0].amount"]').fill("-1")
    page.get_by_role("button", name="Design protocol").click()
    amount = page.locator('[data-error-for="target.components[0].amount"]')
    expect(amount).to_contain_text("greater than or equal to 0")
    expect(slot).to_be_hidden()
    # a CPA the cell has no permeability for: named next to the components
    page.locator('input[name="target.components[0].amount"]').fill("1")
    page.locator('input[name="target.components[0].name"]').fill("Glycerol")
    page.get_by_role("button", name="Design protocol").click()
    expect(page.locator('[data-error-for="target.components"]')).to_contain_text(
        "no recorded permeability to 'Glycerol'"
    )
    tab.assert_no_js_errors()


def _save_via_api(app: Any, user: dict[str, Any], name: str, max_steps: int) -> dict[str, Any]:
    res = app.test_client().post(
        "/api/v1/protocols",
        json={"name": name, "design_request": {**REQUEST, "max_steps": max_steps}},
        headers=user["headers"],
    )
    assert res.status_code == 201, res.json
    return dict(res.json)


def test_compare_saved_protocols_and_attach_one_to_an_experiment(
    tab: Tab, app: Any, scientist: dict[str, Any]
) -> None:
    from playwright.sync_api import expect

    page = tab.page
    tag = uuid.uuid4().hex[:6]
    two = _save_via_api(app, scientist, f"Cmp {tag} two steps", 2)
    three = _save_via_api(app, scientist, f"Cmp {tag} three steps", 3)
    experiment = app.test_client().post(
        "/api/v1/experiments",
        json={"title": f"Oocyte vitrification {tag}"},
        headers=scientist["headers"],
    )
    assert experiment.status_code == 201, experiment.json
    tab.sign_in_with_token(scientist["token"])

    tab.goto(f"/protocols?q=Cmp {tag}")
    expect(page.locator("#protocols-table tbody tr")).to_have_count(2)
    page.get_by_label(f"Compare {two['name']}").check()
    expect(page.locator("#compare-count")).to_have_text("1 selected: tick at least one more.")
    page.get_by_label(f"Compare {three['name']}").check()
    page.get_by_role("button", name="Compare selected").click()
    compare = page.locator("#comparison-table")
    expect(compare.locator("thead")).to_contain_text(two["name"])
    expect(compare.locator("thead")).to_contain_text(three["name"])
    page.wait_for_function(
        "() => document.getElementById('chart-compare')?.classList.contains('js-plotly-plot')"
    )
    headers = compare.locator("thead th").all_inner_texts()
    cost_row = compare.locator(
        "tbody tr", has=page.locator("th", has_text=re.compile("^Toxicity cost$"))
    )
    for saved in (two, three):
        cell = cost_row.locator("td").nth(headers.index(saved["name"]) - 1)
        assert _number(cell.inner_text()) == pytest.approx(saved["toxicity_cost"], rel=1e-3)
    relative = compare.locator(
        "tbody tr", has=page.locator("th", has_text="Cost relative to the lowest")
    ).inner_text()
    assert "1.00 ×" in relative
    assert "compare=" in page.url
    tab.shot("protocols-compare")

    # attach the three-step protocol to the experiment
    tab.goto(f"/protocols/{three['id']}")
    expect(page.locator("#linked-empty")).to_be_visible()
    expect(
        page.get_by_role("link", name="Record a new experiment with this protocol")
    ).to_have_attribute("href", f"/experiments/new?protocol_id={three['id']}")
    page.get_by_label("Attach to one of your experiments").select_option(
        label=f"Oocyte vitrification {tag}"
    )
    page.get_by_role("button", name="Attach").click()
    expect(page.locator("#flash")).to_contain_text(f"Attached to Oocyte vitrification {tag}")
    expect(page.locator("#linked-experiments")).to_contain_text(f"Oocyte vitrification {tag}")
    stored = (
        app.test_client()
        .get(f"/api/v1/experiments/{experiment.json['id']}", headers=scientist["headers"])
        .json
    )
    assert stored["protocol_id"] == three["id"]
    assert stored["protocol_name"] == three["name"]
    tab.shot("protocols-protocol-attached")

    # "Design a variant" starts the design form from the saved request
    page.get_by_role("link", name="Design a variant").click()
    page.wait_for_url(re.compile(r"/protocols/design\?from="))
    expect(page.locator("#design-page h1")).to_have_text(f"Design a variant of “{three['name']}”")
    expect(page.locator('input[name="max_steps"]')).to_have_value("3")
    expect(page.locator('input[name="target.components[0].amount"]')).to_have_value("1.4")
    expect(page.locator('input[name="target.components[0].name"]')).to_have_value(DMSO)

    # a phone-sized screen: no sideways scrolling, the charts still drawn
    page.set_viewport_size({"width": 390, "height": 844})
    tab.goto(f"/protocols/{three['id']}")
    page.wait_for_function(
        "() => document.getElementById('chart-concentration')?.classList.contains('js-plotly-plot')"
    )
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"the protocol page scrolls sideways on a phone ({width}px)"
    tab.shot("protocols-protocol-narrow")
    tab.assert_no_js_errors()


def test_empty_list_and_unknown_protocol(tab: Tab, scientist: dict[str, Any]) -> None:
    from playwright.sync_api import expect

    page = tab.page
    tab.sign_in_with_token(scientist["token"])
    tab.goto(f"/protocols?q=no-such-protocol-{uuid.uuid4().hex[:8]}")
    expect(page.locator("#empty")).to_be_visible()
    expect(page.locator("#empty-text")).to_have_text("No saved protocol matches these filters.")
    expect(page.get_by_role("link", name="Design your first protocol")).to_be_visible()
    expect(page.locator("#protocols-table")).to_be_hidden()
    tab.shot("protocols-list-empty")

    tab.goto(f"/protocols/{uuid.uuid4()}")
    alert = page.locator("#error")  # the page's alert (the share block has its own)
    expect(alert).to_be_visible()
    expect(alert).to_contain_text(re.compile("not found", re.IGNORECASE))
    tab.assert_no_js_errors()
