"""Every page the web blueprint serves, at 1366×900 and 390×844 (issue 18, "Numbers": wide
tables that fit at 1366 px and scroll cleanly on phones).

The pages are the web blueprint's URL rules (the test checks that the list below covers every
one); the records their URLs need are made through the API first: a molecule, two mixtures (one
edited into a second version), a designed protocol, an experiment citing them, a team, a
trained ridge model, a toxicity model fitted on synthetic exposure data, and a share link.
Signed in as an administrator, each page must not scroll sideways at the page level at either
size (wide tables scroll inside their own box).
Screenshots: test-artifacts/screenshots/all-<endpoint>-<width>x<height>.png.
"""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from cryoprotect.web import PAGES
from tests.conftest import UserHandle, train_model_via_api
from tests.e2e.conftest import Tab
from tests.integration.test_eln import _source_records
from tests.integration.test_toxicity_api import _synthetic_csv, _upload, _wait

pytestmark = pytest.mark.e2e

PASSWORD = "correct horse battery"
SIZES = ({"width": 1366, "height": 900}, {"width": 390, "height": 844})
#: web endpoints that serve files, not pages
NOT_PAGES = {"web.static", "web.plotly_js"}


@pytest.fixture(scope="module")
def records(app: Any) -> dict[str, Any]:
    """An administrator's token and the records behind every page URL."""
    client = app.test_client()
    email = f"layout-all-{uuid.uuid4().hex[:10]}@example.org"
    app.extensions["cryoprotect"].auth.register(
        email, PASSWORD, display_name="Layout Checker", admin=True
    )
    login = client.post("/api/v1/auth/login", json={"email": email, "password": PASSWORD})
    assert login.status_code == 200, login.json
    me = client.get(
        "/api/v1/users/me", headers={"Authorization": f"Bearer {login.json['access_token']}"}
    )
    user = UserHandle(client, email, PASSWORD, me.json, login.json)
    made = _source_records(client, user)
    experiment = client.get(f"/api/v1/experiments/{made['experiment']}", headers=user.headers)
    assert experiment.status_code == 200, experiment.json
    # a second version (the version table gets two rows) whose description is one long address
    edited = client.patch(
        f"/api/v1/mixtures/{made['second']}",
        json={"description": "from https://example.org/" + "very-long-path-segment-" * 8},
        headers=user.headers,
    )
    assert edited.status_code == 200, edited.json
    team = client.post("/api/v1/teams", json={"name": "Layout lab"}, headers=user.headers)
    assert team.status_code == 201, team.json
    share = client.post(
        "/api/v1/share-links",
        json={"resource": "mixture", "id": made["second"], "expires_in_days": 7},
        headers=user.headers,
    )
    assert share.status_code == 201, share.json
    _, model_id = train_model_via_api(app, "layout-all")
    imported = _upload(client, user, _synthetic_csv())
    assert imported.status_code == 201, imported.json
    # the smallest fit: no extra terms, 20 bootstrap refits
    terms = dict.fromkeys(("nonspecific", "interactions", "temperature"), False)
    body = {"name": "plate", "experiment_ids": [imported.json["experiment_id"]], "terms": terms}
    fit = client.post(
        "/api/v1/toxicity-models", json={**body, "n_bootstrap": 20}, headers=user.headers
    )
    assert fit.status_code == 202, fit.json
    assert _wait(client, user, fit.json["job_id"])["status"] == "done"
    mixtures = client.get("/api/v1/mixtures?per_page=2", headers=user.headers).json["items"]
    protocol = experiment.json["protocol_id"]
    return {
        "token": user.access_token,
        "item_id": {
            "web.team_page": team.json["id"],
            "web.molecule_page": made["molecule"],
            "web.mixture_page": made["second"],
            "web.model_page": model_id,
            "web.model_suggest_page": model_id,
            "web.experiment_page": made["experiment"],
            "web.protocol_page": protocol,
            "web.protocol_recipe_page": protocol,
            "web.toxicity_model_page": fit.json["model"]["id"],
            "web.reset_password_page": "not-a-real-reset-token",
            "web.shared_page": share.json["token"],
        },
        "query": {
            "web.mixture_compare_page": "?ids="
            + ",".join([made["second"], *(m["id"] for m in mixtures)][:3]),
            "web.protocol_compare_page": f"?ids={protocol},{protocol}",
        },
    }


def test_the_page_list_is_every_page_the_web_blueprint_serves(app: Any) -> None:
    served = {
        rule.endpoint
        for rule in app.url_map.iter_rules()
        if rule.endpoint.startswith("web.") and rule.endpoint not in NOT_PAGES
    }
    assert served == {f"web.{endpoint}" for endpoint, _, _ in PAGES}


def _path(app: Any, records: dict[str, Any], endpoint: str) -> str:
    rule = next(r for r in app.url_map.iter_rules() if r.endpoint == endpoint)
    values = {"item_id": records["item_id"][endpoint]} if rule.arguments else {}
    with app.test_request_context():
        from flask import url_for

        return str(url_for(endpoint, **values)) + records["query"].get(endpoint, "")


def page_overflow(page: Any) -> int:
    """How far the page itself scrolls sideways, in px."""
    return int(page.evaluate("document.scrollingElement.scrollWidth - window.innerWidth"))


def widest(page: Any) -> str:
    """The elements reaching past the right edge of the window (for the failure message)."""
    return str(
        page.evaluate(
            """() => [...document.querySelectorAll("body *")]
                .filter((e) => e.getBoundingClientRect().right > window.innerWidth + 0.5
                    && !e.closest(".table-wrap, [hidden]"))
                .slice(0, 6)
                .map((e) => `${e.tagName.toLowerCase()}#${e.id}.${e.className} `
                    + `${Math.round(e.getBoundingClientRect().right)}px`)"""
        )
    )


@pytest.mark.parametrize("endpoint", [f"web.{endpoint}" for endpoint, _, _ in PAGES])
def test_page_has_no_sideways_scroll_at_1366_and_390(
    app: Any, tab: Tab, records: dict[str, Any], endpoint: str
) -> None:
    page = tab.page
    path = _path(app, records, endpoint)
    tab.sign_in_with_token(records["token"])
    for size in SIZES:
        page.set_viewport_size(size)
        tab.goto(path)
        page.wait_for_load_state("networkidle")
        page.wait_for_timeout(300)
        over = page_overflow(page)
        name = endpoint.removeprefix("web.")
        tab.shot(f"all-{name}-{size['width']}x{size['height']}")
        assert over <= 0, f"{path} scrolls {over} px sideways at {size['width']} px: {widest(page)}"


def test_structure_editor_fills_a_phone_and_shows_the_drawing(
    tab: Tab, records: dict[str, Any]
) -> None:
    """At 390×844 the structure editor dialog fills the window and a drawn glycerol's atom
    labels lie inside the visible canvas."""
    from tests.e2e.test_structure_editor import _draw, _open_editor

    page = tab.page
    tab.sign_in_with_token(records["token"])
    page.set_viewport_size(SIZES[1])
    tab.goto("/molecules/register")
    _open_editor(page, "draw-structure")
    _draw(page, "OCC(O)CO")
    page.wait_for_timeout(500)
    boxes = page.evaluate(
        """() => {
            const box = (e) => { const r = e.getBoundingClientRect();
                return {left: r.left, right: r.right, top: r.top, bottom: r.bottom}; };
            const canvas = document.querySelector(".structure-editor-canvas");
            const labels = [...canvas.querySelectorAll("svg text")]
                .filter((t) => /^(O|OH|HO)$/.test(t.textContent.trim())).map(box);
            return {dialog: box(document.querySelector("dialog.structure-editor")),
                    canvas: box(canvas), labels};
        }"""
    )
    tab.shot("all-structure-editor-390x844")
    dialog, canvas = boxes["dialog"], boxes["canvas"]
    assert dialog["left"] >= 0 and dialog["right"] <= SIZES[1]["width"], boxes
    assert dialog["top"] >= 0 and dialog["bottom"] <= SIZES[1]["height"], boxes
    assert dialog["right"] - dialog["left"] >= SIZES[1]["width"] - 1, "the dialog does not fill"
    assert len(boxes["labels"]) == 3, f"glycerol's three hydroxyl labels: {boxes}"
    for label in boxes["labels"]:
        assert canvas["left"] <= label["left"] and label["right"] <= canvas["right"], boxes
        assert canvas["top"] <= label["top"] and label["bottom"] <= canvas["bottom"], boxes
    assert page_overflow(page) <= 0
