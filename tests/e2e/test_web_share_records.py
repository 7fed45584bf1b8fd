"""In a real browser (issue 18, "Export and share"): the mixture and protocol pages make a
read-only share link that a browser without an account opens to exactly that record; the
page's "Shared links" list shows the link and revokes it (the link then answers 410 and its
page says so); the /eln/import page imports an archive and links each new record, and a
file that is no archive is reported next to the file input. Screenshots of the changed pages
at 1366×900 and 390×844."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.conftest import UserHandle
from tests.e2e.conftest import Tab, open_tab
from tests.integration.test_eln import _export, _source_records

pytestmark = pytest.mark.e2e

TITLE = "oocyte vitrification run 3"
#: (resource, the page's title element, the shared record's name, a name it must not show)
RECORDS = (
    ("mixture", "#mixture-title", "glycerol with my solute", "DMSO 1.4 M"),
    ("protocol", "#protocol-title", "two-step DMSO", TITLE),
)


def _shots(tab: Tab, name: str) -> None:
    for width, height in ((1366, 900), (390, 844)):
        tab.page.set_viewport_size({"width": width, "height": height})
        tab.shot(f"{name}-{width}x{height}")
    tab.page.set_viewport_size({"width": 1366, "height": 900})


def _record_id(app: Any, user: UserHandle, made: dict[str, str], resource: str) -> str:
    if resource == "mixture":
        return made["second"]
    res = app.test_client().get(f"/api/v1/experiments/{made['experiment']}", headers=user.headers)
    assert res.status_code == 200, res.json
    return str(res.json["protocol_id"])


@pytest.mark.parametrize(("resource", "title", "name", "other"), RECORDS)
def test_share_link_from_the_record_page_shows_that_record_until_revoked_from_the_list(
    app: Any,
    tab: Tab,
    browser: Any,
    live_server: str,
    make_user: Any,
    resource: str,
    title: str,
    name: str,
    other: str,
) -> None:
    user = make_user(f"share-{resource}")
    record_id = _record_id(app, user, _source_records(app.test_client(), user), resource)
    tab.sign_in_with_token(user.access_token)
    tab.goto(f"/{resource}s/{record_id}")
    page = tab.page
    page.wait_for_selector(f"{title}:has-text({name!r})")
    page.click("#share-links summary")
    page.wait_for_selector("#share-links .empty:visible")  # no link yet

    page.click("#share-link")
    page.wait_for_selector("#share-url")
    url = page.get_attribute("#share-url", "href")
    assert url is not None and "/shared/" in url
    assert f"read this {resource} (and nothing else)" in (page.text_content("#share-result") or "")
    rows = page.locator("#share-links-table tbody tr")
    rows.first.wait_for()
    assert rows.count() == 1
    assert rows.first.locator("td").nth(1).text_content() == "active"
    page.set_viewport_size({"width": 390, "height": 844})
    right = page.evaluate(
        "Math.max(...[...document.querySelectorAll('.share *')]"
        ".map((e) => e.getBoundingClientRect().right)) - window.innerWidth"
    )
    assert right <= 0, f"the share controls reach {right} px past a 390 px screen"
    _shots(tab, f"share-{resource}-page")

    with open_tab(browser, live_server) as anonymous:  # its own storage: no token
        anonymous.goto(url.removeprefix(live_server))
        kind = resource.capitalize()
        anonymous.page.wait_for_selector(f"#shared-title:has-text({f'{kind}: {name}'!r})")
        body = anonymous.page.text_content("#content") or ""
        assert other not in body
        _shots(anonymous, f"shared-{resource}")
        anonymous.assert_no_js_errors()

    page.click("#share-links-table button[data-revoke]")
    page.wait_for_selector("#share-links-table tbody td:has-text('revoked')")
    assert page.locator("#share-links-table button[data-revoke]").count() == 0
    token = url.rsplit("/shared/", 1)[1]
    with open_tab(browser, live_server) as anonymous:
        gone = anonymous.page.request.get(f"{live_server}/api/v1/shared/{token}")
        assert gone.status == 410
        anonymous.goto(url.removeprefix(live_server))
        anonymous.page.wait_for_selector("#error:not([hidden])")
        assert "revoked" in (anonymous.page.text_content("#error") or "")
        assert anonymous.page.is_hidden("#content")
        anonymous.assert_no_js_errors()
    tab.assert_no_js_errors()


def test_eln_import_page_imports_an_archive_and_links_the_new_records(
    app: Any, tab: Tab, tmp_path: Path, make_user: Any
) -> None:
    author, reader = make_user("eln-from"), make_user("eln-into")
    made = _source_records(app.test_client(), author)
    archive = tmp_path / "run3.eln"
    archive.write_bytes(
        _export(app.test_client(), author.headers, experiments=[made["experiment"]])
    )
    not_an_archive = tmp_path / "notes.eln"
    not_an_archive.write_text("not a zip archive", encoding="utf-8")

    tab.sign_in_with_token(reader.access_token)
    tab.goto("/eln/import")
    page = tab.page
    page.wait_for_selector("#eln-import-button:enabled")
    page.set_input_files("input[name=file]", str(not_an_archive))
    page.click("#eln-import-button")
    slot = page.locator("[data-error-for=file]")
    slot.wait_for()
    assert slot.text_content()
    assert page.get_attribute("input[name=file]", "aria-invalid") == "true"
    assert page.is_hidden("#eln-report")

    page.set_input_files("input[name=file]", str(archive))
    page.select_option("select[name=visibility]", "private")
    page.click("#eln-import-button")
    page.wait_for_selector("#eln-report:not([hidden])")
    summary = page.text_content("#eln-summary") or ""
    assert "1 experiment" in summary and "1 mixture" in summary and "1 protocol" in summary
    link = page.locator(f"#eln-records a:has-text({TITLE!r})")
    href = link.get_attribute("href")
    assert href is not None and href.startswith("/experiments/")
    assert href != f"/experiments/{made['experiment']}"  # a new record, not the author's
    assert page.locator("#eln-records a[href^='/mixtures/']:has-text('DMSO 1.4 M')").count() == 1
    page.set_viewport_size({"width": 390, "height": 844})
    wider = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert wider <= 0, f"/eln/import scrolls sideways by {wider} px at 390 px"
    _shots(tab, "eln-import")

    link.click()
    page.wait_for_selector(f"#experiment-title:has-text({TITLE!r})")
    mine = app.test_client().get(f"/api/v1{href}", headers=reader.headers)
    assert mine.status_code == 200 and mine.json["visibility"] == "private"
    assert mine.json["created_by"] == str(reader.id)
    tab.assert_no_js_errors()
