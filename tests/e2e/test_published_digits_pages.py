"""Literature values on the pages with the decimals their source writes them with (issue 18,
"Numbers"): DMSO's density is "1.100 g/mL" in measured_properties.csv and the molecule page
shows "1.100", not the float's "1.1"; a named solution's measured rates keep theirs."""

from __future__ import annotations

from typing import Any

import pytest

pytestmark = pytest.mark.e2e


def _public_id(app: Any, path: str, name: str) -> str:
    items = app.test_client().get(path).json["items"]
    return next(m["id"] for m in items if m["name"] == name)


def test_molecule_and_mixture_pages_show_literature_values_as_published(tab: Any, app: Any) -> None:
    page = tab.page
    dmso = _public_id(app, "/api/v1/molecules?q=Dimethyl%20sulfoxide", "Dimethyl sulfoxide")
    tab.goto(f"/molecules/{dmso}")
    page.locator("#molecule-body").wait_for(state="visible")
    density = page.locator("#literature-table tbody tr", has_text="Density")
    cells = density.locator("td").all_inner_texts()
    assert "1.100" in cells, cells  # published "1.100 g/mL" (NTP data sheet)
    assert "g/mL" in density.inner_text()
    boiling = page.locator("#literature-table tbody tr", has_text="Boiling point")
    assert "189" in boiling.locator("td").all_inner_texts()
    tab.shot("published-digits-molecule")

    vs55 = _public_id(app, "/api/v1/mixtures?q=VS55&per_page=50", "VS55")
    tab.goto(f"/mixtures/{vs55}")
    table = page.locator("#measured-table")
    table.wait_for(state="visible")
    row = table.locator("tbody tr", has_text="Critical cooling rate")
    assert "2.5 °C/min" in row.locator("td").all_inner_texts()
    tab.assert_no_js_errors()
