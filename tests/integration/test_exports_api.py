"""Downloads through the API (issue 18): CSV, Excel and one-page PDF reports of
experiments, mixtures, protocols and cocktail designs, and the molecule and prediction
lists; each visible exactly as the show/list endpoints are (RLS)."""

from __future__ import annotations

import csv
import io
import uuid
from typing import Any

import openpyxl
import pypdf
import pytest

from tests.conftest import train_model_via_api
from tests.integration.test_toxicity_api import _wait, fitted  # noqa: F401 (fixture)

pytestmark = pytest.mark.integration

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
FORMULA = '=HYPERLINK("http://example.org","x")'


def _csv(res: Any) -> list[dict[str, str]]:
    assert res.status_code == 200, res.data[:300]
    assert res.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert res.headers["Content-Disposition"].startswith("attachment; filename=")
    assert res.headers["Content-Disposition"].endswith('.csv"')
    return list(csv.DictReader(io.StringIO(res.data.decode("utf-8-sig"))))


def _xlsx(res: Any) -> Any:
    assert res.status_code == 200, res.data[:300]
    assert res.headers["Content-Type"] == XLSX
    assert res.headers["Content-Disposition"].endswith('.xlsx"')
    return openpyxl.load_workbook(io.BytesIO(res.data))


def _pdf(res: Any) -> tuple[int, str]:
    assert res.status_code == 200, res.data[:300]
    assert res.headers["Content-Type"] == "application/pdf"
    assert res.headers["Content-Disposition"].endswith('.pdf"')
    reader = pypdf.PdfReader(io.BytesIO(res.data))
    return len(reader.pages), reader.pages[0].extract_text()


def _sheet(ws: Any) -> list[dict[str, Any]]:
    rows = list(ws.iter_rows(values_only=True))
    return [dict(zip(rows[0], r, strict=True)) for r in rows[1:]]


def _metadata(wb: Any) -> dict[str, Any]:
    return {r[0]: r[1] for r in wb["Metadata"].iter_rows(values_only=True) if r[0]}


def _mixture(client: Any, user: Any, **extra: Any) -> dict[str, Any]:
    body = {
        "name": f"export-mix-{uuid.uuid4().hex[:8]}",
        "components": [
            {"name": "Dimethyl sulfoxide", "amount": 10, "unit": "% v/v"},
            {"name": "Glycerol", "amount": 5, "unit": "% w/v"},
        ],
        "carrier": "isotonic saline",
        **extra,
    }
    res = client.post("/api/v1/mixtures", json=body, headers=user.headers)
    assert res.status_code == 201, res.json
    return res.json


def _experiment(client: Any, user: Any, **extra: Any) -> dict[str, Any]:
    body = {
        "title": f"HepG2 slow cooling {uuid.uuid4().hex[:6]}",
        "biological_system": {"kind": "cell", "name": "HepG2", "species": "human"},
        "conditions": {"cooling_rate_c_per_min": 1.0, "storage_temperature_c": -196.0},
        "results": [
            {"measure": "viability_percent", "value": 72.5, "replicates": 3, "sd": 4.1},
            {
                "measure": "recovery_percent",
                "value": 60.0,
                "replicates": 3,
                "sd": 5.0,
                "time_point_h": 24.0,
                "notes": FORMULA,
            },
        ],
        **extra,
    }
    res = client.post("/api/v1/experiments", json=body, headers=user.headers)
    assert res.status_code == 201, res.json
    return res.json


def test_experiment_exports_as_csv_excel_and_one_page_pdf(client, make_user) -> None:
    alice = make_user("alice")
    mixture = _mixture(client, alice)
    exp = _experiment(client, alice, mixture_id=mixture["id"])
    url = f"/api/v1/experiments/{exp['id']}/export"

    rows = _csv(client.get(f"{url}?format=csv", headers=alice.headers))
    assert [r["Measure"] for r in rows] == ["Post-thaw viability", "Cell recovery"]
    assert float(rows[0]["Value"]) == 72.5 and rows[0]["Unit"] == "%"
    assert float(rows[1]["Time point (h after thaw)"]) == 24.0 and float(rows[1]["SD"]) == 5.0
    assert rows[1]["Notes"] == "'" + FORMULA  # escaped: no spreadsheet runs it

    wb = _xlsx(client.get(f"{url}?format=xlsx", headers=alice.headers))
    assert wb.sheetnames == ["Results", "Experiment", "Metadata"]
    results = wb["Results"]
    assert results.freeze_panes == "A2"
    assert results["B2"].value == 72.5 and results["B2"].data_type == "n"
    notes = [c for c in results[3] if c.value == FORMULA]
    assert notes and notes[0].data_type == "s"  # text, not a formula
    fields = {r["Field"]: (r["Value"], r["Unit"]) for r in _sheet(wb["Experiment"])}
    assert fields["Condition: Storage temperature"] == (-196.0, "°C")
    assert fields["Condition: Cooling rate"] == (1.0, "°C/min")
    assert fields["Mixture"] == (mixture["name"], None) and fields["Mixture version"] == (1, None)
    meta = _metadata(wb)
    assert meta["Record id"] == exp["id"] and meta["Exported by"] == alice.email
    assert meta["Post-thaw viability"].startswith("recorded by the experimenter")

    pages, text = _pdf(client.get(f"{url}?format=pdf", headers=alice.headers))
    assert pages == 1
    assert exp["title"] in text and mixture["name"] in text and "Results by condition" in text


def test_exports_follow_rls_like_the_show_endpoints(client, make_user, make_team) -> None:
    alice, bob, mate = make_user("alice"), make_user("bob"), make_user("mate")
    team = make_team(alice, viewer=[mate])
    private = _experiment(client, alice)
    shared = _experiment(client, alice, visibility="team", team_id=str(team))
    mixture = _mixture(client, alice)
    for fmt in ("csv", "xlsx", "pdf"):
        url = f"/api/v1/experiments/{private['id']}/export?format={fmt}"
        callers: list[dict[str, str]] = [bob.headers, mate.headers, {}]
        for headers in callers:
            res = client.get(url, headers=headers)
            assert res.status_code == 404, (fmt, res.json)
        assert client.get(url, headers=alice.headers).status_code == 200
    # A teammate sees (and exports) the team experiment; an outsider does not.
    team_url = f"/api/v1/experiments/{shared['id']}/export?format=xlsx"
    assert _metadata(_xlsx(client.get(team_url, headers=mate.headers)))["Record id"] == shared["id"]
    assert client.get(team_url, headers=bob.headers).status_code == 404
    assert (
        client.get(f"/api/v1/mixtures/{mixture['id']}/export", headers=bob.headers).status_code
        == 404
    )


def test_a_bad_format_is_a_422_naming_the_field(client, make_user) -> None:
    alice = make_user("alice")
    exp = _experiment(client, alice)
    mixture = _mixture(client, alice)
    for url in (
        f"/api/v1/experiments/{exp['id']}/export?format=docx",
        f"/api/v1/mixtures/{mixture['id']}/export?format=pdf",  # no report for a mixture
        "/api/v1/molecules/list-export?format=sdf",
        "/api/v1/predictions/export?format=pdf",
    ):
        res = client.get(url, headers=alice.headers)
        assert res.status_code == 422, (url, res.json)
        assert res.json["error"]["details"]["field"] == "format", res.json


def test_mixture_workbook_has_composition_in_every_unit_and_properties(client, make_user) -> None:
    alice = make_user("alice")
    mixture = _mixture(client, alice)
    url = f"/api/v1/mixtures/{mixture['id']}/export"
    rows = _csv(client.get(url, headers=alice.headers))  # csv is the default
    assert [(r["Component"], float(r["Amount"]), r["Unit"]) for r in rows] == [
        ("Dimethyl sulfoxide", 10.0, "% v/v"),
        ("Glycerol", 5.0, "% w/v"),
    ]
    assert float(rows[1]["Molar mass (g/mol)"]) == pytest.approx(92.094, abs=0.01)
    wb = _xlsx(client.get(f"{url}?format=xlsx", headers=alice.headers))
    assert wb.sheetnames == ["Components", "Composition", "Properties", "Metadata"]
    props = client.get(f"/api/v1/mixtures/{mixture['id']}/properties", headers=alice.headers).json
    composition = {r["Solute"]: r for r in _sheet(wb["Composition"])}
    for i, solute in enumerate(props["composition"]["solutes"]):
        assert composition[solute]["mol/kg"] == pytest.approx(
            props["composition"]["amounts"]["mol/kg"][i]
        )
        assert composition[solute]["% w/w"] == pytest.approx(
            props["composition"]["amounts"]["% w/w"][i]
        )
    quantities = {r["Quantity"]: r for r in _sheet(wb["Properties"])}
    assert quantities["Osmolality"]["Unit"] == "osmol/kg"
    assert quantities["Osmolality"]["Status"] == props["osmolality"]["status"]
    assert quantities["Melting point"]["Value"] == props["melting_point"]["value_c"]
    assert _metadata(wb)["Osmolality"] == props["osmolality"]["method"]


def test_protocol_exports_steps_time_course_and_a_one_page_report(client, make_user) -> None:
    alice, bob = make_user("alice"), make_user("bob")
    body = {
        "name": f"DMSO loading {uuid.uuid4().hex[:6]}",
        "design_request": {
            "cell_type": "rhesus_mii_oocyte",
            "target": {
                "components": [{"name": "Dimethyl sulfoxide", "amount": 1.4, "unit": "mol/L"}]
            },
            "temperature_c": 22.0,
        },
    }
    protocol = client.post("/api/v1/protocols", json=body, headers=alice.headers).json
    url = f"/api/v1/protocols/{protocol['id']}/export"
    rows = _csv(client.get(f"{url}?format=csv", headers=alice.headers))
    assert len(rows) == len(protocol["steps"])
    assert sum(float(r["Duration (s)"]) for r in rows) == pytest.approx(
        protocol["summary"]["total_duration_s"]
    )
    assert [float(r["Dimethyl sulfoxide (mol/kg)"] or 0) for r in rows] == pytest.approx(
        [s["solutes"].get("Dimethyl sulfoxide", 0.0) for s in protocol["steps"]]
    )
    wb = _xlsx(client.get(f"{url}?format=xlsx", headers=alice.headers))
    course = _sheet(wb["Time course"])
    chart = protocol["design"]["protocols"]["designed"]["chart"]
    assert len(course) == len(chart["time_s"])
    assert [r["Cell volume (V/V_iso)"] for r in course] == pytest.approx(chart["volume_fraction"])
    summary = {r["Quantity"]: r for r in _sheet(wb["Summary"])}
    assert summary["Toxicity cost"]["Value"] == pytest.approx(protocol["toxicity_cost"])
    pages, text = _pdf(client.get(f"{url}?format=pdf", headers=alice.headers))
    assert pages == 1 and protocol["name"] in text
    assert client.get(f"{url}?format=pdf", headers=bob.headers).status_code == 404


def test_molecule_list_export_uses_the_list_filters(client, make_user) -> None:
    from tests.conftest import unique_smiles

    alice, bob = make_user("alice"), make_user("bob")
    mine = client.post(
        "/api/v1/molecules",
        json={"structure": unique_smiles(), "name": f"secret-{uuid.uuid4().hex[:6]}"},
        headers=alice.headers,
    )
    assert mine.status_code == 201, mine.json
    listed = client.get("/api/v1/molecules?q=glycol&per_page=100").json
    rows = _csv(client.get("/api/v1/molecules/list-export?q=glycol"))
    assert [r["Molecule id"] for r in rows] == [m["id"] for m in listed["items"]]
    assert len(rows) == listed["total"] > 0
    bounded = client.get("/api/v1/molecules?mw_min=60&mw_max=100&per_page=100").json
    wb = _xlsx(client.get("/api/v1/molecules/list-export?format=xlsx&mw_min=60&mw_max=100"))
    sheet = _sheet(wb["Molecules"])
    assert [r["Molecule id"] for r in sheet] == [m["id"] for m in bounded["items"]]
    assert all(60 <= r["Molecular weight (g/mol)"] <= 100 for r in sheet)
    name = mine.json["name"]
    assert name in {
        r["Name"]
        for r in _csv(client.get(f"/api/v1/molecules/list-export?q={name}", headers=alice.headers))
    }
    assert _csv(client.get(f"/api/v1/molecules/list-export?q={name}", headers=bob.headers)) == []


def test_prediction_export_names_the_model(app, client, make_user) -> None:
    headers, model_id = train_model_via_api(app, "export")
    res = client.post(
        f"/api/v1/predictive-models/{model_id}/predict",
        json={"components": [{"name": "Dimethyl sulfoxide", "amount": 10, "unit": "% v/v"}]},
        headers=headers,
    )
    assert res.status_code == 200, res.json
    prediction = res.json
    model = client.get(f"/api/v1/predictive-models/{model_id}", headers=headers).json
    wb = _xlsx(client.get("/api/v1/predictions/export?format=xlsx", headers=headers))
    rows = {r["Prediction id"]: r for r in _sheet(wb["Predictions"])}
    row = rows[prediction["prediction_id"]]
    assert row["Value"] == pytest.approx(prediction["value"])
    assert (row["Interval low"], row["Interval high"]) == pytest.approx(
        (prediction["lower"], prediction["upper"])
    )
    assert (row["Model"], row["Model version"]) == (model["name"], model["version"])
    stranger = make_user("stranger")
    assert prediction["prediction_id"] not in {
        r["Prediction id"]
        for r in _csv(client.get("/api/v1/predictions/export", headers=stranger.headers))
    }


def test_cocktail_design_exports_and_report(client: Any, fitted: dict[str, Any]) -> None:  # noqa: F811
    owner, outsider = fitted["owner"], fitted["outsider"]
    request = {
        "candidates": ["Glycerol", "DMSO", "Propylene glycol"],
        "cell_type": "generic_mammalian",
        "toxicity_model_id": fitted["model_id"],
        "temperature_c": 22.0,
        "vitrification": {"min_total_molality_mol_per_kg": 3.0},
        "max_steps": 2,
        "composition_step": 0.5,
        "pareto_levels": 2,
    }
    started = client.post("/api/v1/cocktails/design", json=request, headers=owner.headers)
    assert started.status_code == 202, started.json
    job = _wait(client, owner, started.json["job_id"])
    assert job["status"] == "done", job
    url = f"/api/v1/cocktails/designs/{job['id']}/export"
    wb = _xlsx(client.get(f"{url}?format=xlsx", headers=owner.headers))
    front = _sheet(wb["Pareto front"])
    assert [r["Surviving fraction (0-1)"] for r in front] == pytest.approx(
        [p["prediction"]["surviving_fraction"] for p in job["result"]["pareto"]]
    )
    assert [r["Vitrification margin"] for r in front] == pytest.approx(
        [p["vitrification"]["margin"] for p in job["result"]["pareto"]]
    )
    assert len(_sheet(wb["Steps"])) == len(job["result"]["steps"])
    pages, text = _pdf(client.get(f"{url}?format=pdf", headers=owner.headers))
    assert pages == 1 and "Cocktail of Glycerol" in text and "Pareto front" in text
    assert client.get(f"{url}?format=pdf", headers=outsider.headers).status_code == 404
    assert client.get(f"{url}?format=pdf").status_code == 401
    # Another kind of job is no cocktail design.
    model_job = client.get(
        f"/api/v1/cocktails/designs/{uuid.uuid4()}/export", headers=owner.headers
    )
    assert model_job.status_code == 404
