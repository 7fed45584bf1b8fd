"""Read-only share links: one mixture, protocol or experiment shown to anyone holding a token.

Issue 18 ("Export and share"):

* ``share_links``: the SHA-256 of the token (``token_hash``; the token itself is shown once
  to its creator and never stored), what it shows (``resource_type`` in mixture/protocol/
  experiment and ``resource_id``), who made it (``created_by``), the team of the record
  when the link was made (``team_id``, so that team's admins can see and revoke it),
  ``expires_at`` (at most 90 days after creation) and ``revoked_at``/``revoked_by``.
* RLS: the creator and the admins of the link's team (capability ``manage``) read links
  and revoke them (UPDATE may only set ``revoked_at``/``revoked_by``: column grants, and
  the policy's check keeps a revoked link revoked); nobody deletes them through the app
  role (they go with their creator or team). INSERT needs
  ``public.can_share_record(type, id, team)`` (SECURITY INVOKER: the record's own RLS applies
  first): the record is public, or the caller owns it, or it is a team record and the
  caller is an admin of that team; and the link's ``team_id`` is the record's team.
  Sharing a team's record outside the team widens its visibility, which DESIGN.md
  principle 8 leaves to the owner and team admins (as the scope-change rules of migration
  0010 do); a teammate who cannot see a private record cannot even name it.
* ``public.resolve_share_link(token_hash)`` (SECURITY DEFINER, owned by the migration
  role): the only way an anonymous caller reaches a shared record. It returns one row:
  ``status`` ``ok`` with the record's own columns (no owner, no team, no ids of other
  records; a mixture with its components' names and amounts), ``expired``, ``revoked``
  or ``missing`` (no such link, the record is gone, or its creator may no longer share it:
  ``public.share_still_allowed`` — the record is public, still the creator's, or a team
  record of a team the creator still administers). It reads nothing else.

Revision ID: 0018
Revises: 0017
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from cryoprotect.db.migration_helpers import (
    app_role,
    audit_row_trigger,
    rls_policies,
    timestamps,
    touch_row_trigger,
)

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None

TABLE = "share_links"
MAX_DAYS = 90
RESOURCE_TYPES = ("mixture", "protocol", "experiment")

CAN_SHARE = r"""
CREATE OR REPLACE FUNCTION public.can_share_record(kind text, rid uuid, team uuid)
RETURNS boolean
LANGUAGE sql STABLE SECURITY INVOKER SET search_path = pg_catalog, public AS $$
    -- Invoker: each table's own RLS hides what the caller cannot see before this is judged.
    SELECT auth.uid() IS NOT NULL AND coalesce((
        SELECT r.team_id IS NOT DISTINCT FROM team AND (
            r.visibility = 'public' OR r.created_by = auth.uid()
            OR (r.visibility = 'team' AND auth.team_can(r.team_id, 'manage')))
        FROM (
            SELECT m.created_by, m.team_id, m.visibility FROM public.mixtures m
            WHERE kind = 'mixture' AND m.id = rid
            UNION ALL
            SELECT p.created_by, p.team_id, p.visibility FROM public.protocols p
            WHERE kind = 'protocol' AND p.id = rid
            UNION ALL
            SELECT e.created_by, e.team_id, e.visibility FROM public.experiments e
            WHERE kind = 'experiment' AND e.id = rid
        ) AS r), false)
$$;

-- Whether the link's creator may still share the record (read as the owner, no RLS):
-- it is public, or still theirs, or a team record of a team they still administer.
CREATE OR REPLACE FUNCTION public.share_still_allowed(
    creator uuid, owner uuid, team uuid, vis text) RETURNS boolean
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, public AS $$
    SELECT vis = 'public' OR owner = creator OR (vis = 'team' AND EXISTS (
        SELECT 1 FROM public.user_team_membership m
        JOIN public.team_roles r ON r.id = m.role_id
        WHERE m.team_id = team AND m.user_id = creator AND r.can_manage))
$$;
"""

RESOLVE = r"""
CREATE OR REPLACE FUNCTION public.resolve_share_link(hash text)
RETURNS TABLE (status text, resource_type text, expires_at timestamptz, record jsonb)
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = pg_catalog, public AS $$
DECLARE
    link public.share_links%ROWTYPE;
    shown jsonb;
BEGIN
    SELECT * INTO link FROM public.share_links s WHERE s.token_hash = hash;
    IF NOT FOUND THEN
        RETURN QUERY SELECT 'missing'::text, NULL::text, NULL::timestamptz, NULL::jsonb;
        RETURN;
    END IF;
    IF link.revoked_at IS NOT NULL THEN
        RETURN QUERY SELECT 'revoked'::text, link.resource_type::text, link.expires_at, NULL::jsonb;
        RETURN;
    END IF;
    IF link.expires_at <= now() THEN
        RETURN QUERY SELECT 'expired'::text, link.resource_type::text, link.expires_at, NULL::jsonb;
        RETURN;
    END IF;
    IF link.resource_type = 'mixture' THEN
        SELECT jsonb_build_object(
            'name', m.name, 'description', m.description, 'version', m.version,
            'carrier', m.carrier, 'sources', m.sources,
            'created_at', m.created_at, 'updated_at', m.updated_at,
            'components', coalesce((
                SELECT jsonb_agg(jsonb_build_object(
                    'name', mol.name, 'smiles', mol.smiles,
                    'molar_mass', coalesce(mol.molecular_weight, mol.average_molar_mass),
                    'amount', c.amount, 'unit', c.unit, 'role', c.role)
                    ORDER BY c.created_at, mol.name)
                FROM public.mixture_components c
                JOIN public.molecules mol ON mol.id = c.molecule_id
                WHERE c.mixture_id = m.id), '[]'::jsonb))
        INTO shown FROM public.mixtures m WHERE m.id = link.resource_id
          AND public.share_still_allowed(link.created_by, m.created_by, m.team_id, m.visibility);
    ELSIF link.resource_type = 'protocol' THEN
        SELECT jsonb_build_object(
            'name', p.name, 'description', p.description, 'temperature_c', p.temperature_c,
            'toxicity_cost', p.toxicity_cost, 'steps', p.steps,
            'summary', coalesce(p.design -> 'summary', '{}'::jsonb),
            'created_at', p.created_at, 'updated_at', p.updated_at)
        INTO shown FROM public.protocols p WHERE p.id = link.resource_id
          AND public.share_still_allowed(link.created_by, p.created_by, p.team_id, p.visibility);
    ELSIF link.resource_type = 'experiment' THEN
        SELECT jsonb_build_object(
            'title', e.title, 'performed_on', e.performed_on, 'operator', e.operator,
            'conditions', e.conditions, 'results', e.results, 'notes', e.notes,
            'protocol_text', e.protocol_text, 'biological_system', e.biological_system,
            'attachments', e.attachments, 'mixture_version', e.mixture_version,
            'verification_status', e.verification_status,
            'created_at', e.created_at, 'updated_at', e.updated_at)
        INTO shown FROM public.experiments e WHERE e.id = link.resource_id
          AND public.share_still_allowed(link.created_by, e.created_by, e.team_id, e.visibility);
    END IF;
    IF shown IS NULL THEN
        RETURN QUERY SELECT 'missing'::text, link.resource_type::text, NULL::timestamptz, NULL::jsonb;
        RETURN;
    END IF;
    RETURN QUERY SELECT 'ok'::text, link.resource_type::text, link.expires_at, shown;
END $$;
"""

MANAGES = "(created_by = auth.uid() OR auth.team_can(team_id, 'manage'))"


def upgrade() -> None:
    app = app_role()
    types = ", ".join(f"'{t}'" for t in RESOURCE_TYPES)
    op.create_table(
        TABLE,
        sa.Column("id", sa.UUID(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("token_hash", sa.String(64), nullable=False),
        sa.Column("resource_type", sa.String(16), nullable=False),
        sa.Column("resource_id", sa.UUID(), nullable=False),
        sa.Column("created_by", sa.UUID(), nullable=False),
        sa.Column("team_id", sa.UUID(), nullable=True),
        *timestamps(),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revoked_by", sa.UUID(), nullable=True),
        sa.CheckConstraint(f"resource_type IN ({types})", name=op.f("ck_share_links_type")),
        sa.CheckConstraint(
            "token_hash ~ '^[0-9a-f]{64}$'", name=op.f("ck_share_links_token_hash_sha256")
        ),
        sa.CheckConstraint(
            f"expires_at > created_at AND expires_at <= created_at + interval '{MAX_DAYS} days'",
            name=op.f("ck_share_links_expiry_window"),
        ),
        sa.ForeignKeyConstraint(
            ["created_by"],
            ["auth.users.id"],
            name=op.f("fk_share_links_created_by_users"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["team_id"], ["teams.id"], name=op.f("fk_share_links_team_id_teams"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["revoked_by"],
            ["auth.users.id"],
            name=op.f("fk_share_links_revoked_by_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_share_links")),
    )
    op.create_index("uq_share_links_token_hash", TABLE, ["token_hash"], unique=True)
    op.create_index("ix_share_links_resource", TABLE, ["resource_type", "resource_id"])
    op.create_index("ix_share_links_created_by", TABLE, ["created_by"])
    op.create_index("ix_share_links_team_id", TABLE, ["team_id"])
    op.create_index("ix_share_links_revoked_by", TABLE, ["revoked_by"])
    op.execute(CAN_SHARE)
    rls_policies(
        TABLE,
        select=MANAGES,
        insert="created_by = auth.uid() AND revoked_at IS NULL AND revoked_by IS NULL "
        "AND public.can_share_record(resource_type, resource_id, team_id)",
        update=MANAGES,
        update_check=f"{MANAGES} AND revoked_at IS NOT NULL AND revoked_by = auth.uid()",
        delete="false",
    )
    touch_row_trigger(TABLE)
    audit_row_trigger(TABLE)
    op.execute(RESOLVE)
    op.execute(f"GRANT SELECT, INSERT ON public.{TABLE} TO {app}")
    op.execute(f"GRANT UPDATE (revoked_at, revoked_by, updated_at) ON public.{TABLE} TO {app}")
    op.execute("REVOKE ALL ON FUNCTION public.resolve_share_link(text) FROM PUBLIC")
    op.execute(f"GRANT EXECUTE ON FUNCTION public.resolve_share_link(text) TO {app}")
    op.execute(f"GRANT EXECUTE ON FUNCTION public.can_share_record(text, uuid, uuid) TO {app}")


def downgrade() -> None:
    op.drop_table(TABLE)  # its indexes, policies, triggers and grants go with it
    op.execute("DROP FUNCTION IF EXISTS public.resolve_share_link(text)")
    op.execute("DROP FUNCTION IF EXISTS public.can_share_record(text, uuid, uuid)")
    op.execute("DROP FUNCTION IF EXISTS public.share_still_allowed(uuid, uuid, uuid, text)")
