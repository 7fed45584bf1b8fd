"""Alembic environment: runs migrations on the connection handed over by ``db/migrate.py``.

Migrations run as the schema owner (never as the app role). ``target_metadata`` is only
used for ``alembic revision --autogenerate`` during development.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine

from cryoprotect.db.models import Base

config = context.config
target_metadata = Base.metadata


def _include_name(name: str | None, type_: str, parent_names: dict[str, str | None]) -> bool:
    if type_ == "schema":
        return name in (None, "public", "auth")
    return not (type_ == "table" and name == "alembic_version")


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is None:
        engine = create_engine(config.get_main_option("sqlalchemy.url") or "")
        with engine.begin() as conn:
            _run(conn)
        engine.dispose()
    else:
        _run(connection)


def _run(connection: object) -> None:
    context.configure(
        connection=connection,  # type: ignore[arg-type]
        target_metadata=target_metadata,
        include_schemas=True,
        include_name=_include_name,
        version_table_schema="public",
        transaction_per_migration=False,
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


run_migrations_online()
