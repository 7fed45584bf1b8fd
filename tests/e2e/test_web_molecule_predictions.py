"""A molecule model's predictions on the molecule page, in a real browser (issue 14, item 5).

A user trains a ridge model on the shipped FreeSolv hydration free energies (a molecule
dataset, scaffold-grouped CV). The page of the library molecule glycerol (in FreeSolv)
shows the predicted value with its interval and the model's version; the page of a
library molecule unlike anything in FreeSolv shows the out-of-domain warning and no number.

Skips locally without Chromium or the ``playwright`` package; fails under CI=true.
"""

from __future__ import annotations

import re
import uuid
from typing import Any

import pytest

from cryoprotect.ml.molecule_features import FREESOLV_TARGET
from cryoprotect.web.numbers import format_in_unit
from tests.e2e.conftest import Tab

pytestmark = pytest.mark.e2e

URL = "/api/v1/predictive-models"


@pytest.fixture(scope="module")
def trained(app) -> tuple[dict[str, str], str]:
    from cryoprotect.services.actor import Actor

    client = app.test_client()
    email = f"e2e-mol-{uuid.uuid4().hex[:8]}@example.org"
    client.post("/api/v1/auth/register", json={"email": email, "password": "long enough pw"})
    token = client.post(
        "/api/v1/auth/login", json={"email": email, "password": "long enough pw"}
    ).json
    headers = {"Authorization": f"Bearer {token['access_token']}"}
    res = client.post(
        URL,
        json={"dataset": "freesolv", "target": FREESOLV_TARGET, "algorithm": "ridge"},
        headers=headers,
    )
    assert res.status_code == 202, res.json
    job = app.extensions["cryoprotect"].jobs.wait(
        Actor(user_id=uuid.UUID(res.json["model"]["created_by"])),
        uuid.UUID(res.json["job_id"]),
        timeout_s=300,
    )
    assert job.status == "done", job
    return headers, res.json["model"]["id"]


def _molecule_id(client: Any, name: str) -> str:
    items = client.get(f"/api/v1/molecules?q={name}&per_page=50").json["items"]
    return str(next(m["id"] for m in items if m["name"] == name))


def test_molecule_page_shows_prediction_or_out_of_domain_warning(
    tab: Tab, app: Any, trained: tuple[dict[str, str], str]
) -> None:
    from playwright.sync_api import expect

    headers, model_id = trained
    client = app.test_client()
    page = tab.page
    tab.sign_in_with_token(headers["Authorization"].removeprefix("Bearer "))

    glycerol = _molecule_id(client, "Glycerol")
    answer = client.get(f"{URL}/molecules/{glycerol}/predictions", headers=headers).json
    ours = next(p for p in answer["predictions"] if p["model_id"] == model_id)
    assert ours["in_domain"] is True and ours["value"] is not None
    tab.goto(f"/molecules/{glycerol}")
    table = page.locator("#predicted-table")
    expect(table).to_be_visible(timeout=30_000)
    row = table.locator("tbody tr", has=page.locator(f'a[href="/models/{model_id}"]'))
    expect(row).to_have_count(1)
    # as the precision policy writes a value in kcal/mol (3 s.f.; cryoprotect.web.numbers)
    expect(row.locator("td").nth(1)).to_have_text(format_in_unit(ours["value"], "kcal/mol"))
    expect(row.locator("td").nth(2)).to_contain_text(
        f"{format_in_unit(ours['lower'], 'kcal/mol', '')} – {format_in_unit(ours['upper'], 'kcal/mol')}"
    )
    expect(row.locator("td").nth(3)).to_contain_text(f"v{ours['model_version']}")
    expect(row.locator("td").nth(4)).to_contain_text("Inside")
    tab.shot("molecule-predicted-in-domain")

    # a library molecule unlike FreeSolv's small neutral molecules: a warning, no number
    far = None
    for name in ("Trehalose", "Sucrose", "Raffinose", "Hydroxyethyl starch", "Ectoine"):
        items = client.get(f"/api/v1/molecules?q={name}&per_page=20").json["items"]
        for m in items:
            preds = client.get(f"{URL}/molecules/{m['id']}/predictions", headers=headers).json
            mine = [p for p in preds["predictions"] if p["model_id"] == model_id]
            if mine and mine[0]["value"] is None:
                far = m["id"]
                break
        if far:
            break
    assert far is not None, "no library molecule outside the FreeSolv domain"
    tab.goto(f"/molecules/{far}")
    row = page.locator(
        "#predicted-table tbody tr", has=page.locator(f'a[href="/models/{model_id}"]')
    )
    expect(row).to_have_count(1, timeout=30_000)
    cell = row.locator("td").nth(1)
    expect(cell).to_have_text("No value: outside applicability domain")
    expect(cell).to_have_class(re.compile(r"\bwarning\b"))
    expect(row.locator("td").nth(4)).to_contain_text("Outside: Tanimoto distance")
    tab.shot("molecule-predicted-out-of-domain")
    tab.assert_no_js_errors()
