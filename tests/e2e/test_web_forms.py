"""Forms in a real browser (Debian's Chromium driven by Playwright), issue 18 "Forms":

- the new-experiment form saves without results (its ready-to-fill result row, left empty,
  is not sent), while a row with something typed in but no value is still refused next to
  its field;
- a rejected field's message (and the banner that repeated it) goes once the field is edited,
  and a banner goes when the corrected form is sent again successfully;
- success messages end up on screen even when the form sits far below them;
- the sign-up page's password hint and the API's message state the same rule (the
  service's: at least 8 characters), for a short and for an empty password.
"""

from __future__ import annotations

import re
import uuid
from typing import Any

import pytest

from tests.e2e.conftest import Tab

pytestmark = pytest.mark.e2e

UUID_URL = re.compile(r".*/experiments/[0-9a-f-]{36}$")


def _in_viewport(locator: Any) -> bool:
    """Is the element visible and wholly inside the browser window (not scrolled away)?"""
    return bool(
        locator.evaluate(
            "el => { const r = el.getBoundingClientRect();"
            " return !el.hidden && r.height > 0 && r.top > -1 && r.bottom < window.innerHeight + 1; }"
        )
    )


def _wait_on_screen(page: Any, element_id: str) -> None:
    """Wait until the element ``#element_id`` is wholly inside the window (a pixel of
    sub-pixel rounding allowed); time out when it stays scrolled away."""
    page.wait_for_function(
        "id => { const r = document.getElementById(id).getBoundingClientRect();"
        " return r.height > 0 && r.top > -1 && r.bottom < window.innerHeight + 1; }",
        arg=element_id,
    )


def _open_new_experiment(tab: Tab, token: str) -> Any:
    tab.sign_in_with_token(token)
    tab.goto("/experiments/new")
    tab.page.wait_for_selector("#experiment-form:not([hidden])")
    return tab.page


def test_new_experiment_saves_without_results(tab: Tab, client: Any, make_user: Any) -> None:
    author = make_user("forms")
    page = _open_new_experiment(tab, author.access_token)
    # the form offers one result row, ready to fill ...
    assert page.locator("[name='results[0].value']").count() == 1
    title = f"No results yet {uuid.uuid4().hex[:6]}"
    page.get_by_label("Title").fill(title)
    # ... and saving with it left empty records an experiment without results
    page.locator("#save").click()
    page.wait_for_url(UUID_URL)
    experiment_id = page.url.rsplit("/", 1)[1]
    saved = client.get(f"/api/v1/experiments/{experiment_id}", headers=author.headers)
    assert saved.status_code == 200, saved.json
    assert saved.json["title"] == title
    assert saved.json["results"] == []
    tab.shot("forms-experiment-saved-without-results")
    tab.assert_no_js_errors()


def test_a_started_result_row_without_value_is_refused(
    tab: Tab, client: Any, make_user: Any
) -> None:
    author = make_user("forms")
    page = _open_new_experiment(tab, author.access_token)
    page.get_by_label("Title").fill(f"Half a result {uuid.uuid4().hex[:6]}")
    page.locator("[name='results[0].notes']").fill("counted twice")
    page.locator("#save").click()
    slot = page.locator("[data-error-for='results[0].value']")
    slot.wait_for(state="visible")
    assert slot.inner_text().strip()
    assert page.locator("#error").is_visible()
    assert "/experiments/new" in page.url
    # the row the user typed into is still there (not dropped as "empty")
    assert page.locator("[name='results[0].notes']").input_value() == "counted twice"
    tab.assert_no_js_errors()


def test_field_error_and_its_banner_clear_when_the_field_is_edited(
    tab: Tab, client: Any, make_user: Any
) -> None:
    author = make_user("forms")
    page = _open_new_experiment(tab, author.access_token)
    page.get_by_label("Title").fill(f"Out of range {uuid.uuid4().hex[:6]}")
    page.locator("[name='results[0].measure']").select_option("viability_percent")
    value = page.locator("[name='results[0].value']")
    value.fill("120")
    page.locator("#save").click()
    slot = page.locator("[data-error-for='results[0].value']")
    slot.wait_for(state="visible")
    banner = page.locator("#error")
    assert banner.is_visible() and "between 0 and 100" in banner.inner_text()
    assert value.get_attribute("aria-invalid") == "true"
    tab.shot("forms-field-error-shown")

    value.fill("72.5")
    assert slot.is_hidden()
    assert value.get_attribute("aria-invalid") is None
    assert banner.is_hidden(), "the banner only repeated the field's message"
    tab.shot("forms-field-error-cleared-on-input")
    page.locator("#save").click()
    page.wait_for_url(UUID_URL)
    tab.assert_no_js_errors()


def test_banner_clears_on_successful_resubmit_and_success_is_on_screen(
    tab: Tab, make_user: Any, make_team: Any
) -> None:
    admin = make_user("forms")
    team_id = make_team(admin)
    page = tab.page
    page.set_viewport_size({"width": 1280, "height": 480})
    tab.sign_in_with_token(admin.access_token)
    tab.goto(f"/teams/{team_id}")
    form = page.locator("#member-form")
    form.wait_for(state="visible")
    email = form.locator("[name=email]")
    # a rejected invitation: the banner and the field say why
    email.fill("not an address")
    form.get_by_role("button", name="Send invitation").click()
    banner = page.locator("#error")
    banner.wait_for(state="visible")
    assert form.locator("[data-error-for=email]").is_visible()
    # the corrected form is sent: the banner goes, the success message is on screen
    # although the form sits far below it
    invitee = f"invitee-{uuid.uuid4().hex[:8]}@example.org"
    email.fill(invitee)
    form.get_by_role("button", name="Send invitation").click()
    flash = page.locator("#flash")
    flash.wait_for(state="visible")
    assert invitee in flash.inner_text()
    assert banner.is_hidden()
    _wait_on_screen(page, "flash")
    assert _in_viewport(flash)
    tab.shot("forms-team-invite-success-in-view")

    # the team settings form, the last on the page: its "saved" message is on screen too
    page.evaluate("window.scrollTo(0, document.body.scrollHeight)")
    settings = page.locator("#settings-form")
    settings.locator("[name=description]").fill("Cell banking group")
    settings.get_by_role("button", name="Save").click()
    page.wait_for_function("() => document.getElementById('flash').textContent === 'Team saved.'")
    _wait_on_screen(page, "flash")
    tab.assert_no_js_errors()


def test_molecule_registered_message_is_on_screen(tab: Tab, make_user: Any) -> None:
    from tests.conftest import unique_smiles

    chemist = make_user("forms")
    page = tab.page
    page.set_viewport_size({"width": 1280, "height": 480})
    tab.sign_in_with_token(chemist.access_token)
    tab.goto("/molecules/register")
    page.wait_for_selector("#signed-out", state="hidden")
    page.get_by_role("textbox", name=re.compile("^Structure")).fill(unique_smiles())
    page.locator("#preview").wait_for(state="visible")
    page.get_by_label(re.compile("^Name")).fill(f"Forms compound {uuid.uuid4().hex[:6]}")
    button = page.get_by_role("button", name="Register")
    button.scroll_into_view_if_needed()
    assert not _in_viewport(page.locator("h1")), "the form reaches below the message"
    button.click()
    created = page.locator("#created")
    created.wait_for(state="visible")
    _wait_on_screen(page, "created")
    tab.shot("forms-molecule-registered-in-view")
    tab.assert_no_js_errors()


@pytest.mark.parametrize("password", ["short", ""])
def test_signup_hint_and_error_state_the_same_rule(tab: Tab, password: str) -> None:
    page = tab.page
    tab.goto("/signup")
    hint = page.locator("#signup-form label", has=page.locator("[name=password]")).locator(".hint")
    assert "at least 8 characters" in hint.inner_text()
    page.get_by_label("E-mail").fill(f"rule-{uuid.uuid4().hex[:10]}@example.org")
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign up").click()
    slot = page.locator("[data-error-for=password]")
    slot.wait_for(state="visible")
    assert slot.inner_text() == "Password must be at least 8 characters."
    assert "1024" not in page.locator("#error").inner_text()
    tab.shot(f"forms-signup-password-{'empty' if not password else 'short'}")
    # the field's message goes as soon as the password is edited
    page.get_by_label("Password").fill("correct horse battery")
    assert slot.is_hidden()
    tab.assert_no_js_errors()


@pytest.mark.parametrize("password", ["", "1234567", "x" * 1025])
def test_register_api_states_the_services_rule(client: Any, password: str) -> None:
    res = client.post(
        "/api/v1/auth/register",
        json={"email": f"rule-{uuid.uuid4().hex[:10]}@example.org", "password": password},
    )
    assert res.status_code == 422, res.json
    error = res.json["error"]
    assert error["details"]["field"] == "password"
    if len(password) > 1024:
        assert error["details"]["fields"]["password"] == [
            "Password must be at most 1024 characters."
        ]
    else:
        assert error["message"] == "Password must be at least 8 characters."
    assert "between 1 and" not in str(error)
    # the OpenAPI document states the same bounds
    schema = client.get("/api/v1/openapi.json").json["components"]["schemas"]["Register"]
    assert schema["properties"]["password"]["minLength"] == 8
    assert schema["properties"]["password"]["maxLength"] == 1024
