"""``cryoprotect serve --prod``: gunicorn with two workers, aggregated metrics, graceful stop.

The server runs as a real subprocess against the test session's PostgreSQL (passed as
``DATABASE_URL``), with its own ``PROMETHEUS_MULTIPROC_DIR``. Requests are spread over both
workers; every scrape, whichever worker answers it, must count exactly the requests made.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psutil
import pytest
from prometheus_client import CollectorRegistry
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.parser import text_string_to_metric_families

from cryoprotect.db.database import DATABASE_NAME, OWNER_ROLE

pytestmark = pytest.mark.integration

WORKERS = 2
START_TIMEOUT_S = 240
PATHS = (
    "/health",
    "/api/v1/molecules?per_page=2",
    f"/api/v1/molecules/{uuid.UUID(int=1)}",  # 404: counted like any other response
    "/no-such-route",
)


@dataclass
class Server:
    proc: subprocess.Popen[bytes]
    base: str
    metrics_dir: Path
    stderr_path: Path
    requests_made: int = 0

    def get(self, path: str) -> int:
        """GET ``path``; counts the request when the server answered it."""
        try:
            with urllib.request.urlopen(self.base + path, timeout=30) as res:  # noqa: S310
                status = int(res.status)
        except urllib.error.HTTPError as exc:
            status = exc.code
        return status

    def master(self) -> psutil.Process:
        children = psutil.Process(self.proc.pid).children()
        assert len(children) == 1, children
        return children[0]

    def worker_pids(self) -> set[int]:
        return {p.pid for p in self.master().children()}

    def stderr_tail(self) -> str:
        return self.stderr_path.read_text(errors="replace")[-4000:]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait_until_ready(server: Server) -> None:
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if server.proc.poll() is not None:
            pytest.fail(
                f"serve --prod exited with {server.proc.returncode}:\n{server.stderr_tail()}"
            )
        try:
            status = server.get("/health/ready")
        except OSError:  # not listening yet: no request reached the server
            time.sleep(0.5)
            continue
        server.requests_made += 1
        if status == 200 and len(server.worker_pids()) == WORKERS:
            return
        time.sleep(0.5)
    pytest.fail(f"serve --prod did not become ready:\n{server.stderr_tail()}")


@pytest.fixture(scope="module")
def server(db: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    assert db.server is not None, "the test session runs the embedded server"
    work = tmp_path_factory.mktemp("prod")
    metrics_dir = work / "metrics"
    port = _free_port()
    env = dict(
        os.environ,
        CRYOPROTECT_HOME=str(work / "home"),
        DATABASE_URL=db.server.uri(OWNER_ROLE, DATABASE_NAME),
        CRYOPROTECT_SECRET_KEY="prod-serving-test-" + "k" * 32,
        CRYOPROTECT_WEB_WORKERS=str(WORKERS),
        CRYOPROTECT_WEB_THREADS="4",
        CRYOPROTECT_LOG_JSON="true",
        CRYOPROTECT_LOG_LEVEL="INFO",
        PROMETHEUS_MULTIPROC_DIR=str(metrics_dir),
        # Hundreds of requests from one address in seconds: rate limits would turn some into
        # 429s, which are not what this module tests.
        RATELIMIT_ENABLED="false",
    )
    stderr_path = work / "stderr.log"
    with open(work / "stdout.log", "wb") as out, open(stderr_path, "wb") as err:
        proc = subprocess.Popen(
            [
                sys.executable,
                "-c",
                "from cryoprotect.cli import main; main()",
                "serve",
                "--prod",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
            ],
            env=env,
            stdout=out,
            stderr=err,
        )
    handle = Server(proc, f"http://127.0.0.1:{port}", metrics_dir, stderr_path)
    try:
        _wait_until_ready(handle)
        yield handle
    finally:
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                for child in psutil.Process(proc.pid).children(recursive=True):
                    child.kill()
                proc.kill()
                proc.wait()


def _scrape(server: Server) -> dict[str, list[Any]]:
    with urllib.request.urlopen(server.base + "/metrics", timeout=30) as res:  # noqa: S310
        text = res.read().decode()
    return {f.name: f.samples for f in text_string_to_metric_families(text)}


def _requests_counted(server: Server) -> float:
    samples = _scrape(server)["app_request_count"]
    return sum(s.value for s in samples if s.name == "app_request_count_total")


def _requests_per_worker(metrics_dir: Path, scratch: Path) -> dict[int, float]:
    """Each worker's own request count, read from its counter file alone."""
    counts = {}
    for path in metrics_dir.glob("counter_*.db"):
        pid = int(path.stem.rsplit("_", 1)[1])
        single = scratch / str(pid)
        single.mkdir(parents=True)
        shutil.copy(path, single / path.name)
        registry = CollectorRegistry()
        MultiProcessCollector(registry, path=str(single))
        counts[pid] = sum(
            s.value
            for family in registry.collect()
            for s in family.samples
            if s.name == "app_request_count_total"
        )
    return counts


def _spread_requests(server: Server, scratch: Path) -> dict[int, float]:
    """Send concurrent batches until both workers have served requests."""
    with ThreadPoolExecutor(max_workers=8) as pool:
        for batch in range(30):
            statuses = list(pool.map(server.get, [PATHS[i % len(PATHS)] for i in range(40)]))
            server.requests_made += len(statuses)
            assert set(statuses) <= {200, 404}, statuses
            per_worker = _requests_per_worker(server.metrics_dir, scratch / str(batch))
            served = {pid for pid, n in per_worker.items() if n > 0} & server.worker_pids()
            if len(served) >= WORKERS:
                return per_worker
    pytest.fail(f"requests never reached both workers: {per_worker}")


def test_request_counter_sums_over_both_workers(server: Server, tmp_path: Path) -> None:
    per_worker = _spread_requests(server, tmp_path)
    assert sum(per_worker.values()) == server.requests_made
    # Any worker may answer a scrape; each aggregates every worker's files.
    for _ in range(6):
        assert _requests_counted(server) == server.requests_made
    samples = _scrape(server)
    assert samples["app_ready"][0].labels["check"] == "database"
    assert samples["app_ready"][0].value == 1.0
    assert samples["app_worker_memory_max_bytes"][0].value > 0


def _json(server: Server, method: str, path: str, body: Any = None, token: str = "") -> Any:
    """One JSON request (counted); returns (status, parsed body)."""
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(server.base + path, data=data, method=method)  # noqa: S310
    request.add_header("Content-Type", "application/json")
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    server.requests_made += 1
    try:
        with urllib.request.urlopen(request, timeout=60) as res:  # noqa: S310
            return int(res.status), json.loads(res.read() or b"null")
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read() or b"null")


def test_any_worker_answers_for_a_background_job(server: Server, tmp_path: Path) -> None:
    """Jobs keep their state in the database: polls reaching either worker see the job."""
    email = f"jobs-{uuid.uuid4().hex[:8]}@example.org"
    status, _ = _json(
        server, "POST", "/api/v1/auth/register", {"email": email, "password": "pw-long-enough"}
    )
    assert status == 202
    status, tokens = _json(
        server, "POST", "/api/v1/auth/login", {"email": email, "password": "pw-long-enough"}
    )
    assert status == 200
    token = tokens["access_token"]
    status, job = _json(
        server, "POST", "/api/v1/molecules/search/substructure/count", {"query": "[OX2H]"}, token
    )
    assert status == 202, job

    def poll(_: int) -> tuple[int, Any]:
        return _json(server, "GET", f"/api/v1/jobs/{job['id']}", token=token)

    before = _requests_per_worker(server.metrics_dir, tmp_path / "before")
    grew: list[int] = []
    with ThreadPoolExecutor(max_workers=8) as pool:
        for batch in range(30):  # concurrent polls, until both workers have answered some
            answers = list(pool.map(poll, range(8)))
            assert {status for status, _ in answers} == {200}, answers
            after = _requests_per_worker(server.metrics_dir, tmp_path / f"after{batch}")
            grew = [pid for pid, n in after.items() if n > before.get(pid, 0)]
            if len(grew) >= WORKERS and answers[-1][1]["status"] == "done":
                break
            time.sleep(0.05)
    assert len(grew) >= WORKERS, (before, after)
    state = answers[-1][1]
    assert state["status"] == "done" and state["result"]["count"] > 0, state


def test_a_dead_worker_keeps_its_counts_and_loses_its_live_gauges(server: Server) -> None:
    victim = min(server.worker_pids())
    live_gauge = server.metrics_dir / f"gauge_livemax_{victim}.db"
    assert live_gauge.exists()
    before = _requests_counted(server)
    os.kill(victim, signal.SIGKILL)
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        pids = server.worker_pids()
        if victim not in pids and len(pids) == WORKERS and not live_gauge.exists():
            break
        time.sleep(0.5)
    else:
        pytest.fail(f"worker {victim} was not replaced and marked dead:\n{server.stderr_tail()}")
    assert server.get("/health") == 200
    server.requests_made += 1
    assert _requests_counted(server) == before + 1 == server.requests_made


def test_sigterm_stops_gracefully_with_json_access_logs(server: Server) -> None:
    processes = [server.master(), *server.master().children()]
    server.proc.send_signal(signal.SIGTERM)
    assert server.proc.wait(timeout=90) == 0, server.stderr_tail()
    gone, alive = psutil.wait_procs(processes, timeout=30)
    assert not alive, alive

    records = []
    for line in server.stderr_path.read_text(errors="replace").splitlines():
        if line.startswith("{"):
            records.append(json.loads(line))
    access = [r for r in records if r.get("logger") == "cryoprotect.access"]
    app_requests = [r for r in access if r["path"] != "/metrics"]
    assert len(app_requests) == server.requests_made
    for record in access:
        assert {"request_id", "route", "status", "duration_ms", "method"} <= record.keys()
    assert not any(r.get("logger") == "gunicorn.access" for r in records)
    assert any(r.get("logger") == "gunicorn.error" for r in records), "gunicorn logs not JSON"
