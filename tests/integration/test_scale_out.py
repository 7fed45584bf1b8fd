"""Two app servers on one PostgreSQL and one Redis: the web tier scales out (issue 17, item 5).

Server A and server B are separate ``cryoprotect serve --prod`` processes (gunicorn, two
worker processes each) on their own ports with their own ``CRYOPROTECT_HOME`` and metrics
directory, as two machines (or the two replicas of ``deploy/scale-out/compose.yaml``) would
be. They share only what that layout shares: the external PostgreSQL on 127.0.0.1:5432 (a
scratch database per run, migrated by ``cryoprotect db upgrade`` as the compose file's
``migrate`` service does), the Redis on 127.0.0.1:6379 (rate-limit counters) and the
configuration (the same ``CRYOPROTECT_SECRET_KEY``, so a token from A is valid on B).

Checked through HTTP only:

* a molecule written through A is found by similarity and substructure search on B (each
  search applies the audit feed first), and its deletion on A is seen on B;
* a background job started on A (a substructure count) is polled on B until done;
* the sign-in limit is counted across A and B together (Redis): after the limit, both
  answer 429;
* a feature flag changed on A applies on every worker of B once the flags cache TTL has
  passed.

Both servers sit behind an imagined proxy (``CRYOPROTECT_TRUST_PROXY=1``): each request
carries its own ``X-Forwarded-For``, so the rate-limit counters of this run (keyed by client
address) cannot collide with those of other runs sharing the Redis server.
"""

from __future__ import annotations

import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psutil
import psycopg
import pytest
import redis
import sqlalchemy as sa

from cryoprotect.db.database import Database, Identity
from cryoprotect.db.models import Job
from cryoprotect.services.auth import AuthService
from cryoprotect.settings import Settings
from tests.conftest import require

pytestmark = [pytest.mark.integration, pytest.mark.external]

PG_SERVER = "postgresql://postgres@127.0.0.1:5432"
REDIS_URI = "redis://127.0.0.1:6379/12"
WORKERS = 2
FLAGS_TTL_S = 2
AUTH_LIMIT = 5
START_TIMEOUT_S = 240
PASSWORD = "correct horse battery"

# Absent from the shipped reference library (the search on B finds nothing before the write).
MOLECULE = "FC(F)(F)C(O)(CO)C#Cc1ccc(cc1)S(=O)(=O)N"
FRAGMENT = "FC(F)(F)C(O)(CO)C#Cc1ccccc1"


def _pg_reachable() -> bool:
    try:
        with psycopg.connect(f"{PG_SERVER}/postgres", connect_timeout=3):
            return True
    except psycopg.OperationalError:
        return False


def _redis_reachable() -> bool:
    try:
        return bool(redis.Redis.from_url(REDIS_URI, socket_timeout=3).ping())
    except redis.RedisError:
        return False


def _client_ip() -> str:
    """A random address in 10.0.0.0/8: the client as the proxy reports it."""
    return "10." + ".".join(str(random.randint(1, 254)) for _ in range(3))  # noqa: S311


@dataclass
class Answer:
    status: int
    body: Any
    headers: dict[str, str]


@dataclass
class AppServer:
    name: str
    proc: subprocess.Popen[bytes]
    base: str
    stderr_path: Path
    started_at: float = field(default_factory=time.monotonic)
    ready_after_s: float | None = None

    def call(
        self,
        method: str,
        path: str,
        body: Any = None,
        *,
        token: str = "",
        client_ip: str | None = None,
    ) -> Answer:
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(self.base + path, data=data, method=method)  # noqa: S310
        request.add_header("Content-Type", "application/json")
        request.add_header("X-Forwarded-For", client_ip or _client_ip())
        if token:
            request.add_header("Authorization", f"Bearer {token}")
        try:
            with urllib.request.urlopen(request, timeout=60) as res:  # noqa: S310
                return Answer(int(res.status), json.loads(res.read() or b"null"), dict(res.headers))
        except urllib.error.HTTPError as exc:
            return Answer(exc.code, json.loads(exc.read() or b"null"), dict(exc.headers))

    def worker_pids(self) -> set[int]:
        return {p.pid for p in psutil.Process(self.proc.pid).children(recursive=True)}

    def stderr_tail(self) -> str:
        return self.stderr_path.read_text(errors="replace")[-4000:]


@dataclass
class Cluster:
    a: AppServer
    b: AppServer
    db: Database
    alice: str  # access tokens
    admin: str


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _start(name: str, work: Path, env: dict[str, str]) -> AppServer:
    port = _free_port()
    own = dict(
        env,
        CRYOPROTECT_HOME=str(work / name / "home"),
        PROMETHEUS_MULTIPROC_DIR=str(work / name / "metrics"),
    )
    (work / name).mkdir()
    stderr_path = work / name / "stderr.log"
    with open(work / name / "stdout.log", "wb") as out, open(stderr_path, "wb") as err:
        proc = subprocess.Popen(
            [sys.executable, "-m", "cryoprotect.cli", "serve", "--prod"]
            + ["--host", "127.0.0.1", "--port", str(port)],
            env=own,
            stdout=out,
            stderr=err,
        )
    return AppServer(name, proc, f"http://127.0.0.1:{port}", stderr_path)


def _wait_until_ready(servers: list[AppServer]) -> None:
    deadline = time.monotonic() + START_TIMEOUT_S
    waiting = list(servers)
    while waiting and time.monotonic() < deadline:
        for server in list(waiting):
            if server.proc.poll() is not None:
                pytest.fail(f"server {server.name} exited:\n{server.stderr_tail()}")
            try:
                ready = server.call("GET", "/health/ready").status == 200
            except OSError:  # not listening yet
                ready = False
            if ready:
                server.ready_after_s = time.monotonic() - server.started_at
                waiting.remove(server)
        time.sleep(0.5)
    if waiting:
        pytest.fail(f"server {waiting[0].name} did not become ready:\n{waiting[0].stderr_tail()}")


def _stop(server: AppServer) -> None:
    if server.proc.poll() is None:
        server.proc.terminate()
        try:
            server.proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            for child in psutil.Process(server.proc.pid).children(recursive=True):
                child.kill()
            server.proc.kill()
            server.proc.wait()


def _sign_in(server: AppServer, email: str) -> str:
    answer = server.call("POST", "/api/v1/auth/login", {"email": email, "password": PASSWORD})
    assert answer.status == 200, answer.body
    return str(answer.body["access_token"])


@pytest.fixture(scope="module")
def cluster() -> Iterator[Cluster]:
    require(_pg_reachable(), "no PostgreSQL on 127.0.0.1:5432")
    require(_redis_reachable(), "no Redis on 127.0.0.1:6379")
    name = f"cryoprotect_test_{uuid.uuid4().hex[:12]}"
    work = Path(tempfile.mkdtemp(prefix="cpt-scale-", dir="/tmp"))
    url = f"{PG_SERVER}/{name}"
    env = dict(
        os.environ,
        DATABASE_URL=url,
        CRYOPROTECT_SECRET_KEY="scale-out-test-" + "s" * 40,
        CRYOPROTECT_WEB_WORKERS=str(WORKERS),
        CRYOPROTECT_WEB_THREADS="4",
        # As many scans as threads: concurrent searches are never refused as busy here.
        CRYOPROTECT_SEARCH_CONCURRENCY="4",
        CRYOPROTECT_LOG_JSON="true",
        CRYOPROTECT_TRUST_PROXY="1",
        CRYOPROTECT_FLAGS_CACHE_TTL=str(FLAGS_TTL_S),
        RATELIMIT_STORAGE_URI=REDIS_URI,
        RATELIMIT_AUTH=f"{AUTH_LIMIT} per minute",
    )
    with psycopg.connect(f"{PG_SERVER}/postgres", autocommit=True, connect_timeout=3) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    servers: list[AppServer] = []
    database: Database | None = None
    try:
        # As the compose file's one-shot `migrate` service: migrate and load the reference
        # data once, before the replicas start.
        migrate = subprocess.run(
            [sys.executable, "-m", "cryoprotect.cli", "db", "upgrade"],
            env=dict(env, CRYOPROTECT_HOME=str(work / "migrate")),
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert migrate.returncode == 0, migrate.stderr[-4000:]
        servers = [_start("A", work, env), _start("B", work, env)]
        database = Database(
            Settings(home=work / "test", database_url=url, secret_key="unused", log_json=False)
        ).start()
        auth = AuthService(database, database.settings)
        tag = uuid.uuid4().hex[:8]
        alice = auth.register(f"alice-{tag}@example.org", PASSWORD, admin=False)
        admin = auth.register(f"admin-{tag}@example.org", PASSWORD, admin=True)
        _wait_until_ready(servers)
        for server in servers:
            print(f"server {server.name} ready after {server.ready_after_s:.1f} s")  # noqa: T201
        a, b = servers
        yield Cluster(a, b, database, _sign_in(a, alice.email), _sign_in(b, admin.email))
    finally:
        for server in servers:
            _stop(server)
        if database is not None:
            database.stop()
        with psycopg.connect(f"{PG_SERVER}/postgres", autocommit=True, connect_timeout=3) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        shutil.rmtree(work, ignore_errors=True)


def _similar(server: AppServer, token: str) -> list[tuple[str, float]]:
    answer = server.call(
        "POST", "/api/v1/molecules/search/similarity", {"structure": MOLECULE, "k": 3}, token=token
    )
    assert answer.status == 200, answer.body
    return [(hit["id"], hit["similarity"]) for hit in answer.body["items"]]


def _substructure(server: AppServer, token: str) -> list[str]:
    answer = server.call(
        "POST", "/api/v1/molecules/search/substructure", {"query": FRAGMENT}, token=token
    )
    assert answer.status == 200, answer.body
    assert answer.body["truncated"] is False
    return [hit["id"] for hit in answer.body["items"]]


@pytest.fixture(scope="module")
def written(cluster: Cluster) -> str:
    """The molecule alice registers through server A (private); its id."""
    assert _substructure(cluster.b, cluster.alice) == []  # not there before the write
    answer = cluster.a.call(
        "POST",
        "/api/v1/molecules",
        {"structure": MOLECULE, "name": "scale-out probe"},
        token=cluster.alice,
    )
    assert answer.status == 201, answer.body
    return str(answer.body["id"])


def test_molecule_written_on_a_is_found_by_searches_on_b(cluster: Cluster, written: str) -> None:
    """Every search applies the audit feed first: B's very first searches find A's write."""
    started = time.monotonic()
    assert _similar(cluster.b, cluster.alice)[0] == (written, 1.0)
    assert _substructure(cluster.b, cluster.alice) == [written]
    print(f"B found A's molecule {time.monotonic() - started:.3f} s after A's 201")  # noqa: T201
    # Concurrent searches reach both of B's workers: each has applied the feed.
    with ThreadPoolExecutor(max_workers=8) as pool:
        similar = list(pool.map(lambda _: _similar(cluster.b, cluster.alice)[0], range(8)))
        found = list(pool.map(lambda _: _substructure(cluster.b, cluster.alice), range(8)))
    assert similar == [(written, 1.0)] * 8
    assert found == [[written]] * 8
    # Row-level security still decides on B: the molecule is alice's private one.
    assert _substructure(cluster.b, "") == []
    assert all(hit_id != written for hit_id, _ in _similar(cluster.b, ""))


def test_job_started_on_a_is_polled_on_b(cluster: Cluster, written: str) -> None:
    started = cluster.a.call(
        "POST",
        "/api/v1/molecules/search/substructure/count",
        {"query": FRAGMENT},
        token=cluster.alice,
    )
    assert started.status == 202, started.body
    job_id = started.body["id"]
    deadline = time.monotonic() + 60
    polls = 0
    while True:
        polled = cluster.b.call("GET", f"/api/v1/jobs/{job_id}", token=cluster.alice)
        polls += 1
        assert polled.status == 200, polled.body
        if polled.body["status"] not in ("queued", "running") or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    assert polled.body["status"] == "done", polled.body
    assert polled.body["result"]["count"] == 1
    print(f"job done after {polls} poll(s) on B")  # noqa: T201
    # It ran in one of A's worker processes (``worker`` is host:pid[:start]).
    with cluster.db.transaction(Identity.service()) as session:
        worker = session.scalar(sa.select(Job.worker).where(Job.id == uuid.UUID(job_id)))
    assert worker is not None
    assert int(worker.split(":")[1]) in cluster.a.worker_pids()
    assert int(worker.split(":")[1]) not in cluster.b.worker_pids()
    # Someone else polling it on B gets 404 (jobs are readable by their owner only).
    assert cluster.b.call("GET", f"/api/v1/jobs/{job_id}", token=cluster.admin).status == 404


def test_sign_in_limit_is_shared_through_redis(cluster: Cluster) -> None:
    """Wrong-password attempts from one client, spread over A and B (four worker processes
    between them), count against one limit: per-process counters would never reach it."""
    attacker = _client_ip()
    attempt = {"email": f"victim-{uuid.uuid4().hex[:8]}@example.org", "password": "guess-guess"}

    def sign_in(server: AppServer) -> Answer:
        return server.call("POST", "/api/v1/auth/login", attempt, client_ip=attacker)

    store = redis.Redis.from_url(REDIS_URI, socket_timeout=3)
    try:
        first = [sign_in(s) for s in (cluster.a, cluster.b, cluster.a, cluster.b, cluster.a)]
        assert len(first) == AUTH_LIMIT
        assert [f.status for f in first] == [401] * AUTH_LIMIT, [f.body for f in first]
        assert first[-1].headers["X-RateLimit-Remaining"] == "0"
        for server in (cluster.b, cluster.a):
            refused = sign_in(server)
            assert refused.status == 429, (server.name, refused.body)
            assert refused.body["error"]["code"] == "rate_limited"
            assert int(refused.headers["Retry-After"]) >= 1
        # Another client is not affected, on either server.
        other = {"email": attempt["email"], "password": "guess-guess"}
        assert cluster.b.call("POST", "/api/v1/auth/login", other).status == 401
        # The counter lives in Redis.
        assert list(store.scan_iter(match=f"*{attacker}*"))
    finally:
        for key in store.scan_iter(match=f"*{attacker}*"):
            store.delete(key)


def test_flag_changed_on_a_applies_on_b_within_the_ttl(cluster: Cluster) -> None:
    key = f"test.scale_out_{uuid.uuid4().hex[:8]}"

    def on_b() -> list[bool]:
        """The flag as evaluated for alice by concurrent requests to B (both workers)."""

        def one(_: int) -> bool:
            answer = cluster.b.call("GET", "/api/v1/feature-flags/me", token=cluster.alice)
            assert answer.status == 200, answer.body
            return next(f["enabled"] for f in answer.body if f["key"] == key)

        with ThreadPoolExecutor(max_workers=8) as pool:
            return list(pool.map(one, range(8)))

    created = cluster.a.call("POST", "/api/v1/feature-flags", {"key": key}, token=cluster.admin)
    assert created.status == 201, created.body
    # Created off; B shows it once its caches have expired, and every worker then caches it.
    time.sleep(FLAGS_TTL_S + 0.5)
    assert on_b() == [False] * 8
    changed = cluster.a.call(
        "PATCH", f"/api/v1/feature-flags/{key}", {"enabled": True}, token=cluster.admin
    )
    assert changed.status == 200 and changed.body["enabled"] is True
    at = time.monotonic()
    first_seen = None
    while time.monotonic() < at + FLAGS_TTL_S + 0.5:
        if first_seen is None and any(on_b()):
            first_seen = time.monotonic() - at
        time.sleep(0.1)
    # Past the TTL every snapshot of B taken before the change has expired.
    assert on_b() == [True] * 8
    print(f"flag change on A first seen on B after {first_seen} s (TTL {FLAGS_TTL_S} s)")  # noqa: T201


def test_deletion_on_a_is_seen_by_searches_on_b(cluster: Cluster, written: str) -> None:
    deleted = cluster.a.call("DELETE", f"/api/v1/molecules/{written}", token=cluster.alice)
    assert deleted.status == 204, deleted.body
    with ThreadPoolExecutor(max_workers=8) as pool:
        found = list(pool.map(lambda _: _substructure(cluster.b, cluster.alice), range(8)))
    assert found == [[]] * 8
    assert all(hit_id != written for hit_id, _ in _similar(cluster.b, cluster.alice))
