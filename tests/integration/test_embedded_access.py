"""Only CryoProtect's own OS user can reach the embedded PostgreSQL (issue 12, finding 4).

Another local account (``nobody``) runs the embedded server's own ``psql`` against its
Unix socket: the socket directory (0700, owned by the server's OS user) refuses it, and
when the test opens the directory and the socket for a moment, peer authentication
refuses it too. The app, meanwhile, connects as every role it uses. A cluster left by an
older CryoProtect (``local all all trust``, a world-traversable socket directory) is
upgraded in place by the next owner, whether the server is stopped or still running.

Switching to another OS user needs root (CI runs as root); elsewhere these tests skip.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import stat
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from cryoprotect.db.database import DATABASE_NAME, OWNER_ROLE, Database
from cryoprotect.db.embedded import SUPERUSER, EmbeddedPostgres
from cryoprotect.db.embedded import bin_path as _bin_path
from cryoprotect.errors import EmbeddedServerError
from cryoprotect.settings import Settings
from tests.conftest import require
from tests.integration.test_embedded_lifecycle import force_cleanup

pytestmark = pytest.mark.integration

OTHER_USER = "nobody"
APP_ROLE = "cryoprotect_app"
ROLES = (SUPERUSER, OWNER_ROLE, APP_ROLE)


def require_root() -> None:
    require(
        hasattr(os, "geteuid") and os.geteuid() == 0,
        "connecting as another OS user needs root (runuser -u nobody); run as root or in CI",
    )
    require(shutil.which("runuser") is not None, "runuser (util-linux) is not installed")


def psql_as_other_user(socket_dir: Path, role: str) -> subprocess.CompletedProcess[str]:
    """``SELECT 1`` as ``role`` through ``socket_dir``, run by the OS user ``nobody``."""
    return subprocess.run(  # noqa: S603 - fixed binaries, arguments built here
        [  # noqa: S607 - runuser resolved on PATH like any system tool
            "runuser",
            "-u",
            OTHER_USER,
            "--",
            str(_bin_path() / "psql"),
            "-X",
            "-w",
            "-h",
            str(socket_dir),
            "-U",
            role,
            "-d",
            "postgres",
            "-tAc",
            "SELECT 1",
        ],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        cwd="/",
        env={"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "PGCONNECT_TIMEOUT": "10"},
    )


def assert_refused(socket_dir: Path, expected: str) -> None:
    for role in ROLES:
        result = psql_as_other_user(socket_dir, role)
        assert result.returncode != 0, f"{OTHER_USER} connected as {role}: {result.stdout}"
        assert expected in result.stderr, (role, result.stderr)


def assert_other_user_cannot_connect(server: EmbeddedPostgres) -> None:
    """Refused at the socket directory, and by authentication when that is opened."""
    socket_dir = server.socket_dir
    mode = stat.S_IMODE(socket_dir.stat().st_mode)
    assert mode == 0o700, oct(mode)
    assert socket_dir.stat().st_uid == _server_uid(server)
    assert_refused(socket_dir, "Permission denied")

    # Open the directory and the socket itself: authentication must still refuse.
    socket_file = socket_dir / ".s.PGSQL.5432"
    socket_mode = stat.S_IMODE(socket_file.stat().st_mode)
    try:
        socket_dir.chmod(0o711)
        socket_file.chmod(0o777)
        assert_refused(socket_dir, "authentication failed")
    finally:
        socket_file.chmod(socket_mode)
        socket_dir.chmod(0o700)


def _server_uid(server: EmbeddedPostgres) -> int:
    return server.pgdata.stat().st_uid


def assert_app_connects(db: Database) -> None:
    assert db.server is not None
    for url in (db.server.uri(), db.owner_url(), db.app_url()):
        engine = sa.create_engine(url, poolclass=sa.NullPool)
        try:
            with engine.connect() as conn:
                assert conn.scalar(sa.text("SELECT 1")) == 1
        finally:
            engine.dispose()


def make_settings(home: Path) -> Settings:
    return Settings(home=home, secret_key="access-secret-" + "x" * 32, testing=True, log_json=False)


@pytest.fixture
def fresh_home() -> Iterator[Path]:
    path = Path(tempfile.mkdtemp(prefix="cpt-", dir="/tmp"))
    try:
        yield path
    finally:
        force_cleanup(path)
        shutil.rmtree(path, ignore_errors=True)


def test_another_os_user_is_refused_and_the_app_connects(db: Database) -> None:
    """The test session's own server (started as the suite runs it)."""
    require_root()
    assert db.server is not None
    assert_other_user_cannot_connect(db.server)
    assert_app_connects(db)
    hba = (db.server.pgdata / "pg_hba.conf").read_text()
    assert "trust" not in [word for line in hba.splitlines() for word in line.split()[:4]]


def _write_legacy_config(server: EmbeddedPostgres) -> None:
    """What CryoProtect before issue 12 left behind: trust on the socket, 0755 directory."""
    (server.pgdata / "pg_hba.conf").write_text(
        "local all all trust\nhost all all 127.0.0.1/32 reject\n"
    )
    (server.pgdata / "pg_ident.conf").write_text("")
    server.socket_dir.chmod(0o755)


def _start_legacy_server(server: EmbeddedPostgres) -> None:
    server._run(
        [
            "pg_ctl",
            "-D",
            str(server.pgdata),
            "-l",
            str(server.log_file),
            "-w",
            "-o",
            f"-h '' -k {server.socket_dir}",
            "start",
        ]
    )


def test_a_trust_cluster_is_upgraded_in_place(fresh_home: Path) -> None:
    require_root()
    settings = make_settings(fresh_home)
    db = Database(settings).start()
    try:
        db.upgrade()
    finally:
        db.stop()

    # An older install's server, still running with trust (an orphan after a crash):
    # nobody gets in, which is the hole.
    legacy = EmbeddedPostgres(fresh_home)
    _write_legacy_config(legacy)
    _start_legacy_server(legacy)
    (legacy.socket_dir / ".s.PGSQL.5432").chmod(0o777)
    hole = psql_as_other_user(legacy.socket_dir, SUPERUSER)
    assert hole.returncode == 0 and hole.stdout.strip() == "1", hole.stderr

    # The next owner adopts the running server and closes the hole without a restart.
    db = Database(settings).start()
    try:
        assert db.server is not None and db.server.owner
        assert_other_user_cannot_connect(db.server)
        assert_app_connects(db)
        assert db.current_revision() is not None
    finally:
        db.stop()

    # A stopped legacy cluster is upgraded before the server starts.
    _write_legacy_config(legacy)
    db = Database(settings).start()
    try:
        assert db.server is not None
        assert_other_user_cannot_connect(db.server)
        assert_app_connects(db)
    finally:
        db.stop()


def _long_home(base: Path) -> Path:
    home = base / ("h" * 90)
    home.mkdir()
    return home


def _fallback_dir(home: Path) -> Path:
    digest = hashlib.sha256(str(home.resolve()).encode()).hexdigest()[:12]
    return Path(tempfile.gettempdir()) / f"cryoprotect-{digest}"


def test_fallback_socket_dir_is_private_and_cannot_be_planted(fresh_home: Path) -> None:
    require_root()
    home = _long_home(fresh_home)
    server = EmbeddedPostgres(home)
    fallback = server.socket_dir
    assert fallback == _fallback_dir(home), "the data directory's path should be too long"
    shutil.rmtree(fallback, ignore_errors=True)
    nobody = int(
        subprocess.run(  # noqa: S603,S607 - fixed command
            ["id", "-u", OTHER_USER], capture_output=True, text=True, check=True
        ).stdout
    )
    try:
        # Planted by another user (a directory, then a symlink): refused, server not started.
        fallback.mkdir(mode=0o777)
        os.chown(fallback, nobody, nobody)
        with pytest.raises(EmbeddedServerError, match="owned by"):
            EmbeddedPostgres(home).start()
        fallback.rmdir()
        target = fresh_home / "elsewhere"
        target.mkdir()
        fallback.symlink_to(target)
        with pytest.raises(EmbeddedServerError, match="not a directory"):
            EmbeddedPostgres(home).start()
        fallback.unlink()
        assert not (server.pgdata / "PG_VERSION").exists()

        # Not there: created private to the server's user, and nobody is refused.
        db = Database(make_settings(home)).start()
        try:
            assert db.server is not None and db.server.socket_dir == fallback
            db.upgrade()
            assert_other_user_cannot_connect(db.server)
            assert_app_connects(db)
        finally:
            db.stop()
    finally:
        if fallback.is_symlink():
            fallback.unlink()
        shutil.rmtree(fallback, ignore_errors=True)


def test_owner_url_still_reaches_the_database(db: Database) -> None:
    """Backups and ``serve --prod`` against ``DATABASE_URL`` use the owner role's URL."""
    require_root()
    assert db.server is not None
    engine = sa.create_engine(db.server.uri(OWNER_ROLE, DATABASE_NAME), poolclass=sa.NullPool)
    try:
        with engine.connect() as conn:
            assert conn.scalar(sa.text("SELECT current_user")) == OWNER_ROLE
    finally:
        engine.dispose()
