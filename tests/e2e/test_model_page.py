"""The model page in a real browser: Debian's Chromium driven by Playwright.

Skips locally without Chromium or the ``playwright`` package; fails under CI=true.
"""

from __future__ import annotations

import uuid

import pytest

from tests.conftest import train_model_via_api
from tests.e2e.conftest import Tab

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def trained(app) -> tuple[str, str]:
    """A ridge model trained on the shipped data; (access token, model id)."""
    headers, model_id = train_model_via_api(app, "e2e")
    return headers["Authorization"].removeprefix("Bearer "), model_id


def test_model_page_draws_charts_and_metrics(tab: Tab, trained: tuple[str, str]) -> None:
    token, model_id = trained
    page = tab.page
    tab.sign_in_with_token(token)
    tab.goto(f"/models/{model_id}")
    page.wait_for_function(
        "() => document.querySelectorAll('.js-plotly-plot').length >= 4", timeout=30_000
    )
    page.wait_for_selector("#metrics-table tbody tr", timeout=10_000)
    assert page.locator("#metrics-table tbody tr").count() == 3
    headers = page.locator("#metrics-table thead").inner_text()
    assert "MAE (%)" in headers and "RMSE (%)" in headers
    assert page.locator("[role=alert]").is_hidden()
    assert " v" in page.title() and page.title().endswith("CryoProtect")
    # every chart has titled axes
    titles = page.locator(".js-plotly-plot .g-xtitle, .js-plotly-plot .g-ytitle")
    assert titles.count() >= 8
    tab.assert_no_js_errors()

    # the list page links to the model and to training
    tab.goto("/models")
    page.wait_for_selector(f"a[href='/models/{model_id}']", timeout=10_000)
    assert page.locator("a[href='/models/train']").count() >= 1
    assert page.locator("[role=alert]").is_hidden()
    tab.shot("models-list")

    # an unknown model shows an error to the user rather than failing silently
    tab.goto(f"/models/{uuid.uuid4()}")
    page.wait_for_selector("[role=alert]:not([hidden])", timeout=10_000)
    assert "not" in page.locator("[role=alert]").inner_text().lower()
    tab.assert_no_js_errors()
