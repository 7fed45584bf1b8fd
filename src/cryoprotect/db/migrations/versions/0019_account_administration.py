"""Account administration (issue 18): one-time password-reset links, a credentials cut-off,
and accounts in the audit log.

* ``auth.password_reset_tokens``: a link an administrator (or the operator's
  ``cryoprotect users reset-link``) issues for one account. Only the SHA-256 of the token is
  stored (``token_hash``); the link itself is written to the server log. ``expires_at``
  (at most one day after issue), ``used_at`` (spent: set once, when the new password is
  set) and ``revoked_at`` (superseded by a newer link, or spent with another one).
  ``created_by`` is the administrator who asked (SET NULL with their account).
  RLS: only the service role reads or writes it (every policy of the app role is false),
  as with credentials lookups before sign-in; the app role has DML grants only.
* ``auth.users.credentials_revoked_at``: access tokens (stateless JWTs) issued before this
  instant are refused. Deactivating an account and resetting its password set it, so every
  signed-in session ends at once (refresh and API tokens are revoked by row as before).
  ``auth.protect_user()`` now also keeps it for the service role only (a user cannot clear
  it to revive an old token).
* ``auth.audit_redacted(columns...)``: the audit trigger of the two auth tables: the row as
  JSON like ``public.audit_row()``, with the named secret columns (password hash, token
  hash) replaced by ``"[redacted]"`` (``"[changed]"`` in the new row of an UPDATE that
  changed it). ``auth.users`` is audited on INSERT/DELETE and on UPDATEs that change the
  e-mail, display name, admin or active flags, password or the cut-off (not on sign-in).

Revision ID: 0019
Revises: 0018
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from cryoprotect.db.migration_helpers import (
    app_role,
    foreign_key,
    grant_dml,
    indexes,
    primary_key,
    protect_user_function,
    rls_policies,
    timestamp,
    unique,
)

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None

TABLE = "password_reset_tokens"
MAX_HOURS = 24

AUDIT_REDACTED = r"""
CREATE OR REPLACE FUNCTION auth.audit_redacted() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public AS $$
DECLARE
    actor uuid := auth.uid();
    old_row jsonb := CASE WHEN TG_OP IN ('UPDATE', 'DELETE') THEN to_jsonb(OLD) END;
    new_row jsonb := CASE WHEN TG_OP IN ('INSERT', 'UPDATE') THEN to_jsonb(NEW) END;
    col text;
    mark text;
BEGIN
    IF actor IS NOT NULL AND NOT EXISTS (SELECT 1 FROM auth.users u WHERE u.id = actor) THEN
        actor := NULL;
    END IF;
    FOREACH col IN ARRAY TG_ARGV LOOP
        IF old_row IS NOT NULL AND old_row ->> col IS NOT NULL THEN
            old_row := jsonb_set(old_row, ARRAY[col], '"[redacted]"');
        END IF;
        IF new_row IS NOT NULL AND new_row ->> col IS NOT NULL THEN
            mark := CASE WHEN TG_OP = 'UPDATE'
                          AND (to_jsonb(OLD) ->> col) IS DISTINCT FROM (to_jsonb(NEW) ->> col)
                         THEN '"[changed]"' ELSE '"[redacted]"' END;
            new_row := jsonb_set(new_row, ARRAY[col], mark::jsonb);
        END IF;
    END LOOP;
    INSERT INTO public.audit_log (actor_id, actor_role, table_name, row_id, action, old_data, new_data)
    VALUES (actor, auth.role(), TG_TABLE_NAME,
            coalesce(new_row ->> 'id', old_row ->> 'id'), TG_OP, old_row, new_row);
    RETURN coalesce(NEW, OLD);
END $$;
"""

AUDITED_USER_COLUMNS = (
    "email",
    "display_name",
    "is_admin",
    "is_active",
    "password_hash",
    "credentials_revoked_at",
)


def upgrade() -> None:
    op.add_column(
        "users",
        sa.Column("credentials_revoked_at", sa.DateTime(timezone=True), nullable=True),
        schema="auth",
    )
    op.execute("\n" + protect_user_function("credentials_revoked_at"))
    op.create_table(
        TABLE,
        sa.Column("id", sa.UUID(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("user_id", sa.UUID(), nullable=False),
        sa.Column("token_hash", sa.String(64), nullable=False),
        sa.Column("created_by", sa.UUID(), nullable=True),
        timestamp("created_at"),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "token_hash ~ '^[0-9a-f]{64}$'", name=op.f(f"ck_{TABLE}_token_hash_sha256")
        ),
        sa.CheckConstraint(
            f"expires_at > created_at AND expires_at <= created_at + interval '{MAX_HOURS} hours'",
            name=op.f(f"ck_{TABLE}_expiry_window"),
        ),
        foreign_key(TABLE, "user_id", "auth.users", "CASCADE"),
        foreign_key(TABLE, "created_by", "auth.users", "SET NULL"),
        primary_key(TABLE),
        unique(TABLE, "token_hash"),
        schema="auth",
    )
    indexes(TABLE, "user_id", "created_by", schema="auth")
    rls_policies(TABLE, schema="auth", select="false", insert="false", delete="false")
    grant_dml(TABLE, app_role(), schema="auth")
    op.execute(AUDIT_REDACTED)
    op.execute(
        f"CREATE TRIGGER audit_row AFTER INSERT OR UPDATE OR DELETE ON auth.{TABLE} "
        "FOR EACH ROW EXECUTE FUNCTION auth.audit_redacted('token_hash')"
    )
    op.execute(
        "CREATE TRIGGER audit_row AFTER INSERT OR DELETE ON auth.users "
        "FOR EACH ROW EXECUTE FUNCTION auth.audit_redacted('password_hash')"
    )
    changed = " OR ".join(f"OLD.{c} IS DISTINCT FROM NEW.{c}" for c in AUDITED_USER_COLUMNS)
    op.execute(
        "CREATE TRIGGER audit_row_update AFTER UPDATE ON auth.users FOR EACH ROW "
        f"WHEN ({changed}) EXECUTE FUNCTION auth.audit_redacted('password_hash')"
    )
    op.execute("REVOKE ALL ON FUNCTION auth.audit_redacted() FROM PUBLIC")


def downgrade() -> None:
    op.execute("DROP TRIGGER IF EXISTS audit_row_update ON auth.users")
    op.execute("DROP TRIGGER IF EXISTS audit_row ON auth.users")
    op.drop_table(TABLE, schema="auth")  # its indexes, policies, trigger and grants go with it
    op.execute("DROP FUNCTION IF EXISTS auth.audit_redacted()")
    op.execute("\n" + protect_user_function(extra_line="        \n"))
    op.drop_column("users", "credentials_revoked_at", schema="auth")
