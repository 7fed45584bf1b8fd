"""The mixture pages in a real browser: list with reference solutions, search, paging and
picking for comparison; the builder with live properties, unit conversion, an API error
next to its field and saving; the detail page (properties with method and provenance,
measured values, phase diagram, versions, edit, clone, delete); the comparison; and a
second user who must not see the first user's private mixture.

Numbers shown on the pages are checked against the API's own answers for the same input.
Screenshots go to test-artifacts/screenshots/mixtures-*.png.
"""

from __future__ import annotations

import re
import uuid
from typing import Any

import pytest

from cryoprotect.web.numbers import format_in_unit, format_quantity
from tests.conftest import train_model_via_api
from tests.e2e.conftest import Tab, _expected_console_noise

pytestmark = pytest.mark.e2e

UUID_URL = re.compile(r"/mixtures/[0-9a-f-]{36}$")


def _number(text: str) -> float:
    """The first number in ``text`` ("-36.37 °C (236.78 K)" → -36.37)."""
    found = re.search(r"-?\d+(?:\.\d+)?(?:e[-+]?\d+)?", text)
    assert found, f"no number in {text!r}"
    return float(found.group())


def _register(app: Any, prefix: str) -> dict[str, Any]:
    client = app.test_client()
    email = f"{prefix}-{uuid.uuid4().hex[:10]}@example.org"
    password = "correct horse battery"
    reg = client.post("/api/v1/auth/register", json={"email": email, "password": password})
    assert reg.status_code == 202, reg.json
    login = client.post("/api/v1/auth/login", json={"email": email, "password": password})
    assert login.status_code == 200, login.json
    token = login.json["access_token"]
    return {
        "id": client.get(
            "/api/v1/users/me", headers={"Authorization": f"Bearer {login.json['access_token']}"}
        ).json["id"],
        "email": email,
        "token": token,
        "headers": {"Authorization": f"Bearer {token}"},
    }


@pytest.fixture(scope="module")
def scientist(app: Any) -> dict[str, Any]:
    """One signed-in user for the module's journeys."""
    return _register(app, "mix-e2e")


@pytest.fixture(scope="module")
def outsider(app: Any) -> dict[str, Any]:
    return _register(app, "mix-e2e-other")


@pytest.fixture(scope="module")
def glycerol_mixture(app: Any, scientist: dict[str, Any]) -> dict[str, Any]:
    """A private mixture of the scientist: 20 % w/w glycerol in water."""
    res = app.test_client().post(
        "/api/v1/mixtures",
        json={
            "name": f"E2E glycerol {uuid.uuid4().hex[:6]}",
            "components": [{"name": "Glycerol", "amount": 20, "unit": "% w/w", "role": "cpa"}],
        },
        headers=scientist["headers"],
    )
    assert res.status_code == 201, res.json
    return dict(res.json)


def _reference_id(app: Any, name: str) -> str:
    items = app.test_client().get(f"/api/v1/mixtures?q={name}").json["items"]
    return str(next(m["id"] for m in items if m["name"] == name))


def _solution(app: Any, components: list[dict[str, Any]]) -> dict[str, Any]:
    res = app.test_client().post("/api/v1/solutions/properties", json={"components": components})
    assert res.status_code == 200, res.json
    return dict(res.json)


def test_list_reference_solutions_search_paging_and_compare(
    tab: Tab, app: Any, scientist: dict[str, Any], glycerol_mixture: dict[str, Any]
) -> None:
    from playwright.sync_api import expect

    page = tab.page
    tab.sign_in_with_token(scientist["token"])
    total = app.test_client().get("/api/v1/mixtures", headers=scientist["headers"]).json["total"]
    tab.goto("/mixtures")
    table = page.locator("#mixtures-table")
    expect(table.locator("tbody tr").first).to_be_visible()
    expect(page.locator("#mixtures-caption")).to_have_text(f"Mixtures 1–{total} of {total}")
    dp6 = table.locator("tbody tr", has=page.get_by_role("link", name="DP6", exact=True))
    expect(dp6.locator(".badge.reference")).to_have_text("reference")
    expect(dp6).to_contain_text("Dimethyl sulfoxide 3 mol/L + Propylene glycol 3 mol/L")
    expect(dp6).to_contain_text("Euro-Collins")
    own = table.locator("tbody tr", has=page.get_by_role("link", name=glycerol_mixture["name"]))
    expect(own).to_contain_text("Glycerol 20 % w/w")
    expect(own).to_contain_text("private")
    expect(own.locator(".badge.reference")).to_have_count(0)
    tab.shot("mixtures-list")

    # search
    page.get_by_label("Search by name").fill("VS55")
    page.get_by_role("button", name="Search").click()
    expect(table.locator("tbody tr")).to_have_count(1)
    expect(table.locator("tbody tr")).to_contain_text("Formamide 3.1 mol/L")
    assert page.url.endswith("/mixtures?q=VS55")
    page.get_by_label("Search by name").fill("no such mixture zzz")
    page.get_by_role("button", name="Search").click()
    expect(page.locator("#empty")).to_contain_text("No mixture you can see matches")
    expect(table).to_be_hidden()

    # paging (two per page)
    tab.goto("/mixtures?per_page=2")
    pages = -(-total // 2)
    expect(page.locator("#page-info")).to_have_text(f"Page 1 of {pages} ({total} mixtures)")
    first_page = table.locator("tbody th a").all_inner_texts()
    page.get_by_role("button", name="Next page").click()
    expect(page.locator("#page-info")).to_have_text(f"Page 2 of {pages} ({total} mixtures)")
    assert table.locator("tbody th a").all_inner_texts() != first_page

    # pick DP6 and VS55 (on whatever page they are) and compare them
    tab.goto("/mixtures?q=DP6")
    page.get_by_label("Compare DP6", exact=True).check()
    tab.goto("/mixtures?q=VS55")
    page.get_by_label("Compare VS55", exact=True).check()
    expect(page.locator("#compare-selected")).to_have_text("DP6, VS55")
    page.get_by_role("link", name="Compare 2 selected").click()
    page.wait_for_url(re.compile(r"/mixtures/compare\?ids="))
    compare = page.locator("#compare-table")
    expect(compare.locator("thead")).to_contain_text("DP6 v1")
    expect(compare.locator("thead")).to_contain_text("VS55 v1")
    page.wait_for_function("() => document.querySelector('#chart-compare.js-plotly-plot') !== null")

    ids = [_reference_id(app, "DP6"), _reference_id(app, "VS55")]
    expected = app.test_client().post("/api/v1/mixtures/compare", json={"ids": ids}).json
    mp_row = compare.locator(
        "tbody tr", has=page.locator("th", has_text=re.compile("^Melting point$"))
    )
    cells = mp_row.locator("td")
    # Both contain DMSO, whose coefficients are quoted and unchecked (no recorded range): the
    # API gives no melting point, and the table says why instead of a number.
    assert expected[0]["melting_point"]["value_c"] is None
    assert expected[1]["melting_point"]["value_c"] is None
    expect(cells.nth(0)).to_contain_text("unknown")
    expect(cells.nth(1)).to_contain_text("unknown")
    why = compare.locator(
        "tbody tr", has=page.locator("th", has_text="Melting point: why unknown")
    ).locator("td")
    for i in (0, 1):
        expect(why.nth(i)).to_contain_text(
            "no valid concentration range is recorded for the coefficients of Dimethyl sulfoxide"
        )
    formamide = compare.locator("tbody tr", has=page.locator("th", has_text="Formamide (mol/L)"))
    expect(formamide.locator("td").nth(0)).to_have_text("absent")
    expect(formamide.locator("td").nth(1)).to_contain_text("3.10 mol/L")
    cooling = compare.locator("tbody tr", has=page.locator("th", has_text="Critical cooling rate"))
    expect(cooling.locator("td").nth(0)).to_have_text("40 °C/min")
    expect(cooling.locator("td").nth(1)).to_contain_text("2.5 °C/min")
    page.get_by_label("Only rows that differ").check()
    expect(compare.locator("tbody th", has_text="Carrier")).to_have_count(0)
    tab.shot("mixtures-compare")
    tab.assert_no_js_errors()


def test_builder_live_properties_conversion_error_and_save(
    tab: Tab, app: Any, scientist: dict[str, Any]
) -> None:
    from playwright.sync_api import expect

    page = tab.page
    tab.sign_in_with_token(scientist["token"])
    tab.goto("/mixtures/new")
    name = f"Builder glycerol {uuid.uuid4().hex[:6]}"
    page.get_by_label("Name").fill(name)

    # pick glycerol by typing part of its name
    page.locator('input[name="components[0].molecule"]').fill("glycer")
    page.locator(".suggestions button", has_text=re.compile(r"^Glycerol · ")).click()
    expect(page.locator(".component-row .picked").first).to_contain_text("Glycerol · 92.09 g/mol")
    page.locator('select[name="components[0].unit"]').select_option("% w/w")
    page.locator('input[name="components[0].amount"]').fill("10")

    expected = _solution(app, [{"name": "Glycerol", "amount": 10, "unit": "% w/w"}])
    mp = page.locator('#live-cards [data-property="melting_point"] .number')
    expect(mp).to_have_text(format_quantity(expected["melting_point"]["value_c"], "temperature"))
    osm = page.locator('#live-cards [data-property="osmolality"]')
    expect(osm.locator(".number")).to_have_text(
        format_in_unit(expected["osmolality"]["value"], "osmol/kg")
    )
    expect(osm.locator(".badge.provenance")).to_have_text(expected["osmolality"]["provenance"])
    expect(osm.locator(".method")).to_contain_text("osmotic virial")
    # the glass card shows the glass that forms (10 % w/w glycerol: ice first, so Tg′)
    tg = page.locator('#live-cards [data-property="glass_transition"] .number')
    assert expected["glass"]["applies"] == "freeze_concentrated"
    expect(tg).to_have_text(f"{expected['glass']['value_c']:.1f} °C")
    # live conversion: the same solution in mol/kg, as the API computes it
    headers = page.locator("#live-composition thead th").all_inner_texts()
    col = headers.index("mol/kg")
    molal = page.locator("#live-composition tbody tr").first.locator("th, td").nth(col)
    molality = expected["composition"]["amounts"]["mol/kg"][0]
    # exactly as the precision policy writes a molality (3 s.f.; the unit heads the column)
    assert molal.inner_text() == format_in_unit(molality, "mol/kg", "")
    tab.shot("mixtures-builder")

    # changing the unit converts the amount; the solution (and its melting point) stay the same
    page.locator('select[name="components[0].unit"]').select_option("mol/kg")
    amount = page.locator('input[name="components[0].amount"]')
    expect(amount).not_to_have_value("10")
    assert float(amount.input_value()) == pytest.approx(molality, rel=1e-5)
    expect(page.locator("#live-status")).to_contain_text("Up to date")
    expect(mp).to_have_text(format_quantity(expected["melting_point"]["value_c"], "temperature"))
    page.locator('select[name="components[0].unit"]').select_option("% w/w")
    expect(amount).to_have_value("10")

    # an impossible composition: the API's message appears next to the amount at fault
    page.get_by_role("button", name="Add a component").click()
    page.locator('input[name="components[1].molecule"]').fill("DMSO")
    expect(page.locator(".component-row .picked").nth(1)).to_contain_text("Dimethyl sulfoxide")
    page.locator('select[name="components[1].unit"]').select_option("% w/w")
    page.locator('input[name="components[1].amount"]').fill("95")
    bad = page.locator('[data-error-for="components[1].amount"]')
    expect(bad).to_be_visible()
    expect(bad).to_contain_text("add up to 105 % w/w")
    expect(page.locator('input[name="components[1].amount"]')).to_have_attribute(
        "aria-invalid", "true"
    )
    page.get_by_role("button", name="Save mixture").click()
    # the save is refused for the same reason, again next to the field
    expect(page.locator("#error")).to_contain_text("add up to 105")
    expect(bad).to_contain_text(re.compile(r"% w/w amounts add up to 105"))
    tab.shot("mixtures-builder-error")

    page.locator('input[name="components[1].amount"]').fill("5")
    expect(bad).to_be_hidden()
    both = _solution(
        app,
        [
            {"name": "Glycerol", "amount": 10, "unit": "% w/w"},
            {"name": "Dimethyl sulfoxide", "amount": 5, "unit": "% w/w"},
        ],
    )
    # DMSO's coefficients are quoted and unchecked (no recorded range): no number, but why
    assert both["melting_point"]["value_c"] is None
    expect(mp).to_have_text("unknown")
    expect(page.locator('#live-cards [data-property="melting_point"] .flags')).to_contain_text(
        "unknown, because no valid concentration range is recorded for the coefficients of "
        "Dimethyl sulfoxide"
    )
    page.get_by_label("Carrier solution").fill("isotonic saline")
    with_saline = (
        app.test_client()
        .post(
            "/api/v1/solutions/properties",
            json={
                "components": [
                    {"name": "Glycerol", "amount": 10, "unit": "% w/w"},
                    {"name": "Dimethyl sulfoxide", "amount": 5, "unit": "% w/w"},
                ],
                "carrier": "isotonic saline",
            },
        )
        .json
    )
    assert with_saline["melting_point"]["value_c"] is None
    expect(mp).to_have_text("unknown")
    expect(page.locator("#live-composition tbody")).to_contain_text("Sodium chloride")
    page.get_by_role("button", name="Save mixture").click()
    page.wait_for_url(UUID_URL)
    expect(page.locator("#mixture-title")).to_have_text(name)
    expect(page.locator("#summary")).to_contain_text("isotonic saline")
    expect(page.locator('#property-cards [data-property="melting_point"] .number')).to_have_text(
        "unknown"
    )
    tab.assert_no_js_errors()


def test_detail_page_properties_diagram_edit_clone_delete(
    tab: Tab, app: Any, scientist: dict[str, Any], glycerol_mixture: dict[str, Any]
) -> None:
    from playwright.sync_api import expect

    page = tab.page
    client = app.test_client()
    mixture_id = glycerol_mixture["id"]
    props = client.get(
        f"/api/v1/mixtures/{mixture_id}/properties", headers=scientist["headers"]
    ).json
    tab.sign_in_with_token(scientist["token"])
    tab.goto(f"/mixtures/{mixture_id}")
    expect(page.locator("#mixture-title")).to_have_text(glycerol_mixture["name"])
    assert page.title() == f"{glycerol_mixture['name']} v1 · CryoProtect"
    cards = page.locator("#property-cards")
    expect(cards.locator('[data-property="osmolality"] .number')).to_have_text(
        format_in_unit(props["osmolality"]["value"], "osmol/kg")
    )
    mp = cards.locator('[data-property="melting_point"]')
    expect(mp.locator(".number")).to_have_text(
        format_quantity(props["melting_point"]["value_c"], "temperature")
    )
    expect(mp.locator(".secondary")).to_have_text(
        f"({format_quantity(props['melting_point']['value_k'], 'temperature_k')})"
    )
    expect(mp.locator(".badge.provenance")).to_have_text(props["melting_point"]["provenance"])
    expect(mp.locator(".method")).to_contain_text("ΔH_fus")
    tg = cards.locator('[data-property="glass_transition"]')
    # 20 % w/w is below the ice-free range: the headline is the glass that forms (Tg′ of the
    # freeze-concentrated phase, published spread), the homogeneous Tg only a side note
    assert props["glass_transition"]["homogeneous"] is False
    assert props["glass"]["applies"] == "freeze_concentrated"
    expect(tg.locator(".number")).to_have_text(f"{props['glass']['value_c']:.1f} °C")
    expect(tg).to_contain_text("Tg′, freeze-concentrated")
    expect(tg).to_contain_text("published 164 K–170 K")
    expect(tg.locator(".method")).to_contain_text("published Tg′")
    expect(tg.locator(".flags")).to_contain_text("ice forms first")
    expect(tg.locator(".flags")).to_contain_text(
        f"not observed here: ice forms first): {props['glass_transition']['value_c']:.1f} °C"
    )
    expect(page.locator("#freeze-concentrated")).to_contain_text("Tg′ = -109.1 °C (164 K)")
    expect(page.locator("#measured-empty")).to_be_visible()
    glycerol_row = page.locator("#composition-table tbody tr").first
    expect(glycerol_row.locator("th")).to_have_text("Glycerol")
    expect(page.locator("#density")).to_contain_text("g/mL")

    # phase diagram: model curves plus the published Tg′ and pure-glycerol Tg
    page.wait_for_function("() => document.querySelector('#chart-phase.js-plotly-plot') !== null")
    traces = page.evaluate("() => document.getElementById('chart-phase').data.map((t) => t.name)")
    assert "Melting point (model, fitted range)" in traces
    assert "Tg if no ice formed (not observed: ice forms first)" in traces
    assert "Tg′, maximally freeze-concentrated (measured)" in traces
    assert "This mixture: 20.0 % w/w Glycerol" in traces
    expect(page.locator("#phase-methods")).to_contain_text("at 76 % w/w: -109.1 °C")
    page.get_by_label("Up to (% w/w)").fill("50")
    page.get_by_role("button", name="Draw").click()
    page.wait_for_function(
        "() => Math.max(...document.getElementById('chart-phase').data[0].x) === 50"
    )

    expect(page.get_by_role("link", name="Record an experiment with it")).to_have_attribute(
        "href", f"/experiments/new?mixture_id={mixture_id}"
    )
    expect(page.locator("#versions-table tbody tr")).to_have_count(1)
    expect(page.locator("#versions-table tbody tr")).to_contain_text("v1 (current)")
    expect(page.locator("#experiments-empty")).to_be_visible()
    tab.shot("mixtures-detail")

    # edit: a new version
    page.get_by_role("link", name="Edit (new version)").click()
    page.wait_for_url(re.compile(rf"/mixtures/new\?from={mixture_id}$"))
    expect(page.locator('input[name="components[0].molecule"]')).to_have_value("Glycerol")
    amount = page.locator('input[name="components[0].amount"]')
    expect(amount).to_have_value("20")
    # 70 % w/w glycerol: glycerol, not ice, crystallises (published liquidus −37.8 °C); the
    # API gives no melting point and the page says why instead of showing a number.
    amount.fill("70")
    expected = _solution(app, [{"name": "Glycerol", "amount": 70, "unit": "% w/w"}])
    assert expected["melting_point"]["value_c"] is None
    live_mp = page.locator('#live-cards [data-property="melting_point"]')
    expect(live_mp.locator(".number")).to_have_text("unknown")
    expect(live_mp.locator(".flags .flag.warn")).to_contain_text(
        "unknown, because Glycerol crystallises"
    )
    expect(live_mp.locator(".flags")).to_contain_text(
        "still holds: The solution is liquid above -37.8 °C"
    )
    expect(live_mp.locator(".secondary")).to_have_count(0)
    tab.shot("mixtures-edit")
    page.get_by_role("button", name="Save as version 2").click()
    page.wait_for_url(re.compile(rf"/mixtures/{mixture_id}$"))
    expect(page.locator("#versions-table tbody tr")).to_have_count(2)
    expect(page.locator("#versions-table tbody tr").first).to_contain_text("Glycerol 70 % w/w")
    expect(page.locator("#summary")).to_contain_text("v2")
    expect(page.locator('#property-cards [data-property="melting_point"] .number')).to_have_text(
        "unknown"
    )
    expect(page.locator("#params-table tbody")).to_contain_text("no: outside the fitted range")
    # the phase diagram (to 80 % w/w) lists where, and why, the melting point is not given
    expect(page.locator("#phase-unknown")).to_contain_text("unknown, because Glycerol crystallises")
    traces = page.evaluate("() => document.getElementById('chart-phase').data.map((t) => t.name)")
    assert "Melting point unknown: it lies below this bound" in traces
    assert "Liquidus: glycerol crystallises (published)" in traces

    # clone, then delete the clone
    page.get_by_role("button", name="Clone into my library").click()
    page.wait_for_url(lambda url: UUID_URL.search(url) is not None and mixture_id not in url)
    clone_id = page.url.rsplit("/", 1)[1]
    expect(page.locator("#mixture-title")).to_have_text(f"{glycerol_mixture['name']} (copy)")
    page.get_by_role("button", name="Delete…").click()
    page.get_by_role("button", name="Yes, delete it").click()
    page.wait_for_url(re.compile(r"/mixtures$"))
    gone = client.get(f"/api/v1/mixtures/{clone_id}", headers=scientist["headers"])
    assert gone.status_code == 404
    tab.assert_no_js_errors()


def test_reference_solution_for_anonymous_visitor_and_narrow_screen(
    tab: Tab, browser: Any, live_server: str, app: Any
) -> None:
    from playwright.sync_api import expect

    page = tab.page
    dp6 = _reference_id(app, "DP6")
    tab.goto(f"/mixtures/{dp6}")
    expect(page.locator("#reference-badge")).to_be_visible()
    measured = page.locator("#measured-table tbody tr", has_text="Critical cooling rate")
    expect(measured.locator("td").nth(0)).to_have_text("40 °C/min")
    expect(measured.locator("td").nth(1)).to_have_text("measured")
    expect(page.locator("#measured-table")).to_contain_text("189 °C/min")
    carrier_rows = page.locator("#composition-table tbody tr.carrier-row")
    expect(carrier_rows.first).to_contain_text("carrier (Euro-Collins)")
    expect(page.locator("#signin-hint")).to_be_visible()
    expect(page.get_by_role("link", name="New mixture from this one")).to_be_hidden()
    expect(page.get_by_role("button", name="Delete…")).to_be_hidden()
    page.wait_for_function("() => document.querySelector('#chart-phase.js-plotly-plot') !== null")
    tab.shot("mixtures-reference-dp6")
    tab.assert_no_js_errors()

    # the builder on a phone-sized screen, anonymous: live properties without an account
    context = browser.new_context(viewport={"width": 390, "height": 844})
    try:
        narrow = Tab(page=context.new_page(), base=live_server)
        narrow.page.on("pageerror", lambda exc: narrow.errors.append(f"pageerror: {exc}"))
        narrow.page.on(
            "console",
            lambda msg: (
                narrow.errors.append(f"console: {msg.text}")
                if msg.type == "error" and not _expected_console_noise(msg.text)
                else None
            ),
        )
        narrow.goto("/mixtures/new")
        narrow.page.locator('input[name="components[0].molecule"]').fill("ethylene glycol")
        expect(narrow.page.locator(".component-row .picked")).to_contain_text("Ethylene glycol")
        narrow.page.locator('input[name="components[0].amount"]').fill("2")
        expected = _solution(app, [{"name": "Ethylene glycol", "amount": 2, "unit": "mol/L"}])
        expect(
            narrow.page.locator('#live-cards [data-property="melting_point"] .number')
        ).to_have_text(format_quantity(expected["melting_point"]["value_c"], "temperature"))
        expect(narrow.page.locator("#signin-needed")).to_be_visible()
        width = narrow.page.evaluate("document.documentElement.scrollWidth")
        assert width <= 390, f"the builder scrolls sideways on a phone ({width}px)"
        narrow.shot("mixtures-builder-narrow")
        narrow.assert_no_js_errors()
    finally:
        context.close()


def test_predict_with_a_model_from_the_mixture_page(tab: Tab, app: Any) -> None:
    from playwright.sync_api import expect

    headers, model_id = train_model_via_api(app, "mix-e2e-model")
    mixture_id = _reference_id(app, "10% DMSO freezing medium")
    expected = (
        app.test_client()
        .post(
            f"/api/v1/predictive-models/{model_id}/predict",
            json={"mixture_id": mixture_id},
            headers=headers,
        )
        .json
    )
    page = tab.page
    tab.sign_in_with_token(headers["Authorization"].removeprefix("Bearer "))
    tab.goto(f"/mixtures/{mixture_id}")
    page.get_by_label("Model", exact=True).select_option(model_id)
    page.get_by_role("button", name="Predict").click()
    result = page.locator("#predict-result")
    expect(result).to_contain_text(f"Viability: {expected['value']:.1f} %")
    level = round(expected["level"] * 100)
    expect(result).to_contain_text(
        f"{level} % interval {expected['lower']:.1f} to {expected['upper']:.1f} %"
    )
    domain = "inside" if expected["in_domain"] else "outside"
    expect(result).to_contain_text(f"{domain} the model's applicability domain")
    expect(result.get_by_role("link", name="model v1")).to_have_attribute(
        "href", f"/models/{model_id}"
    )
    tab.shot("mixtures-predict")
    tab.assert_no_js_errors()


def test_private_mixture_is_not_shown_to_another_user(
    tab: Tab, app: Any, outsider: dict[str, Any], glycerol_mixture: dict[str, Any]
) -> None:
    from playwright.sync_api import expect

    page = tab.page
    tab.sign_in_with_token(outsider["token"])
    tab.goto(f"/mixtures/{glycerol_mixture['id']}")
    alert = page.locator("#error")
    expect(alert).to_contain_text("not found or is not visible to you")
    expect(page.locator("#mixture-content")).to_be_hidden()
    expect(page.locator("#mixture-title")).to_have_text("Mixture not found")
    assert glycerol_mixture["name"] not in page.content()
    tab.shot("mixtures-not-visible")

    tab.goto(f"/mixtures?q={glycerol_mixture['name']}")
    expect(page.locator("#empty")).to_contain_text("No mixture you can see matches")

    tab.goto(f"/mixtures/new?from={glycerol_mixture['id']}")
    expect(alert).to_contain_text("not found or is not visible to you")
    expect(page.locator('input[name="components[0].molecule"]')).to_have_value("")
    tab.assert_no_js_errors()
