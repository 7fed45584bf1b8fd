"""Large imports run as background jobs (202 + job): the import pages wait for the job and
show its report as they show a small import's (issue 12, finding 3).

The pages talk to their own server whose ``import_sync_rows`` is 2, so a four-row file is
already "large".
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import pytest

from tests.conftest import unique_smiles
from tests.e2e.conftest import Tab, open_tab, serve_in_thread

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def job_server(settings, db) -> Iterator[str]:
    """An app that imports more than two rows as a job, served on a free port."""
    from cryoprotect.app import create_app

    with serve_in_thread(create_app(replace(settings, import_sync_rows=2), db)) as base:
        yield base


@pytest.fixture
def job_tab(browser, job_server) -> Iterator[Tab]:
    with open_tab(browser, job_server, timeout_ms=60_000) as tab:
        yield tab


def test_molecule_import_page_waits_for_the_job(job_tab: Tab, make_user: Any) -> None:
    user = make_user("webjob")
    page = job_tab.page
    job_tab.sign_in_with_token(user.access_token)
    job_tab.goto("/molecules/import")
    page.locator("#signed-out").wait_for(state="hidden")
    good = [unique_smiles() for _ in range(3)]
    csv_text = (
        "smiles,name\n" + "".join(f"{s},job-{i}\n" for i, s in enumerate(good)) + "C1CC,bad\n"
    )
    page.get_by_label("File", exact=True).set_input_files(
        files=[{"name": "big.csv", "mimeType": "text/csv", "buffer": csv_text.encode()}]
    )
    with page.expect_response("**/api/v1/molecules/import") as answer:
        page.get_by_role("button", name="Import").click()
    assert answer.value.status == 202  # it was a job
    page.locator("#report").wait_for(state="visible")
    assert page.locator("#count-total").inner_text() == "4"
    assert page.locator("#count-created").inner_text() == "3"
    assert page.locator("#count-rejected").inner_text() == "1"
    assert page.locator("#rejected-table tbody tr").first.locator("td").first.inner_text() == "5"
    job_tab.assert_no_js_errors()


def test_experiment_import_page_waits_for_the_job(job_tab: Tab, make_user: Any) -> None:
    user = make_user("webjobexp")
    page = job_tab.page
    job_tab.sign_in_with_token(user.access_token)
    job_tab.goto("/experiments/import")
    page.locator("#columns-table tbody tr").first.wait_for()
    title = f"Job import {uuid.uuid4().hex[:6]}"
    csv_text = "title,measure,value,unit\n" + "".join(
        f"{title},viability_percent,{60 + i},%\n" for i in range(3)
    )
    page.locator("[name=file]").set_input_files(
        files=[{"name": "results.csv", "mimeType": "text/csv", "buffer": csv_text.encode()}]
    )
    with page.expect_response("**/api/v1/experiments/import") as answer:
        page.locator("#import-button").click()
    assert answer.value.status == 202
    page.locator("#report").wait_for(state="visible")
    assert page.locator("#report-summary").inner_text().startswith("3 of 3 rows imported")
    assert page.locator("#report-table tbody tr").count() == 3
    job_tab.assert_no_js_errors()
