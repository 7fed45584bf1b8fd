"""A killed embedded postmaster is restarted by ``serve`` (issue 12, finding 8).

``cryoprotect serve`` (and ``serve --prod``, whose ``serve`` process owns the embedded
server while gunicorn's workers attach to it) runs in a subprocess on a fresh data
directory. While a background client keeps creating teams, the test kills the postmaster
with SIGKILL; readiness must come back (within a 30 s bound, not a timing assertion) on a
new postmaster, every write the API acknowledged (2xx) must still be there, the pools must
serve new writes without an app restart, and ``/metrics`` must count the restart. When
the server cannot be restarted (its data directory made unusable), liveness (``/health``)
fails once the database has been down longer than ``CRYOPROTECT_DB_DOWN_LIMIT``, and
recovers with the database.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.integration.test_embedded_lifecycle import free_port, fresh_home, postgres_processes

pytestmark = pytest.mark.integration

__all__ = ["fresh_home"]  # the fixture, re-used

START_TIMEOUT_S = 240.0
RECOVERY_BOUND_S = 30.0
DOWN_LIMIT_S = 3


class App:
    """``cryoprotect serve [--prod]`` in a subprocess, with a small HTTP client."""

    def __init__(self, home: Path, *, prod: bool, extra_env: dict[str, str] | None = None):
        self.home = home
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.log_path = home.parent / f"{home.name}-serve.log"
        env = {
            k: v
            for k, v in os.environ.items()
            if not k.startswith("CRYOPROTECT_")
            and k not in {"DATABASE_URL", "PROMETHEUS_MULTIPROC_DIR"}
        }
        env.update(
            CRYOPROTECT_HOME=str(home),
            CRYOPROTECT_SECRET_KEY="recovery-test-" + "k" * 32,
            CRYOPROTECT_LOG_JSON="false",
            CRYOPROTECT_WEB_WORKERS="2",
            CRYOPROTECT_WEB_THREADS="4",
            RATELIMIT_ENABLED="false",
            PYTHONUNBUFFERED="1",
        )
        env.update(extra_env or {})
        argv = [sys.executable, "-c", "from cryoprotect.cli import main; main()", "serve"]
        argv += ["--port", str(self.port)] + (["--prod"] if prod else [])
        self._log = self.log_path.open("w")
        self.proc = subprocess.Popen(  # noqa: S603 - our own entry point
            argv, stdout=self._log, stderr=subprocess.STDOUT, env=env, start_new_session=True
        )

    def log(self) -> str:
        self._log.flush()
        return self.log_path.read_text(errors="replace")[-6000:]

    def request(
        self, method: str, path: str, body: Any = None, token: str | None = None
    ) -> tuple[int, Any]:
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(self.base + path, data=data, method=method)  # noqa: S310
        if data is not None:
            req.add_header("Content-Type", "application/json")
        if token:
            req.add_header("Authorization", f"Bearer {token}")
        try:
            with urllib.request.urlopen(req, timeout=30) as res:  # noqa: S310 - local URL
                raw = res.read()
                status = int(res.status)
        except urllib.error.HTTPError as exc:
            raw = exc.read()
            status = exc.code
            exc.close()
        try:
            return status, json.loads(raw) if raw else None
        except ValueError:
            return status, raw.decode(errors="replace")

    def status(self, path: str) -> int | None:
        """The status of GET ``path``, or None when no answer came (refused, timed out)."""
        try:
            return self.request("GET", path)[0]
        except (urllib.error.URLError, ConnectionError, TimeoutError, OSError):
            return None

    def wait_ready(self, timeout_s: float = START_TIMEOUT_S) -> None:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                pytest.fail(f"serve exited early ({self.proc.returncode}):\n{self.log()}")
            if self.status("/health/ready") == 200:
                return
            time.sleep(0.5)
        pytest.fail(f"serve never became ready:\n{self.log()}")

    def metric(self, name: str) -> float | None:
        status, text = self.request("GET", "/metrics")
        assert status == 200
        for family in text_string_to_metric_families(text):
            for sample in family.samples:
                if sample.name == name:
                    return float(sample.value)
        return None

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout=30)
        self._log.close()
        self.log_path.unlink(missing_ok=True)


def postmaster_pid(home: Path) -> int:
    return int((home / "pgdata" / "postmaster.pid").read_text().split("\n", 1)[0])


def sign_in(app: App) -> str:
    email = f"recovery-{uuid.uuid4().hex[:10]}@example.org"
    password = "correct horse battery"
    status, body = app.request(
        "POST", "/api/v1/auth/register", {"email": email, "password": password}
    )
    assert status in (201, 202), body  # 202: registration that reveals no existing account
    status, body = app.request("POST", "/api/v1/auth/login", {"email": email, "password": password})
    assert status == 200, body
    return str(body["access_token"])


class Writer(threading.Thread):
    """Creates teams until stopped; remembers every one the API acknowledged."""

    def __init__(self, app: App, token: str) -> None:
        super().__init__(daemon=True)
        self.app, self.token = app, token
        self.acknowledged: list[str] = []
        self.refused = 0
        self.halt = threading.Event()

    def create(self) -> bool:
        try:
            status, body = self.app.request(
                "POST", "/api/v1/teams", {"name": f"team-{uuid.uuid4().hex[:12]}"}, self.token
            )
        except (urllib.error.URLError, ConnectionError, TimeoutError, OSError):
            status, body = None, None
        if status is not None and 200 <= status < 300:
            self.acknowledged.append(str(body["id"]))
            return True
        self.refused += 1
        return False

    def run(self) -> None:
        while not self.halt.is_set():
            if not self.create():
                time.sleep(0.05)


@pytest.fixture
def apps() -> Iterator[list[App]]:
    started: list[App] = []
    try:
        yield started
    finally:
        for app in started:
            app.close()


@pytest.mark.parametrize("prod", [False, True], ids=["serve", "serve-prod"])
def test_killed_postmaster_is_restarted_and_no_acknowledged_write_is_lost(
    fresh_home: Path, apps: list[App], prod: bool
) -> None:
    app = App(fresh_home, prod=prod)
    apps.append(app)
    app.wait_ready()
    token = sign_in(app)
    writer = Writer(app, token)
    for _ in range(5):
        assert writer.create(), app.log()
    writer.start()
    try:
        while len(writer.acknowledged) < 15:
            assert writer.is_alive()
            time.sleep(0.05)

        old = postmaster_pid(fresh_home)
        os.kill(old, signal.SIGKILL)

        deadline = time.monotonic() + RECOVERY_BOUND_S
        recovered = False
        while time.monotonic() < deadline:
            try:
                restarted = postmaster_pid(fresh_home) != old
            except (OSError, ValueError):
                restarted = False
            if restarted and app.status("/health/ready") == 200:
                recovered = True
                break
            time.sleep(0.25)
        assert recovered, (
            f"not ready on a new postmaster within {RECOVERY_BOUND_S:.0f} s:\n{app.log()}"
        )
        assert app.status("/health") == 200

        # The pools recovered without an app restart: new writes are acknowledged.
        after = len(writer.acknowledged)
        deadline = time.monotonic() + RECOVERY_BOUND_S
        while len(writer.acknowledged) < after + 10 and time.monotonic() < deadline:
            assert writer.is_alive()
            time.sleep(0.05)
        assert len(writer.acknowledged) >= after + 10, app.log()
    finally:
        writer.halt.set()
        writer.join(timeout=60)

    missing = [
        team
        for team in writer.acknowledged
        if app.request("GET", f"/api/v1/teams/{team}", token=token)[0] != 200
    ]
    assert missing == [], f"{len(missing)} of {len(writer.acknowledged)} acknowledged writes lost"
    assert len(postgres_processes(fresh_home.resolve() / "pgdata")) == 1
    restarts = app.metric("cryoprotect_embedded_db_restarts_total")
    assert restarts is not None and restarts >= 1, app.log()
    assert app.metric("cryoprotect_embedded_db_up") == 1


def test_liveness_fails_while_the_database_cannot_be_restarted(
    fresh_home: Path, apps: list[App]
) -> None:
    app = App(fresh_home, prod=False, extra_env={"CRYOPROTECT_DB_DOWN_LIMIT": str(DOWN_LIMIT_S)})
    apps.append(app)
    app.wait_ready()
    assert app.status("/health") == 200
    pgdata = fresh_home / "pgdata"
    # PostgreSQL refuses to start on a data directory others can read: every restart fails.
    pgdata.chmod(0o777)
    try:
        os.kill(postmaster_pid(fresh_home), signal.SIGKILL)
        deadline = time.monotonic() + RECOVERY_BOUND_S + DOWN_LIMIT_S
        while time.monotonic() < deadline and app.status("/health") != 503:
            time.sleep(0.25)
        status, body = app.request("GET", "/health")
        assert status == 503, (body, app.log())
        assert "down" in body["reason"], body
        assert app.status("/health/ready") == 503
        assert app.metric("cryoprotect_embedded_db_up") == 0
    finally:
        pgdata.chmod(0o700)
    # Fixed: the watchdog's next attempt brings it back, and liveness with it.
    deadline = time.monotonic() + 2 * RECOVERY_BOUND_S
    while time.monotonic() < deadline and app.status("/health/ready") != 200:
        time.sleep(0.25)
    assert app.status("/health/ready") == 200, app.log()
    assert app.status("/health") == 200
