"""Feature-flag overrides per team and per user; a key format; the first real flag.

* ``feature_flag_overrides`` holds one decision (``enabled``) for one flag and exactly one
  target: a team or a user. At most one override per (flag, team) and per (flag, user).
  Deleting the flag, the team or the user deletes its overrides.
* Row-level security: like ``feature_flags`` writes, overrides are service-role only
  (the admin API and CLI check that the caller is an administrator, then write through
  the service identity); the app role without the service role sees no override at all.
  Changes are audited and ``updated_at`` is maintained by the usual triggers.
* ``feature_flags.key`` must be dotted words, ``<area>.<feature>`` such as
  ``models.api_training`` (lower case, digits, ``_`` and ``-``), so keys are stable
  identifiers in code, URLs and logs and never collide with ``/feature-flags/me``.
* The flag ``models.api_training`` (on for everyone) gates training jobs started
  through the API (see ``cryoprotect.ops.flags``).

Revision ID: 0007
Revises: 0006
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from cryoprotect.db.migration_helpers import (
    app_role,
    audit_row_trigger,
    foreign_key,
    grant_dml,
    indexes,
    partial_unique_index,
    primary_key,
    rls_policies,
    timestamps,
    touch_row_trigger,
    uuid_id,
)

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

TABLE = "feature_flag_overrides"
KEY_PATTERN = r"^[a-z][a-z0-9_-]*(\.[a-z][a-z0-9_-]*)+$"
SEEDED_FLAGS = (
    (
        "models.api_training",
        "Allow training predictive models through the API (background jobs in the web "
        "process). Switch off to keep a shared server's CPUs for requests; the CLI's "
        "`cryoprotect models train` is not affected.",
        True,
        100,
    ),
)


def upgrade() -> None:
    op.create_check_constraint("key_format", "feature_flags", f"key ~ '{KEY_PATTERN}'")
    op.create_table(
        TABLE,
        uuid_id(),
        sa.Column("flag_id", sa.UUID(), nullable=False),
        sa.Column("team_id", sa.UUID(), nullable=True),
        sa.Column("user_id", sa.UUID(), nullable=True),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        *timestamps(),
        sa.CheckConstraint(
            "(team_id IS NULL) <> (user_id IS NULL)", name=op.f(f"ck_{TABLE}_one_target")
        ),
        foreign_key(TABLE, "flag_id", "feature_flags", "CASCADE"),
        foreign_key(TABLE, "team_id", "teams", "CASCADE"),
        foreign_key(TABLE, "user_id", "auth.users", "CASCADE"),
        primary_key(TABLE),
    )
    indexes(TABLE, "team_id", "user_id")
    partial_unique_index(
        f"uq_{TABLE}_flag_team", TABLE, ["flag_id", "team_id"], "team_id IS NOT NULL"
    )
    partial_unique_index(
        f"uq_{TABLE}_flag_user", TABLE, ["flag_id", "user_id"], "user_id IS NOT NULL"
    )

    rls_policies(TABLE, select="false", insert="false", delete="false")
    touch_row_trigger(TABLE)
    audit_row_trigger(TABLE)
    grant_dml(TABLE, app_role())

    for key, description, enabled, rollout in SEEDED_FLAGS:
        op.get_bind().execute(
            sa.text(
                "INSERT INTO public.feature_flags (key, description, enabled, rollout_percentage) "
                "VALUES (:key, :description, :enabled, :rollout) ON CONFLICT (key) DO NOTHING"
            ),
            {"key": key, "description": description, "enabled": enabled, "rollout": rollout},
        )


def downgrade() -> None:
    for key, *_ in SEEDED_FLAGS:
        op.get_bind().execute(
            sa.text("DELETE FROM public.feature_flags WHERE key = :key"), {"key": key}
        )
    op.drop_table(TABLE)  # its indexes, policies, triggers and grants go with it
    op.drop_constraint(op.f("ck_feature_flags_key_format"), "feature_flags", type_="check")
