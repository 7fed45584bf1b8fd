"""Access-token revocation on logout: ``auth.revoked_tokens``.

Access tokens are stateless JWTs (15 minutes by default). Signing out now records the
token's ``jti`` here, and every request authenticated by an access token looks its
``jti`` up (a primary-key probe, in the same statement that loads the account), so a
signed-out token is refused at once instead of when it expires.

* Rows: ``jti`` (primary key), ``user_id`` (the token's subject; CASCADE with the
  account), ``expires_at`` (the token's own expiry: after it the row is useless) and
  ``revoked_at``.
* RLS: a user inserts and reads only rows of their own tokens; nobody updates or deletes
  through the app role except the service role. ``auth.prune_revoked_tokens()`` (SECURITY
  DEFINER, run at each sign-out) deletes rows whose token has expired, for every user.

Revision ID: 0013
Revises: 0012
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
    rls_policies,
    timestamp,
)

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

TABLE = "revoked_tokens"

PRUNE_FUNCTION = """
CREATE OR REPLACE FUNCTION auth.prune_revoked_tokens() RETURNS integer
LANGUAGE sql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
    WITH gone AS (
        DELETE FROM auth.revoked_tokens WHERE expires_at < now() RETURNING 1
    )
    SELECT count(*)::integer FROM gone
$$
"""


def upgrade() -> None:
    op.create_table(
        TABLE,
        sa.Column("jti", sa.String(64), nullable=False),
        sa.Column("user_id", sa.UUID(), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        timestamp("revoked_at"),
        foreign_key(TABLE, "user_id", "auth.users", "CASCADE"),
        primary_key(TABLE, "jti"),
        schema="auth",
    )
    indexes(TABLE, "expires_at", "user_id", schema="auth")
    rls_policies(
        TABLE,
        schema="auth",
        select="user_id = auth.uid()",
        insert="user_id = auth.uid()",
        delete="false",
    )
    op.execute(PRUNE_FUNCTION)
    app = app_role()
    grant_dml(TABLE, app, schema="auth")
    op.execute("REVOKE ALL ON FUNCTION auth.prune_revoked_tokens() FROM PUBLIC")
    op.execute(f"GRANT EXECUTE ON FUNCTION auth.prune_revoked_tokens() TO {app}")


def downgrade() -> None:
    op.execute("DROP FUNCTION IF EXISTS auth.prune_revoked_tokens()")
    op.drop_table(TABLE, schema="auth")  # its indexes, policies and grants go with it
