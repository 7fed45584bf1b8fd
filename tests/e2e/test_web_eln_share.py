"""In a real browser (issue 18, "Done means"): the experiment page's **Export .eln** saves an
archive that imports into a FRESH install (its own embedded PostgreSQL) and exports from
there with the same records (see tests/integration/test_eln.py for what is compared); its
**Share read-only link** makes a link that shows the experiment to a browser without an
account, until it is revoked. Screenshots of both pages at 1366×900 and 390×844."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from cryoprotect.services.eln.archive import read_archive
from tests.conftest import UserHandle
from tests.e2e.conftest import Tab, open_tab
from tests.integration.test_eln import (  # noqa: F401 - fresh_client is a fixture
    _comparable,
    _export,
    _import,
    _register,
    _source_records,
    fresh_client,
)

pytestmark = pytest.mark.e2e

TITLE = "oocyte vitrification run 3"


def _shots(tab: Tab, name: str) -> None:
    for width, height in ((1366, 900), (390, 844)):
        tab.page.set_viewport_size({"width": width, "height": height})
        tab.shot(f"{name}-{width}x{height}")
    tab.page.set_viewport_size({"width": 1366, "height": 900})


def _open_experiment(app: Any, tab: Tab, user: UserHandle) -> None:
    """The experiment page, signed in as ``user``, of a new experiment (tests/integration/
    test_eln.py's records: mixture, designed protocol, shipped cell type, results)."""
    made = _source_records(app.test_client(), user)
    tab.sign_in_with_token(user.access_token)
    tab.goto(f"/experiments/{made['experiment']}")
    tab.page.wait_for_selector(f"#experiment-title:has-text({TITLE!r})")


def test_experiment_page_exports_an_eln_that_a_fresh_install_imports_identically(
    app: Any,
    tab: Tab,
    tmp_path: Path,
    make_user: Any,
    fresh_client: Any,  # noqa: F811 - the fixture imported above
) -> None:
    _open_experiment(app, tab, make_user("eln-web"))
    with tab.page.expect_download() as info:
        tab.page.click("#eln-export")
    download = info.value
    assert download.suggested_filename.endswith(".eln")
    target = tmp_path / download.suggested_filename
    download.save_as(str(target))
    source = read_archive(target.read_bytes())
    assert {(r.kind, r.name) for r in source} >= {
        ("experiment", TITLE),
        ("mixture", "DMSO 1.4 M"),
        ("protocol", "two-step DMSO"),
        ("molecule", "Dimethyl sulfoxide"),
    }

    there = _register(fresh_client)
    imported = _import(fresh_client, there, target.read_bytes())
    assert imported.status_code == 201, imported.json
    new_id = next(r["id"] for r in imported.json["records"] if r["kind"] == "experiment")
    again = _export(fresh_client, there, experiments=[new_id])
    assert _comparable(read_archive(again)) == _comparable(source)
    _shots(tab, "eln-experiment")
    tab.assert_no_js_errors()


def test_share_link_shows_the_experiment_without_an_account_until_revoked(
    app: Any, tab: Tab, browser: Any, live_server: str, make_user: Any
) -> None:
    _open_experiment(app, tab, make_user("share-web"))
    tab.page.click("#share-link")
    tab.page.wait_for_selector("#share-url")
    url = tab.page.get_attribute("#share-url", "href")
    assert url is not None and "/shared/" in url

    with open_tab(browser, live_server) as anonymous:  # its own storage: no token
        anonymous.goto(url.removeprefix(live_server))
        anonymous.page.wait_for_selector(f"#shared-title:has-text({TITLE!r})")
        body = anonymous.page.text_content("#content") or ""
        assert "72.5" in body and "DMSO 1.4 M" not in body
        _shots(anonymous, "shared-experiment")
        anonymous.assert_no_js_errors()

    tab.page.click("#share-revoke")
    tab.page.wait_for_selector("#share-result:has-text('revoked')")
    with open_tab(browser, live_server) as anonymous:
        anonymous.goto(url.removeprefix(live_server))
        anonymous.page.wait_for_selector("#error:not([hidden])")
        assert "revoked" in (anonymous.page.text_content("#error") or "")
        anonymous.assert_no_js_errors()
    tab.assert_no_js_errors()
