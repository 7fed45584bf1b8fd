"""The team and admin pages in a real browser (Debian's Chromium driven by Playwright).

Journeys: a user creates a team, invites a colleague by e-mail (an address without an
account is invited just the same: nothing reveals who has one), the colleague accepts on
their Teams page, the owner changes the colleague's role and removes them, and sees what
the team shares; the header's team switcher becomes the default scope of a new experiment. An
administrator (made through the service layer, as ``cryoprotect users create-admin`` does)
reads the database health report and creates, toggles, rolls out and overrides a feature
flag; a normal user is told the page is not for them.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from typing import Any

import pytest

from tests.e2e.conftest import Tab
from tests.e2e.test_web_experiments import unlabelled_controls

pytestmark = pytest.mark.e2e

PASSWORD = "correct horse battery"


@dataclass
class Account:
    email: str
    name: str
    id: str
    headers: dict[str, str]

    @property
    def token(self) -> str:
        return self.headers["Authorization"].removeprefix("Bearer ")


def _account(app: Any, prefix: str, *, admin: bool = False) -> Account:
    client = app.test_client()
    email = f"{prefix}-{uuid.uuid4().hex[:10]}@example.org"
    name = f"{prefix.capitalize()} {uuid.uuid4().hex[:4]}"
    if admin:  # the service call behind `cryoprotect users create-admin`
        user = app.extensions["cryoprotect"].auth.register(
            email, PASSWORD, display_name=name, admin=True
        )
        user_id = str(user.id)
    else:
        reg = client.post(
            "/api/v1/auth/register",
            json={"email": email, "password": PASSWORD, "display_name": name},
        )
        assert reg.status_code == 202, reg.json
        user_id = ""
    login = client.post("/api/v1/auth/login", json={"email": email, "password": PASSWORD})
    assert login.status_code == 200, login.json
    user_id = (
        user_id
        or client.get(
            "/api/v1/users/me", headers={"Authorization": f"Bearer {login.json['access_token']}"}
        ).json["id"]
    )
    return Account(email, name, user_id, {"Authorization": f"Bearer {login.json['access_token']}"})


def test_create_a_team_and_manage_its_members(
    app: Any, tab: Tab, browser: Any, live_server: str
) -> None:
    from playwright.sync_api import expect

    from cryoprotect.services.teams import ROLE_NAMES

    client = app.test_client()
    owner, colleague = _account(app, "owner"), _account(app, "colleague")
    page = tab.page
    tab.sign_in_with_token(owner.token)

    # no team yet: the list says so and offers the form
    tab.goto("/teams")
    page.locator("#empty").wait_for(state="visible")
    assert "not in any team" in page.locator("#empty").inner_text()
    team_name = f"Vitrification lab {uuid.uuid4().hex[:6]}"
    page.get_by_label("Team name").fill(team_name)
    page.get_by_label("Description").fill("Kidney slice vitrification")
    page.get_by_role("button", name="Create team").click()
    page.wait_for_url(re.compile(r".*/teams/[0-9a-f-]{36}\?created=1$"))
    team_id = page.url.split("/teams/")[1].split("?")[0]
    expect(page.locator("#team-name")).to_have_text(team_name)
    expect(page.locator("#my-role")).to_have_text("you: admin")
    assert "you are its admin" in page.locator("#flash").inner_text()

    # the role choices are the API's
    roles = page.locator("#member-form [name=role] option")
    assert [roles.nth(i).get_attribute("value") for i in range(roles.count())] == list(ROLE_NAMES)

    # an e-mail without an account is invited like any other: nothing tells who has one
    form = page.locator("#member-form")
    nobody = f"nobody-{uuid.uuid4().hex[:8]}@example.org"
    form.get_by_label("E-mail").fill(nobody)
    form.get_by_role("button", name="Send invitation").click()
    expect(page.locator("#flash")).to_contain_text(f"Invitation sent to {nobody}")
    assert form.locator("[data-error-for=email]").is_hidden()

    # invite the colleague as a verifier: the team page shows the invitation as sent
    form.get_by_label("E-mail").fill(colleague.email)
    form.get_by_label("Role").select_option("verifier")
    form.get_by_role("button", name="Send invitation").click()
    sent = page.locator("#invitations-table tbody tr", has_text=colleague.email)
    sent.wait_for()
    assert "invitation sent" in sent.inner_text() and "verifier" in sent.inner_text()
    expect(page.locator("#members-table tbody tr", has_text=colleague.email)).to_have_count(0)

    # the colleague sees the invitation on the Teams page and accepts it
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    try:
        other = Tab(page=context.new_page(), base=live_server)
        other.page.on("pageerror", lambda exc: other.errors.append(str(exc)))
        other.sign_in_with_token(colleague.token)
        other.goto("/teams")
        invitation = other.page.locator("#invitations-table tbody tr", has_text=team_name)
        invitation.wait_for()
        assert "verifier" in invitation.inner_text()
        expect(
            other.page.get_by_role("button", name=f"Decline the invitation to {team_name}")
        ).to_be_visible()
        other.shot("teams-invitation")
        other.page.get_by_role("button", name=f"Accept the invitation to {team_name}").click()
        expect(other.page.locator("#teams-table tbody tr", has_text=team_name)).to_contain_text(
            "verifier"
        )
        expect(other.page.locator("#invited")).to_be_hidden()
        other.assert_no_js_errors()
    finally:
        context.close()

    tab.goto(f"/teams/{team_id}")
    row = page.locator("#members-table tbody tr", has_text=colleague.email)
    row.wait_for()
    role_select = row.get_by_label(f"Role of {colleague.name}")
    expect(role_select).to_have_value("verifier")
    pending = page.locator("#invitations-table tbody tr")
    expect(pending).to_have_count(1)  # only the address without an account is still pending
    assert nobody in pending.inner_text()
    owner_row = page.locator("#members-table tbody tr", has_text=owner.email)
    assert "last admin" in owner_row.inner_text()  # cannot leave or be demoted

    # change the colleague's role: the API has it
    role_select.select_option("editor")
    expect(page.locator("#flash")).to_contain_text("is now editor")
    members = client.get(f"/api/v1/teams/{team_id}/members", headers=owner.headers).json
    assert {m["email"]: m["role"] for m in members}[colleague.email] == "editor"

    # what the team shares: a team mixture and a team experiment made through the API
    mixture = client.post(
        "/api/v1/mixtures",
        json={
            "name": f"Team VS55 stand-in {uuid.uuid4().hex[:6]}",
            "components": [{"name": "Dimethyl sulfoxide", "amount": 15, "unit": "% v/v"}],
            "visibility": "team",
            "team_id": team_id,
        },
        headers=colleague.headers,
    )
    assert mixture.status_code == 201, mixture.json
    experiment = client.post(
        "/api/v1/experiments",
        json={
            "title": f"Shared run {uuid.uuid4().hex[:6]}",
            "visibility": "team",
            "team_id": team_id,
        },
        headers=owner.headers,
    )
    assert experiment.status_code == 201, experiment.json
    tab.goto(f"/teams/{team_id}")
    cards = page.locator("#shared-cards .card")
    expect(cards).to_have_count(3)
    expect(cards.nth(0).locator(".count")).to_have_text("1")
    assert experiment.json["title"] in cards.nth(0).inner_text()
    expect(cards.nth(1).locator(".count")).to_have_text("1")
    assert mixture.json["name"] in cards.nth(1).inner_text()
    page.locator("#members-table tbody tr").nth(1).wait_for()
    assert unlabelled_controls(page) == []
    tab.shot("teams-team")

    # remove the colleague
    page.get_by_role("button", name=f"Remove {colleague.name}").click()
    expect(page.locator("#members-table tbody tr", has_text=colleague.email)).to_have_count(0)
    expect(page.locator("#flash")).to_contain_text("was removed")

    # the list shows the team and my role
    tab.goto("/teams")
    listed = page.locator("#teams-table tbody tr", has_text=team_name)
    listed.wait_for()
    assert "admin" in listed.inner_text() and "Kidney slice vitrification" in listed.inner_text()
    tab.shot("teams-list")

    # the header's team switcher sets the default scope of new records
    page.get_by_label("Current team").select_option(team_id)
    tab.goto("/experiments/new")
    page.wait_for_selector("#experiment-form:not([hidden])")
    expect(page.locator("[name=visibility]")).to_have_value("team")
    expect(page.locator("[name=team_id]")).to_have_value(team_id)
    tab.assert_no_js_errors()


def test_admin_page_for_an_administrator_and_for_a_normal_user(
    app: Any, tab: Tab, browser: Any, live_server: str
) -> None:
    from playwright.sync_api import expect

    client = app.test_client()
    admin = _account(app, "admin", admin=True)
    team = client.post(
        "/api/v1/teams", json={"name": f"Ops team {uuid.uuid4().hex[:6]}"}, headers=admin.headers
    )
    assert team.status_code == 201, team.json
    page = tab.page
    tab.sign_in_with_token(admin.token)
    tab.goto("/admin")

    # the health report: the overall status is the API's, each check has its own section
    status = page.locator("#health-status")
    status.wait_for(state="visible")
    report = client.get("/api/v1/admin/db-health", headers=admin.headers).json
    assert status.inner_text() == report["status"]
    sections = page.locator("details.health-check")
    expect(sections).to_have_count(len(report["checks"]))
    for key, check in report["checks"].items():
        summary = page.locator(f"details[data-check={key}] summary").inner_text()
        assert summary.startswith(check["status"])
    assert page.locator("#nav-admin").is_visible()

    # a malformed key is refused next to the key field
    flag_form = page.locator("#flag-form")
    flag_form.get_by_label("Key").fill("Not A Key")
    flag_form.get_by_role("button", name="Create flag").click()
    slot = flag_form.locator("[data-error-for=key]")
    slot.wait_for(state="visible")
    assert "dotted lower-case" in slot.inner_text()

    # create a flag, on for 30 % of signed-in users
    key = f"web.e2e_{uuid.uuid4().hex[:8]}"
    flag_form.get_by_label("Key").fill(key)
    flag_form.get_by_label("Rollout (% of signed-in users)").fill("30")
    flag_form.get_by_label("Description").fill("Browser-test flag")
    flag_form.get_by_label("On (otherwise the flag starts off)").check()
    flag_form.get_by_role("button", name="Create flag").click()
    article = page.locator(f"article[data-flag='{key}']")
    article.wait_for()
    expect(article.locator("h3 .badge")).to_have_text("on · 30 %")
    assert "on for 30 % of signed-in users" in article.locator(".rollout").inner_text()

    # toggle it off, then change the rollout
    article.get_by_label("On", exact=True).uncheck()
    expect(article.locator("h3 .badge")).to_have_text("off")
    assert (
        client.get(f"/api/v1/feature-flags/{key}", headers=admin.headers).json["enabled"] is False
    )
    article.get_by_label("Rollout (% of signed-in users)").fill("50")
    article.locator(".flag-edit").get_by_role("button", name="Save").click()
    expect(article.locator(".flag-edit [role=status]")).to_have_text("Saved.")
    assert (
        client.get(f"/api/v1/feature-flags/{key}", headers=admin.headers).json["rollout_percentage"]
        == 50
    )

    # a team override, picked from the suggestions
    form = article.locator(".override-form")
    form.get_by_label("Override for").select_option("team")
    form.get_by_label("Who").fill(f"{team.json['name']} · {team.json['id']}")
    form.get_by_label("Flag is").select_option("true")
    form.get_by_label("Note").fill("pilot team")
    form.get_by_role("button", name="Set override").click()
    row = article.locator("table.overrides tbody tr")
    expect(row).to_have_count(1)
    assert team.json["name"] in row.inner_text() and "on" in row.inner_text()
    overrides = client.get(f"/api/v1/feature-flags/{key}", headers=admin.headers).json["overrides"]
    assert [(o["team_id"], o["enabled"], o["note"]) for o in overrides] == [
        (team.json["id"], True, "pilot team")
    ]
    # a "who" that names nobody is caught before any request
    form = article.locator(".override-form")
    form.get_by_label("Who").fill("someone")
    form.get_by_role("button", name="Set override").click()
    expect(form.locator("[data-error-for=who]")).to_contain_text("paste its id")
    assert unlabelled_controls(page) == []
    tab.shot("admin-page")

    article.get_by_role("button", name=re.compile(r"^Remove the override")).click()
    expect(article.locator("table.overrides")).to_have_count(0)
    assert client.get(f"/api/v1/feature-flags/{key}", headers=admin.headers).json["overrides"] == []
    tab.assert_no_js_errors()

    # a normal user: a clear message, no report, no flags
    normal = _account(app, "normal")
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    try:
        other = Tab(page=context.new_page(), base=live_server)
        other.page.on("pageerror", lambda exc: other.errors.append(str(exc)))
        other.sign_in_with_token(normal.token)
        other.goto("/admin")
        forbidden = other.page.locator("#forbidden")
        forbidden.wait_for(state="visible")
        assert f"{normal.email} is not one" in forbidden.inner_text()
        assert other.page.locator("#content").is_hidden()
        assert other.page.locator("#nav-admin").is_hidden()
        other.shot("admin-forbidden")
        other.assert_no_js_errors()
    finally:
        context.close()
