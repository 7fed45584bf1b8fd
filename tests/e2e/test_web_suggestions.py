"""The suggestions page in a real browser (issue 14, item 4).

Skips locally without Chromium or the ``playwright`` package; fails under CI=true.
"""

from __future__ import annotations

import pytest

from tests.e2e.conftest import Tab
from tests.integration.test_suggestions_api import forest  # noqa: F401  (module fixture)

pytestmark = pytest.mark.e2e


def test_suggestions_page_from_the_model_page(tab: Tab, forest: tuple[dict[str, str], str]) -> None:  # noqa: F811
    headers, model_id = forest
    page = tab.page
    tab.sign_in_with_token(headers["Authorization"].removeprefix("Bearer "))
    tab.goto(f"/models/{model_id}")
    page.locator("#suggest-link").click()
    page.wait_for_url(f"**/models/{model_id}/suggest", timeout=10_000)
    page.wait_for_function(
        "() => document.getElementById('model-name').textContent.includes('random_forest')",
        timeout=15_000,
    )
    assert "Suggest next experiments" in page.title()

    page.fill("input[name=batch_size]", "3")
    page.check("input[name=dmso_free]")
    page.fill("input[name=max_ingredients]", "2")
    page.fill("input[name=n_candidates]", "128")
    page.click("#suggest-button")
    page.wait_for_selector("#result:not([hidden]) #suggestions tbody tr", timeout=60_000)
    rows = page.locator("#suggestions tbody tr")
    assert 1 <= rows.count() <= 3
    for i in range(rows.count()):
        text = rows.nth(i).inner_text()
        assert "Dimethyl sulfoxide" not in text
        assert rows.nth(i).get_attribute("data-picked") in ("exploit", "explore")
        assert "% interval" in text
    assert "expected improvement" in page.locator("#acquisition").inner_text()
    assert "random_forest_tree_spread" in page.locator("#acquisition").inner_text()
    assert page.locator("[role=alert]").is_hidden()
    tab.shot("model-suggest")

    # an impossible melting-point limit: no suggestion, said plainly, no error
    page.fill("input[name=max_melting_point_c]", "-60")
    page.click("#suggest-button")
    page.wait_for_selector("#empty:not([hidden])", timeout=60_000)
    assert page.locator("#suggestions tbody tr").count() == 0
    assert "max_melting_point_c" not in page.locator("#counts").inner_text()

    # a batch above the cap: the API's 400 is shown next to the field
    page.fill("input[name=max_melting_point_c]", "")
    page.fill("input[name=batch_size]", "25")
    page.click("#suggest-button")
    page.wait_for_selector("[data-error-for=batch_size]:not([hidden])", timeout=30_000)
    assert "20" in page.locator("[data-error-for=batch_size]").inner_text()
    tab.assert_no_js_errors()
