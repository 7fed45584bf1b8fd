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
from alembic import op

from cryoprotect.db.migration_helpers import (
    OWNED_TABLES,
    SYSTEM_USER_ID,
    app_role,
    audit_row_trigger,
    owned_rls_policies,
    protect_user_function,
    rls_policies,
    touch_row_trigger,
)

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

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


FUNCTIONS = (
    r"""
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
"""
    + protect_user_function()
    + r"""
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
)


def upgrade() -> None:
    app = app_role()
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
        touch_row_trigger(table)
    for table in AUDITED_TABLES:
        op.execute(f"DROP TRIGGER IF EXISTS audit_row ON public.{table}")
        audit_row_trigger(table)
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
        owned_rls_policies(t)

    # --- child tables: through the parent row (the parent's own RLS applies in EXISTS)
    for t, (parent, fk) in CHILD_TABLES.items():
        editable = (
            f"EXISTS (SELECT 1 FROM public.{parent} p WHERE p.id = {t}.{fk} "
            "AND auth.can_edit_row(p.created_by, p.team_id, p.visibility))"
        )
        rls_policies(
            t,
            select=f"EXISTS (SELECT 1 FROM public.{parent} p WHERE p.id = {t}.{fk})",
            insert=f"created_by = auth.uid() AND {editable}",
            update=editable,
            update_check=editable,
            delete=editable,
        )

    # --- lab verifications: by a verifier of the experiment's team; history is kept
    verifier = (
        "created_by = auth.uid() AND EXISTS (SELECT 1 FROM public.experiments e "
        "WHERE e.id = lab_verifications.experiment_id "
        "AND e.visibility <> 'private' AND auth.team_can(e.team_id, 'verify'))"
    )
    rls_policies(
        "lab_verifications",
        select="EXISTS (SELECT 1 FROM public.experiments e WHERE e.id = lab_verifications.experiment_id)",
        insert=verifier,
        update=verifier,
        update_check=verifier,
        delete="false",
    )

    # --- teams and membership
    manage = "auth.team_can(id, 'manage')"
    rls_policies(
        "teams",
        select="created_by = auth.uid() OR auth.team_can(id, 'view')",
        insert="auth.uid() IS NOT NULL AND created_by = auth.uid()",
        update=manage,
        update_check=manage,
        delete=manage,
    )
    # role definitions are reference data: only the service role changes them
    rls_policies("team_roles", select="true", insert="false", delete="false")
    manage = "auth.team_can(team_id, 'manage')"
    rls_policies(
        "user_team_membership",
        select="user_id = auth.uid() OR auth.team_can(team_id, 'view')",
        insert=manage,
        update=manage,
        update_check=manage,
        delete=f"{manage} OR user_id = auth.uid()",
    )

    # --- operations tables
    rls_policies("feature_flags", select="true", insert="false", delete="false")
    rls_policies("audit_log", select="actor_id = auth.uid()", insert="false", delete="false")

    # --- auth schema
    rls_policies(
        "users",
        schema="auth",
        select="id = auth.uid() OR auth.shares_team(id)",
        insert="false",
        update="id = auth.uid()",
        update_check="id = auth.uid()",
        delete="false",
    )
    own = "user_id = auth.uid()"
    for t in ("refresh_tokens", "api_tokens"):
        rls_policies(
            t, schema="auth", select=own, insert=own, update=own, update_check=own, delete=own
        )

    # --- grants: DML only, never ownership
    op.execute(f"GRANT USAGE ON SCHEMA public, auth TO {app}")
    op.execute(f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {app}")
    op.execute(f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA auth TO {app}")
    op.execute(f"REVOKE INSERT, UPDATE, DELETE ON public.audit_log FROM {app}")
    op.execute(f"REVOKE INSERT, UPDATE, DELETE ON public.alembic_version FROM {app}")
    op.execute(f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {app}")
    op.execute(f"GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA auth TO {app}")


def downgrade() -> None:
    app = app_role()
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
