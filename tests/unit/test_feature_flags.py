"""Feature-flag evaluation (``cryoprotect.ops.flags``) without a database.

The loader (``load_snapshot``) is the boundary these tests do not own: it is replaced by a
function serving a snapshot (or raising ``DatabaseUnavailable``), and time is a fake clock.
"""

from __future__ import annotations

import logging
import uuid
from typing import Any

import pytest

from cryoprotect.errors import DatabaseUnavailable
from cryoprotect.ops import flags as flags_module
from cryoprotect.ops.flags import (
    SOURCE_DEFAULT,
    SOURCE_ROLLOUT,
    SOURCE_TEAM,
    SOURCE_UNAVAILABLE,
    SOURCE_UNKNOWN,
    SOURCE_USER,
    FeatureFlags,
    FlagState,
    decide,
    rollout_bucket,
)

pytestmark = pytest.mark.unit

ALICE = uuid.UUID("00000000-0000-4000-8000-00000000a11c")
BOB = uuid.UUID("00000000-0000-4000-8000-000000000b0b")
LAB = uuid.UUID("00000000-0000-4000-8000-0000000001ab")
CORE = uuid.UUID("00000000-0000-4000-8000-000000000c0e")

#: Synthetic users for the rollout statistics (deterministic: the bucket is a hash).
USERS = [uuid.UUID(int=(0x5EED << 64) + i) for i in range(20_000)]


def _state(**kwargs: Any) -> FlagState:
    return FlagState(
        key=kwargs.pop("key", "test.flag"),
        enabled=kwargs.pop("enabled", False),
        rollout_percentage=kwargs.pop("rollout_percentage", 100),
        **kwargs,
    )


# --------------------------------------------------------------- precedence
def test_user_override_beats_team_override_rollout_and_default() -> None:
    state = _state(
        enabled=True,
        rollout_percentage=100,
        user_overrides={ALICE: False},
        team_overrides={LAB: True},
    )
    decision = decide(state, user_id=ALICE, team_ids=[LAB])
    assert (decision.enabled, decision.source) == (False, SOURCE_USER)
    on = decide(_state(user_overrides={ALICE: True}, team_overrides={LAB: False}), user_id=ALICE)
    assert (on.enabled, on.source) == (True, SOURCE_USER)


def test_team_override_beats_rollout_and_default() -> None:
    off_by_default = _state(enabled=False, team_overrides={LAB: True})
    assert decide(off_by_default, user_id=BOB, team_ids=[LAB]).source == SOURCE_TEAM
    assert decide(off_by_default, user_id=BOB, team_ids=[LAB]).enabled is True
    # The override applies only when the request acts in that team.
    assert decide(off_by_default, user_id=BOB, team_ids=[CORE]).enabled is False
    assert decide(off_by_default, user_id=BOB).source == SOURCE_DEFAULT
    # A team opt-out beats a rollout that includes the user.
    rolled_out = _state(enabled=True, rollout_percentage=100, team_overrides={LAB: False})
    assert decide(rolled_out, user_id=BOB, team_ids=[LAB]).enabled is False


def test_disagreeing_teams_off_wins() -> None:
    state = _state(team_overrides={LAB: True, CORE: False})
    decision = decide(state, user_id=BOB, team_ids=[LAB, CORE])
    assert (decision.enabled, decision.source) == (False, SOURCE_TEAM)
    assert decide(state, user_id=BOB, team_ids=[LAB]).enabled is True


def test_rollout_decides_an_enabled_flag_and_default_decides_the_rest() -> None:
    assert decide(_state(enabled=False, rollout_percentage=100), user_id=ALICE).enabled is False
    everyone = decide(_state(enabled=True, rollout_percentage=100), user_id=ALICE)
    assert (everyone.enabled, everyone.source) == (True, SOURCE_DEFAULT)
    assert decide(_state(enabled=True, rollout_percentage=100)).enabled is True  # anonymous
    nobody = [decide(_state(enabled=True, rollout_percentage=0), user_id=u) for u in USERS[:500]]
    assert {d.source for d in nobody} == {SOURCE_ROLLOUT}
    assert not any(d.enabled for d in nobody)
    # Anonymous callers cannot be bucketed: out while the rollout is partial.
    anonymous = decide(_state(enabled=True, rollout_percentage=99))
    assert (anonymous.enabled, anonymous.source) == (False, SOURCE_ROLLOUT)


# ------------------------------------------------------------------ rollout
def test_rollout_bucket_is_stable_and_in_range() -> None:
    buckets = [rollout_bucket("test.flag", u) for u in USERS[:1000]]
    assert buckets == [rollout_bucket("test.flag", u) for u in USERS[:1000]]
    assert min(buckets) >= 0 and max(buckets) <= 99
    assert len(set(buckets)) == 100


def _enabled_users(key: str, percentage: int) -> set[uuid.UUID]:
    state = _state(key=key, enabled=True, rollout_percentage=percentage)
    return {u for u in USERS if decide(state, user_id=u).enabled}


def test_rollout_users_stay_in_as_the_percentage_grows() -> None:
    previous: set[uuid.UUID] = set()
    for percentage in range(0, 101, 5):
        current = _enabled_users("test.growth", percentage)
        assert previous <= current, f"users dropped out going to {percentage} %"
        previous = current
    assert previous == set(USERS)


@pytest.mark.parametrize("percentage", [1, 10, 25, 50, 90])
def test_rollout_reaches_the_stated_share(percentage: int) -> None:
    share = len(_enabled_users("test.share", percentage)) / len(USERS)
    # Binomial standard error for n = 20 000 is at most 0.35 %; allow 4 standard errors.
    sigma = (percentage / 100 * (1 - percentage / 100) / len(USERS)) ** 0.5
    assert abs(share - percentage / 100) < 4 * sigma, share


def test_rollouts_of_different_flags_pick_independent_users() -> None:
    a, b = _enabled_users("test.first", 50), _enabled_users("test.second", 50)
    overlap = len(a & b) / len(USERS)
    # Independent halves overlap on a quarter of the users (binomial error ~0.3 %).
    assert abs(overlap - 0.25) < 0.015, overlap


# ------------------------------------------------------- cache and failures
class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class FakeLoader:
    """Serves ``snapshot``, or raises ``error`` when it is set; counts calls."""

    def __init__(self, snapshot: dict[str, FlagState]) -> None:
        self.snapshot = snapshot
        self.error: Exception | None = None
        self.calls = 0

    def __call__(self, db: Any) -> dict[str, FlagState]:
        self.calls += 1
        if self.error is not None:
            raise self.error
        return dict(self.snapshot)


@pytest.fixture
def loader(monkeypatch: pytest.MonkeyPatch) -> FakeLoader:
    fake = FakeLoader({"test.on": _state(key="test.on", enabled=True)})
    monkeypatch.setattr(flags_module, "load_snapshot", fake)
    return fake


def test_snapshot_is_reused_within_the_ttl_and_reloaded_after(loader: FakeLoader) -> None:
    clock = FakeClock()
    flags = FeatureFlags(db=None, ttl_s=5, clock=clock)  # type: ignore[arg-type]
    assert flags.is_enabled("test.on") is True
    loader.snapshot["test.on"] = _state(key="test.on", enabled=False)
    clock.now += 4.9
    assert flags.is_enabled("test.on") is True  # still the cached snapshot
    assert loader.calls == 1
    clock.now += 0.2
    assert flags.is_enabled("test.on") is False
    assert loader.calls == 2


def test_invalidate_reloads_at_once(loader: FakeLoader) -> None:
    flags = FeatureFlags(db=None, ttl_s=60, clock=FakeClock())  # type: ignore[arg-type]
    assert flags.is_enabled("test.on") is True
    loader.snapshot["test.on"] = _state(key="test.on", enabled=False)
    assert flags.is_enabled("test.on") is True
    flags.invalidate()
    assert flags.is_enabled("test.on") is False
    assert loader.calls == 2


def test_unknown_flag_is_off_and_logged_once(
    loader: FakeLoader, caplog: pytest.LogCaptureFixture
) -> None:
    key = f"test.unknown_{uuid.uuid4().hex[:8]}"
    flags = FeatureFlags(db=None, clock=FakeClock())  # type: ignore[arg-type]
    other = FeatureFlags(db=None, clock=FakeClock())  # type: ignore[arg-type]
    with caplog.at_level(logging.WARNING, logger="cryoprotect.ops.flags"):
        decisions = [flags.evaluate(key, user_id=ALICE) for _ in range(3)]
        decisions.append(other.evaluate(key))  # once per process, not per evaluator
    assert {(d.enabled, d.source) for d in decisions} == {(False, SOURCE_UNKNOWN)}
    logged = [r for r in caplog.records if key in r.getMessage()]
    assert len(logged) == 1
    assert "unknown feature flag" in logged[0].getMessage()


def test_database_error_before_any_read_means_off_and_is_logged(
    loader: FakeLoader, caplog: pytest.LogCaptureFixture
) -> None:
    loader.error = DatabaseUnavailable("database unavailable: connection refused")
    clock = FakeClock()
    flags = FeatureFlags(db=None, ttl_s=5, clock=clock)  # type: ignore[arg-type]
    with caplog.at_level(logging.ERROR, logger="cryoprotect.ops.flags"):
        decision = flags.evaluate("test.on", user_id=ALICE)
    assert (decision.enabled, decision.source) == (False, SOURCE_UNAVAILABLE)
    assert flags.evaluate_all(user_id=ALICE) == []
    assert any("could not be read" in r.getMessage() for r in caplog.records)
    # The failure is not retried on every request, only after the TTL.
    assert loader.calls == 1
    clock.now += 5.1
    loader.error = None
    assert flags.is_enabled("test.on") is True
    assert loader.calls == 2


def test_database_error_after_a_read_keeps_the_last_known_values(loader: FakeLoader) -> None:
    clock = FakeClock()
    flags = FeatureFlags(db=None, ttl_s=5, clock=clock)  # type: ignore[arg-type]
    assert flags.is_enabled("test.on") is True
    loader.error = DatabaseUnavailable("database unavailable: connection refused")
    clock.now += 10
    decision = flags.evaluate("test.on")
    assert (decision.enabled, decision.source) == (True, SOURCE_DEFAULT)
    assert loader.calls == 2
    flags.invalidate()
    assert flags.is_enabled("test.on") is True
    assert loader.calls == 3


def test_unexpected_errors_are_not_swallowed(loader: FakeLoader) -> None:
    # Only database failures fall back; a bug (here a TypeError) must surface.
    loader.error = TypeError("bug")
    flags = FeatureFlags(db=None, clock=FakeClock())  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        flags.is_enabled("test.on")
