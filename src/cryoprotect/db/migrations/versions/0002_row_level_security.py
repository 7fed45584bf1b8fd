"""Row-level security, identity functions, roles, grants, triggers and reference rows.

The single source of truth for authorization (DESIGN.md principle 3), in the seed's style:

* ``auth.uid()`` / ``auth.role()`` read the per-transaction identity that the app sets
  with ``set_config('request.jwt.claim.sub'|'request.jwt.claim.role', …, true)``; with no
  identity set, ``auth.uid()`` is NULL and ``auth.role()`` is ``anon``, so policies return
  public rows at most.
* Team capability checks go through ``auth.team_can(team, capability)``, scoped to the
  row's own team. It is SECURITY DEFINER (owned by the migration role, which bypasses
  RLS) so the membership table's own policies do not recurse.
* Every table has RLS enabled and FORCEd, a policy for each of SELECT, INSERT, UPDATE and
  DELETE, and a ``service_role`` policy for admin work.
* The app's login role owns nothing, has NOBYPASSRLS, and gets only DML grants.

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import context, op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

SYSTEM_USER_ID = "00000000-0000-0000-0000-000000000000"

# Tables whose rows carry created_by / team_id / visibility.
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
# Child tables: visible and editable through their parent row.
CHILD_TABLES = {
    "molecular_properties": ("molecules", "molecule_id"),
    "mixture_components": ("mixtures", "mixture_id"),
}
ALL_PUBLIC_TABLES = (
    *OWNED_TABLES,
    *CHILD_TABLES,
    "lab_verifications",
    "teams",
    "team_roles",
    "user_team_membership",
    "feature_flags",
    "audit_log",
)
AUTH_TABLES = ("users", "refresh_tokens", "api_tokens")
UPDATED_AT_TABLES = (
    *OWNED_TABLES,
    *CHILD_TABLES,
    "lab_verifications",
    "teams",
    "team_roles",
    "user_team_membership",
    "feature_flags",
)
AUDITED_TABLES = (
    *OWNED_TABLES,
    *CHILD_TABLES,
    "lab_verifications",
    "teams",
    "user_team_membership",
    "feature_flags",
)

TEAM_ROLES = (
    # id, name, view, create, edit, delete, verify, manage, description
    (1, "viewer", True, False, False, False, False, False, "Reads the team's data."),
    (
        2,
        "editor",
        True,
        True,
        True,
        False,
        False,
        False,
        "Reads, creates and edits the team's data.",
    ),
    (
        3,
        "verifier",
        True,
        True,
        True,
        False,
        True,
        False,
        "Editor who may also verify other members' experiments.",
    ),
    (
        4,
        "admin",
        True,
        True,
        True,
        True,
        True,
        True,
        "Full control, including deleting data and managing members.",
    ),
)


def _app_role() -> str:
    role = str(context.config.attributes.get("app_role", "cryoprotect_app"))
    if not role.replace("_", "").isalnum():
        raise ValueError(f"invalid app role name {role!r}")
    return role


def _policy(
    table: str,
    name: str,
    command: str,
    *,
    using: str | None = None,
    check: str | None = None,
    schema: str = "public",
) -> None:
    sql = f"CREATE POLICY {table}_{name} ON {schema}.{table} FOR {command}"
    if using is not None:
        sql += f" USING ({using})"
    if check is not None:
        sql += f" WITH CHECK ({check})"
    op.execute(f"DROP POLICY IF EXISTS {table}_{name} ON {schema}.{table}")
    op.execute(sql)


def _enable_rls(table: str, schema: str = "public") -> None:
    op.execute(f"ALTER TABLE {schema}.{table} ENABLE ROW LEVEL SECURITY")
    op.execute(f"ALTER TABLE {schema}.{table} FORCE ROW LEVEL SECURITY")
    _policy(
        table,
        "service_role_policy",
        "ALL",
        using="auth.role() = 'service_role'",
        check="auth.role() = 'service_role'",
        schema=schema,
    )


FUNCTIONS = r"""
CREATE OR REPLACE FUNCTION auth.uid() RETURNS uuid
LANGUAGE sql STABLE AS $$
    SELECT nullif(current_setting('request.jwt.claim.sub', true), '')::uuid
$$;

CREATE OR REPLACE FUNCTION auth.role() RETURNS text
LANGUAGE sql STABLE AS $$
    SELECT coalesce(nullif(current_setting('request.jwt.claim.role', true), ''), 'anon')
$$;

CREATE OR REPLACE FUNCTION auth.team_can(team uuid, capability text) RETURNS boolean
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, public AS $$
    SELECT team IS NOT NULL AND auth.uid() IS NOT NULL AND EXISTS (
        SELECT 1
        FROM public.user_team_membership m
        JOIN public.team_roles r ON r.id = m.role_id
        WHERE m.team_id = team AND m.user_id = auth.uid()
          AND CASE capability
                WHEN 'view' THEN r.can_view
                WHEN 'create' THEN r.can_create
                WHEN 'edit' THEN r.can_edit
                WHEN 'delete' THEN r.can_delete
                WHEN 'verify' THEN r.can_verify
                WHEN 'manage' THEN r.can_manage
                ELSE false
              END
    )
$$;

CREATE OR REPLACE FUNCTION auth.shares_team(other_user uuid) RETURNS boolean
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, public AS $$
    SELECT auth.uid() IS NOT NULL AND EXISTS (
        SELECT 1
        FROM public.user_team_membership mine
        JOIN public.user_team_membership theirs ON theirs.team_id = mine.team_id
        WHERE mine.user_id = auth.uid() AND theirs.user_id = other_user
    )
$$;

-- Row predicates shared by every owned table (plain SQL: inlined by the planner).
CREATE OR REPLACE FUNCTION auth.can_view_row(owner uuid, team uuid, vis text) RETURNS boolean
LANGUAGE sql STABLE AS $$
    SELECT vis = 'public'
        OR (auth.uid() IS NOT NULL AND owner = auth.uid())
        OR (vis = 'team' AND auth.team_can(team, 'view'))
$$;

CREATE OR REPLACE FUNCTION auth.can_insert_row(owner uuid, team uuid) RETURNS boolean
LANGUAGE sql STABLE AS $$
    SELECT auth.uid() IS NOT NULL AND owner = auth.uid()
       AND (team IS NULL OR auth.team_can(team, 'create'))
$$;

CREATE OR REPLACE FUNCTION auth.can_edit_row(owner uuid, team uuid, vis text) RETURNS boolean
LANGUAGE sql STABLE AS $$
    SELECT (auth.uid() IS NOT NULL AND owner = auth.uid())
        OR (vis <> 'private' AND auth.team_can(team, 'edit'))
$$;

CREATE OR REPLACE FUNCTION auth.can_delete_row(owner uuid, team uuid, vis text) RETURNS boolean
LANGUAGE sql STABLE AS $$
    SELECT (auth.uid() IS NOT NULL AND owner = auth.uid())
        OR (vis <> 'private' AND auth.team_can(team, 'delete'))
$$;

-- updated_at maintenance, and owner immutability outside the service role.
CREATE OR REPLACE FUNCTION public.touch_row() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    NEW.updated_at := now();
    IF TG_OP = 'UPDATE' AND auth.role() <> 'service_role' THEN
        IF to_jsonb(NEW) ? 'created_by'
           AND (to_jsonb(NEW)->>'created_by') IS DISTINCT FROM (to_jsonb(OLD)->>'created_by') THEN
            RAISE EXCEPTION 'created_by cannot be changed' USING ERRCODE = '42501';
        END IF;
    END IF;
    RETURN NEW;
END $$;

-- Only the service role may change privileges or e-mail of an account.
CREATE OR REPLACE FUNCTION auth.protect_user() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    NEW.updated_at := now();
    IF auth.role() <> 'service_role' AND (
        NEW.is_admin IS DISTINCT FROM OLD.is_admin
        OR NEW.is_active IS DISTINCT FROM OLD.is_active
        OR lower(NEW.email) IS DISTINCT FROM lower(OLD.email)
        OR NEW.id IS DISTINCT FROM OLD.id
    ) THEN
        RAISE EXCEPTION 'only the service role may change email, is_admin or is_active'
            USING ERRCODE = '42501';
    END IF;
    RETURN NEW;
END $$;

-- The creator of a team becomes its admin, atomically with the team row.
CREATE OR REPLACE FUNCTION public.add_team_creator() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public AS $$
BEGIN
    INSERT INTO public.user_team_membership (user_id, team_id, role_id)
    SELECT NEW.created_by, NEW.id, r.id FROM public.team_roles r WHERE r.name = 'admin';
    RETURN NEW;
END $$;

-- Append-only audit trail written by the database itself.
CREATE OR REPLACE FUNCTION public.audit_row() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public AS $$
DECLARE
    actor uuid := auth.uid();
BEGIN
    IF actor IS NOT NULL AND NOT EXISTS (SELECT 1 FROM auth.users u WHERE u.id = actor) THEN
        actor := NULL;
    END IF;
    INSERT INTO public.audit_log (actor_id, actor_role, table_name, row_id, action, old_data, new_data)
    VALUES (
        actor, auth.role(), TG_TABLE_NAME,
        coalesce(to_jsonb(NEW)->>'id', to_jsonb(OLD)->>'id'), TG_OP,
        CASE WHEN TG_OP IN ('UPDATE', 'DELETE') THEN to_jsonb(OLD) END,
        CASE WHEN TG_OP IN ('INSERT', 'UPDATE') THEN to_jsonb(NEW) END
    );
    RETURN coalesce(NEW, OLD);
END $$;
"""


def upgrade() -> None:
    app = _app_role()
    op.execute(
        f"""
        DO $$
        BEGIN
            IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '{app}') THEN
                CREATE ROLE {app} LOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE;
            END IF;
        END $$;
        """
    )
    op.execute(FUNCTIONS)

    # --- reference rows: role definitions and the owner of shipped reference data
    for rid, name, v, c, e, d, ver, m, desc in TEAM_ROLES:
        op.get_bind().execute(
            sa.text(
                "INSERT INTO public.team_roles (id, name, can_view, can_create, can_edit, "
                "can_delete, can_verify, can_manage, description) VALUES (:id, :name, :v, :c, "
                ":e, :d, :ver, :m, :desc) ON CONFLICT (id) DO NOTHING"
            ),
            {
                "id": rid,
                "name": name,
                "v": v,
                "c": c,
                "e": e,
                "d": d,
                "ver": ver,
                "m": m,
                "desc": desc,
            },
        )
    op.execute(
        "INSERT INTO auth.users (id, email, display_name, is_admin, is_active) VALUES "
        f"('{SYSTEM_USER_ID}', 'system@cryoprotect.invalid', 'CryoProtect reference data', "
        "false, false) ON CONFLICT (id) DO NOTHING"
    )

    # --- triggers
    for table in UPDATED_AT_TABLES:
        op.execute(f"DROP TRIGGER IF EXISTS touch_row ON public.{table}")
        op.execute(
            f"CREATE TRIGGER touch_row BEFORE UPDATE ON public.{table} "
            "FOR EACH ROW EXECUTE FUNCTION public.touch_row()"
        )
    for table in AUDITED_TABLES:
        op.execute(f"DROP TRIGGER IF EXISTS audit_row ON public.{table}")
        op.execute(
            f"CREATE TRIGGER audit_row AFTER INSERT OR UPDATE OR DELETE ON public.{table} "
            "FOR EACH ROW EXECUTE FUNCTION public.audit_row()"
        )
    op.execute("DROP TRIGGER IF EXISTS protect_user ON auth.users")
    op.execute(
        "CREATE TRIGGER protect_user BEFORE UPDATE ON auth.users "
        "FOR EACH ROW EXECUTE FUNCTION auth.protect_user()"
    )
    op.execute("DROP TRIGGER IF EXISTS add_team_creator ON public.teams")
    op.execute(
        "CREATE TRIGGER add_team_creator AFTER INSERT ON public.teams "
        "FOR EACH ROW EXECUTE FUNCTION public.add_team_creator()"
    )

    # --- owned tables
    for t in OWNED_TABLES:
        _enable_rls(t)
        _policy(
            t, "select_policy", "SELECT", using="auth.can_view_row(created_by, team_id, visibility)"
        )
        _policy(t, "insert_policy", "INSERT", check="auth.can_insert_row(created_by, team_id)")
        _policy(
            t,
            "update_policy",
            "UPDATE",
            using="auth.can_edit_row(created_by, team_id, visibility)",
            check="auth.can_edit_row(created_by, team_id, visibility) "
            "AND (team_id IS NULL OR auth.team_can(team_id, 'create'))",
        )
        _policy(
            t,
            "delete_policy",
            "DELETE",
            using="auth.can_delete_row(created_by, team_id, visibility)",
        )

    # --- child tables: through the parent row (the parent's own RLS applies in EXISTS)
    for t, (parent, fk) in CHILD_TABLES.items():
        editable = (
            f"EXISTS (SELECT 1 FROM public.{parent} p WHERE p.id = {t}.{fk} "
            "AND auth.can_edit_row(p.created_by, p.team_id, p.visibility))"
        )
        _enable_rls(t)
        _policy(
            t,
            "select_policy",
            "SELECT",
            using=f"EXISTS (SELECT 1 FROM public.{parent} p WHERE p.id = {t}.{fk})",
        )
        _policy(t, "insert_policy", "INSERT", check=f"created_by = auth.uid() AND {editable}")
        _policy(t, "update_policy", "UPDATE", using=editable, check=editable)
        _policy(t, "delete_policy", "DELETE", using=editable)

    # --- lab verifications: by a verifier of the experiment's team; history is kept
    verifier = (
        "EXISTS (SELECT 1 FROM public.experiments e WHERE e.id = lab_verifications.experiment_id "
        "AND e.visibility <> 'private' AND auth.team_can(e.team_id, 'verify'))"
    )
    _enable_rls("lab_verifications")
    _policy(
        "lab_verifications",
        "select_policy",
        "SELECT",
        using="EXISTS (SELECT 1 FROM public.experiments e WHERE e.id = lab_verifications.experiment_id)",
    )
    _policy(
        "lab_verifications",
        "insert_policy",
        "INSERT",
        check=f"created_by = auth.uid() AND {verifier}",
    )
    _policy(
        "lab_verifications",
        "update_policy",
        "UPDATE",
        using=f"created_by = auth.uid() AND {verifier}",
        check=f"created_by = auth.uid() AND {verifier}",
    )
    _policy("lab_verifications", "delete_policy", "DELETE", using="false")

    # --- teams and membership
    _enable_rls("teams")
    _policy(
        "teams",
        "select_policy",
        "SELECT",
        using="created_by = auth.uid() OR auth.team_can(id, 'view')",
    )
    _policy(
        "teams",
        "insert_policy",
        "INSERT",
        check="auth.uid() IS NOT NULL AND created_by = auth.uid()",
    )
    _policy(
        "teams",
        "update_policy",
        "UPDATE",
        using="auth.team_can(id, 'manage')",
        check="auth.team_can(id, 'manage')",
    )
    _policy("teams", "delete_policy", "DELETE", using="auth.team_can(id, 'manage')")

    _enable_rls("team_roles")
    _policy("team_roles", "select_policy", "SELECT", using="true")
    for cmd in ("INSERT", "UPDATE", "DELETE"):
        # role definitions are reference data: only the service role changes them
        _policy(
            "team_roles",
            f"{cmd.lower()}_policy",
            cmd,
            **({"check": "false"} if cmd == "INSERT" else {"using": "false"}),
        )

    _enable_rls("user_team_membership")
    _policy(
        "user_team_membership",
        "select_policy",
        "SELECT",
        using="user_id = auth.uid() OR auth.team_can(team_id, 'view')",
    )
    _policy(
        "user_team_membership", "insert_policy", "INSERT", check="auth.team_can(team_id, 'manage')"
    )
    _policy(
        "user_team_membership",
        "update_policy",
        "UPDATE",
        using="auth.team_can(team_id, 'manage')",
        check="auth.team_can(team_id, 'manage')",
    )
    _policy(
        "user_team_membership",
        "delete_policy",
        "DELETE",
        using="auth.team_can(team_id, 'manage') OR user_id = auth.uid()",
    )

    # --- operations tables
    _enable_rls("feature_flags")
    _policy("feature_flags", "select_policy", "SELECT", using="true")
    _policy("feature_flags", "insert_policy", "INSERT", check="false")
    _policy("feature_flags", "update_policy", "UPDATE", using="false")
    _policy("feature_flags", "delete_policy", "DELETE", using="false")

    _enable_rls("audit_log")
    _policy("audit_log", "select_policy", "SELECT", using="actor_id = auth.uid()")
    _policy("audit_log", "insert_policy", "INSERT", check="false")
    _policy("audit_log", "update_policy", "UPDATE", using="false")
    _policy("audit_log", "delete_policy", "DELETE", using="false")

    # --- auth schema
    _enable_rls("users", "auth")
    _policy(
        "users",
        "select_policy",
        "SELECT",
        schema="auth",
        using="id = auth.uid() OR auth.shares_team(id)",
    )
    _policy("users", "insert_policy", "INSERT", schema="auth", check="false")
    _policy(
        "users",
        "update_policy",
        "UPDATE",
        schema="auth",
        using="id = auth.uid()",
        check="id = auth.uid()",
    )
    _policy("users", "delete_policy", "DELETE", schema="auth", using="false")
    for t in ("refresh_tokens", "api_tokens"):
        _enable_rls(t, "auth")
        _policy(t, "select_policy", "SELECT", schema="auth", using="user_id = auth.uid()")
        _policy(t, "insert_policy", "INSERT", schema="auth", check="user_id = auth.uid()")
        _policy(
            t,
            "update_policy",
            "UPDATE",
            schema="auth",
            using="user_id = auth.uid()",
            check="user_id = auth.uid()",
        )
        _policy(t, "delete_policy", "DELETE", schema="auth", using="user_id = auth.uid()")

    # --- grants: DML only, never ownership
    op.execute(f"GRANT USAGE ON SCHEMA public, auth TO {app}")
    op.execute(f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {app}")
    op.execute(f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA auth TO {app}")
    op.execute(f"REVOKE INSERT, UPDATE, DELETE ON public.audit_log FROM {app}")
    op.execute(f"REVOKE INSERT, UPDATE, DELETE ON public.alembic_version FROM {app}")
    op.execute(f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {app}")
    op.execute(f"GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA auth TO {app}")


def downgrade() -> None:
    app = _app_role()
    op.execute(f"REVOKE ALL ON ALL TABLES IN SCHEMA public FROM {app}")
    op.execute(f"REVOKE ALL ON ALL TABLES IN SCHEMA auth FROM {app}")
    op.execute(f"REVOKE ALL ON ALL SEQUENCES IN SCHEMA public FROM {app}")
    op.execute(f"REVOKE ALL ON SCHEMA public, auth FROM {app}")
    for schema, tables in (("public", ALL_PUBLIC_TABLES), ("auth", AUTH_TABLES)):
        for t in tables:
            op.execute(
                f"""
                DO $$
                DECLARE pol record;
                BEGIN
                    FOR pol IN SELECT policyname FROM pg_policies
                               WHERE schemaname = '{schema}' AND tablename = '{t}' LOOP
                        EXECUTE format('DROP POLICY %I ON {schema}.{t}', pol.policyname);
                    END LOOP;
                END $$;
                """
            )
            op.execute(f"ALTER TABLE {schema}.{t} NO FORCE ROW LEVEL SECURITY")
            op.execute(f"ALTER TABLE {schema}.{t} DISABLE ROW LEVEL SECURITY")
    for table in UPDATED_AT_TABLES:
        op.execute(f"DROP TRIGGER IF EXISTS touch_row ON public.{table}")
    for table in AUDITED_TABLES:
        op.execute(f"DROP TRIGGER IF EXISTS audit_row ON public.{table}")
    op.execute("DROP TRIGGER IF EXISTS protect_user ON auth.users")
    op.execute("DROP TRIGGER IF EXISTS add_team_creator ON public.teams")
    op.execute(f"DELETE FROM auth.users WHERE id = '{SYSTEM_USER_ID}'")
    op.execute("DELETE FROM public.team_roles WHERE id BETWEEN 1 AND 4")
    for fn in (
        "public.audit_row()",
        "public.add_team_creator()",
        "auth.protect_user()",
        "public.touch_row()",
        "auth.can_delete_row(uuid, uuid, text)",
        "auth.can_edit_row(uuid, uuid, text)",
        "auth.can_insert_row(uuid, uuid)",
        "auth.can_view_row(uuid, uuid, text)",
        "auth.shares_team(uuid)",
        "auth.team_can(uuid, text)",
        "auth.role()",
        "auth.uid()",
    ):
        op.execute(f"DROP FUNCTION IF EXISTS {fn}")
