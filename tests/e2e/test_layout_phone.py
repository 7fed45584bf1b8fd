"""The shared layout at desktop and phone widths (issue 18, "Numbers": wide tables that fit at
1366 px and scroll cleanly on phones, a collapsible navigation on phones).

At 390×844 the main navigation is collapsed behind a "Menu" button (aria-expanded false) and
opens with it; at 1366×900 the widest list pages (molecules, experiments) have no page-level
sideways scroll, and at 390 their table scrolls inside its own box instead of the page.
Screenshots: test-artifacts/screenshots/layout-<page>-<width>x<height>.png (and the open menu).
"""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from tests.e2e.conftest import Tab

pytestmark = pytest.mark.e2e

PASSWORD = "correct horse battery"
DESKTOP = {"width": 1366, "height": 900}
PHONE = {"width": 390, "height": 844}


@pytest.fixture(scope="module")
def author(app: Any) -> str:
    """A new user's token, with one experiment of their own so the experiment list has a row."""
    client = app.test_client()
    email = f"layout-{uuid.uuid4().hex[:10]}@example.org"
    assert (
        client.post(
            "/api/v1/auth/register", json={"email": email, "password": PASSWORD}
        ).status_code
        == 202
    )
    token = str(
        client.post("/api/v1/auth/login", json={"email": email, "password": PASSWORD}).json[
            "access_token"
        ]
    )
    created = client.post(
        "/api/v1/experiments",
        json={
            "title": f"Layout check, a long title to widen the table {uuid.uuid4().hex[:6]}",
            "biological_system": {"kind": "cell", "name": "HepG2 hepatocellular carcinoma"},
            "conditions": {"cooling_rate_c_per_min": 1.0, "storage_temperature_c": -196.0},
            "results": [{"measure": "viability_percent", "value": 72.5, "replicates": 3}],
        },
        headers={"Authorization": f"Bearer {token}"},
    )
    assert created.status_code == 201, created.json
    return token


def page_overflow(page: Any) -> int:
    """How far the page itself scrolls sideways, in px."""
    return int(page.evaluate("document.scrollingElement.scrollWidth - window.innerWidth"))


def box_scroll(page: Any, table: str) -> dict[str, Any]:
    """The scroll box around ``table``: its widths, and whether scrolling it moves the table."""
    return dict(
        page.evaluate(
            """(selector) => {
                const table = document.querySelector(selector);
                const box = table.closest(".table-wrap");
                const style = box ? getComputedStyle(box) : null;
                const before = table.getBoundingClientRect().left;
                if (box) box.scrollLeft = 120;
                const moved = before - table.getBoundingClientRect().left;
                const out = {
                    boxed: Boolean(box), overflowX: style && style.overflowX,
                    client: box ? box.clientWidth : 0, scroll: box ? box.scrollWidth : 0,
                    tableWidth: table.scrollWidth, moved,
                    boxRight: box ? box.getBoundingClientRect().right : 0,
                };
                if (box) box.scrollLeft = 0;
                return out;
            }""",
            table,
        )
    )


LIST_PAGES = (
    ("molecules", "/molecules", "#results-table"),
    ("experiments", "/experiments", "#experiments-table"),
)


def test_phone_navigation_collapses_and_opens_with_the_menu_button(tab: Tab) -> None:
    from playwright.sync_api import expect

    page = tab.page
    page.set_viewport_size(PHONE)
    tab.goto("/molecules")
    toggle = page.get_by_role("button", name="Menu")
    expect(toggle).to_be_visible()
    expect(toggle).to_have_attribute("aria-expanded", "false")
    expect(toggle).to_have_attribute("aria-controls", "nav-menu")
    molecules_link = page.locator("#nav-menu").get_by_role("link", name="Experiments")
    expect(molecules_link).to_be_hidden()
    tab.shot("layout-nav-closed-390x844")

    toggle.click()
    expect(toggle).to_have_attribute("aria-expanded", "true")
    expect(molecules_link).to_be_visible()
    assert page_overflow(page) <= 0, "the open menu widens the page"
    tab.shot("layout-nav-open-390x844")
    page.keyboard.press("Escape")
    expect(toggle).to_have_attribute("aria-expanded", "false")
    expect(molecules_link).to_be_hidden()

    toggle.click()
    molecules_link.click()  # the links work from the opened menu
    page.wait_for_url(tab.base + "/experiments")

    # on a desktop there is no Menu button and every link is in the bar
    page.set_viewport_size(DESKTOP)
    tab.goto("/molecules")
    expect(page.get_by_role("button", name="Menu")).to_be_hidden()
    expect(page.locator("#nav-menu").get_by_role("link", name="Experiments")).to_be_visible()
    tab.assert_no_js_errors()


@pytest.mark.parametrize(("name", "path", "table"), LIST_PAGES)
def test_wide_list_tables_fit_at_1366_and_scroll_in_their_box_at_390(
    tab: Tab, author: str, name: str, path: str, table: str
) -> None:
    page = tab.page
    tab.sign_in_with_token(author)
    page.set_viewport_size(DESKTOP)
    tab.goto(path)
    page.wait_for_selector(f"{table} tbody tr")
    page.wait_for_load_state("networkidle")
    assert page_overflow(page) <= 0, f"{path} scrolls sideways at 1366 px"
    desktop = box_scroll(page, table)
    assert desktop["boxed"] and desktop["overflowX"] == "auto"
    assert desktop["boxRight"] <= DESKTOP["width"]
    assert desktop["scroll"] <= desktop["client"], f"{table} does not fit at 1366 px: {desktop}"
    tab.shot(f"layout-{name}-1366x900")

    page.set_viewport_size(PHONE)
    page.wait_for_timeout(200)
    assert page_overflow(page) <= 0, f"{path} scrolls sideways at 390 px"
    phone = box_scroll(page, table)
    assert phone["boxed"] and phone["overflowX"] == "auto"
    assert phone["client"] <= PHONE["width"]
    assert phone["scroll"] > phone["client"], "the table fits a phone: nothing to scroll"
    assert phone["moved"] > 0, "scrolling the table's box does not move the table"
    tab.shot(f"layout-{name}-390x844")
    tab.assert_no_js_errors()


CHANGED_PAGES = (
    ("mixtures", "/mixtures"),
    ("models", "/models"),
    ("teams", "/teams"),
    ("profile", "/profile"),
    ("verification-queue", "/experiments/queue"),
    ("home", "/"),
)


@pytest.mark.parametrize(("name", "path"), CHANGED_PAGES)
def test_other_changed_pages_fit_both_widths(tab: Tab, author: str, name: str, path: str) -> None:
    """The other pages whose numbers or timestamps changed: no sideways page scroll at either
    width (tables scroll in their box), and screenshots of both."""
    page = tab.page
    tab.sign_in_with_token(author)
    for size in (DESKTOP, PHONE):
        page.set_viewport_size(size)
        tab.goto(path)
        page.wait_for_load_state("networkidle")
        assert page_overflow(page) <= 0, f"{path} scrolls sideways at {size['width']} px"
        tab.shot(f"layout-{name}-{size['width']}x{size['height']}")
    # a timestamp in a table reads as local date and time with the ISO form in its title
    times = page.locator("main table time").all()
    if name == "mixtures":  # the public reference mixtures are listed with their update time
        assert times, "no timestamp in the mixture list"
    for cell in times:
        assert cell.get_attribute("title") == cell.get_attribute("datetime")
        assert "T" not in cell.inner_text()
    tab.assert_no_js_errors()
