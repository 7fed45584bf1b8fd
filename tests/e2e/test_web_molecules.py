"""The molecule pages in a real browser: library table, structure searches, export, register
with live validation, the molecule page and file import.

Each journey asserts on numbers the API itself returns (fetched through the Flask test
client in the same run), saves a screenshot to ``test-artifacts/screenshots/`` and checks
that no page logged a JavaScript error.
"""

from __future__ import annotations

import csv
import io
import json
import re
import urllib.parse
import uuid
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import unique_smiles

pytestmark = pytest.mark.e2e

PASSWORD = "correct horse battery"  # noqa: S105 - a throwaway test account


class Chemist:
    """One signed-in user shared by the module's journeys (API token + test client)."""

    def __init__(self, app: Any) -> None:
        self.client = app.test_client()
        self.email = f"molweb-{uuid.uuid4().hex[:10]}@example.org"
        reg = self.client.post(
            "/api/v1/auth/register", json={"email": self.email, "password": PASSWORD}
        )
        assert reg.status_code == 202, reg.json
        login = self.client.post(
            "/api/v1/auth/login", json={"email": self.email, "password": PASSWORD}
        )
        assert login.status_code == 200, login.json
        self.token: str = login.json["access_token"]

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}

    def get(self, path: str) -> Any:
        res = self.client.get(path, headers=self.headers)
        assert res.status_code == 200, (path, res.status_code, res.get_data(as_text=True)[:500])
        return res.json

    def post(self, path: str, body: dict[str, Any]) -> Any:
        return self.client.post(path, json=body, headers=self.headers)

    def find(self, name: str) -> dict[str, Any]:
        items = self.get(f"/api/v1/molecules?q={urllib.parse.quote(name)}")["items"]
        return next(m for m in items if m["name"] == name)


@pytest.fixture(scope="module")
def chemist(app: Any) -> Chemist:
    return Chemist(app)


def _signed_in(tab: Any, chemist: Chemist) -> Any:
    tab.sign_in_with_token(chemist.token)
    return tab


def _visible_alert(page: Any) -> str:
    alert = page.locator("#error")
    return "" if alert.is_hidden() else alert.inner_text()


def _wait_rows(page: Any, count: int | None = None) -> Any:
    page.wait_for_selector("#results-table:not([hidden]) tbody tr")
    page.wait_for_selector("#loading", state="hidden")
    rows = page.locator("#results-table tbody tr")
    if count is not None:
        page.wait_for_function(
            "n => document.querySelectorAll('#results-table tbody tr').length === n", arg=count
        )
    return rows


def _column(page: Any, header: str) -> list[str]:
    """Texts of one results-table column, found by its header."""
    headers = page.locator("#results-table thead th").all_inner_texts()
    index = next(i for i, text in enumerate(headers) if text.strip().startswith(header))
    return page.locator(f"#results-table tbody tr td:nth-child({index + 1})").all_inner_texts()


def _wait_drawings(page: Any) -> None:
    page.wait_for_function("() => !document.querySelector('#results-table .drawing-pending')")


# ------------------------------------------------------------------------------ list page
def test_library_table_search_sort_filter_and_pages(tab: Any, chemist: Chemist) -> None:
    page = _signed_in(tab, chemist).page
    api_page = chemist.get("/api/v1/molecules?per_page=25")
    tab.goto("/molecules")
    _wait_rows(page, min(25, api_page["total"]))
    summary = page.locator("#result-summary").inner_text()
    assert f"of {api_page['total']} molecules" in summary, summary
    assert _column(page, "Name")[0].splitlines()[0] == api_page["items"][0]["name"]
    _wait_drawings(page)
    first_img = page.locator("#results-table tbody tr img").first
    assert first_img.get_attribute("src").startswith("data:image/svg+xml")
    assert first_img.get_attribute("alt").startswith("Structure of")
    assert page.locator("#results-table .drawing-error").count() == 0
    tab.shot("molecules-list")

    # text search: glycerol with its formula and molar mass from the API
    glycerol = chemist.find("Glycerol")
    page.get_by_label("Search text").fill("glycerol")
    page.get_by_role("button", name="Search", exact=True).click()
    page.wait_for_url("**/molecules?q=glycerol")
    rows = _wait_rows(page)
    row = rows.filter(has=page.get_by_role("link", name="Glycerol", exact=True))
    assert row.count() == 1
    assert "C3H8O3" in row.inner_text()
    assert f"{glycerol['molecular_weight']:.2f}" in row.inner_text()

    # sort by molecular weight through the column header: the lightest first, as the API says
    page.get_by_label("Search text").fill("")
    page.get_by_role("button", name="Search", exact=True).click()
    _wait_rows(page)
    page.get_by_role("button", name="Molecular weight (g/mol)").click()
    page.wait_for_url("**/molecules?sort=molecular_weight")
    _wait_rows(page)
    lightest = chemist.get("/api/v1/molecules?sort=molecular_weight&per_page=3")["items"]
    names = [cell.splitlines()[0] for cell in _column(page, "Name")[:3]]
    assert names == [m["name"] for m in lightest]
    header = page.locator("#results-table thead th[aria-sort=ascending]")
    assert header.inner_text().startswith("Molecular weight")

    # a range filter: every molar mass shown is at most 80 g/mol
    page.locator("#filters summary").click()
    page.locator("input[name=mw_max]").fill("80")
    page.get_by_role("button", name="Apply filters").click()
    page.wait_for_url("**mw_max=80**")
    _wait_rows(page)
    masses = [float(text.split()[0]) for text in _column(page, "Molecular weight")]
    expected = chemist.get("/api/v1/molecules?mw_max=80&per_page=100")["total"]
    assert len(masses) == min(expected, 25) and max(masses) <= 80
    assert page.locator("#filter-count").inner_text() == "1 active"

    # an inverted range is flagged next to its field, and no request is made
    page.locator("input[name=mw_min]").fill("100")
    page.get_by_role("button", name="Apply filters").click()
    slot = page.locator("[data-error-for=mw_max]")
    slot.wait_for(state="visible")
    assert "below the lower bound" in slot.inner_text()

    # pages: the second page starts where the first ended
    tab.goto("/molecules?per_page=10")
    _wait_rows(page, 10)
    page.get_by_role("button", name="Next page →").click()
    page.wait_for_url("**page=2**")
    _wait_rows(page)
    second = chemist.get("/api/v1/molecules?per_page=10&page=2")["items"]
    assert _column(page, "Name")[0].splitlines()[0] == second[0]["name"]
    assert "Page 2 of" in page.locator("#page-status").inner_text()

    # an empty result shows an empty state with a way forward
    page.get_by_label("Search text").fill(f"no-such-molecule-{uuid.uuid4().hex[:6]}")
    page.get_by_role("button", name="Search", exact=True).click()
    page.locator("#empty").wait_for(state="visible")
    assert "No molecule matches" in page.locator("#empty").inner_text()
    assert page.locator("#empty a[href='/molecules/register']").count() == 1
    tab.assert_no_js_errors()


def test_similarity_and_substructure_search(tab: Any, chemist: Chemist) -> None:
    page = _signed_in(tab, chemist).page
    tab.goto("/molecules")
    _wait_rows(page)
    page.get_by_label("Similarity to a structure").check()
    page.get_by_label("Query structure").fill("OCC(O)CO")
    page.get_by_label("Minimum Tanimoto similarity").fill("0.2")
    page.get_by_role("button", name="Find similar molecules").click()
    hits = chemist.post(
        "/api/v1/molecules/search/similarity",
        {"structure": "OCC(O)CO", "threshold": 0.2, "k": 25},
    ).json["items"]
    _wait_rows(page, len(hits))
    scores = _column(page, "Tanimoto")
    assert scores == [f"{h['similarity']:.3f}" for h in hits]
    assert scores[0] == "1.000"  # glycerol itself
    assert _column(page, "Name")[0].splitlines()[0] == "Glycerol"
    assert "Morgan" in page.locator("#result-summary").inner_text()
    _wait_drawings(page)
    tab.shot("molecules-similarity")

    # substructure: hydroxyl on an sp3 carbon, matches highlighted in the drawings
    pattern = "[OX2H][CX4]"
    page.get_by_label("Substructure", exact=True).check()
    page.get_by_label("Substructure pattern").fill(pattern)
    page.get_by_role("button", name="Find matches").click()
    found = chemist.post(
        "/api/v1/molecules/search/substructure", {"query": pattern, "max_hits": 50}
    ).json
    _wait_rows(page, len(found["items"]))
    assert {c.splitlines()[0] for c in _column(page, "Name")} == {
        m["name"] or m["formula"] for m in found["items"]
    }
    _wait_drawings(page)
    img = page.locator("#results-table tbody tr img").first
    assert "highlighted" in img.get_attribute("alt")
    svg = urllib.parse.unquote(img.get_attribute("src").split(",", 1)[1])
    assert "#FF7F7F" in svg.upper()  # RDKit's default highlight colour
    tab.shot("molecules-substructure")

    # the full count runs as a background job; the page polls it and shows the number
    page.get_by_role("button", name="Count all matches").click()
    status = page.locator("#count-status")
    status.filter(has_text="visible molecules contain").wait_for()
    assert status.inner_text().startswith(f"{len(found['items'])} visible molecules")

    # a bad pattern: the API's reason appears next to the pattern field
    page.get_by_label("Substructure pattern").fill("[C")
    page.get_by_role("button", name="Find matches").click()
    slot = page.locator("[data-error-for=query]")
    slot.wait_for(state="visible")
    assert "Invalid SMARTS" in slot.inner_text()
    assert page.get_by_label("Substructure pattern").get_attribute("aria-invalid") == "true"
    tab.assert_no_js_errors()


def test_export_of_ticked_rows(tab: Any, chemist: Chemist) -> None:
    page = _signed_in(tab, chemist).page
    tab.goto("/molecules?q=glycol")
    rows = _wait_rows(page)
    names = [c.splitlines()[0] for c in _column(page, "Name")]
    assert len(names) >= 2
    rows.nth(0).locator("input[type=checkbox]").check()
    rows.nth(1).locator("input[type=checkbox]").check()
    with page.expect_download() as info:
        page.get_by_role("button", name="CSV").click()
    download = info.value
    assert download.suggested_filename == "molecules-2.csv"
    table = list(csv.DictReader(io.StringIO(Path(download.path()).read_text())))
    assert sorted(r["name"] for r in table) == sorted(names[:2])
    assert all(r["inchikey"] for r in table)

    # nothing ticked: every row shown, as JSON
    rows.nth(0).locator("input[type=checkbox]").uncheck()
    rows.nth(1).locator("input[type=checkbox]").uncheck()
    with page.expect_download() as info:
        page.get_by_role("button", name="JSON").click()
    exported = json.loads(Path(info.value.path()).read_text())
    assert sorted(m["name"] for m in exported) == sorted(names)
    assert "shown" in page.locator("#export-status").inner_text()
    tab.assert_no_js_errors()


# ------------------------------------------------------------------------------ register
def test_register_with_live_validation(tab: Any, chemist: Chemist) -> None:
    page = _signed_in(tab, chemist).page
    tab.goto("/molecules/register")
    page.wait_for_selector("#signed-out", state="hidden")
    structure = page.get_by_role("textbox", name=re.compile("^Structure"))

    # typing an invalid SMILES: RDKit's reason from the API, next to the field
    structure.fill("C1CC")
    slot = page.locator("[data-error-for=structure]")
    slot.wait_for(state="visible")
    assert "ring" in slot.inner_text().lower()
    assert structure.get_attribute("aria-invalid") == "true"

    # a salt: the preview shows the standardised parent and the existing library record
    structure.fill("Cl.OC(=O)[C@@H]1CCCN1")
    page.locator("#preview").wait_for(state="visible")
    checked = chemist.post(
        "/api/v1/molecules/validate", {"structure": "Cl.OC(=O)[C@@H]1CCCN1"}
    ).json
    ids = page.locator("#preview-ids").inner_text()
    assert checked["inchikey"] in ids and "115.13 g/mol" in ids
    assert "removed" in ids.lower()
    assert slot.is_hidden()
    assert page.locator("#preview-existing a", has_text="L-Proline").count() == 1

    # a new structure: registered, then opened
    smiles = unique_smiles()
    name = f"Web compound {uuid.uuid4().hex[:6]}"
    structure.fill(smiles)
    page.wait_for_function(
        "s => document.querySelector('#preview-ids')?.textContent.includes(s)",
        arg=chemist.post("/api/v1/molecules/validate", {"structure": smiles}).json["inchikey"],
    )
    page.get_by_label(re.compile("^Name")).fill(name)
    page.get_by_label("Synonyms").first.fill("WC-1\nweb compound one")
    assert page.get_by_role("combobox", name=re.compile("^Visibility")).input_value() == "private"
    tab.shot("molecules-register")
    page.get_by_role("button", name="Register").click()
    page.locator("#created").wait_for(state="visible")
    assert name in page.locator("#created").inner_text()
    created = chemist.find(name)
    assert created["synonyms"] == ["WC-1", "web compound one"]
    assert created["visibility"] == "private"

    # registering it again: the API's conflict, with a link to the existing record
    structure.fill(smiles)
    page.get_by_role("button", name="Register").click()
    page.locator("#error a").wait_for(state="visible")
    assert "already registered" in page.locator("#error").inner_text()
    assert page.locator("#error a").get_attribute("href") == f"/molecules/{created['id']}"

    # a component without structure needs a name: the API says so next to the name field
    page.get_by_role("radio", name=re.compile("^A component without structure")).check()
    page.get_by_label(re.compile("^Name")).fill("")
    page.get_by_role("button", name="Register").click()
    name_slot = page.locator("[data-error-for=name]")
    name_slot.wait_for(state="visible")
    assert "needs a name" in name_slot.inner_text()
    tab.assert_no_js_errors()


def test_signed_out_visitor_browses_public_molecules_and_checks_structures(
    tab: Any, app: Any
) -> None:
    page = tab.page
    public = app.test_client().get("/api/v1/molecules?per_page=25").json
    tab.goto("/molecules")
    _wait_rows(page, min(25, public["total"]))
    assert f"of {public['total']} molecules" in page.locator("#result-summary").inner_text()
    assert set(_column(page, "Visibility")) == {"public"}
    # structure searches work signed out; the background count needs an account
    tab.goto("/molecules?mode=substructure&query=%5BOX2H%5D")
    _wait_rows(page)
    assert page.get_by_label("Substructure pattern").input_value() == "[OX2H]"
    assert page.locator("#substructure-form").is_visible()
    assert page.get_by_role("button", name="Count all matches").is_hidden()

    tab.goto("/molecules/register")
    page.locator("#signed-out").wait_for(state="visible")
    assert page.get_by_role("button", name="Register").is_disabled()
    page.get_by_role("textbox", name=re.compile("^Structure")).fill("OCC(O)CO")
    page.locator("#preview").wait_for(state="visible")
    assert "C3H8O3" in page.locator("#preview-ids").inner_text()
    tab.assert_no_js_errors()


# ------------------------------------------------------------------------------ molecule page
def test_molecule_page_identifiers_properties_score_and_similar(tab: Any, chemist: Chemist) -> None:
    page = _signed_in(tab, chemist).page
    dmso = chemist.find("Dimethyl sulfoxide")
    detail = chemist.get(f"/api/v1/molecules/{dmso['id']}")
    tab.goto(f"/molecules/{dmso['id']}")
    page.locator("#molecule-body").wait_for(state="visible")
    assert page.locator("h1").inner_text() == "Dimethyl sulfoxide"
    assert page.title().startswith("Dimethyl sulfoxide")
    ids = page.locator("#identifiers").inner_text()
    assert detail["inchikey"] in ids and "C2H6OS" in ids
    assert f"{detail['molecular_weight']:.2f} g/mol" in ids
    assert page.locator("#identifiers a[href$='/compound/679']").count() == 1

    # CPA score: the API's number, its five components and the chart
    score = detail["cpa_score"]
    assert page.locator("#score-value").inner_text() == f"{score['score']:.3f}"
    assert page.locator("#score-table tbody tr.component").count() == len(score["components"])
    page.wait_for_selector("#score-chart .js-plotly-plot, #score-chart.js-plotly-plot")
    mw = next(c for c in score["components"] if c["name"] == "molecular_weight")
    mw_row = page.locator("#score-table tbody tr.component", has_text="Molecular weight")
    assert f"{mw['contribution']:.3f}" in mw_row.inner_text()
    assert f"{mw['contribution'] / mw['weight']:.2f}" in mw_row.inner_text()
    assert "Source:" in page.locator("#score-table tbody tr.explain").first.inner_text()

    # literature values with unit, provenance and source; computed ones with their method
    melting = next(p for p in detail["properties"] if p["property_name"] == "melting_point")
    row = page.locator("#literature-table tbody tr", has_text="Melting point")
    assert f"{melting['value']:g}" in row.inner_text() and "°C" in row.inner_text()
    assert "measured" in row.inner_text() and "NTP" in row.inner_text()
    tpsa = next(p for p in detail["properties"] if p["property_name"] == "tpsa")
    row = page.locator("#computed-table tbody tr", has_text="Topological polar surface area")
    assert f"{tpsa['value']:.4g}" in row.inner_text() and "Å²" in row.inner_text()
    assert "computed" in row.inner_text() and "Ertl" in row.inner_text()

    # similar molecules with Tanimoto scores from the API
    similar = chemist.get(f"/api/v1/molecules/{dmso['id']}/similar?k=8")["items"]
    cards = page.locator("#similar .card")
    cards.first.wait_for()
    assert cards.count() == len(similar)
    assert f"Tanimoto {similar[0]['similarity']:.3f}" in cards.first.inner_text()
    page.wait_for_function("() => !document.querySelector('#molecule-body .drawing-pending')")
    assert page.locator("#drawing img").get_attribute("alt").startswith("Structure of")
    assert page.locator("#related a", has_text="Find similar molecules").count() == 1
    tab.shot("molecules-detail")

    # the same page on a phone-sized screen
    page.set_viewport_size({"width": 390, "height": 844})
    page.wait_for_timeout(300)  # let the Plotly chart re-layout
    tab.shot("molecules-detail-narrow")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 400, f"page is {width}px wide on a 390px screen"
    tab.assert_no_js_errors()


def test_own_molecule_add_value_edit_and_unknown_id(tab: Any, chemist: Chemist) -> None:
    page = _signed_in(tab, chemist).page
    name = f"Editable {uuid.uuid4().hex[:6]}"
    mol = chemist.post("/api/v1/molecules", {"structure": unique_smiles(), "name": name}).json
    tab.goto(f"/molecules/{mol['id']}")
    page.locator("#edit-section").wait_for(state="visible")
    assert page.locator("#literature-empty").is_visible()

    # a measured value: a missing source is the API's error next to the source field
    page.locator("#add-value summary").click()
    form = page.locator("#property-form")
    form.get_by_label(re.compile("^Property name")).fill("melting_point")
    form.get_by_label(re.compile("^Value")).fill("-12.5")
    form.get_by_label(re.compile("^Unit")).fill("°C")
    form.get_by_label(re.compile("^Method")).fill("DSC onset, 10 °C/min")
    form.get_by_role("button", name="Add value").click()
    slot = form.locator("[data-error-for=source]")
    slot.wait_for(state="visible")
    assert slot.inner_text()
    form.get_by_label(re.compile("^Source")).fill("Lab notebook 7, p. 12")
    form.get_by_role("button", name="Add value").click()
    row = page.locator("#literature-table tbody tr", has_text="Melting point")
    row.wait_for()
    assert "-12.5" in row.inner_text() and "°C" in row.inner_text()
    assert "Lab notebook 7" in row.inner_text()
    stored = chemist.get(f"/api/v1/molecules/{mol['id']}")["properties"]
    assert any(p["property_name"] == "melting_point" and p["value"] == -12.5 for p in stored)

    # edit the name
    page.locator("#edit-section summary").click()
    page.locator("#edit-form").get_by_label(re.compile("^Name")).fill(f"{name} (renamed)")
    page.locator("#edit-form").get_by_role("button", name="Save changes").click()
    page.wait_for_function(
        "n => document.querySelector('h1').textContent === n", arg=f"{name} (renamed)"
    )
    assert chemist.get(f"/api/v1/molecules/{mol['id']}")["name"] == f"{name} (renamed)"

    # delete it (confirming the dialog): back to the list, and the record is gone
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Delete this molecule").click()
    page.wait_for_url("**/molecules")
    gone = chemist.client.get(f"/api/v1/molecules/{mol['id']}", headers=chemist.headers)
    assert gone.status_code == 404

    # an unknown molecule: the API's message, not a blank page
    tab.goto(f"/molecules/{uuid.uuid4()}")
    page.locator("#error").wait_for(state="visible")
    assert "not found" in _visible_alert(page).lower()
    tab.assert_no_js_errors()


# ------------------------------------------------------------------------------ import
def test_import_file_with_per_row_report(tab: Any, chemist: Chemist, tmp_path: Path) -> None:
    page = _signed_in(tab, chemist).page
    good = [unique_smiles() for _ in range(3)]
    lines = [
        "smiles,name",
        f"{good[0]},imp-a",
        f"{good[1]},imp-b",
        "C1CC,broken",
        f"{good[2]},imp-c",
    ]
    lines.append(f"{good[0]},imp-a again")
    path = tmp_path / "library.csv"
    path.write_text("\n".join(lines) + "\n")
    tab.goto("/molecules/import")
    page.locator("#signed-out").wait_for(state="hidden")

    # a wrong structure-column name: the API names that field
    page.get_by_label("File", exact=True).set_input_files(str(path))
    page.get_by_label(re.compile("^Structure column")).fill("structure_text")
    page.get_by_role("button", name="Import").click()
    slot = page.locator("[data-error-for=smiles_column]")
    slot.wait_for(state="visible")
    assert "structure_text" in slot.inner_text()

    page.get_by_label(re.compile("^Structure column")).fill("")
    page.get_by_role("button", name="Import").click()
    page.locator("#report").wait_for(state="visible")
    assert page.locator("#count-total").inner_text() == "5"
    assert page.locator("#count-created").inner_text() == "3"
    assert page.locator("#count-duplicates").inner_text() == "1"
    assert page.locator("#count-rejected").inner_text() == "1"
    rejected = page.locator("#rejected-table tbody tr")
    assert rejected.count() == 1
    cells = rejected.first.locator("td").all_inner_texts()
    assert cells[0] == "4" and cells[1] == "C1CC" and "ring" in cells[2].lower()
    assert "5 records read: 3 created" in page.locator("#report-summary").inner_text()
    tab.shot("molecules-import")
    assert {chemist.find(n)["name"] for n in ("imp-a", "imp-b", "imp-c")} == {
        "imp-a",
        "imp-b",
        "imp-c",
    }
    page.locator("#view-imported").click()
    page.wait_for_url("**/molecules?sort=created_at&visibility=private")
    _wait_rows(page)
    assert {"imp-a", "imp-b", "imp-c"} <= {c.splitlines()[0] for c in _column(page, "Name")}
    tab.assert_no_js_errors()
