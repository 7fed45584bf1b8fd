"""Lifecycle of the embedded PostgreSQL: restart, ownership, stop, SIGTERM and stale state.

Every test uses its own short-lived data directory and its own server (never the session
``db`` fixture's), and stops whatever it started. Ownership is an ``flock`` on an open
file, so "another owner" is always exercised from a separate process.
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
import textwrap
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from pathlib import Path

import psutil
import pytest
import sqlalchemy as sa

from cryoprotect.db.database import Database, Identity, head_revision
from cryoprotect.db.embedded import EmbeddedPostgres
from cryoprotect.db.models import User
from cryoprotect.services.auth import AuthService
from cryoprotect.settings import Settings

pytestmark = pytest.mark.integration

READY_TIMEOUT_S = 90.0
EXIT_TIMEOUT_S = 30.0


# --------------------------------------------------------------------------- helpers
def postgres_processes(pgdata: Path) -> list[psutil.Process]:
    """Live (non-zombie) postmaster processes whose command line names ``pgdata``."""
    found: list[psutil.Process] = []
    for proc in psutil.process_iter(["cmdline", "status"]):
        try:
            cmdline = proc.info["cmdline"] or []
            if proc.info["status"] == psutil.STATUS_ZOMBIE or not cmdline:
                continue
            if Path(cmdline[0]).name == "postgres" and any(str(pgdata) in arg for arg in cmdline):
                found.append(proc)
        except (psutil.NoSuchProcess, psutil.AccessDenied):
            continue
    return found


def alive(proc: psutil.Process) -> bool:
    """True while ``proc`` (the same process, not a reused pid) runs and is not a zombie."""
    try:
        return proc.is_running() and proc.status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


def server_tree(pgdata: Path) -> list[psutil.Process]:
    """The postmaster(s) for ``pgdata`` and all their children (backends, walwriter, ...)."""
    tree: list[psutil.Process] = []
    for postmaster in postgres_processes(pgdata):
        tree.append(postmaster)
        try:
            tree.extend(postmaster.children(recursive=True))
        except psutil.NoSuchProcess:
            pass
    return tree


def wait_gone(procs: list[psutil.Process], timeout_s: float = 10.0) -> list[psutil.Process]:
    """Wait for ``procs`` to end; return those still alive after ``timeout_s``."""
    deadline = time.monotonic() + timeout_s
    remaining = [p for p in procs if alive(p)]
    while remaining and time.monotonic() < deadline:
        time.sleep(0.1)
        remaining = [p for p in remaining if alive(p)]
    return remaining


def select_one(server: EmbeddedPostgres) -> int:
    engine = sa.create_engine(server.uri(), poolclass=sa.NullPool)
    try:
        with engine.connect() as conn:
            return int(conn.scalar(sa.text("SELECT 1")))
    finally:
        engine.dispose()


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def force_cleanup(home: Path) -> None:
    """Last resort after a failed test: stop any server still running on ``home``."""
    pgdata = home.resolve() / "pgdata"
    procs = server_tree(pgdata)
    if not procs:
        return
    server = EmbeddedPostgres(home)
    try:
        server._run(["pg_ctl", "-D", str(pgdata), "-m", "immediate", "-w", "stop"], check=False)
    except Exception:  # noqa: BLE001,S110 - best effort; killing below
        pass
    for proc in wait_gone(procs, timeout_s=10):
        try:
            proc.kill()
        except psutil.NoSuchProcess:
            pass


@pytest.fixture
def fresh_home() -> Iterator[Path]:
    """A new, short data directory; any server left running on it is stopped afterwards."""
    path = Path(tempfile.mkdtemp(prefix="cpt-", dir="/tmp"))
    try:
        yield path
    finally:
        force_cleanup(path)
        shutil.rmtree(path, ignore_errors=True)


def make_settings(home: Path) -> Settings:
    return Settings(
        home=home, secret_key="lifecycle-secret-" + "x" * 32, testing=True, log_json=False
    )


def run_python(code: str, *args: str, timeout: float = 90) -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # noqa: S603 - our interpreter, our code
        [sys.executable, "-c", textwrap.dedent(code), *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


class Serve:
    """``cryoprotect serve`` in a subprocess on a fresh data directory."""

    def __init__(self, home: Path) -> None:
        self.home = home
        self.port = free_port()
        self.output_path = home.parent / f"{home.name}-serve.log"
        env = {
            k: v
            for k, v in os.environ.items()
            if not k.startswith("CRYOPROTECT_") and k != "DATABASE_URL"
        }
        env.update(CRYOPROTECT_HOME=str(home), CRYOPROTECT_LOG_JSON="false", PYTHONUNBUFFERED="1")
        exe = Path(sys.executable).parent / "cryoprotect"
        argv = [str(exe)] if exe.exists() else [sys.executable, "-m", "cryoprotect.cli"]
        self._output = self.output_path.open("w")
        self.proc = subprocess.Popen(  # noqa: S603 - our own entry point
            [*argv, "serve", "--port", str(self.port)],
            stdout=self._output,
            stderr=subprocess.STDOUT,
            env=env,
            start_new_session=True,
        )

    @property
    def output(self) -> str:
        self._output.flush()
        return self.output_path.read_text(errors="replace")

    def wait_ready(self, timeout_s: float = READY_TIMEOUT_S) -> dict[str, object]:
        url = f"http://127.0.0.1:{self.port}/health/ready"
        deadline = time.monotonic() + timeout_s
        last: object = None
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                pytest.fail(f"serve exited early ({self.proc.returncode}):\n{self.output}")
            try:
                with urllib.request.urlopen(url, timeout=3) as response:  # noqa: S310 - local URL
                    if response.status == 200:
                        return dict(json.loads(response.read()))
                    last = response.status
            except urllib.error.HTTPError as exc:
                last = exc.code
                exc.close()
            except (urllib.error.URLError, ConnectionError, TimeoutError, OSError) as exc:
                last = exc
            time.sleep(0.5)
        pytest.fail(
            f"/health/ready not 200 within {timeout_s:.0f} s (last: {last!r}):\n{self.output}"
        )

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=30)
        self._output.close()
        self.output_path.unlink(missing_ok=True)


@pytest.fixture
def serve(fresh_home: Path) -> Iterator[Serve]:
    handle = Serve(fresh_home)
    try:
        yield handle
    finally:
        handle.close()


# ----------------------------------------------------------------------------- tests
def test_restart_reuses_the_data_directory(fresh_home: Path) -> None:
    settings = make_settings(fresh_home)
    email = f"restart-{uuid.uuid4().hex[:10]}@example.org"
    password = "correct horse battery"
    pg_version = fresh_home / "pgdata" / "PG_VERSION"

    db = Database(settings).start()
    try:
        db.upgrade()
        created = AuthService(db, settings).register(email, password)
    finally:
        db.stop()
    assert not EmbeddedPostgres(fresh_home).is_running()
    assert postgres_processes(fresh_home / "pgdata") == []
    initialised_at = pg_version.stat().st_mtime_ns

    db = Database(settings).start()
    try:
        assert pg_version.stat().st_mtime_ns == initialised_at, "initdb ran again"
        assert db.current_revision() == head_revision()
        with db.transaction(Identity.service()) as session:
            user = session.scalar(sa.select(User).where(User.email == email))
            assert user is not None
            assert user.id == created.id
        # the stored password hash survived too
        assert AuthService(db, settings).login(email, password).access_token
    finally:
        db.stop()
    assert postgres_processes(fresh_home / "pgdata") == []


def test_second_owner_is_refused_but_attach_works(fresh_home: Path) -> None:
    owner = EmbeddedPostgres(fresh_home).start()
    try:
        assert owner.owner
        postmaster = postgres_processes(owner.pgdata)
        assert len(postmaster) == 1

        # A second owner in another process: refused, naming the directory and our pid.
        second = run_python(
            """
            import sys
            from pathlib import Path
            from cryoprotect.db.embedded import EmbeddedPostgres
            EmbeddedPostgres(Path(sys.argv[1])).start()
            """,
            str(fresh_home),
        )
        assert second.returncode != 0, second.stdout + second.stderr
        assert "EmbeddedServerError" in second.stderr
        assert f"The data directory {owner.home} is in use by another" in second.stderr
        assert f"pid {os.getpid()}" in second.stderr
        assert select_one(owner) == 1

        # attach=True in another process connects, and its exit leaves the server running.
        attached = run_python(
            """
            import sys
            from pathlib import Path
            import sqlalchemy as sa
            from cryoprotect.db.embedded import EmbeddedPostgres
            server = EmbeddedPostgres(Path(sys.argv[1])).start(attach=True)
            assert not server.owner
            engine = sa.create_engine(server.uri(), poolclass=sa.NullPool)
            with engine.connect() as conn:
                print("select-1 =", conn.scalar(sa.text("SELECT 1")))
            engine.dispose()
            server.stop()  # a non-owner's stop (also run at exit) must not stop the server
            """,
            str(fresh_home),
        )
        assert attached.returncode == 0, attached.stderr
        assert "select-1 = 1" in attached.stdout
        assert owner.is_running()
        assert all(alive(p) for p in postmaster)
        assert select_one(owner) == 1
    finally:
        owner.stop()
    assert postgres_processes(fresh_home / "pgdata") == []


def test_stop_really_stops_and_is_idempotent(fresh_home: Path) -> None:
    server = EmbeddedPostgres(fresh_home).start()
    try:
        assert server.is_running()
        assert select_one(server) == 1
        tree = server_tree(server.pgdata)
        assert len(postgres_processes(server.pgdata)) == 1
        assert len(tree) > 1, "expected the postmaster and its auxiliary processes"
    finally:
        server.stop()
    assert not server.owner
    assert not server.is_running()
    assert wait_gone(tree) == []
    assert postgres_processes(server.pgdata) == []

    server.stop()  # idempotent: no error, nothing to do
    assert not server.is_running()

    # The lock is released: another process may now own the directory.
    again = run_python(
        """
        import sys
        from pathlib import Path
        from cryoprotect.db.embedded import EmbeddedPostgres
        server = EmbeddedPostgres(Path(sys.argv[1])).start()
        assert server.owner
        server.stop()
        print("owned-and-stopped")
        """,
        str(fresh_home),
    )
    assert again.returncode == 0, again.stderr
    assert "owned-and-stopped" in again.stdout
    assert postgres_processes(server.pgdata) == []


def test_sigterm_stops_serve_and_its_server(serve: Serve) -> None:
    ready = serve.wait_ready()
    assert ready["status"] == "ready"
    pgdata = serve.home.resolve() / "pgdata"
    tree = server_tree(pgdata)
    assert tree, "serve should be running an embedded PostgreSQL"

    serve.proc.send_signal(signal.SIGTERM)
    try:
        code = serve.proc.wait(timeout=EXIT_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        pytest.fail(f"serve did not exit within {EXIT_TIMEOUT_S:.0f} s of SIGTERM:\n{serve.output}")
    output = serve.output
    # It exited through the handler (exit status), not by dying of the signal.
    assert code in (0, 128 + signal.SIGTERM), f"exit {code}:\n{output}"
    assert f"http://127.0.0.1:{serve.port}" in output
    assert wait_gone(tree) == [], output
    assert postgres_processes(pgdata) == []

    # The lock was released: a new owner can take the directory in this process.
    server = EmbeddedPostgres(serve.home)
    try:
        server.start()
        assert server.owner
        assert select_one(server) == 1
    finally:
        server.stop()
    assert postgres_processes(pgdata) == []


def test_kill_9_leaves_an_orphan_that_the_next_owner_recovers(serve: Serve) -> None:
    serve.wait_ready()
    pgdata = serve.home.resolve() / "pgdata"
    orphan_tree = server_tree(pgdata)
    assert orphan_tree

    serve.proc.kill()
    serve.proc.wait(timeout=EXIT_TIMEOUT_S)
    # The server outlives its owner (it was daemonised by pg_ctl) ...
    assert postgres_processes(pgdata), "expected the postmaster to survive kill -9 of serve"
    assert EmbeddedPostgres(serve.home).is_running()

    # ... and the next owner takes the (now unlocked) directory over and works.
    settings = make_settings(serve.home)
    db = Database(settings)
    try:
        db.start()
        assert db.server is not None and db.server.owner
        assert select_one(db.server) == 1
        assert db.current_revision() == head_revision()
        with db.transaction(Identity.anonymous()) as session:
            assert session.scalar(sa.text("SELECT 1")) == 1
    finally:
        db.stop()
    assert wait_gone(orphan_tree) == []
    assert postgres_processes(pgdata) == []
