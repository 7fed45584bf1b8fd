"""Teams keep an admin under concurrency; membership by invitation; snapshots obey visibility.

Issue 12, findings 5, 6 and part of 9:

* ``keep_team_admin`` (AFTER UPDATE OR DELETE on ``user_team_membership``, SECURITY
  DEFINER): when an admin membership is demoted, moved or removed, it locks the team's
  row (``FOR NO KEY UPDATE``) and then counts the admins left (with a fresh snapshot, under
  the lock); none left is SQLSTATE 23514 ``team_keeps_an_admin`` (the API answers 409).
  Two admins demoting or removing each other at once are thereby serialised: the second
  sees the first's commit. A team that is being deleted (its memberships go by ON DELETE
  CASCADE) has no row to lock any more and needs no admin. ``public.lock_team(team)`` takes
  the same lock first thing in a service transaction, for a member of the team.
* Mixture snapshots (``mixture_versions.components``) copy molecule names and SMILES.
  ``public.visible_mixture_components(components)`` (SECURITY INVOKER, so the molecules'
  own RLS decides) returns a snapshot's components with every component whose molecule the
  caller cannot see *now* redacted: ``molecule_id``, ``name``, ``smiles``, ``molar_mass``
  and ``kind`` withheld, ``amount``, ``unit`` and ``role`` kept, ``"redacted": true``.
* ``public.experiment_history(exp)`` (replaced): an audit entry's changes are shown only
  when the caller can see the row as it was before *and* after the change (the audit
  row's old and new images, judged by ``auth.can_view_row`` on their own owner, team and
  visibility), or is the service role. Other entries keep time, actor and action, with
  ``changes`` empty and ``redacted`` true — so notes written while an experiment was
  private stay its owner's.
* ``team_invitations``: membership only by consent. A team manager invites an e-mail
  address with a role (readable by the team's managers and by the invitee, whose
  ``auth.email()`` matches; withdrawn by managers; never updated by the app role). The
  invitee answers through ``public.respond_to_team_invitation(id, accept)`` (SECURITY
  DEFINER), which creates the membership on acceptance. Invitations expire after 14 days.
  ``public.my_team_invitations()`` lists the caller's pending ones with the team's name.
  Nobody inserts a membership directly any more: the INSERT policy of
  ``user_team_membership`` is ``false`` (the team creator's admin row comes from the
  SECURITY DEFINER trigger ``add_team_creator``; the service role keeps its policy).

Revision ID: 0011
Revises: 0010
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from cryoprotect.db.migration_helpers import (
    EXPERIMENT_HISTORY_0008,
    HISTORY_CHANGES,
    app_role,
    audit_row_trigger,
    foreign_key,
    grant_dml,
    indexes,
    partial_unique_index,
    policy,
    primary_key,
    rls_policies,
    timestamps,
    touch_row_trigger,
    uuid_id,
)

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

INVITATION_DAYS = 14


KEEP_ADMIN = r"""
CREATE OR REPLACE FUNCTION public.keep_team_admin() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public AS $$
DECLARE
    admins integer;
BEGIN
    IF NOT EXISTS (SELECT 1 FROM public.team_roles r WHERE r.id = OLD.role_id AND r.can_manage) THEN
        RETURN NULL;  -- not an admin before: nothing is lost
    END IF;
    IF TG_OP = 'UPDATE' AND NEW.team_id = OLD.team_id AND EXISTS (
        SELECT 1 FROM public.team_roles r WHERE r.id = NEW.role_id AND r.can_manage
    ) THEN
        RETURN NULL;  -- still an admin of the same team
    END IF;
    -- Serialise every loss of an admin in this team. A team deleted in this transaction
    -- (memberships removed by ON DELETE CASCADE) has no row left and needs no admin.
    PERFORM 1 FROM public.teams t WHERE t.id = OLD.team_id FOR NO KEY UPDATE;
    IF NOT FOUND THEN
        RETURN NULL;
    END IF;
    -- A new statement, so a new snapshot (READ COMMITTED): it sees what a concurrent
    -- transaction committed before we got the lock. FOR KEY SHARE makes a stricter
    -- isolation level fail with a serialization error rather than count a stale row.
    SELECT count(*) INTO admins FROM (
        SELECT 1
        FROM public.user_team_membership m
        JOIN public.team_roles r ON r.id = m.role_id
        WHERE m.team_id = OLD.team_id AND r.can_manage
        FOR KEY SHARE OF m
    ) AS remaining;
    IF admins = 0 THEN
        RAISE EXCEPTION 'A team must keep at least one admin: make another member admin first.'
            USING ERRCODE = 'check_violation', CONSTRAINT = 'team_keeps_an_admin',
                  COLUMN = 'role';
    END IF;
    RETURN NULL;
END $$;

CREATE OR REPLACE FUNCTION public.lock_team(team uuid) RETURNS boolean
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public AS $$
BEGIN
    -- Only a member (or the service role) may hold the lock, and only for its transaction.
    IF auth.role() <> 'service_role' AND NOT auth.team_can(team, 'view') THEN
        RETURN false;
    END IF;
    PERFORM 1 FROM public.teams t WHERE t.id = team FOR NO KEY UPDATE;
    RETURN FOUND;
END $$;
"""

VISIBLE_COMPONENTS = r"""
CREATE OR REPLACE FUNCTION public.visible_mixture_components(components jsonb) RETURNS jsonb
LANGUAGE sql STABLE SECURITY INVOKER SET search_path = pg_catalog, public AS $$
    SELECT coalesce(jsonb_agg(
        CASE WHEN m.id IS NOT NULL THEN c.value || '{"redacted": false}'::jsonb
        ELSE jsonb_build_object(
            'molecule_id', NULL, 'name', NULL, 'smiles', NULL, 'molar_mass', NULL,
            'kind', NULL, 'amount', c.value -> 'amount', 'unit', c.value -> 'unit',
            'role', c.value -> 'role', 'redacted', true)
        END ORDER BY c.position), '[]'::jsonb)
    FROM jsonb_array_elements(coalesce(components, '[]'::jsonb))
         WITH ORDINALITY AS c(value, position)
    LEFT JOIN public.molecules m
           ON m.id = (c.value ->> 'molecule_id')::uuid  -- the molecules' RLS decides (invoker)
$$;
"""

HISTORY_0011 = f"""
DROP FUNCTION IF EXISTS public.experiment_history(uuid);
CREATE FUNCTION public.experiment_history(exp uuid)
RETURNS TABLE (occurred_at timestamptz, actor_id uuid, action text, changes jsonb,
               redacted boolean)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, public AS $$
    SELECT h.occurred_at, h.actor_id, h.action,
           CASE WHEN h.shown THEN h.changes ELSE '{{}}'::jsonb END, NOT h.shown
    FROM (
        SELECT a.id, a.occurred_at, a.actor_id, a.action::text AS action,
            {HISTORY_CHANGES} AS changes,
            auth.role() = 'service_role' OR (
                (a.old_data IS NULL OR auth.can_view_row(
                    (a.old_data ->> 'created_by')::uuid, (a.old_data ->> 'team_id')::uuid,
                    a.old_data ->> 'visibility'))
                AND (a.new_data IS NULL OR auth.can_view_row(
                    (a.new_data ->> 'created_by')::uuid, (a.new_data ->> 'team_id')::uuid,
                    a.new_data ->> 'visibility'))
            ) AS shown
        FROM public.audit_log a
        WHERE a.table_name = 'experiments' AND a.row_id = exp::text
          AND EXISTS (
              SELECT 1 FROM public.experiments e
              WHERE e.id = exp AND auth.can_view_row(e.created_by, e.team_id, e.visibility)
          )
    ) AS h
    ORDER BY h.id
$$;
"""

# 0008's definition, restored by the downgrade.
HISTORY_0008 = f"""
DROP FUNCTION IF EXISTS public.experiment_history(uuid);
CREATE FUNCTION public.experiment_history(exp uuid)
{EXPERIMENT_HISTORY_0008}"""

INVITATION_FUNCTIONS = r"""
CREATE OR REPLACE FUNCTION auth.email() RETURNS text
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, public AS $$
    SELECT lower(u.email) FROM auth.users u WHERE u.id = auth.uid() AND u.is_active
$$;

-- The invitee's answer. Returns 'accepted' or 'declined', or why nothing happened:
-- 'not_found' (no such invitation to the caller's address), 'expired', 'answered'.
CREATE OR REPLACE FUNCTION public.respond_to_team_invitation(invitation uuid, accept boolean)
RETURNS text
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public AS $$
DECLARE
    me text := auth.email();
    inv public.team_invitations%ROWTYPE;
    outcome text := CASE WHEN accept THEN 'accepted' ELSE 'declined' END;
BEGIN
    IF me IS NULL OR auth.role() <> 'authenticated' THEN
        RETURN 'not_found';
    END IF;
    SELECT * INTO inv FROM public.team_invitations i
    WHERE i.id = invitation AND i.email = me
    FOR UPDATE;
    IF NOT FOUND THEN
        RETURN 'not_found';
    END IF;
    IF inv.status <> 'pending' THEN
        RETURN 'answered';
    END IF;
    IF inv.expires_at <= now() THEN
        RETURN 'expired';
    END IF;
    IF accept THEN
        -- Already a member (e.g. invited twice by different admins): the role stays.
        INSERT INTO public.user_team_membership (user_id, team_id, role_id)
        VALUES (auth.uid(), inv.team_id, inv.role_id)
        ON CONFLICT (user_id, team_id) DO NOTHING;
    END IF;
    UPDATE public.team_invitations SET status = outcome, responded_at = now()
    WHERE id = inv.id;
    RETURN outcome;
END $$;

CREATE OR REPLACE FUNCTION public.my_team_invitations()
RETURNS TABLE (id uuid, team_id uuid, team_name text, role text, invited_by uuid,
               invited_by_name text, created_at timestamptz, expires_at timestamptz)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, public AS $$
    SELECT i.id, i.team_id, t.name::text, r.name::text, i.invited_by,
           coalesce(u.display_name, u.email)::text, i.created_at, i.expires_at
    FROM public.team_invitations i
    JOIN public.teams t ON t.id = i.team_id
    JOIN public.team_roles r ON r.id = i.role_id
    JOIN auth.users u ON u.id = i.invited_by
    WHERE auth.role() = 'authenticated' AND i.email = auth.email()
      AND i.status = 'pending' AND i.expires_at > now()
    ORDER BY i.created_at, i.id
$$;
"""

MEMBERSHIP_INSERT_0002 = "auth.team_can(team_id, 'manage')"


def upgrade() -> None:
    app = app_role()

    # --- finding 5: a team keeps an admin, under concurrency
    op.execute(KEEP_ADMIN)
    op.execute("DROP TRIGGER IF EXISTS keep_team_admin ON public.user_team_membership")
    op.execute(
        "CREATE TRIGGER keep_team_admin AFTER UPDATE OR DELETE ON public.user_team_membership "
        "FOR EACH ROW EXECUTE FUNCTION public.keep_team_admin()"
    )

    # --- finding 6: snapshots and history obey the visibility of what they copy
    op.execute(VISIBLE_COMPONENTS)
    op.execute(HISTORY_0011)

    # --- finding 9: membership by invitation
    op.create_table(
        "team_invitations",
        uuid_id(),
        sa.Column("team_id", sa.UUID(), nullable=False),
        sa.Column("email", sa.String(320), nullable=False),
        sa.Column("role_id", sa.SmallInteger(), nullable=False),
        sa.Column("invited_by", sa.UUID(), nullable=False),
        sa.Column("status", sa.String(16), server_default="pending", nullable=False),
        *timestamps(),
        sa.Column(
            "expires_at",
            sa.DateTime(timezone=True),
            server_default=sa.text(f"now() + interval '{INVITATION_DAYS} days'"),
            nullable=False,
        ),
        sa.Column("responded_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "status IN ('pending', 'accepted', 'declined')",
            name=op.f("ck_team_invitations_status"),
        ),
        sa.CheckConstraint("email = lower(email)", name=op.f("ck_team_invitations_email_lower")),
        foreign_key("team_invitations", "team_id", "teams", "CASCADE"),
        foreign_key("team_invitations", "role_id", "team_roles", "RESTRICT"),
        foreign_key("team_invitations", "invited_by", "auth.users", "CASCADE"),
        primary_key("team_invitations"),
    )
    indexes("team_invitations", "email", "team_id", "role_id", "invited_by")
    partial_unique_index(
        "uq_team_invitations_pending",
        "team_invitations",
        ["team_id", "email"],
        "status = 'pending'",
    )
    op.execute(INVITATION_FUNCTIONS)
    t = "team_invitations"
    rls_policies(
        t,
        select="auth.team_can(team_id, 'manage') OR email = auth.email()",
        insert="invited_by = auth.uid() AND auth.team_can(team_id, 'manage') "
        "AND status = 'pending' AND responded_at IS NULL "
        f"AND expires_at <= now() + interval '{INVITATION_DAYS} days'",
        # no updates: invitations are answered by respond_to_team_invitation
        delete="auth.team_can(team_id, 'manage')",
    )
    touch_row_trigger(t)
    audit_row_trigger(t)
    grant_dml(t, app)
    op.execute(f"GRANT EXECUTE ON FUNCTION auth.email() TO {app}")
    # Membership only by consent (an accepted invitation) or by the service role.
    policy("user_team_membership", "insert_policy", "INSERT", check="false")


def downgrade() -> None:
    policy("user_team_membership", "insert_policy", "INSERT", check=MEMBERSHIP_INSERT_0002)
    op.execute("DROP FUNCTION IF EXISTS public.my_team_invitations()")
    op.execute("DROP FUNCTION IF EXISTS public.respond_to_team_invitation(uuid, boolean)")
    op.drop_table("team_invitations")  # its indexes, policies, triggers and grants go with it
    op.execute("DROP FUNCTION IF EXISTS auth.email()")
    op.execute(HISTORY_0008)
    op.execute("DROP FUNCTION IF EXISTS public.visible_mixture_components(jsonb)")
    op.execute("DROP TRIGGER IF EXISTS keep_team_admin ON public.user_team_membership")
    op.execute("DROP FUNCTION IF EXISTS public.keep_team_admin()")
    op.execute("DROP FUNCTION IF EXISTS public.lock_team(uuid)")
