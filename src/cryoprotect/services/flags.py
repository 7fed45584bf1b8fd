"""Feature-flag use cases: administration (list, create, update, overrides) and the flags
evaluated for a caller.

Administration is for platform administrators only: the service checks
``actor.require_admin()`` first, then writes through the service identity, the only one
the ``feature_flags`` and ``feature_flag_overrides`` policies let write (the audit log
records the administrator as the actor). Every change invalidates this process's flag
cache (:class:`cryoprotect.ops.flags.FeatureFlags`, handed in by the app as a
:class:`FlagEvaluator`); other processes see it within the cache's TTL. Evaluation itself
lives in ``ops.flags``.
"""

from __future__ import annotations

import logging
import re
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.orm import Session

from cryoprotect.db.database import Database, Identity, rows_changed
from cryoprotect.db.models import (
    FEATURE_FLAG_KEY_PATTERN,
    FeatureFlag,
    FeatureFlagOverride,
    Team,
    User,
    UserTeamMembership,
)
from cryoprotect.errors import CryoprotectError, NotFound, ValidationError
from cryoprotect.ops.flags import Decision
from cryoprotect.services.actor import Actor
from cryoprotect.services.common import record_from

logger = logging.getLogger(__name__)

_KEY = re.compile(FEATURE_FLAG_KEY_PATTERN)
KEY_MAX_LENGTH = 100
UPDATABLE = ("description", "enabled", "rollout_percentage")


def validate_key(key: str) -> str:
    """The key if it is ``<area>.<feature>`` in lower case (``models.api_training``)."""
    if len(key) > KEY_MAX_LENGTH or not _KEY.fullmatch(key):
        raise ValidationError(
            "A flag key is dotted lower-case words such as 'models.api_training' "
            f"(letters, digits, '_' and '-'; at most {KEY_MAX_LENGTH} characters).",
            field="key",
        )
    return key


def _validate_rollout(value: Any) -> None:
    if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= 100:
        raise ValidationError(
            "rollout_percentage must be an integer from 0 to 100.", field="rollout_percentage"
        )


@dataclass(frozen=True, slots=True)
class OverrideRecord:
    """One flag's decision for one user or one team (``target``)."""

    id: uuid.UUID
    target: str
    user_id: uuid.UUID | None
    team_id: uuid.UUID | None
    enabled: bool
    note: str | None
    updated_at: datetime

    @classmethod
    def of(cls, row: FeatureFlagOverride) -> OverrideRecord:
        target = "user" if row.user_id is not None else "team"
        return cls(row.id, target, row.user_id, row.team_id, row.enabled, row.note, row.updated_at)


@dataclass(frozen=True, slots=True)
class FlagRecord:
    """A flag's global default and rollout, with its overrides (users first)."""

    key: str
    description: str | None
    enabled: bool
    rollout_percentage: int
    created_at: datetime
    updated_at: datetime
    overrides: tuple[OverrideRecord, ...]

    @classmethod
    def of(cls, flag: FeatureFlag, overrides: Iterable[FeatureFlagOverride]) -> FlagRecord:
        return record_from(cls, flag, overrides=tuple(OverrideRecord.of(o) for o in overrides))


class FlagEvaluator(Protocol):
    """What this service needs of ``ops.flags.FeatureFlags``."""

    def invalidate(self) -> None: ...

    def evaluate_all(
        self, *, user_id: uuid.UUID | None = None, team_ids: Iterable[uuid.UUID] = ()
    ) -> list[Decision]: ...


class FlagService:
    """Administration of flags and overrides, and the flags evaluated for a caller.

    Args:
        db: the database.
        flags: this process's evaluator, invalidated after every change.
    """

    def __init__(self, db: Database, flags: FlagEvaluator) -> None:
        self.db = db
        self.flags = flags

    # ------------------------------------------------------------- helpers
    def _admin_tx(self, actor: Actor) -> Any:
        actor.require_admin()
        return self.db.transaction(Identity.service(actor.user_id))

    @staticmethod
    def _flag(session: Session, key: str) -> FeatureFlag:
        flag = session.scalar(sa.select(FeatureFlag).where(FeatureFlag.key == key))
        if flag is None:
            raise NotFound(f"No feature flag {key!r}.", details={"field": "key"})
        return flag

    @staticmethod
    def _overrides(
        session: Session, flag_ids: list[uuid.UUID]
    ) -> dict[uuid.UUID, list[FeatureFlagOverride]]:
        by_flag: dict[uuid.UUID, list[FeatureFlagOverride]] = {fid: [] for fid in flag_ids}
        rows = session.scalars(
            sa.select(FeatureFlagOverride)
            .where(FeatureFlagOverride.flag_id.in_(flag_ids))
            .order_by(FeatureFlagOverride.user_id.is_(None), FeatureFlagOverride.created_at)
        )
        for row in rows:
            by_flag[row.flag_id].append(row)
        return by_flag

    def _one(self, session: Session, flag: FeatureFlag) -> FlagRecord:
        session.flush()
        session.refresh(flag)
        return FlagRecord.of(flag, self._overrides(session, [flag.id])[flag.id])

    @staticmethod
    def _target(team_id: uuid.UUID | None, user_id: uuid.UUID | None) -> tuple[str, uuid.UUID]:
        """The override's target column (``user_id`` or ``team_id``) and id: the one place
        that tells a user override from a team override."""
        if user_id is not None and team_id is None:
            return "user_id", user_id
        if team_id is not None and user_id is None:
            return "team_id", team_id
        raise ValidationError("Give exactly one of team_id and user_id.", field="target")

    @classmethod
    def _existing_target(
        cls, session: Session, team_id: uuid.UUID | None, user_id: uuid.UUID | None
    ) -> tuple[str, uuid.UUID]:
        """:meth:`_target`, and :class:`NotFound` when no such user or team exists."""
        column, target = cls._target(team_id, user_id)
        if session.get(User if column == "user_id" else Team, target) is None:
            raise NotFound(f"No such {column.removesuffix('_id')}.", details={"field": column})
        return column, target

    # --------------------------------------------------------------- flags
    def list_flags(self, actor: Actor) -> list[FlagRecord]:
        """Every flag with its overrides, by key (administrators)."""
        with self._admin_tx(actor) as session:
            flags = list(session.scalars(sa.select(FeatureFlag).order_by(FeatureFlag.key)))
            overrides = self._overrides(session, [f.id for f in flags])
            return [FlagRecord.of(f, overrides[f.id]) for f in flags]

    def get(self, actor: Actor, key: str) -> FlagRecord:
        """One flag with its overrides (administrators)."""
        with self._admin_tx(actor) as session:
            return self._one(session, self._flag(session, key))

    def create(
        self,
        actor: Actor,
        key: str,
        *,
        description: str | None = None,
        enabled: bool = False,
        rollout_percentage: int = 100,
    ) -> FlagRecord:
        """A new flag (off unless ``enabled``); :class:`Conflict` when the key exists."""
        validate_key(key)
        _validate_rollout(rollout_percentage)
        with self._admin_tx(actor) as session:
            flag = FeatureFlag(
                key=key,
                description=description,
                enabled=enabled,
                rollout_percentage=rollout_percentage,
            )
            session.add(flag)
            result = self._one(session, flag)
        self.flags.invalidate()
        logger.info("feature flag %s created by %s", key, actor.email, extra={"flag": key})
        return result

    def update(self, actor: Actor, key: str, **changes: Any) -> FlagRecord:
        """Change a flag's ``description``, ``enabled`` and/or ``rollout_percentage``."""
        unknown = sorted(set(changes) - set(UPDATABLE))
        if unknown:
            raise ValidationError(f"Unknown field {unknown[0]!r}.", field=unknown[0])
        if "rollout_percentage" in changes:
            _validate_rollout(changes["rollout_percentage"])
        if "enabled" in changes and not isinstance(changes["enabled"], bool):
            raise ValidationError("enabled must be true or false.", field="enabled")
        with self._admin_tx(actor) as session:
            flag = self._flag(session, key)
            for name, value in changes.items():
                setattr(flag, name, value)
            result = self._one(session, flag)
        self.flags.invalidate()
        logger.info(
            "feature flag %s updated by %s: %s",
            key,
            actor.email,
            ", ".join(f"{k}={v!r}" for k, v in changes.items() if k != "description") or "-",
            extra={"flag": key},
        )
        return result

    # ----------------------------------------------------------- overrides
    def set_override(
        self,
        actor: Actor,
        key: str,
        *,
        enabled: bool,
        team_id: uuid.UUID | None = None,
        user_id: uuid.UUID | None = None,
        note: str | None = None,
    ) -> OverrideRecord:
        """Create or replace the override of ``key`` for one team or one user."""
        if not isinstance(enabled, bool):
            raise ValidationError("enabled must be true or false.", field="enabled")
        with self._admin_tx(actor) as session:
            flag = self._flag(session, key)
            column, target = self._existing_target(session, team_id, user_id)
            upsert = (
                pg_insert(FeatureFlagOverride)
                .values(flag_id=flag.id, enabled=enabled, note=note, **{column: target})
                .on_conflict_do_update(
                    index_elements=["flag_id", column],
                    index_where=sa.text(f"{column} IS NOT NULL"),
                    set_={"enabled": enabled, "note": note},
                )
                .returning(FeatureFlagOverride.id)
            )
            override_id = session.scalar(upsert)
            row = session.get(FeatureFlagOverride, override_id)
            assert row is not None
            session.refresh(row)
            result = OverrideRecord.of(row)
        self.flags.invalidate()
        logger.info(
            "feature flag %s override for %s %s set to %s by %s",
            key,
            column[:-3],
            target,
            enabled,
            actor.email,
            extra={"flag": key},
        )
        return result

    def delete_override(
        self,
        actor: Actor,
        key: str,
        *,
        team_id: uuid.UUID | None = None,
        user_id: uuid.UUID | None = None,
    ) -> None:
        """Remove the override of ``key`` for one team or one user (:class:`NotFound` if none)."""
        column, target = self._target(team_id, user_id)
        with self._admin_tx(actor) as session:
            flag = self._flag(session, key)
            result = session.execute(
                sa.delete(FeatureFlagOverride).where(
                    FeatureFlagOverride.flag_id == flag.id,
                    getattr(FeatureFlagOverride, column) == target,
                )
            )
            if rows_changed(result) == 0:
                raise NotFound(f"Flag {key!r} has no such override.")
        self.flags.invalidate()
        logger.info("feature flag %s override removed by %s", key, actor.email, extra={"flag": key})

    # ---------------------------------------------------------- evaluation
    def _team_ids(self, actor: Actor) -> list[uuid.UUID]:
        if actor.user_id is None:
            return []
        try:
            with self.db.transaction(actor.identity) as session:
                return list(
                    session.scalars(
                        sa.select(UserTeamMembership.team_id).where(
                            UserTeamMembership.user_id == actor.user_id
                        )
                    )
                )
        except CryoprotectError as exc:  # flags must never fail the request
            logger.error("teams of %s could not be read for flags: %s", actor.user_id, exc)
            return []

    def for_actor(self, actor: Actor) -> list[Decision]:
        """Every flag as it applies to ``actor`` in all of the actor's teams, with its source."""
        return self.flags.evaluate_all(user_id=actor.user_id, team_ids=self._team_ids(actor))
