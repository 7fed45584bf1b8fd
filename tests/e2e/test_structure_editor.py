"""The structure editor (Ketcher, served from static/vendor/ketcher) in a real browser:
registering a drawn structure, a substructure search from a drawn pattern, and the editor
loading only when the user opens it.

The "drawing" step goes through Ketcher's own API (``ketcher.setMolecule``), as a user's
mouse strokes end in the same editor state; the test then uses the page's buttons.
"""

from __future__ import annotations

import re
from typing import Any

import pytest

pytestmark = pytest.mark.e2e

GLYCEROL_INCHIKEY = "PEDCQBHIVMGVHV-UHFFFAOYSA-N"  # PubChem CID 753
#: Ketcher's first load compiles ~7.5 MB of WebAssembly; generous for a shared CI machine.
EDITOR_TIMEOUT_MS = 120_000


def _inchikey(app: Any, structure: str) -> str:
    res = app.test_client().post("/api/v1/molecules/validate", json={"structure": structure})
    assert res.status_code == 200, res.json
    return str(res.json["inchikey"])


def _vendor_requests(page: Any) -> list[str]:
    urls: list[str] = []
    page.on("request", lambda req: urls.append(req.url) if "/vendor/ketcher/" in req.url else None)
    return urls


def _open_editor(page: Any, button_id: str) -> Any:
    page.locator(f"#{button_id}").click()
    dialog = page.locator("dialog.structure-editor")
    dialog.wait_for(state="visible")
    use = dialog.get_by_role("button", name="Use structure")
    use.wait_for(state="visible")
    page.wait_for_function(
        "() => !document.querySelector('.structure-editor-use').disabled",
        timeout=EDITOR_TIMEOUT_MS,
    )
    return dialog


def _draw(page: Any, structure: str) -> None:
    """Puts ``structure`` on Ketcher's canvas through its API (``window.ketcher``)."""
    page.evaluate("s => window.ketcher.setMolecule(s)", structure)


def test_register_a_drawn_structure(tab: Any, make_user: Any, app: Any) -> None:
    user = make_user("draw")
    tab.sign_in_with_token(user.access_token)
    page = tab.page
    vendor = _vendor_requests(page)
    tab.goto("/molecules/register")
    page.wait_for_selector("#signed-out", state="hidden")
    assert vendor == [], "the editor must load only when the user opens it"

    dialog = _open_editor(page, "draw-structure")
    assert any(u.endswith(".wasm") for u in vendor), vendor
    _draw(page, "OCC(O)CO")
    for width, height in ((1366, 900), (390, 844)):  # desktop and phone widths
        page.set_viewport_size({"width": width, "height": height})
        page.wait_for_timeout(300)  # Ketcher redraws on resize
        tab.shot(f"structure-editor-register-{width}x{height}")
    page.set_viewport_size({"width": 1366, "height": 900})
    dialog.get_by_role("button", name="Use structure").click()
    dialog.wait_for(state="hidden")

    structure = page.get_by_role("textbox", name=re.compile("^Structure"))
    # Ketcher's SMILES of the drawing went into the field
    assert structure.input_value() == page.evaluate("() => window.ketcher.getSmiles()")
    assert structure.input_value() != ""
    # the page checks the drawn structure as if it had been typed
    page.wait_for_function(
        "k => document.querySelector('#preview-ids')?.textContent.includes(k)",
        arg=GLYCEROL_INCHIKEY,
    )
    page.get_by_label(re.compile("^Name")).fill("Glycerol (drawn)")
    page.get_by_role("button", name="Register").click()
    page.locator("#created").wait_for(state="visible")
    assert "Glycerol (drawn)" in page.locator("#created").inner_text()
    assert "C3H8O3" in page.locator("#created").inner_text()
    molecule_id = page.locator("#created-link").get_attribute("href").rsplit("/", 1)[1]
    res = user.client.get(f"/api/v1/molecules/{molecule_id}", headers=user.headers)
    assert res.status_code == 200, res.json
    assert (res.json["name"], res.json["inchikey"]) == ("Glycerol (drawn)", GLYCEROL_INCHIKEY)

    # reopening loads the field's structure into the editor
    structure.fill("CS(C)=O")
    _open_editor(page, "draw-structure")
    drawn = page.evaluate("() => window.ketcher.getSmiles()")
    assert _inchikey(app, drawn) == _inchikey(app, "CS(C)=O")
    assert page.locator(".structure-editor-status").inner_text() == (
        "Loaded the structure from the field."
    )
    page.get_by_role("button", name="Cancel").click()
    assert structure.input_value() == "CS(C)=O"  # cancelling leaves the field as it was

    # text the editor cannot read: said so, and the canvas starts blank
    structure.fill("C1CC")
    _open_editor(page, "draw-structure")
    assert "could not be drawn" in page.locator(".structure-editor-status").inner_text()
    assert page.evaluate("() => window.ketcher.getSmiles()") == ""
    page.get_by_role("button", name="Cancel").click()

    # with the dialog closed, Ketcher's keyboard shortcuts leave the page's fields alone
    structure.fill("")
    structure.press_sequentially("OCC(O)CO")
    assert structure.input_value() == "OCC(O)CO"
    tab.assert_no_js_errors()


def test_substructure_query_from_the_editor(tab: Any, make_user: Any, app: Any) -> None:
    user = make_user("draw")
    tab.sign_in_with_token(user.access_token)
    page = tab.page
    page.set_viewport_size({"width": 1366, "height": 900})
    tab.goto("/molecules")
    page.get_by_label("Substructure", exact=True).check()
    dialog = _open_editor(page, "draw-substructure")
    _draw(page, "OCCO")  # a 1,2-diol
    dialog.get_by_role("button", name="Use structure").click()
    dialog.wait_for(state="hidden")
    pattern = page.get_by_label("Substructure pattern").input_value()
    # written as SMARTS (Ketcher's own), atoms by atomic number
    assert pattern == page.evaluate("() => window.ketcher.getSmarts()")
    assert sorted(re.findall(r"\[#(\d+)\]", pattern)) == ["6", "6", "8", "8"]
    page.get_by_role("button", name="Find matches").click()
    found = user.client.post(
        "/api/v1/molecules/search/substructure",
        json={"query": pattern, "max_hits": 50},
        headers=user.headers,
    ).json
    expected = {m["name"] or m["formula"] for m in found["items"]}
    assert {"Glycerol", "Ethylene glycol"} <= expected
    page.wait_for_function(
        "n => document.querySelectorAll('#results-table:not([hidden]) tbody tr').length === n",
        arg=len(found["items"]),
    )
    page.wait_for_selector("#loading", state="hidden")
    headers = page.locator("#results-table thead th").all_inner_texts()
    name_col = next(i for i, t in enumerate(headers) if t.strip().startswith("Name"))
    cells = page.locator(f"#results-table tbody tr td:nth-child({name_col + 1})").all_inner_texts()
    assert {c.splitlines()[0] for c in cells} == expected
    tab.shot("structure-editor-substructure-1366x900")

    # the similarity query takes the drawing as SMILES
    page.get_by_label("Similarity to a structure").check()
    dialog = _open_editor(page, "draw-similarity")
    _draw(page, "OCC(O)CO")
    dialog.get_by_role("button", name="Use structure").click()
    dialog.wait_for(state="hidden")
    query = page.get_by_label("Query structure").input_value()
    assert query == page.evaluate("() => window.ketcher.getSmiles()")
    assert _inchikey(app, query) == GLYCEROL_INCHIKEY
    tab.assert_no_js_errors()
