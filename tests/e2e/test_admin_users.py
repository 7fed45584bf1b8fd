"""The admin page's Users and Audit log sections in a real browser (issue 18, "Administration").

An administrator deactivates an account and makes another an administrator; the audit log,
filtered to the account, shows the change with who made it. "Reset password" says the link
went to the server log (and shows no link); the logged link opens /reset/<token>, which sets
a new password once. Screenshots at 1366×900 and 390×844 (no sideways scrolling on the phone).
"""

from __future__ import annotations

import logging
import re
from typing import Any

import pytest

from tests.e2e.conftest import Tab
from tests.e2e.test_web_experiments import sideways_overflow
from tests.e2e.test_web_teams_admin import PASSWORD, _account

pytestmark = pytest.mark.e2e

LINK_RE = re.compile(r"https?://\S+(/reset/[A-Za-z0-9_-]{20,})")


def _row(page: Any, email: str) -> Any:
    return page.locator(f'#users-table tbody tr[data-email="{email}"]')


def test_admin_manages_accounts_and_reads_the_audit_log(app: Any, tab: Tab, caplog: Any) -> None:
    from playwright.sync_api import expect

    client = app.test_client()
    admin = _account(app, "chief", admin=True)
    leaver, helper = _account(app, "leaver"), _account(app, "helper")
    page = tab.page
    page.set_viewport_size({"width": 1366, "height": 900})
    tab.sign_in_with_token(admin.token)
    tab.goto("/admin")

    # the Users section lists accounts; narrow it to the leaver
    users = page.locator("#users-filter")
    users.get_by_label("E-mail or name contains").fill(leaver.email)
    users.get_by_role("button", name="Show").click()
    row = _row(page, leaver.email)
    expect(row).to_contain_text("active")
    row.get_by_role("button", name=f"Deactivate {leaver.name} ({leaver.email})").click()
    expect(row.locator(".badge")).to_have_text("deactivated")
    expect(page.locator("#users-status")).to_contain_text("signed out everywhere")
    assert client.get("/api/v1/users/me", headers=leaver.headers).status_code == 401
    login = client.post("/api/v1/auth/login", json={"email": leaver.email, "password": PASSWORD})
    assert login.status_code == 401

    # make the helper an administrator
    users.get_by_label("E-mail or name contains").fill(helper.email)
    users.get_by_role("button", name="Show").click()
    helper_row = _row(page, helper.email)
    helper_row.get_by_role(
        "button", name=f"Make {helper.name} ({helper.email}) an administrator"
    ).click()
    expect(helper_row).to_contain_text("administrator")
    assert client.get("/api/v1/admin/users", headers=helper.headers).status_code == 200

    # reset the helper's password: the page says where the link went, and shows no link
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="cryoprotect.accounts"):
        helper_row.get_by_role("button", name=f"Reset the password of {helper.email}").click()
        expect(page.locator("#users-status")).to_contain_text(
            "A one-time link was written to the server log"
        )
    logged = [r.getMessage() for r in caplog.records if r.name == "cryoprotect.accounts"]
    assert len(logged) == 1 and helper.email in logged[0]
    match = LINK_RE.search(logged[0])
    assert match, logged[0]
    assert match.group(1) not in page.content()

    # the audit log, filtered to the leaver's account, shows the deactivation and by whom
    audit = page.locator("#audit-filter")
    audit.get_by_label("Table").select_option("users")
    audit.get_by_label("Record id").fill(leaver.id)
    audit.get_by_role("button", name="Filter").click()
    rows = page.locator("#audit-table tbody tr")
    expect(rows).to_have_count(2)  # the sign-up and the deactivation, newest first
    expect(rows.nth(0)).to_contain_text("users: changed")
    expect(rows.nth(0)).to_contain_text(admin.email)
    expect(rows.nth(0)).to_contain_text("is_active: yes → no")
    expect(rows.nth(1)).to_contain_text("users: created")
    expect(page.locator("#audit-caption")).to_contain_text("2 matching entries")
    tab.shot("admin-users-audit")
    page.set_viewport_size({"width": 390, "height": 844})
    overflow, culprits = sideways_overflow(page)
    assert overflow <= 1, f"the admin page scrolls sideways by {overflow} px: {culprits}"
    tab.shot("admin-users-audit-390")
    page.set_viewport_size({"width": 1366, "height": 900})

    # a bad time range is refused next to the field
    audit.get_by_label("From (UTC)").fill("2030-01-02T00:00")
    audit.get_by_label("To (UTC)").fill("2030-01-01T00:00")
    audit.get_by_role("button", name="Filter").click()
    expect(page.locator('#audit-filter [data-error-for="until"]')).to_be_visible()
    tab.assert_no_js_errors()

    # the logged link sets the helper's new password once
    tab.goto(match.group(1))
    expect(page.locator("#reset-for")).to_contain_text(helper.email)
    page.get_by_label("New password").fill("a new password for the helper")
    page.get_by_label("Type the password again").fill("a new password for the helper")
    tab.shot("reset-password")
    page.get_by_role("button", name="Set password").click()
    expect(page.locator("#done")).to_be_visible()
    page.set_viewport_size({"width": 390, "height": 844})
    tab.shot("reset-password-390")
    relogin = client.post(
        "/api/v1/auth/login",
        json={"email": helper.email, "password": "a new password for the helper"},
    )
    assert relogin.status_code == 200
    assert client.get("/api/v1/users/me", headers=helper.headers).status_code == 401
    tab.goto(match.group(1))
    expect(page.locator("#error")).to_contain_text("already been used")
    expect(page.locator("#reset-form")).to_be_hidden()
    tab.assert_no_js_errors()
