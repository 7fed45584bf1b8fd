"""Building blocks the Alembic migrations share: row-level security, triggers, grants and
the column blocks every table of a kind repeats.

Each function emits exactly the SQL (or builds exactly the columns) that the migrations
wrote out by hand before they used it, so a database migrated with them is the one it
always was. Migrations that have shipped run these functions again on every fresh
database: never change what an existing function emits — add a new function (or a new
keyword with the old behaviour as its default) instead.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import context, op
from sqlalchemy.dialects import postgresql

SERVICE_ROLE_ONLY = "auth.role() = 'service_role'"
# The owner of shipped reference data (``db.database.SYSTEM_USER_ID``).
SYSTEM_USER_ID = "00000000-0000-0000-0000-000000000000"


def app_role() -> str:
    """The app's login role the migration grants to (``config.attributes['app_role']``)."""
    role = str(context.config.attributes.get("app_role", "cryoprotect_app"))
    if not role.replace("_", "").isalnum():
        raise ValueError(f"invalid app role name {role!r}")
    return role


# ----------------------------------------------------------------- row-level security
def policy(
    table: str,
    name: str,
    command: str,
    *,
    using: str | None = None,
    check: str | None = None,
    schema: str = "public",
) -> None:
    """(Re)create the policy ``{table}_{name}`` for ``command`` (dropping any old one)."""
    sql = f"CREATE POLICY {table}_{name} ON {schema}.{table} FOR {command}"
    if using is not None:
        sql += f" USING ({using})"
    if check is not None:
        sql += f" WITH CHECK ({check})"
    op.execute(f"DROP POLICY IF EXISTS {table}_{name} ON {schema}.{table}")
    op.execute(sql)


def force_rls(table: str, schema: str = "public") -> None:
    """Enable row-level security on the table and force it on its owner too."""
    op.execute(f"ALTER TABLE {schema}.{table} ENABLE ROW LEVEL SECURITY")
    op.execute(f"ALTER TABLE {schema}.{table} FORCE ROW LEVEL SECURITY")


def enable_rls(table: str, schema: str = "public") -> None:
    """:func:`force_rls` plus the ``service_role`` policy for admin work (ALL commands)."""
    force_rls(table, schema)
    policy(
        table,
        "service_role_policy",
        "ALL",
        using=SERVICE_ROLE_ONLY,
        check=SERVICE_ROLE_ONLY,
        schema=schema,
    )


def rls_policies(
    table: str,
    *,
    select: str,
    insert: str,
    update: str | None = None,
    update_check: str | None = None,
    delete: str,
    schema: str = "public",
) -> None:
    """:func:`enable_rls` and one policy for each of SELECT, INSERT, UPDATE and DELETE.

    ``select``, ``update`` and ``delete`` are USING expressions, ``insert`` and
    ``update_check`` WITH CHECK ones (``update`` defaults to ``"false"``: no updates).
    """
    enable_rls(table, schema)
    policy(table, "select_policy", "SELECT", using=select, schema=schema)
    policy(table, "insert_policy", "INSERT", check=insert, schema=schema)
    policy(
        table,
        "update_policy",
        "UPDATE",
        using="false" if update is None else update,
        check=update_check,
        schema=schema,
    )
    policy(table, "delete_policy", "DELETE", using=delete, schema=schema)


# The user-owned tables (created_by / team_id / visibility) as migration 0002 found them;
# 0002 and 0010 act on exactly these (later owned tables get their policies themselves).
OWNED_TABLES = (
    "molecules",
    "mixtures",
    "predictions",
    "experiments",
    "protocols",
    "cell_types",
    "datasets",
    "predictive_models",
)


def owned_rls_policies(table: str, *, parent_visible: str | None = None) -> None:
    """:func:`rls_policies` of a user-owned table: the ``auth.can_*_row`` rules of 0002.

    ``parent_visible`` (a SQL condition, e.g. an EXISTS over the parent table) is added with
    AND to the SELECT and INSERT rules of a child row that needs a parent the user can see.
    """
    also = "" if parent_visible is None else f" AND {parent_visible}"
    rls_policies(
        table,
        select=f"auth.can_view_row(created_by, team_id, visibility){also}",
        insert=f"auth.can_insert_row(created_by, team_id){also}",
        update="auth.can_edit_row(created_by, team_id, visibility)",
        update_check="auth.can_edit_row(created_by, team_id, visibility) "
        "AND (team_id IS NULL OR auth.team_can(team_id, 'create'))",
        delete="auth.can_delete_row(created_by, team_id, visibility)",
    )


# ------------------------------------------------------------------------ accounts
def protect_user_function(*also: str, extra_line: str = "") -> str:
    """``auth.protect_user()``: only the service role changes an account's e-mail, id, admin
    or active flag, nor the ``also`` columns (0019 adds ``credentials_revoked_at``).

    0002 defines it with no ``also``; 0019's downgrade restores that rule with the line
    ``extra_line`` (whitespace) where 0019's own condition stood, so its text is kept.
    """
    names = ("email", "is_admin", "is_active", *also)
    what = ", ".join(names[:-1]) + " or " + names[-1]
    extra = "".join(f"        OR NEW.{c} IS DISTINCT FROM OLD.{c}\n" for c in also) or extra_line
    return f"""CREATE OR REPLACE FUNCTION auth.protect_user() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    NEW.updated_at := now();
    IF auth.role() <> 'service_role' AND (
        NEW.is_admin IS DISTINCT FROM OLD.is_admin
        OR NEW.is_active IS DISTINCT FROM OLD.is_active
        OR lower(NEW.email) IS DISTINCT FROM lower(OLD.email)
        OR NEW.id IS DISTINCT FROM OLD.id
{extra}    ) THEN
        RAISE EXCEPTION 'only the service role may change {what}'
            USING ERRCODE = '42501';
    END IF;
    RETURN NEW;
END $$;
"""


# ------------------------------------------------------------------ triggers, grants
def touch_row_trigger(table: str) -> None:
    """``updated_at`` maintenance and owner immutability (``public.touch_row()``)."""
    op.execute(
        f"CREATE TRIGGER touch_row BEFORE UPDATE ON public.{table} "
        "FOR EACH ROW EXECUTE FUNCTION public.touch_row()"
    )


def audit_row_trigger(table: str) -> None:
    """Every change of the table written to the audit log (``public.audit_row()``)."""
    op.execute(
        f"CREATE TRIGGER audit_row AFTER INSERT OR UPDATE OR DELETE ON public.{table} "
        "FOR EACH ROW EXECUTE FUNCTION public.audit_row()"
    )


# Audit rows of a whole INSERT statement at once (0021): the rows ``public.audit_row()``
# writes for each inserted row (actor checked once, ``auth.role()``, the table's name, the
# row's id, ``INSERT``, no old data, ``to_jsonb`` of the row), from the transition table
# ``new_rows`` in the order the rows were inserted.
AUDIT_INSERTED_ROWS_FUNCTION = """
CREATE OR REPLACE FUNCTION public.audit_inserted_rows() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public AS $$
DECLARE
    actor uuid := auth.uid();
BEGIN
    IF actor IS NOT NULL AND NOT EXISTS (SELECT 1 FROM auth.users u WHERE u.id = actor) THEN
        actor := NULL;
    END IF;
    INSERT INTO public.audit_log (actor_id, actor_role, table_name, row_id, action, old_data, new_data)
    SELECT actor, auth.role(), TG_TABLE_NAME, inserted.data ->> 'id', TG_OP, NULL, inserted.data
    FROM (SELECT to_jsonb(n) AS data FROM new_rows n) AS inserted;
    RETURN NULL;
END $$;
"""


def audit_inserts_per_statement(table: str) -> None:
    """Replace the table's ``audit_row`` trigger (every row of INSERT, UPDATE and DELETE) by
    ``audit_row`` for UPDATE and DELETE (per row, as before) and ``audit_row_inserts``: one
    statement-level trigger per INSERT that writes the same audit rows from the transition
    table (:data:`AUDIT_INSERTED_ROWS_FUNCTION`, created first)."""
    op.execute(f"DROP TRIGGER IF EXISTS audit_row ON public.{table}")
    op.execute(
        f"CREATE TRIGGER audit_row AFTER UPDATE OR DELETE ON public.{table} "
        "FOR EACH ROW EXECUTE FUNCTION public.audit_row()"
    )
    op.execute(
        f"CREATE TRIGGER audit_row_inserts AFTER INSERT ON public.{table} "
        "REFERENCING NEW TABLE AS new_rows "
        "FOR EACH STATEMENT EXECUTE FUNCTION public.audit_inserted_rows()"
    )


def audit_inserts_per_row(table: str) -> None:
    """Undo :func:`audit_inserts_per_statement`: the table's one per-row ``audit_row``."""
    op.execute(f"DROP TRIGGER IF EXISTS audit_row_inserts ON public.{table}")
    op.execute(f"DROP TRIGGER IF EXISTS audit_row ON public.{table}")
    audit_row_trigger(table)


def child_rls_policies(table: str, parent: str, fk: str) -> None:
    """:func:`rls_policies` of a child row with no owner of its own: seen with its parent
    (the parent's own RLS applies inside the EXISTS), written by whoever may edit the parent."""
    visible = f"EXISTS (SELECT 1 FROM public.{parent} p WHERE p.id = {table}.{fk})"
    editable = (
        f"EXISTS (SELECT 1 FROM public.{parent} p WHERE p.id = {table}.{fk} "
        "AND auth.can_edit_row(p.created_by, p.team_id, p.visibility))"
    )
    rls_policies(
        table,
        select=visible,
        insert=editable,
        update=editable,
        update_check=editable,
        delete=editable,
    )


def grant_dml(table: str, role: str, schema: str = "public") -> None:
    """DML on the table for ``role`` (never ownership: RLS keeps applying)."""
    op.execute(f"GRANT SELECT, INSERT, UPDATE, DELETE ON {schema}.{table} TO {role}")


def scope_change_guard_trigger(table: str) -> None:
    """Changes of ``team_id``/``visibility`` checked by ``public.scope_change_guard()`` (0010)."""
    op.execute(
        f"CREATE TRIGGER scope_change_guard BEFORE UPDATE OF team_id, visibility "
        f"ON public.{table} FOR EACH ROW EXECUTE FUNCTION public.scope_change_guard()"
    )


def secure_owned_table(table: str, *, parent_visible: str | None = None) -> None:
    """Everything a user-owned table added after 0010 gets: :func:`owned_rls_policies`, the
    ``touch_row``, ``audit_row`` and ``scope_change_guard`` triggers, and DML for the app role."""
    owned_rls_policies(table, parent_visible=parent_visible)
    touch_row_trigger(table)
    audit_row_trigger(table)
    scope_change_guard_trigger(table)
    grant_dml(table, app_role())


# -------------------------------------------------------------------- column blocks
def uuid_id() -> sa.Column[Any]:
    """The ``id`` UUID primary-key column the server generates (``gen_random_uuid()``)."""
    return sa.Column("id", sa.UUID(), server_default=sa.text("gen_random_uuid()"), nullable=False)


def foreign_key(table: str, column: str, target: str, ondelete: str) -> sa.ForeignKeyConstraint:
    """``column`` of ``table`` referencing ``{target}.id`` (``fk_{table}_{column}_{target}``,
    the target named without its schema)."""
    return sa.ForeignKeyConstraint(
        [column],
        [f"{target}.id"],
        name=op.f(f"fk_{table}_{column}_{target.rsplit('.', 1)[-1]}"),
        ondelete=ondelete,
    )


def primary_key(table: str, column: str = "id") -> sa.PrimaryKeyConstraint:
    """The primary key ``pk_{table}`` on ``column``."""
    return sa.PrimaryKeyConstraint(column, name=op.f(f"pk_{table}"))


def unique(table: str, *columns: str) -> sa.UniqueConstraint:
    """The UNIQUE constraint ``uq_{table}_{columns joined by _}`` over ``columns``."""
    return sa.UniqueConstraint(*columns, name=op.f(f"uq_{table}_{'_'.join(columns)}"))


def timestamp(name: str) -> sa.Column[Any]:
    """A required ``timestamptz`` column set by the server (``now()``)."""
    return sa.Column(
        name,
        sa.DateTime(timezone=True),
        server_default=sa.text("now()"),
        nullable=False,
    )


def timestamps() -> tuple[sa.Column[Any], sa.Column[Any]]:
    """``created_at`` and ``updated_at``."""
    return timestamp("created_at"), timestamp("updated_at")


def jsonb(name: str, default: str) -> sa.Column[Any]:
    """A required JSONB column with a server default (``'{}'`` or ``'[]'``)."""
    return sa.Column(
        name,
        postgresql.JSONB(astext_type=sa.Text()),
        server_default=sa.text(f"'{default}'::jsonb"),
        nullable=False,
    )


def owned_columns() -> tuple[sa.Column[Any], ...]:
    """``created_by``, ``team_id``, ``visibility`` and the timestamps of a user-owned row."""
    return (
        sa.Column("created_by", sa.UUID(), nullable=False),
        sa.Column("team_id", sa.UUID(), nullable=True),
        sa.Column("visibility", sa.String(length=16), server_default="private", nullable=False),
        *timestamps(),
    )


def owned_checks(table: str) -> tuple[sa.CheckConstraint, sa.CheckConstraint]:
    """The visibility CHECKs of a user-owned table (``team`` visibility needs a team)."""
    return (
        sa.CheckConstraint(
            "visibility <> 'team' OR team_id IS NOT NULL",
            name=op.f(f"ck_{table}_team_visibility_needs_team"),
        ),
        sa.CheckConstraint(
            "visibility IN ('private', 'team', 'public')", name=op.f(f"ck_{table}_visibility")
        ),
    )


# ----------------------------------------------------------------------------- indexes
def indexes(table: str, *columns: str, schema: str | None = None) -> None:
    """One plain index ``ix_{table}_{column}`` per column, in the order given."""
    for column in columns:
        op.create_index(op.f(f"ix_{table}_{column}"), table, [column], schema=schema)


def drop_indexes(table: str, *columns: str, schema: str | None = None) -> None:
    """Drop the plain indexes ``ix_{table}_{column}``, in the order given."""
    for column in columns:
        op.drop_index(op.f(f"ix_{table}_{column}"), table_name=table, schema=schema)


def partial_unique_index(name: str, table: str, columns: list[Any], where: str) -> None:
    """A unique index over ``columns`` restricted to the rows ``where`` holds."""
    op.create_index(name, table, columns, unique=True, postgresql_where=sa.text(where))


def unique_per_scope_indexes(
    table: str,
    suffix: str,
    columns: list[str],
    scopes: tuple[str, ...] = ("public", "private", "team"),
) -> None:
    """One row per ``columns`` in each visibility scope (``uq_{table}_{scope}_{suffix}``):
    among public rows, among one owner's private rows, among one team's rows; created in
    the order of ``scopes``."""
    owner = {"public": [], "private": ["created_by"], "team": ["team_id"]}
    for scope in scopes:
        partial_unique_index(
            f"uq_{table}_{scope}_{suffix}",
            table,
            [*owner[scope], *columns],
            f"visibility = '{scope}'",
        )


# -------------------------------------------------------------------------- experiments
# Columns whose change is a change of the recorded science (reopens verification; 0008).
EXPERIMENT_CONTENT_COLUMNS = (
    "title",
    "mixture_id",
    "mixture_version",
    "protocol_id",
    "cell_type_id",
    "conditions",
    "results",
    "performed_on",
    "notes",
    "operator",
    "protocol_text",
    "biological_system",
    "attachments",
)

# The start of experiment_guard's body in 0008 and 0010: a verification write passes,
# no one sets a verdict by hand, and ``changed`` gets the content columns that change.
EXPERIMENT_GUARD_CHECKS = f"""    IF current_setting('cryoprotect.verification_write', true) = 'on' THEN
        RETURN NEW;
    END IF;
    IF NEW.verification_status IS DISTINCT FROM OLD.verification_status
       AND NEW.verification_status IN ('verified', 'rejected') THEN
        RAISE EXCEPTION 'verification status is set only by a lab verification'
            USING ERRCODE = '42501';
    END IF;
    SELECT coalesce(array_agg(key ORDER BY key), '{{}}') INTO changed
    FROM jsonb_each(to_jsonb(NEW)) n
    WHERE key = ANY (ARRAY{list(EXPERIMENT_CONTENT_COLUMNS)}::text[])
      AND n.value IS DISTINCT FROM to_jsonb(OLD) -> key;
"""


def reopen_as_pending(notes: str) -> str:
    """experiment_guard's lines that reopen a verdict: the experiment back to ``pending``
    and a pending lab verification whose notes are the SQL expression ``notes``."""
    return f"""        NEW.verification_status := 'pending';
        PERFORM set_config('cryoprotect.verification_write', 'on', true);
        INSERT INTO public.lab_verifications (experiment_id, status, notes, created_by)
        VALUES (
            NEW.id, 'pending',
            {notes},
            coalesce(auth.uid(), '{SYSTEM_USER_ID}'::uuid)
        );
        PERFORM set_config('cryoprotect.verification_write', 'off', true);
"""


_REOPEN_0008 = reopen_as_pending(
    """'Reopened: ' || OLD.verification_status || ' experiment edited ('
                || array_to_string(changed, ', ') || ')'"""
)

# experiment_guard as migration 0008 defines it (and 0010's downgrade restores it).
EXPERIMENT_GUARD_0008 = (
    """
CREATE OR REPLACE FUNCTION public.experiment_guard() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public AS $$
DECLARE
    changed text[];
BEGIN
"""
    + EXPERIMENT_GUARD_CHECKS
    + "    IF OLD.verification_status IN ('verified', 'rejected') AND cardinality(changed) > 0 THEN\n"
    + _REOPEN_0008
    + """    END IF;
    RETURN NEW;
END $$;
"""
)

# experiment_history's summary of an audit entry's changes (0008; 0011 keeps it).
HISTORY_CHANGES = """
        CASE WHEN a.action = 'UPDATE' THEN coalesce((
            SELECT jsonb_object_agg(k, jsonb_build_object('old', a.old_data -> k,
                                                          'new', a.new_data -> k))
            FROM jsonb_object_keys(a.new_data) k
            WHERE k NOT IN ('updated_at', 'created_at')
              AND (a.old_data -> k) IS DISTINCT FROM (a.new_data -> k)
        ), '{}'::jsonb) ELSE '{}'::jsonb END"""

# experiment_history(exp) as 0008 defines it, after its CREATE [OR REPLACE] FUNCTION line
# (0011's downgrade restores it).
EXPERIMENT_HISTORY_0008 = f"""RETURNS TABLE (occurred_at timestamptz, actor_id uuid, action text, changes jsonb)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, public AS $$
    SELECT a.occurred_at, a.actor_id, a.action::text,
        {HISTORY_CHANGES.strip()}
    FROM public.audit_log a
    WHERE a.table_name = 'experiments' AND a.row_id = exp::text
      AND EXISTS (
          SELECT 1 FROM public.experiments e
          WHERE e.id = exp AND auth.can_view_row(e.created_by, e.team_id, e.visibility)
      )
    ORDER BY a.id
$$;
"""
