"""Browser-test fixtures: the app on 127.0.0.1 (embedded database), Debian's Chromium via
Playwright, a page that records every JavaScript error, and screenshots as artefacts.

Without Chromium or the ``playwright`` package the browser tests skip with a clear
message; under ``CI=true`` they fail instead (see ``tests.conftest.require``).
"""

from __future__ import annotations

import contextlib
import importlib.util
import json
import os
import re
import threading
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import require

CHROMIUM = Path(os.environ.get("CRYOPROTECT_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]
#: Screenshots of every page the journeys visit (a CI artefact; ignored by git).
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"


@contextlib.contextmanager
def serve_in_thread(app: Any) -> Iterator[str]:
    """Serve ``app`` with a real HTTP server in a thread, on a free port of 127.0.0.1."""
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


@pytest.fixture(scope="session")
def live_server(app) -> Iterator[str]:
    """The app served by a real HTTP server in a thread, on a free port of 127.0.0.1."""
    with serve_in_thread(app) as base:
        yield base


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    require(
        CHROMIUM.exists() and importlib.util.find_spec("playwright") is not None,
        f"browser tests need Chromium at {CHROMIUM} and the playwright package "
        "(apt-get install chromium; pip install -e '.[test]')",
    )
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        instance = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield instance
        finally:
            instance.close()


@dataclass
class Tab:
    """A browser tab bound to the live server, collecting JavaScript errors."""

    page: Any
    base: str
    errors: list[str] = field(default_factory=list)

    def goto(self, path: str) -> Any:
        response = self.page.goto(self.base + path)
        assert response is not None and response.ok, f"{path}: HTTP {response and response.status}"
        return response

    def shot(self, name: str) -> Path:
        """Save a full-page screenshot as ``test-artifacts/screenshots/<name>.png``."""
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        path = ARTIFACTS / f"{re.sub(r'[^A-Za-z0-9_.-]+', '_', name)}.png"
        self.page.screenshot(path=str(path), full_page=True)
        return path

    def sign_in_with_token(self, access_token: str) -> None:
        """Put an access token where the pages look for it (before the next navigation)."""
        self.page.add_init_script(
            f"window.localStorage.setItem('cryoprotect.token', {json.dumps(access_token)});"
        )

    def assert_no_js_errors(self) -> None:
        assert not self.errors, f"JavaScript errors: {self.errors}"


def _expected_console_noise(text: str) -> bool:
    # Chromium logs every failed fetch (e.g. a deliberate 404/422 the page then shows to
    # the user) as "Failed to load resource"; that is the browser, not our script.
    return text.startswith("Failed to load resource")


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """Remember each phase's outcome on the test item (for failure screenshots)."""
    outcome = yield
    report = outcome.get_result()
    setattr(item, f"rep_{report.when}", report)


@contextlib.contextmanager
def open_tab(browser: Any, base: str, *, timeout_ms: int = 30_000) -> Iterator[Tab]:
    """A fresh browser context (own localStorage) at 1280×800 on ``base``, recording every
    JavaScript error; closed on exit."""
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    page = context.new_page()
    page.set_default_timeout(timeout_ms)
    handle = Tab(page=page, base=base)
    page.on("pageerror", lambda exc: handle.errors.append(f"pageerror: {exc}"))
    page.on(
        "console",
        lambda msg: (
            handle.errors.append(f"console: {msg.text}")
            if msg.type == "error" and not _expected_console_noise(msg.text)
            else None
        ),
    )
    try:
        yield handle
    finally:
        context.close()


@pytest.fixture
def tab(browser, live_server, request) -> Iterator[Tab]:
    """A fresh tab on the live server; a failing test leaves a screenshot
    ``FAILED-<test>.png`` and its JavaScript errors in the report."""
    with open_tab(browser, live_server) as handle:
        yield handle
        failed = getattr(request.node, "rep_call", None)
        if failed is not None and failed.failed:
            try:
                handle.shot(f"FAILED-{request.node.name}")
            except Exception as exc:  # noqa: BLE001 - best effort on an already failing test
                handle.errors.append(f"(no failure screenshot: {exc})")
            print(f"JavaScript errors: {handle.errors}; page: {handle.page.url}")


@pytest.fixture
def new_account() -> dict[str, str]:
    """Credentials for a user who does not exist yet."""
    return {
        "email": f"web-{uuid.uuid4().hex[:10]}@example.org",
        "password": "correct horse battery",
        "display_name": f"Web User {uuid.uuid4().hex[:4]}",
    }


def sign_up_in_browser(tab: Tab, account: dict[str, str]) -> None:
    """Create an account through the sign-up page; ends signed in on the home page."""
    tab.goto("/signup")
    tab.page.get_by_label("E-mail").fill(account["email"])
    tab.page.get_by_label("Display name").fill(account["display_name"])
    tab.page.get_by_label("Password").fill(account["password"])
    tab.page.get_by_role("button", name="Sign up").click()
    tab.page.wait_for_url(tab.base + "/")
    tab.page.wait_for_selector("#user-name")
