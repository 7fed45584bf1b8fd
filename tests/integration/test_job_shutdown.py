"""SIGTERM stops a server that is training, and a restart leaves nothing ``running``/``training``
(issue 12, finding 7).

Before: SIGTERM stopped HTTP and the database, but the process went on training (a thread
that cannot be stopped) for minutes; after a restart the job showed failed but its model
stayed ``training`` for good. Now the running job is cancelled, its training worker process
is terminated and the server exits within a bound; the restarted server shows the job
``cancelled`` and the model ``failed``.

``cryoprotect serve`` (development server) and ``serve --prod`` (gunicorn) each run as a
real subprocess on a fresh data directory with its own embedded PostgreSQL. The slow job is
a Gaussian process on 1,500 rows (below its 2,000-row cap): minutes of work on this machine.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psutil
import pytest

pytestmark = pytest.mark.integration

READY_TIMEOUT_S = 240.0
#: A bound, not a measurement: the job is cancelled within CRYOPROTECT_JOB_SHUTDOWN_TIMEOUT_S
#: (10 s by default); gunicorn may add its own stop of a few seconds.
EXIT_BOUND_S = 60.0
ROWS = 1_500


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Server:
    """``cryoprotect serve [--prod]`` on ``home``, in its own session."""

    def __init__(self, home: Path, prod: bool, log: Path) -> None:
        self.port = _free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.log = log
        env = {
            k: v
            for k, v in os.environ.items()
            if not k.startswith(("CRYOPROTECT_", "RATELIMIT_")) and k != "DATABASE_URL"
        }
        env.pop("PROMETHEUS_MULTIPROC_DIR", None)
        env.update(
            CRYOPROTECT_HOME=str(home),
            CRYOPROTECT_LOG_JSON="false",
            CRYOPROTECT_SECRET_KEY="shutdown-test-" + "k" * 32,
            CRYOPROTECT_WEB_WORKERS="1",
            CRYOPROTECT_WEB_THREADS="4",
            RATELIMIT_ENABLED="false",
            PYTHONUNBUFFERED="1",
        )
        exe = Path(sys.executable).parent / "cryoprotect"
        argv = [str(exe)] if exe.exists() else [sys.executable, "-m", "cryoprotect.cli"]
        argv += ["serve", "--host", "127.0.0.1", "--port", str(self.port)]
        if prod:
            argv.append("--prod")
        with open(log, "ab") as out:
            self.proc = subprocess.Popen(  # noqa: S603 - our own entry point
                argv, stdout=out, stderr=subprocess.STDOUT, env=env, start_new_session=True
            )

    def output(self) -> str:
        return self.log.read_text(errors="replace")[-6000:]

    def call(
        self, method: str, path: str, body: Any = None, token: str | None = None
    ) -> tuple[int, Any]:
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(self.base + path, data=data, method=method)  # noqa: S310
        request.add_header("Content-Type", "application/json")
        if token:
            request.add_header("Authorization", f"Bearer {token}")
        try:
            with urllib.request.urlopen(request, timeout=60) as res:  # noqa: S310 - loopback
                return int(res.status), json.loads(res.read() or b"null")
        except urllib.error.HTTPError as exc:
            with exc:
                return exc.code, json.loads(exc.read() or b"null")

    def wait_ready(self) -> None:
        deadline = time.monotonic() + READY_TIMEOUT_S
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                pytest.fail(f"serve exited early ({self.proc.returncode}):\n{self.output()}")
            try:
                if self.call("GET", "/health/ready")[0] == 200:
                    return
            except OSError:
                pass
            time.sleep(0.5)
        pytest.fail(f"serve not ready within {READY_TIMEOUT_S:.0f} s:\n{self.output()}")

    def tree(self) -> list[psutil.Process]:
        try:
            return [psutil.Process(self.proc.pid), *psutil.Process(self.proc.pid).children(True)]
        except psutil.NoSuchProcess:
            return []

    def training_workers(self) -> list[psutil.Process]:
        found = []
        for proc in self.tree():
            try:
                if any("spawn_main" in part for part in proc.cmdline()):
                    found.append(proc)
            except psutil.NoSuchProcess:
                continue
        return found

    def kill(self) -> None:
        """Last resort after a failed test: the whole session, then the database."""
        if self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            self.proc.wait(timeout=30)


def _records() -> list[dict[str, Any]]:
    return [
        {
            "id": f"r{i}",
            "group": f"batch-{i % 10}",
            "targets": {"tm_c": round(-1.86 * (0.05 * (i % 50) + 0.01 * (i // 50)), 4)},
            "components": [
                {"name": "Glycerol", "amount": round(0.05 * (i % 50) + 0.01, 4), "unit": "mol/kg"},
                {
                    "name": "Dimethyl sulfoxide",
                    "amount": round(0.01 * (i // 50) + 0.01, 4),
                    "unit": "mol/kg",
                },
            ],
        }
        for i in range(ROWS)
    ]


@pytest.fixture
def home() -> Iterator[Path]:
    path = Path(tempfile.mkdtemp(prefix="cpt-", dir="/tmp"))
    try:
        yield path
    finally:
        from cryoprotect.db.embedded import EmbeddedPostgres

        server = EmbeddedPostgres(path)
        if server.is_running():  # a failed test may leave the server behind
            server._run(
                ["pg_ctl", "-D", str(server.pgdata), "-m", "immediate", "-w", "stop"],
                check=False,
            )
        shutil.rmtree(path, ignore_errors=True)


def _sign_in(server: Server, email: str) -> str:
    password = "correct horse battery"
    status, _ = server.call("POST", "/api/v1/auth/register", {"email": email, "password": password})
    assert status in (201, 202, 409), status
    status, tokens = server.call(
        "POST", "/api/v1/auth/login", {"email": email, "password": password}
    )
    assert status == 200, tokens
    return str(tokens["access_token"])


@pytest.mark.parametrize("prod", [False, True], ids=["serve", "serve-prod"])
def test_sigterm_while_training_exits_and_leaves_nothing_running(home: Path, prod: bool) -> None:
    log = home.parent / f"{home.name}-serve.log"
    first = Server(home, prod, log)
    second: Server | None = None
    try:
        first.wait_ready()
        email = f"trainer-{uuid.uuid4().hex[:8]}@example.org"
        token = _sign_in(first, email)
        status, dataset = first.call(
            "POST", "/api/v1/datasets", {"name": "slow", "records": _records()}, token
        )
        assert status == 201, dataset
        status, started = first.call(
            "POST",
            "/api/v1/predictive-models",
            {"dataset": dataset["id"], "target": "tm_c", "algorithm": "gaussian_process"},
            token,
        )
        assert status == 202, started
        job_id, model_id = started["job_id"], started["model"]["id"]

        deadline = time.monotonic() + READY_TIMEOUT_S
        while True:  # training has started: the job runs and the model is training
            job = first.call("GET", f"/api/v1/jobs/{job_id}", token=token)[1]
            model = first.call("GET", f"/api/v1/predictive-models/{model_id}", token=token)[1]
            assert job["status"] in ("queued", "running"), job
            if job["status"] == "running" and model["status"] == "training":
                break
            assert time.monotonic() < deadline, f"training never started:\n{first.output()}"
            time.sleep(0.5)
        deadline = time.monotonic() + 30
        while not first.training_workers() and time.monotonic() < deadline:
            time.sleep(0.5)  # let the training process start, so that its end is checked too
        tree = first.tree()

        first.proc.send_signal(signal.SIGTERM)
        try:
            code = first.proc.wait(timeout=EXIT_BOUND_S)
        except subprocess.TimeoutExpired:
            pytest.fail(
                f"serve still running {EXIT_BOUND_S:.0f} s after SIGTERM:\n{first.output()}"
            )
        assert code in (0, 128 + signal.SIGTERM), f"exit {code}:\n{first.output()}"
        gone, alive = psutil.wait_procs(tree, timeout=30)
        assert alive == [], f"left running: {alive}\n{first.output()}"

        second = Server(home, prod, log)
        second.wait_ready()
        token = _sign_in(second, email)
        status, job = second.call("GET", f"/api/v1/jobs/{job_id}", token=token)
        assert status == 200, job
        assert job["status"] == "cancelled", job
        assert "server shut down" in job["error"]
        status, model = second.call("GET", f"/api/v1/predictive-models/{model_id}", token=token)
        assert status == 200, model
        assert model["status"] == "failed", model
        assert model["error"]
    finally:
        for server in (first, second):
            if server is None:
                continue
            if server.proc.poll() is None:
                server.proc.send_signal(signal.SIGTERM)
                try:
                    server.proc.wait(timeout=EXIT_BOUND_S)
                except subprocess.TimeoutExpired:
                    server.kill()
        log.unlink(missing_ok=True)
