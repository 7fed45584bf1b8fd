"""A team record carries its evidence, in a real browser (issue 12, finding 2).

A scientist records a team experiment with their own *private* mixture on the experiment
page: the database refuses it, and the page says which mixture and what to do, next to the
mixture field, without leaving the form. Sharing the mixture with the team lets the same
form save.
"""

from __future__ import annotations

import re
import uuid
from typing import Any

import pytest

from tests.e2e.conftest import Tab

pytestmark = pytest.mark.e2e

PASSWORD = "correct horse battery"
UUID_URL = re.compile(r".*/experiments/[0-9a-f-]{36}$")


@pytest.fixture
def scientist(app) -> dict[str, Any]:
    """A signed-up user, the admin of a team, with a private mixture of their own."""
    client = app.test_client()
    email = f"evidence-{uuid.uuid4().hex[:10]}@example.org"
    reg = client.post("/api/v1/auth/register", json={"email": email, "password": PASSWORD})
    assert reg.status_code == 202, reg.json  # registration answers alike for every address
    token = client.post("/api/v1/auth/login", json={"email": email, "password": PASSWORD}).json[
        "access_token"
    ]
    headers = {"Authorization": f"Bearer {token}"}
    team = client.post(
        "/api/v1/teams", json={"name": f"Evidence lab {uuid.uuid4().hex[:6]}"}, headers=headers
    )
    assert team.status_code == 201, team.json
    mixture = client.post(
        "/api/v1/mixtures",
        json={
            "name": f"My private VS {uuid.uuid4().hex[:6]}",
            "components": [{"name": "Dimethyl sulfoxide", "amount": 10, "unit": "% v/v"}],
            "carrier": "isotonic saline",
        },
        headers=headers,
    )
    assert mixture.status_code == 201, mixture.json
    assert mixture.json["visibility"] == "private"
    return {
        "client": client,
        "token": token,
        "headers": headers,
        "team_id": team.json["id"],
        "mixture": mixture.json,
    }


def test_a_team_experiment_citing_a_private_mixture_is_refused_with_its_name(
    tab: Tab, scientist: dict[str, Any]
) -> None:
    from playwright.sync_api import expect

    page = tab.page
    mixture, team_id = scientist["mixture"], scientist["team_id"]
    title = f"Team run {uuid.uuid4().hex[:6]}"
    tab.sign_in_with_token(scientist["token"])
    tab.goto(f"/experiments/new?mixture_id={mixture['id']}")
    page.wait_for_selector("#experiment-form:not([hidden])")
    assert page.locator("[name=mixture_id]").input_value() == mixture["id"]
    page.get_by_label("Title").fill(title)
    page.locator("[name='results[0].measure']").select_option("viability_percent")
    page.locator("[name='results[0].value']").fill("61")
    page.locator("[name=visibility]").select_option("team")
    page.locator("[name=team_id]").select_option(team_id)
    page.locator("#save").click()

    slot = page.locator("[data-error-for='mixture_id']")
    expect(slot).to_be_visible()
    expect(slot).to_contain_text(mixture["name"])
    expect(slot).to_contain_text("is private: share it with the team")
    expect(page.locator("#error")).to_contain_text(mixture["name"])
    assert page.locator("[name=mixture_id]").get_attribute("aria-invalid") == "true"
    assert page.url.endswith(f"/experiments/new?mixture_id={mixture['id']}")
    tab.shot("experiments-new-private-mixture-refused")
    listed = scientist["client"].get(f"/api/v1/experiments?q={title}", headers=scientist["headers"])
    assert listed.json["total"] == 0

    # Shared with the team, the same form saves.
    shared = scientist["client"].patch(
        f"/api/v1/mixtures/{mixture['id']}",
        json={"visibility": "team", "team_id": team_id},
        headers=scientist["headers"],
    )
    assert shared.status_code == 200, shared.json
    page.locator("#save").click()
    page.wait_for_url(UUID_URL)
    tab.assert_no_js_errors()
