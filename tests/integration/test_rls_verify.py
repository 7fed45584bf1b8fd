"""Integration tests for cryoprotect.db.rls.verify_rls on the migrated embedded database.

Every change to the shared session database happens inside an owner transaction that is
rolled back, so no other test can see it.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import sqlalchemy as sa

from cryoprotect.db.database import Database, Identity
from cryoprotect.db.rls import COMMANDS, RlsProblem, format_report, verify_rls

pytestmark = pytest.mark.integration


@pytest.fixture
def owner_tx(db: Database) -> Iterator[sa.Connection]:
    """An owner connection in a transaction that is always rolled back."""
    with db.owner_engine.connect() as conn:
        tx = conn.begin()
        try:
            yield conn
        finally:
            tx.rollback()


def _for(problems: list[RlsProblem], table: str) -> set[str]:
    return {p.problem for p in problems if p.table == table}


def test_migrated_schema_has_no_gaps_as_owner(db: Database) -> None:
    with db.owner_engine.connect() as conn:
        problems = verify_rls(conn, app_role=db.settings.app_db_role)
    assert problems == [], format_report(problems)


def test_migrated_schema_has_no_gaps_as_app_role(db: Database) -> None:
    with db.transaction(Identity.service()) as session:
        assert verify_rls(session.connection(), app_role=db.settings.app_db_role) == []


def test_table_without_rls_is_reported(owner_tx: sa.Connection, unique: str) -> None:
    table = f"tmp_norls_{unique}"
    owner_tx.execute(sa.text(f"CREATE TABLE public.{table} (id int)"))
    problems = verify_rls(owner_tx)
    assert _for(problems, table) == {
        "row level security is not enabled",
        "row level security is not forced",
        *(f"no policy covers {cmd}" for cmd in COMMANDS),
    }
    assert all(p.schema == "public" for p in problems)
    assert verify_rls(owner_tx, schemas=("auth",)) == []


def test_select_only_policy_reports_other_commands(owner_tx: sa.Connection, unique: str) -> None:
    table = f"tmp_selonly_{unique}"
    owner_tx.execute(sa.text(f"CREATE TABLE public.{table} (id int)"))
    owner_tx.execute(sa.text(f"ALTER TABLE public.{table} ENABLE ROW LEVEL SECURITY"))
    owner_tx.execute(sa.text(f"ALTER TABLE public.{table} FORCE ROW LEVEL SECURITY"))
    owner_tx.execute(sa.text(f"CREATE POLICY sel ON public.{table} FOR SELECT USING (true)"))
    assert _for(verify_rls(owner_tx), table) == {
        "no policy covers INSERT",
        "no policy covers UPDATE",
        "no policy covers DELETE",
    }
    owner_tx.execute(sa.text(f"CREATE POLICY rest ON public.{table} FOR ALL USING (false)"))
    assert _for(verify_rls(owner_tx), table) == set()


def test_policies_for_other_roles_or_restrictive_do_not_count(
    owner_tx: sa.Connection, unique: str
) -> None:
    table = f"tmp_otherrole_{unique}"
    owner_tx.execute(sa.text(f"CREATE TABLE public.{table} (id int)"))
    owner_tx.execute(sa.text(f"ALTER TABLE public.{table} ENABLE ROW LEVEL SECURITY"))
    owner_tx.execute(sa.text(f"ALTER TABLE public.{table} FORCE ROW LEVEL SECURITY"))
    owner_tx.execute(sa.text(f"CREATE POLICY m ON public.{table} TO pg_monitor USING (true)"))
    owner_tx.execute(sa.text(f"CREATE POLICY r ON public.{table} AS RESTRICTIVE USING (true)"))
    assert _for(verify_rls(owner_tx), table) == {f"no policy covers {cmd}" for cmd in COMMANDS}


def test_app_role_problems(owner_tx: sa.Connection, db: Database, unique: str) -> None:
    missing = verify_rls(owner_tx, app_role=f"no_such_role_{unique}")
    assert [(p.table, p.problem) for p in missing] == [
        ("*", f"app role 'no_such_role_{unique}' does not exist")
    ]

    app = db.settings.app_db_role
    table = f"tmp_owned_{unique}"
    owner_tx.execute(sa.text(f"CREATE TABLE public.{table} (id int)"))
    # what handing the app a table takes (all rolled back with the fixture's transaction)
    owner_tx.execute(sa.text(f"GRANT {app} TO CURRENT_USER"))
    owner_tx.execute(sa.text(f"GRANT CREATE ON SCHEMA public TO {app}"))
    owner_tx.execute(sa.text(f"ALTER TABLE public.{table} OWNER TO {app}"))
    problems = verify_rls(owner_tx, app_role=app)
    assert RlsProblem("public", "*", f"app role '{app}' owns table public.{table}") in problems


def test_format_report() -> None:
    assert format_report([]) == "Row level security: no problems found."
    report = format_report(
        [
            RlsProblem("public", "widgets", "row level security is not enabled"),
            RlsProblem("auth", "*", "app role 'x' has BYPASSRLS"),
        ]
    )
    lines = report.splitlines()
    assert lines[0].split() == ["SCHEMA", "TABLE", "PROBLEM"]
    assert "widgets" in lines[2] and "is not enabled" in lines[2]
    assert lines[-1] == "2 problem(s)."
    assert lines[2].index("row level") == lines[3].index("app role")  # aligned columns
