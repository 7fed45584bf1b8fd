"""Feature flags: the one evaluation function and its short-lived in-process cache.

The module owns how a flag is decided for a caller. Flags live in the database
(``feature_flags``: the global default ``enabled`` and a ``rollout_percentage``;
``feature_flag_overrides``: one decision per team or per user); administrators change
them through ``services.flags`` (API and CLI). Precedence, first match wins:

1. the caller's **user override**;
2. a **team override** of the team the request acts in (several teams given and their
   overrides disagree: *off* wins, so a team can always opt out);
3. the flag's global default, **narrowed by the percentage rollout**: a flag that is
   ``enabled`` with ``rollout_percentage`` p < 100 is on for the signed-in users whose
   stable bucket (SHA-256 of ``"<key>:<user id>"``, modulo 100) is below p. A user in the
   rollout at p stays in at every larger p. Anonymous callers cannot be bucketed and get
   *off* while a rollout is partial; p = 100 means everyone, and p = 0 means no one;
4. a disabled flag is off for everyone without an override (the global default).

Unknown keys are off and logged once per process. Reading flags never fails a request: if
the database cannot be read, the last snapshot this process read stays in use (logged),
or, before any successful read, every flag is off.

**Cache.** Each process keeps one snapshot of every flag and override and reloads it when
it is older than ``ttl_s`` (``CRYOPROTECT_FLAGS_CACHE_TTL``, 5 s by default). A change made
through the admin API or the CLI in *this* process invalidates the snapshot at once; other
processes (other gunicorn workers, a CLI run beside ``serve``) see it within ``ttl_s``.
The snapshot holds every override, which suits the handful an administrator sets by hand.
"""

from __future__ import annotations

import hashlib
import logging
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field

import sqlalchemy as sa

from cryoprotect.db.database import Database, Identity
from cryoprotect.db.models import FeatureFlag, FeatureFlagOverride
from cryoprotect.errors import CryoprotectError

logger = logging.getLogger(__name__)

#: The flag that gates ``POST /api/v1/predictive-models`` (training jobs in the web process).
API_TRAINING = "models.api_training"

ROLLOUT_BUCKETS = 100

# Why a flag has the value it has (reported by the API next to each evaluated flag).
SOURCE_USER = "user_override"
SOURCE_TEAM = "team_override"
SOURCE_ROLLOUT = "rollout"
SOURCE_DEFAULT = "default"
SOURCE_UNKNOWN = "unknown"
SOURCE_UNAVAILABLE = "unavailable"


@dataclass(frozen=True)
class FlagState:
    """One flag as last read from the database, with its overrides by target id."""

    key: str
    enabled: bool
    rollout_percentage: int
    user_overrides: Mapping[uuid.UUID, bool] = field(default_factory=dict)
    team_overrides: Mapping[uuid.UUID, bool] = field(default_factory=dict)


@dataclass(frozen=True)
class Decision:
    """A flag's value for one caller and the rule that decided it (``SOURCE_*``)."""

    key: str
    enabled: bool
    source: str


Snapshot = Mapping[str, FlagState]


def load_snapshot(db: Database) -> dict[str, FlagState]:
    """Read every flag and override in one transaction (service identity: overrides are
    visible to the service role only). Raises :class:`DatabaseUnavailable` and SQLAlchemy
    errors as they come; :class:`FeatureFlags` decides what a failure means."""
    with db.transaction(Identity.service()) as session:
        flags = session.execute(
            sa.select(
                FeatureFlag.id, FeatureFlag.key, FeatureFlag.enabled, FeatureFlag.rollout_percentage
            )
        ).all()
        overrides = session.execute(
            sa.select(
                FeatureFlagOverride.flag_id,
                FeatureFlagOverride.team_id,
                FeatureFlagOverride.user_id,
                FeatureFlagOverride.enabled,
            )
        ).all()
    users: dict[uuid.UUID, dict[uuid.UUID, bool]] = {}
    teams: dict[uuid.UUID, dict[uuid.UUID, bool]] = {}
    for flag_id, team_id, user_id, enabled in overrides:
        if user_id is not None:
            users.setdefault(flag_id, {})[user_id] = enabled
        elif team_id is not None:
            teams.setdefault(flag_id, {})[team_id] = enabled
    return {
        key: FlagState(
            key=key,
            enabled=enabled,
            rollout_percentage=int(rollout),
            user_overrides=users.get(flag_id, {}),
            team_overrides=teams.get(flag_id, {}),
        )
        for flag_id, key, enabled, rollout in flags
    }


def rollout_bucket(key: str, user_id: uuid.UUID) -> int:
    """The user's stable bucket in ``[0, 100)`` for flag ``key``.

    It depends only on the key and the user id, so it is the same in every process and
    release, and different flags roll out to different users.
    """
    digest = hashlib.sha256(f"{key}:{user_id}".encode()).digest()
    return int.from_bytes(digest[:8], "big") % ROLLOUT_BUCKETS


def decide(
    state: FlagState, *, user_id: uuid.UUID | None = None, team_ids: Iterable[uuid.UUID] = ()
) -> Decision:
    """Evaluate one known flag for a caller (the precedence in the module docstring)."""
    if user_id is not None and user_id in state.user_overrides:
        return Decision(state.key, state.user_overrides[user_id], SOURCE_USER)
    team_votes = [state.team_overrides[t] for t in team_ids if t in state.team_overrides]
    if team_votes:
        return Decision(state.key, all(team_votes), SOURCE_TEAM)
    if not state.enabled:
        return Decision(state.key, False, SOURCE_DEFAULT)
    if state.rollout_percentage >= ROLLOUT_BUCKETS:
        return Decision(state.key, True, SOURCE_DEFAULT)
    if user_id is None:
        return Decision(state.key, False, SOURCE_ROLLOUT)
    in_rollout = rollout_bucket(state.key, user_id) < state.rollout_percentage
    return Decision(state.key, in_rollout, SOURCE_ROLLOUT)


_unknown_lock = threading.Lock()
_unknown_logged: set[str] = set()


def _log_unknown_once(key: str) -> None:
    with _unknown_lock:
        if key in _unknown_logged:
            return
        _unknown_logged.add(key)
    logger.warning("unknown feature flag %r: treated as off", key, extra={"flag": key})


class FeatureFlags:
    """Evaluates flags for callers from a snapshot that is at most ``ttl_s`` old.

    Args:
        db: the database to read flags from.
        ttl_s: how long a snapshot is reused before it is read again, s.
        clock: a monotonic clock in seconds (tests pass a fake one).
    """

    def __init__(
        self, db: Database, *, ttl_s: float = 5.0, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.db = db
        self.ttl_s = max(0.0, float(ttl_s))
        self._clock = clock
        self._lock = threading.Lock()
        self._snapshot: Snapshot | None = None
        self._expires_at = 0.0

    def invalidate(self) -> None:
        """Forget the snapshot: the next evaluation reads the database (after a change)."""
        self._expires_at = 0.0

    def _reload(self, now: float) -> None:
        try:
            snapshot = load_snapshot(self.db)
        except (CryoprotectError, sa.exc.SQLAlchemyError) as exc:
            fallback = "the last values read" if self._snapshot is not None else "off for all"
            logger.error(
                "feature flags could not be read (%s); using %s, retrying in %.0f s",
                getattr(exc, "message", exc),
                fallback,
                self.ttl_s,
            )
        else:
            self._snapshot = snapshot
        # A failure waits a full TTL too, so a database outage is not hammered per request.
        self._expires_at = now + self.ttl_s

    def snapshot(self) -> Snapshot | None:
        """The current snapshot, reloaded when stale; None if no read has ever succeeded.

        A snapshot older than ``ttl_s`` is never used: while one thread reloads, the others
        that find it stale wait for that one read (one query, not one each) rather than
        answer from the old values, so a change made elsewhere is seen within ``ttl_s`` by
        every request (a failed read keeps the last values, as :meth:`_reload` says).
        """
        if self._snapshot is not None and self._clock() < self._expires_at:
            return self._snapshot
        with self._lock:
            if self._clock() >= self._expires_at:  # not reloaded by another thread meanwhile
                self._reload(self._clock())
        return self._snapshot

    def evaluate(
        self,
        key: str,
        *,
        user_id: uuid.UUID | None = None,
        team_ids: Iterable[uuid.UUID] = (),
    ) -> Decision:
        """The flag ``key`` for a caller, with the rule that decided it. Never raises."""
        snapshot = self.snapshot()
        if snapshot is None:
            return Decision(key, False, SOURCE_UNAVAILABLE)
        state = snapshot.get(key)
        if state is None:
            _log_unknown_once(key)
            return Decision(key, False, SOURCE_UNKNOWN)
        return decide(state, user_id=user_id, team_ids=team_ids)

    def is_enabled(
        self,
        key: str,
        *,
        user_id: uuid.UUID | None = None,
        team_ids: Iterable[uuid.UUID] = (),
    ) -> bool:
        """True when flag ``key`` is on for this caller.

        Args:
            key: the flag's key, e.g. ``models.api_training``.
            user_id: the signed-in user, or None for anonymous callers.
            team_ids: the team(s) the request acts in (e.g. the team a new record is
                shared with); empty when it acts in none.
        """
        return self.evaluate(key, user_id=user_id, team_ids=team_ids).enabled

    def evaluate_all(
        self, *, user_id: uuid.UUID | None = None, team_ids: Iterable[uuid.UUID] = ()
    ) -> list[Decision]:
        """Every known flag for a caller, sorted by key (empty while flags are unreadable)."""
        snapshot = self.snapshot() or {}
        teams = tuple(team_ids)
        return [decide(snapshot[key], user_id=user_id, team_ids=teams) for key in sorted(snapshot)]
