"""The model page in a real browser: Debian's Chromium driven by Playwright.

Skips locally without Chromium or the ``playwright`` package; fails under CI=true.
"""

from __future__ import annotations

import importlib.util
import json
import threading
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import require, train_model_via_api

pytestmark = pytest.mark.e2e

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]


@pytest.fixture(scope="module")
def live_server(app) -> Iterator[str]:  # type: ignore[no-untyped-def]
    from werkzeug.serving import make_server

    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=10)
        server.server_close()


@pytest.fixture(scope="module")
def trained(app) -> tuple[str, str]:  # type: ignore[no-untyped-def]
    """A ridge model trained on the shipped data; (access token, model id)."""
    headers, model_id = train_model_via_api(app, "e2e")
    return headers["Authorization"].removeprefix("Bearer "), model_id


def test_model_page_draws_charts_and_metrics(live_server: str, trained: tuple[str, str]) -> None:
    require(
        CHROMIUM.exists() and importlib.util.find_spec("playwright") is not None,
        "Chromium/Playwright not installed",
    )
    from playwright.sync_api import sync_playwright

    token, model_id = trained
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page()
            errors: list[str] = []
            page.on("pageerror", lambda exc: errors.append(str(exc)))
            page.on(
                "console",
                lambda msg: errors.append(msg.text) if msg.type == "error" else None,
            )
            page.add_init_script(
                f"window.localStorage.setItem('cryoprotect.token', {json.dumps(token)});"
            )
            page.goto(f"{live_server}/models/{model_id}")
            page.wait_for_function(
                "document.querySelectorAll('.js-plotly-plot').length >= 4", timeout=30_000
            )
            page.wait_for_selector("#metrics-table tbody tr", timeout=10_000)
            assert page.locator("#metrics-table tbody tr").count() == 3
            headers = page.locator("#metrics-table thead").inner_text()
            assert "MAE (%)" in headers and "RMSE (%)" in headers
            assert page.locator("[role=alert]").is_hidden()
            assert " v" in page.title() and page.title().endswith("CryoProtect")
            # every chart has titled axes
            titles = page.locator(".js-plotly-plot .g-xtitle, .js-plotly-plot .g-ytitle")
            assert titles.count() >= 8
            assert not errors, errors

            # the list page links to the model
            page.goto(f"{live_server}/models")
            page.wait_for_selector(f"a[href='/models/{model_id}']", timeout=10_000)
            assert page.locator("[role=alert]").is_hidden()

            # an unknown model shows an error to the user rather than failing silently
            page.goto(f"{live_server}/models/{uuid.uuid4()}")
            page.wait_for_selector("[role=alert]:not([hidden])", timeout=10_000)
            assert "not" in page.locator("[role=alert]").inner_text().lower()
        finally:
            browser.close()
