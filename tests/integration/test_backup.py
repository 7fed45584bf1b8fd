"""Backup and restore (``cryoprotect backup``) on throwaway embedded servers.

Nothing here touches the session ``db`` fixture: a restore with ``--clean`` would wipe the
shared database. The module builds one *source* (a migrated data directory with the
reference library and two users, one of whom owns a private molecule), backs it up once,
and restores that backup into fresh data directories, each test its own.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from click.testing import CliRunner, Result

from cryoprotect.cli import main
from cryoprotect.db.database import Database, head_revision
from cryoprotect.errors import BackupError, NotFound, ValidationError
from cryoprotect.ops.backup import (
    DUMP_FILE,
    FORMAT_VERSION,
    INCOMPLETE_PREFIX,
    METADATA_FILE,
    Backup,
    PgTools,
    TableState,
    create_backup,
    dependency_order,
    list_backups,
    plan_prune,
    prune_backups,
    read_backup,
    restore_backup,
    table_states,
    verify_backup,
)
from cryoprotect.services.actor import Actor
from cryoprotect.services.auth import AuthService
from cryoprotect.services.molecules import MoleculeService
from cryoprotect.services.reference_data import load_reference_data
from cryoprotect.settings import Settings
from tests.conftest import unique_smiles

SECRET = "backup-test-secret-" + "x" * 32
PASSWORD = "correct horse battery"


def _settings(home: Path) -> Settings:
    return Settings(home=home, secret_key=SECRET, testing=True, log_json=False)


def _short_home() -> Path:
    # Short: the PostgreSQL socket lives inside it.
    return Path(tempfile.mkdtemp(prefix="cpk-", dir="/tmp"))


def _states(db: Database) -> dict[str, TableState]:
    with db.owner_engine.connect() as conn, conn.begin():
        return dict(table_states(conn))


@dataclass
class Source:
    db: Database
    settings: Settings
    alice: Actor
    bob: Actor
    private_molecule: uuid.UUID
    backup_dir: Path


@pytest.fixture(scope="module")
def source() -> Iterator[Source]:
    home = _short_home()
    settings = _settings(home)
    db = Database(settings).start()
    try:
        db.upgrade()
        load_reference_data(db)
        auth = AuthService(db, settings)
        actors = []
        for who in ("alice", "bob"):
            email = f"{who}-{uuid.uuid4().hex[:8]}@example.org"
            auth.register(email, PASSWORD)
            actors.append(auth.actor_by_email(email))
        molecule, _ = MoleculeService(db).create(
            actors[0], smiles=unique_smiles(), name="alice's secret", visibility="private"
        )
        yield Source(db, settings, actors[0], actors[1], molecule.id, home / "bk")
    finally:
        db.stop()
        shutil.rmtree(home, ignore_errors=True)


@pytest.fixture(scope="module")
def backup(source: Source) -> Backup:
    return create_backup(source.db, source.backup_dir)


@pytest.fixture
def fresh() -> Iterator[Callable[[], Database]]:
    """Factory: ``fresh()`` starts an embedded server on a new, empty data directory."""
    started: list[tuple[Database, Path]] = []

    def _make() -> Database:
        home = _short_home()
        db = Database(_settings(home)).start()
        started.append((db, home))
        return db

    yield _make
    for db, home in started:
        db.stop()
        shutil.rmtree(home, ignore_errors=True)


def _visible_molecule(db: Database, actor: Actor, molecule_id: uuid.UUID) -> bool:
    with db.transaction(actor.identity) as session:
        found = session.scalar(
            sa.text("SELECT count(*) FROM public.molecules WHERE id = :id"), {"id": molecule_id}
        )
    return found == 1


# ------------------------------------------------------------------------ create
@pytest.mark.integration
def test_backup_records_revision_counts_and_checksums(source: Source, backup: Backup) -> None:
    meta = backup.metadata
    assert meta["format"] == FORMAT_VERSION
    assert backup.revision == head_revision()
    assert meta["server_version"].startswith("16.")
    assert meta["app_role"] == "cryoprotect_app"
    assert {"auth.users", "public.molecules", "public.alembic_version"} <= set(backup.tables)
    # counts as the owner sees them (all rows, whatever RLS would show a user)
    with source.db.owner_engine.connect() as conn:
        users = conn.scalar(sa.text("SELECT count(*) FROM auth.users"))
        molecules = conn.scalar(sa.text("SELECT count(*) FROM public.molecules"))
    assert backup.tables["auth.users"].rows == users == 3  # system owner + alice + bob
    assert backup.tables["public.molecules"].rows == molecules > 30
    # the checksums describe the database as it is (nothing changed since the backup)
    assert _states(source.db) == backup.tables
    # the dump is where the metadata says, with its size and digest; private to its owner
    dump = backup.path / DUMP_FILE
    assert dump.stat().st_size == meta["dump"]["size_bytes"] > 0
    assert oct(dump.stat().st_mode & 0o777) == "0o600"
    assert oct(backup.path.stat().st_mode & 0o777) == "0o700"
    assert not [p for p in source.backup_dir.iterdir() if p.name.startswith(INCOMPLETE_PREFIX)]
    assert read_backup(backup.path).metadata == meta


@pytest.mark.integration
def test_backups_in_the_same_second_get_distinct_names(source: Source, tmp_path: Path) -> None:
    when = datetime(2026, 5, 1, 3, 0, 0, tzinfo=UTC)
    first = create_backup(source.db, tmp_path, now=when)
    second = create_backup(source.db, tmp_path, now=when)
    assert (first.name, second.name) == (
        "cryoprotect-20260501T030000Z",
        "cryoprotect-20260501T030000Z-2",
    )
    assert [b.name for b in list_backups(tmp_path)] == [first.name, second.name]


@pytest.mark.integration
def test_a_failed_backup_leaves_nothing_that_looks_like_one(source: Source, tmp_path: Path) -> None:
    fake_bin = tmp_path / "bin"
    fake_bin.mkdir()
    broken = fake_bin / "pg_dump"
    broken.write_text(
        "#!/bin/sh\n"
        'if [ "$1" = --version ]; then echo "pg_dump (PostgreSQL) 16.2"; exit 0; fi\n'
        "echo 'simulated failure' >&2\n"
        "exit 1\n"
    )
    broken.chmod(0o755)
    target = tmp_path / "backups"
    with pytest.raises(BackupError, match="simulated failure"):
        create_backup(source.db, target, tools=PgTools(fake_bin))
    assert list(target.iterdir()) == []
    assert list_backups(target) == []


@pytest.mark.integration
def test_metadata_describes_the_dump_snapshot_despite_concurrent_writes(
    fresh: Callable[[], Database], tmp_path: Path
) -> None:
    """A row committed by another session after the snapshot is in neither the dump nor
    the metadata: a pg_dump wrapper inserts it just before the real pg_dump starts."""
    db = fresh()
    db.upgrade()
    real = PgTools.embedded().bin_dir
    fake_bin = tmp_path / "bin"
    fake_bin.mkdir()
    wrapper = fake_bin / "pg_dump"
    wrapper.write_text(
        "#!/bin/sh\n"
        'for a in "$@"; do case "$a" in --dbname=*) url="${a#--dbname=}";; esac; done\n'
        'if [ -n "$url" ]; then\n'
        f'  "{real}/psql" --no-psqlrc -q -d "$url" '
        "-c \"INSERT INTO auth.users (email) VALUES ('late@example.org')\" || exit 9\n"
        "fi\n"
        f'exec "{real}/pg_dump" "$@"\n'
    )
    wrapper.chmod(0o755)
    made = create_backup(db, tmp_path / "backups", tools=PgTools(fake_bin))
    with db.owner_engine.connect() as conn:
        assert conn.scalar(sa.text("SELECT count(*) FROM auth.users")) == 2  # it did commit
    assert made.tables["auth.users"].rows == 1  # the system owner only
    target = fresh()
    report = restore_backup(made, target)  # raises if the dump and the metadata disagree
    assert report.tables["auth.users"] == 1


# ------------------------------------------------------------------------ restore
@pytest.mark.integration
def test_round_trip_into_a_new_data_directory_keeps_data_and_rls(
    source: Source, backup: Backup, fresh: Callable[[], Database]
) -> None:
    target = fresh()
    report = restore_backup(backup, target)
    assert report.tables == {t: s.rows for t, s in backup.tables.items()}
    assert report.revision_now == head_revision() and not report.migrated
    # verified independently of the restore's own check
    assert _states(target) == backup.tables

    # the app role is the one requests use: no BYPASSRLS, owns nothing
    with target.app_engine.connect() as conn:
        me = conn.execute(
            sa.text(
                "SELECT current_user AS r, rolbypassrls AS b FROM pg_roles WHERE rolname = current_user"
            )
        ).one()
        owner = conn.scalar(
            sa.text("SELECT tableowner FROM pg_tables WHERE tablename = 'molecules'")
        )
    assert (me.r, me.b) == ("cryoprotect_app", False)
    assert owner == "cryoprotect_owner"

    # RLS still applies: alice's private molecule is hers alone
    assert _visible_molecule(target, source.alice, source.private_molecule)
    assert not _visible_molecule(target, source.bob, source.private_molecule)
    with pytest.raises(NotFound):
        MoleculeService(target).get(source.bob, source.private_molecule)
    assert MoleculeService(target).get(source.alice, source.private_molecule).name == (
        "alice's secret"
    )
    # the accounts came along: alice signs in on the restored database
    assert AuthService(target, target.settings).login(source.alice.email or "", PASSWORD)


@pytest.mark.integration
def test_restore_refuses_a_non_empty_database_unless_clean(
    backup: Backup, fresh: Callable[[], Database]
) -> None:
    target = fresh()
    restore_backup(backup, target)
    with target.owner_engine.begin() as conn:  # damage it: drop a table, add a stray one
        conn.execute(sa.text("DROP TABLE public.molecular_properties"))
        conn.execute(sa.text("CREATE TABLE public.stray (id int)"))
    with pytest.raises(BackupError, match="not empty.*--clean"):
        restore_backup(backup, target)
    report = restore_backup(backup, target, clean=True)
    assert report.cleaned
    assert _states(target) == backup.tables  # the stray table is gone, the dropped one back


@pytest.mark.integration
def test_a_failed_clean_restore_changes_nothing(
    backup: Backup, fresh: Callable[[], Database], tmp_path: Path
) -> None:
    """pg_restore writes the whole script, then fails: no COMMIT, so DROP OWNED is undone."""
    target = fresh()
    restore_backup(backup, target)
    with target.owner_engine.begin() as conn:
        conn.execute(sa.text("CREATE TABLE public.keep_me (id int)"))
    before = _states(target)
    real = PgTools.embedded().bin_dir
    fake_bin = tmp_path / "bin"
    fake_bin.mkdir()
    (fake_bin / "psql").symlink_to(f"{real}/psql")
    wrapper = fake_bin / "pg_restore"
    wrapper.write_text(
        "#!/bin/sh\n"
        f'"{real}/pg_restore" "$@" || exit $?\n'
        'case " $* " in *" --file=- "*) echo "simulated read error" >&2; exit 1;; esac\n'
    )
    wrapper.chmod(0o755)
    with pytest.raises(BackupError, match="simulated read error"):
        restore_backup(backup, target, clean=True, tools=PgTools(fake_bin))
    assert _states(target) == before  # keep_me included: nothing was dropped
    assert "public.keep_me" in before


@pytest.mark.integration
def test_partial_restore_brings_referenced_parents(
    source: Source, backup: Backup, fresh: Callable[[], Database]
) -> None:
    target = fresh()
    report = restore_backup(backup, target, tables=["molecular_properties"])
    # molecular_properties -> molecules -> auth.users; teams is referenced but empty
    assert report.added_parents == ["auth.users", "public.molecules"]
    assert set(report.tables) == {
        "public.molecular_properties",
        "public.molecules",
        "auth.users",
        "public.alembic_version",
    }
    states = _states(target)
    for table in report.tables:
        assert states[table] == backup.tables[table], table
    assert backup.tables["public.mixtures"].rows > 0
    assert states["public.mixtures"].rows == 0  # not chosen, not restored
    assert report.revision_now == head_revision()
    # no trigger fired for the restored rows (audit log, team creator)
    assert states["public.audit_log"].rows == 0
    # ... and the molecule list's per-scope totals were rebuilt for the restored molecules
    with target.owner_engine.connect() as conn:
        counted = conn.scalar(sa.text("SELECT coalesce(sum(n), 0) FROM public.molecule_counts"))
    assert counted == states["public.molecules"].rows > 0
    assert not _visible_molecule(target, source.bob, source.private_molecule)
    assert _visible_molecule(target, source.alice, source.private_molecule)


@pytest.mark.integration
def test_partial_restore_repairs_one_emptied_table(
    backup: Backup, fresh: Callable[[], Database]
) -> None:
    target = fresh()
    restore_backup(backup, target)
    with target.owner_engine.begin() as conn:
        conn.execute(sa.text("TRUNCATE public.molecular_properties"))
    before = _states(target)
    report = restore_backup(backup, target, tables=["public.molecular_properties"])
    assert report.added_parents == []
    after = _states(target)
    assert after["public.molecular_properties"] == backup.tables["public.molecular_properties"]
    assert after["public.audit_log"] == before["public.audit_log"]
    # filled tables are refused without --clean; --clean truncates, where PostgreSQL allows it
    with pytest.raises(BackupError, match="already hold rows"):
        restore_backup(backup, target, tables=["molecular_properties"])
    restore_backup(backup, target, tables=["molecular_properties"], clean=True)
    assert _states(target) == after
    with pytest.raises(BackupError, match="cannot truncate a table referenced"):
        restore_backup(backup, target, tables=["molecules"], clean=True)
    assert _states(target) == after  # the failed load changed nothing
    with pytest.raises(BackupError, match="no table 'nonsense'"):
        restore_backup(backup, target, tables=["nonsense"])


@pytest.mark.integration
def test_restore_of_revision_0005_migrates_forward(fresh: Callable[[], Database]) -> None:
    old = fresh()
    old.upgrade("0005")
    owner_id, other_id = uuid.uuid4(), uuid.uuid4()
    with old.owner_engine.begin() as conn:
        for uid, email in ((owner_id, "old-owner@example.org"), (other_id, "other@example.org")):
            conn.execute(
                sa.text("INSERT INTO auth.users (id, email) VALUES (:id, :email)"),
                {"id": uid, "email": email},
            )
        molecule_id = conn.scalar(
            sa.text(
                "INSERT INTO public.molecules (name, smiles, inchikey, created_by, visibility) "
                "VALUES ('old private', 'OCC(O)CO', 'PEDCQBHIVMGVHV-UHFFFAOYSA-N', :u, 'private') "
                "RETURNING id"
            ),
            {"u": owner_id},
        )
    made = create_backup(old, old.settings.home / "bk")
    assert made.revision == "0005"

    target = fresh()
    report = restore_backup(made, target)
    assert report.revision_restored == "0005"
    assert report.migrated and report.revision_now == head_revision() != "0005"
    assert target.at_head(as_owner=True)
    assert report.tables["auth.users"] == made.tables["auth.users"].rows == 3
    with target.owner_engine.connect() as conn:
        name = conn.scalar(
            sa.text("SELECT name FROM public.molecules WHERE id = :id"), {"id": molecule_id}
        )
    assert name == "old private"
    owner, other = Actor(user_id=owner_id), Actor(user_id=other_id)
    assert _visible_molecule(target, owner, molecule_id)
    assert not _visible_molecule(target, other, molecule_id)


# ------------------------------------------------------------------------- verify
def _copy(backup: Backup, dest: Path) -> Backup:
    shutil.copytree(backup.path, dest / backup.name)
    return read_backup(dest / backup.name)


def _flip_byte(path: Path, offset: int) -> None:
    with path.open("r+b") as handle:
        handle.seek(offset)
        byte = handle.read(1)
        handle.seek(offset)
        handle.write(bytes([byte[0] ^ 0xFF]))


@pytest.mark.integration
def test_verify_accepts_an_intact_backup(backup: Backup) -> None:
    report = verify_backup(backup)
    assert report.sha256 == backup.metadata["dump"]["sha256"]
    assert set(report.data_entries) >= set(backup.tables)


@pytest.mark.integration
def test_verify_detects_a_changed_byte(
    backup: Backup, tmp_path: Path, fresh: Callable[[], Database]
) -> None:
    copy = _copy(backup, tmp_path)
    _flip_byte(copy.dump_path, copy.size_bytes // 2)
    with pytest.raises(BackupError, match="checksum mismatch"):
        verify_backup(copy)
    target = fresh()
    with pytest.raises(BackupError, match="checksum mismatch"):
        restore_backup(copy, target)
    with target.owner_engine.connect() as conn:  # the target was not touched
        assert conn.scalar(sa.text("SELECT to_regclass('auth.users')")) is None


@pytest.mark.integration
def test_verify_reads_the_archive_not_only_the_digest(backup: Backup, tmp_path: Path) -> None:
    """A truncated dump whose metadata was rewritten to match still fails: pg_restore reads it."""
    import hashlib

    copy = _copy(backup, tmp_path)
    data = copy.dump_path.read_bytes()[: copy.size_bytes * 6 // 10]
    copy.dump_path.write_bytes(data)
    meta = dict(copy.metadata)
    meta["dump"] = {
        **meta["dump"],
        "size_bytes": len(data),
        "sha256": hashlib.sha256(data).hexdigest(),
    }
    (copy.path / METADATA_FILE).write_text(json.dumps(meta))
    with pytest.raises(BackupError, match="pg_restore exited"):
        verify_backup(read_backup(copy.path))


# -------------------------------------------------------------------------- prune
def _fake_backup(directory: Path, created_at: datetime) -> Path:
    name = "cryoprotect-" + created_at.strftime("%Y%m%dT%H%M%SZ")
    path = directory / name
    path.mkdir(parents=True)
    (path / METADATA_FILE).write_text(
        json.dumps(
            {
                "format": FORMAT_VERSION,
                "created_at": created_at.isoformat(),
                "schema_revision": "0001",
                "app_role": "cryoprotect_app",
                "dump": {"file": DUMP_FILE, "size_bytes": 10, "sha256": "0" * 64},
                "tables": {},
            }
        )
    )
    return path


@pytest.fixture
def fake_backups(tmp_path: Path) -> Path:
    """A nightly 02:00 backup from 2026-01-01 to 2026-03-20, none on 03-10..03-12, and an
    extra 14:00 backup on 03-19 and 03-20."""
    directory = tmp_path / "backups"
    day = datetime(2026, 1, 1, 2, 0, tzinfo=UTC)
    while day.date() <= datetime(2026, 3, 20).date():
        if not (10 <= day.day <= 12 and day.month == 3):
            _fake_backup(directory, day)
        day += timedelta(days=1)
    for extra in ("2026-03-19T14:00:00+00:00", "2026-03-20T14:00:00+00:00"):
        _fake_backup(directory, datetime.fromisoformat(extra))
    return directory


# Worked by hand. Daily 7: the newest of each of the 7 latest days *with* backups
# (03-20 and 03-19 at 14:00, then 03-18 ... 03-14; the gap 03-10..12 does not count).
# Weekly 4, ISO weeks: W12 (03-16..22) newest 03-20 14:00, W11 (03-09..15) 03-15,
# W10 (03-02..08) 03-08, W09 (02-23..03-01) 03-01.
EXPECTED_KEPT = {
    "cryoprotect-20260320T140000Z",
    "cryoprotect-20260319T140000Z",
    "cryoprotect-20260318T020000Z",
    "cryoprotect-20260317T020000Z",
    "cryoprotect-20260316T020000Z",
    "cryoprotect-20260315T020000Z",
    "cryoprotect-20260314T020000Z",
    "cryoprotect-20260308T020000Z",
    "cryoprotect-20260301T020000Z",
}


@pytest.mark.unit
def test_prune_keeps_newest_per_day_and_per_week(fake_backups: Path) -> None:
    everything = {p.name for p in fake_backups.iterdir()}
    assert len(everything) == 79 - 3 + 2
    plan = prune_backups(fake_backups, keep_daily=7, keep_weekly=4, dry_run=True)
    assert {b.name for b, _ in plan.keep} == EXPECTED_KEPT
    assert {b.name for b in plan.remove} == everything - EXPECTED_KEPT
    assert {p.name for p in fake_backups.iterdir()} == everything  # dry run: nothing removed
    reasons = {b.name: r for b, r in plan.keep}
    assert reasons["cryoprotect-20260320T140000Z"] == ["daily 2026-03-20", "weekly 2026-W12"]
    assert reasons["cryoprotect-20260301T020000Z"] == ["weekly 2026-W09"]

    prune_backups(fake_backups, keep_daily=7, keep_weekly=4)
    assert {p.name for p in fake_backups.iterdir()} == EXPECTED_KEPT


@pytest.mark.unit
def test_prune_removes_stale_incomplete_directories_only(fake_backups: Path) -> None:
    stale = fake_backups / f"{INCOMPLETE_PREFIX}cryoprotect-x-1"
    running = fake_backups / f"{INCOMPLETE_PREFIX}cryoprotect-y-2"
    stale.mkdir()
    running.mkdir()
    two_days_ago = time.time() - 2 * 86400
    os.utime(stale, (two_days_ago, two_days_ago))
    plan = prune_backups(fake_backups, keep_daily=100, keep_weekly=0)
    assert plan.incomplete == [stale]
    assert not stale.exists() and running.exists()
    assert all(not b.name.startswith(".") for b in list_backups(fake_backups))


@pytest.mark.unit
def test_prune_policy_edges(fake_backups: Path) -> None:
    backups = list_backups(fake_backups)
    with pytest.raises(ValidationError, match="every backup"):
        plan_prune(backups, keep_daily=0, keep_weekly=0)
    only_weekly = plan_prune(backups, keep_daily=0, keep_weekly=2)
    assert [b.name for b, _ in only_weekly.keep] == [
        "cryoprotect-20260320T140000Z",
        "cryoprotect-20260315T020000Z",
    ]
    # one per day, however many days: only the earlier of two same-day backups goes
    assert [b.name for b in plan_prune(backups, keep_daily=1000, keep_weekly=0).remove] == [
        "cryoprotect-20260320T020000Z",
        "cryoprotect-20260319T020000Z",
    ]


@pytest.mark.unit
def test_dependency_order_puts_parents_first_and_refuses_cycles() -> None:
    fks = [("b", "a"), ("c", "b"), ("c", "a"), ("c", "c")]
    assert dependency_order(["c", "b", "a"], fks) == ["a", "b", "c"]
    with pytest.raises(BackupError, match="cycle"):
        dependency_order(["x", "y"], [("x", "y"), ("y", "x")])


# ---------------------------------------------------------------------------- CLI
@pytest.fixture
def cli(source: Source) -> Callable[..., Result]:
    runner = CliRunner()
    env = {
        "CRYOPROTECT_HOME": str(source.settings.home),
        "DATABASE_URL": None,
        "CRYOPROTECT_BACKUP_DIR": None,
        "CRYOPROTECT_PG_BIN": None,
    }

    def _invoke(*args: str) -> Result:
        return runner.invoke(main, ["backup", *args], env=env, catch_exceptions=False)

    return _invoke


@pytest.mark.integration
def test_cli_create_list_verify_restore(
    source: Source, cli: Callable[..., Result], tmp_path: Path
) -> None:
    backups = str(tmp_path / "cli-backups")
    made = cli("create", "--backup-dir", backups)
    assert made.exit_code == 0, made.output
    assert f"schema revision {head_revision()}" in made.output
    (only,) = list_backups(Path(backups))

    listed = cli("list", "--backup-dir", backups)
    assert listed.exit_code == 0, listed.output
    assert only.name in listed.output and head_revision() in listed.output

    verified = cli("verify", only.name, "--backup-dir", backups)
    assert verified.exit_code == 0, verified.output
    assert verified.output.startswith(f"OK {only.name}")

    # the configured database is the source itself: not empty, so refused
    refused = cli("restore", "--backup-dir", backups)
    assert refused.exit_code == 1
    assert "not empty" in refused.output

    new_home = _short_home()
    try:
        restored = cli("restore", "latest", "--backup-dir", backups, "--data-dir", str(new_home))
        assert restored.exit_code == 0, restored.output
        assert "counts and checksums match" in restored.output
        check = Database(_settings(new_home)).start()
        try:
            assert _states(check) == only.tables
        finally:
            check.stop()
    finally:
        shutil.rmtree(new_home, ignore_errors=True)
    assert source.db.server is not None and source.db.server.is_running()  # left running


@pytest.mark.integration
def test_cli_errors_exit_non_zero(
    backup: Backup, cli: Callable[..., Result], tmp_path: Path
) -> None:
    missing = cli("create", "--backup-dir", str(tmp_path), "--pg-bin", str(tmp_path / "none"))
    assert missing.exit_code == 1
    assert "pg_dump was not found" in missing.output
    assert list(tmp_path.iterdir()) == []

    copy = _copy(backup, tmp_path)
    _flip_byte(copy.dump_path, 100)
    corrupted = cli("verify", str(copy.path))
    assert corrupted.exit_code == 1
    assert "checksum mismatch" in corrupted.output

    unknown = cli("verify", "no-such-backup", "--backup-dir", str(tmp_path))
    assert unknown.exit_code == 1 and "no backup named" in unknown.output


@pytest.mark.unit
def test_cli_prune_dry_run(fake_backups: Path) -> None:
    result = CliRunner().invoke(
        main,
        ["backup", "prune", "--backup-dir", str(fake_backups), "--dry-run"],
        catch_exceptions=False,
    )
    assert result.exit_code == 0, result.output
    assert f"{len(EXPECTED_KEPT)} kept, 69 would remove." in result.output
    assert len(list(fake_backups.iterdir())) == 78


# ----------------------------------------------------------------- external server
EXTERNAL = "postgresql://postgres@127.0.0.1:5432"


def _external_reachable() -> bool:
    import psycopg

    try:
        with psycopg.connect(f"{EXTERNAL}/postgres", connect_timeout=3):
            return True
    except psycopg.OperationalError:
        return False


@pytest.mark.integration
@pytest.mark.external
def test_restore_into_and_back_up_an_external_database(
    source: Source, backup: Backup, cli: Callable[..., Result], tmp_path: Path
) -> None:
    """--target-url into a new database on another (older) PostgreSQL, then a backup of
    it: the checksums computed by PostgreSQL 15 equal those computed by the embedded 16."""
    import psycopg

    from tests.conftest import require

    require(_external_reachable(), "no PostgreSQL on 127.0.0.1:5432")
    name = f"cryoprotect_restore_{uuid.uuid4().hex[:12]}"
    url = f"{EXTERNAL}/{name}"
    with psycopg.connect(f"{EXTERNAL}/postgres", autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    external: Database | None = None
    try:
        result = cli(
            "restore", backup.name, "--backup-dir", str(source.backup_dir), "--target-url", url
        )
        assert result.exit_code == 0, result.output
        external = Database(
            Settings(home=tmp_path, database_url=url, secret_key=SECRET, log_json=False)
        ).start()
        assert external.server is None
        assert _states(external) == backup.tables
        assert not _visible_molecule(external, source.bob, source.private_molecule)
        assert _visible_molecule(external, source.alice, source.private_molecule)

        again = create_backup(external, tmp_path / "bk")
        assert again.metadata["server_version"].startswith("15.")
        assert again.tables == backup.tables
        verify_backup(again)
    finally:
        if external is not None:
            external.stop()
        with psycopg.connect(f"{EXTERNAL}/postgres", autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
