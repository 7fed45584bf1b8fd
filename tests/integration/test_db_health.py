"""Integration tests for cryoprotect.db.health on the migrated embedded database.

Damage (a dropped index, disabled constraints, bad rows) is only ever done inside an owner
transaction that is rolled back, so the shared session database stays pristine.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import datetime

import pytest
import sqlalchemy as sa

from cryoprotect.db.database import SYSTEM_USER_ID, Database, Identity
from cryoprotect.db.health import (
    check_integrity,
    check_performance,
    run_health_checks,
    validate_schema,
    worst,
)

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


def test_worst_orders_statuses() -> None:
    assert worst() == "passed"
    assert worst("passed", "warning") == "warning"
    assert worst("warning", "failed", "passed") == "failed"


def test_run_health_checks_on_migrated_schema(db: Database) -> None:
    with db.transaction(Identity.service()) as session:
        report = run_health_checks(session, app_role=db.settings.app_db_role)
    assert set(report) == {"status", "checked_at", "checks"}
    assert datetime.fromisoformat(report["checked_at"]).tzinfo is not None
    checks = report["checks"]
    schema, integrity, performance = checks["schema"], checks["integrity"], checks["performance"]
    assert schema["status"] == "passed", schema
    assert all(schema["details"][k] == [] for k in schema["details"])
    assert integrity["status"] == "passed", integrity
    assert integrity["details"]["sees_all_rows"] is True
    assert performance["status"] in {"passed", "warning"}
    assert set(performance["details"]) == {
        "unindexed_foreign_keys",
        "seq_scan_heavy_tables",
        "slow_statements",
    }
    assert performance["details"]["unindexed_foreign_keys"] == []
    slow = performance["details"]["slow_statements"]
    assert slow["available"] is ("statements" in slow)
    assert report["status"] in {"passed", "warning"}


def test_checks_accept_owner_connection(owner_tx: sa.Connection, db: Database) -> None:
    assert validate_schema(owner_tx, app_role=db.settings.app_db_role)["status"] == "passed"
    assert check_integrity(owner_tx)["status"] == "passed"


def test_dropped_fk_index_is_reported(owner_tx: sa.Connection) -> None:
    owner_tx.execute(sa.text("DROP INDEX public.ix_experiments_protocol_id"))

    performance = check_performance(owner_tx)
    assert performance["status"] == "warning"
    assert performance["details"]["unindexed_foreign_keys"] == [
        {
            "schema": "public",
            "table": "experiments",
            "column": "protocol_id",
            "constraint": "fk_experiments_protocol_id_protocols",
        }
    ]

    schema = validate_schema(owner_tx)
    assert schema["status"] == "failed"
    assert schema["details"]["missing_indexes"] == ["public.ix_experiments_protocol_id"]


def test_schema_drift_is_reported(owner_tx: sa.Connection) -> None:
    for statement in (
        "ALTER TABLE public.datasets DROP COLUMN description",
        "ALTER TABLE public.predictions ALTER COLUMN mixture_version TYPE bigint",
        "ALTER TABLE public.datasets ALTER COLUMN name TYPE varchar(999)",  # length is lenient
        "ALTER TABLE public.protocols DROP CONSTRAINT fk_protocols_cell_type_id_cell_types",
        "ALTER TABLE public.feature_flags NO FORCE ROW LEVEL SECURITY",
    ):
        owner_tx.execute(sa.text(statement))
    details = validate_schema(owner_tx)["details"]
    assert details["missing_columns"] == ["public.datasets.description"]
    assert details["type_mismatches"] == [
        {
            "column": "public.predictions.mixture_version",
            "expected": "INTEGER",
            "actual": "BIGINT",
        }
    ]
    assert details["missing_foreign_keys"] == [
        {
            "table": "public.protocols",
            "columns": ["cell_type_id"],
            "referred_table": "public.cell_types",
        }
    ]
    assert details["rls_problems"] == [
        {
            "schema": "public",
            "table": "feature_flags",
            "problem": "row level security is not forced",
        }
    ]


def test_extra_column_is_only_a_warning(owner_tx: sa.Connection) -> None:
    owner_tx.execute(sa.text("ALTER TABLE public.datasets ADD COLUMN legacy_note text"))
    result = validate_schema(owner_tx)
    assert result["status"] == "warning"
    assert result["details"]["extra_columns"] == ["public.datasets.legacy_note"]


def test_orphans_and_invalid_enumerations_are_reported(owner_tx: sa.Connection) -> None:
    for constraint in (
        "fk_molecular_properties_molecule_id_molecules",
        "ck_molecular_properties_provenance",
    ):
        owner_tx.execute(
            sa.text(f"ALTER TABLE public.molecular_properties DROP CONSTRAINT {constraint}")
        )
    owner_tx.execute(
        sa.text(
            "INSERT INTO public.molecular_properties (molecule_id, property_name, method, "
            "provenance, created_by) VALUES (:m, 'tg', 'dsc', 'guessed', :u)"
        ),
        {"m": uuid.uuid4(), "u": SYSTEM_USER_ID},
    )
    result = check_integrity(owner_tx)
    assert result["status"] == "failed"
    assert result["details"]["orphaned_rows"] == [
        {
            "table": "molecular_properties",
            "columns": ["molecule_id"],
            "referred_table": "molecules",
            "count": 1,
        }
    ]
    assert result["details"]["invalid_enumerations"] == [
        {
            "table": "molecular_properties",
            "column": "provenance",
            "count": 1,
            "values": {"guessed": 1},
        }
    ]


def test_integrity_under_rls_is_a_warning(db: Database) -> None:
    with db.transaction(Identity.anonymous()) as session:
        result = check_integrity(session)
    assert result["status"] == "warning"
    assert result["details"]["sees_all_rows"] is False


def test_errors_are_reported_not_raised(owner_tx: sa.Connection) -> None:
    owner_tx.execute(
        sa.text("ALTER TABLE public.lab_verifications RENAME TO lab_verifications_old")
    )
    integrity = check_integrity(owner_tx)  # its FK/enum queries hit the missing table
    assert integrity["status"] == "failed"
    assert "lab_verifications" in integrity["details"]["error"]
    schema = validate_schema(owner_tx)
    assert schema["status"] == "failed"
    assert schema["details"]["missing_tables"] == ["public.lab_verifications"]
    # the savepoint kept the outer transaction usable
    assert owner_tx.scalar(sa.text("SELECT 1")) == 1
    broken = check_performance(None)  # type: ignore[arg-type]
    assert broken["status"] == "failed" and "error" in broken["details"]
