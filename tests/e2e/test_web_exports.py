"""Downloads in a real browser (issue 18, "Done means"): on the experiment page the Excel
button saves a workbook that openpyxl opens with the results, the PDF button a one-page
report naming the experiment; the protocol page's PDF and the molecule list's filtered CSV
likewise. Screenshots of the pages with their buttons at 1366×900 and 390×844."""

from __future__ import annotations

import csv
import io
import uuid
from pathlib import Path
from typing import Any

import openpyxl
import pypdf
import pytest

from tests.e2e.conftest import Tab

pytestmark = pytest.mark.e2e

PASSWORD = "correct horse battery"


def _token(client: Any) -> str:
    email = f"exports-{uuid.uuid4().hex[:10]}@example.org"
    reg = client.post("/api/v1/auth/register", json={"email": email, "password": PASSWORD})
    assert reg.status_code == 202, reg.json
    login = client.post("/api/v1/auth/login", json={"email": email, "password": PASSWORD})
    assert login.status_code == 200, login.json
    return str(login.json["access_token"])


def _create_as_new_user(
    app: Any, path: str, body: dict[str, Any]
) -> tuple[Any, str, dict[str, Any]]:
    """A new user's test client, token and the record they POST to ``path``."""
    client = app.test_client()
    token = _token(client)
    res = client.post(path, json=body, headers={"Authorization": f"Bearer {token}"})
    assert res.status_code == 201, res.json
    return client, token, res.json


def _download(tab: Tab, button: str, tmp_path: Path) -> tuple[str, bytes]:
    with tab.page.expect_download() as info:
        tab.page.click(f"#download-{button}")
    download = info.value
    target = tmp_path / download.suggested_filename
    download.save_as(str(target))
    return download.suggested_filename, target.read_bytes()


def _pdf(content: bytes) -> tuple[int, str]:
    reader = pypdf.PdfReader(io.BytesIO(content))
    return len(reader.pages), reader.pages[0].extract_text()


def _shots(tab: Tab, name: str) -> None:
    for width, height in ((1366, 900), (390, 844)):
        tab.page.set_viewport_size({"width": width, "height": height})
        tab.shot(f"exports-{name}-{width}x{height}")
    tab.page.set_viewport_size({"width": 1366, "height": 900})


def test_experiment_page_downloads_excel_and_a_one_page_pdf(app, tab: Tab, tmp_path: Path) -> None:
    title = f"Browser export {uuid.uuid4().hex[:6]}"
    _, token, exp = _create_as_new_user(
        app,
        "/api/v1/experiments",
        {
            "title": title,
            "conditions": {"cooling_rate_c_per_min": 1.0, "storage_temperature_c": -196.0},
            "results": [
                {"measure": "viability_percent", "value": 72.5, "replicates": 3, "sd": 4.1},
                {"measure": "recovery_percent", "value": 61.0, "replicates": 3, "time_point_h": 24},
            ],
        },
    )
    tab.sign_in_with_token(token)
    tab.goto(f"/experiments/{exp['id']}")
    tab.page.wait_for_selector(f"#experiment-title:has-text({title!r})")

    name, content = _download(tab, "xlsx", tmp_path)
    assert name.endswith(".xlsx") and name.startswith("experiment-browser-export")
    wb = openpyxl.load_workbook(io.BytesIO(content))
    results = list(wb["Results"].iter_rows(values_only=True))
    assert results[0][:3] == ("Measure", "Value", "Unit")
    assert [r[:3] for r in results[1:]] == [
        ("Post-thaw viability", 72.5, "%"),
        ("Cell recovery", 61.0, "%"),
    ]
    meta = {r[0]: r[1] for r in wb["Metadata"].iter_rows(values_only=True) if r[0]}
    assert meta["Record id"] == exp["id"] and meta["Record"] == title

    name, content = _download(tab, "pdf", tmp_path)
    pages, text = _pdf(content)
    assert name.endswith(".pdf") and pages == 1 and title in text

    name, content = _download(tab, "csv", tmp_path)
    rows = list(csv.DictReader(io.StringIO(content.decode("utf-8-sig"))))
    assert [float(r["Value"]) for r in rows] == [72.5, 61.0]
    assert "Downloaded" in tab.page.text_content("[data-download-status]")
    _shots(tab, "experiment")
    tab.assert_no_js_errors()


def test_protocol_pdf_and_filtered_molecule_list_download(app, tab: Tab, tmp_path: Path) -> None:
    name = f"Browser protocol {uuid.uuid4().hex[:6]}"
    client, token, protocol = _create_as_new_user(
        app,
        "/api/v1/protocols",
        {
            "name": name,
            "design_request": {
                "cell_type": "rhesus_mii_oocyte",
                "target": {
                    "components": [{"name": "Dimethyl sulfoxide", "amount": 1.4, "unit": "mol/L"}]
                },
                "temperature_c": 22.0,
            },
        },
    )
    tab.sign_in_with_token(token)
    tab.goto(f"/protocols/{protocol['id']}")
    tab.page.wait_for_selector(f"#protocol-title:has-text({name!r})")
    filename, content = _download(tab, "pdf", tmp_path)
    pages, text = _pdf(content)
    assert filename.endswith(".pdf") and pages == 1 and name in text
    _shots(tab, "protocol")

    mixture = client.post(
        "/api/v1/mixtures",
        json={
            "name": f"Browser mixture {uuid.uuid4().hex[:6]}",
            "components": [{"name": "Glycerol", "amount": 10, "unit": "% w/w"}],
        },
        headers={"Authorization": f"Bearer {token}"},
    )
    assert mixture.status_code == 201, mixture.json
    tab.goto(f"/mixtures/{mixture.json['id']}")
    tab.page.wait_for_selector(f"#mixture-title:has-text({mixture.json['name']!r})")
    filename, content = _download(tab, "xlsx", tmp_path)
    wb = openpyxl.load_workbook(io.BytesIO(content))
    components = list(wb["Components"].iter_rows(values_only=True))
    assert components[0][:5] == ("Component", "SMILES", "Molar mass (g/mol)", "Amount", "Unit")
    assert components[1][:2] == ("Glycerol", "OCC(O)CO") and components[1][3:5] == (10.0, "% w/w")
    assert components[1][2] == pytest.approx(92.094, abs=0.01)
    assert {"Composition", "Properties", "Metadata"} <= set(wb.sheetnames)
    _shots(tab, "mixture")

    listed = client.get("/api/v1/molecules?q=glycol&per_page=100").json
    tab.goto("/molecules?q=glycol")
    tab.page.wait_for_selector("#results-table:not([hidden])")
    filename, content = _download(tab, "csv", tmp_path)
    rows = list(csv.DictReader(io.StringIO(content.decode("utf-8-sig"))))
    assert [r["Molecule id"] for r in rows] == [m["id"] for m in listed["items"]]
    assert 0 < len(rows) < client.get("/api/v1/molecules?per_page=1").json["total"]
    _shots(tab, "molecules")
    tab.assert_no_js_errors()
