"""When liveness gives up on the embedded database, and what its auth files say (pure)."""

from __future__ import annotations

import pytest

from cryoprotect.db.embedded import SupervisorState, pg_hba_conf, pg_ident_conf
from cryoprotect.errors import EmbeddedServerError

pytestmark = pytest.mark.unit

LIMIT_S = 60.0
T0 = 1_000_000.0


def state(**changes: object) -> SupervisorState:
    base: dict[str, object] = {"pid": 42, "heartbeat": T0, "report_due": T0 + 1}
    return SupervisorState(**{**base, **changes})  # type: ignore[arg-type]


def test_an_up_database_with_a_reporting_watchdog_is_live() -> None:
    assert state().liveness_problem(now=T0 + 1, limit_s=LIMIT_S) is None


def test_a_brief_outage_being_repaired_is_live() -> None:
    down = state(up=False, down_since=T0 - 5, failed_attempts=2)
    assert down.liveness_problem(now=T0 + 1, limit_s=LIMIT_S) is None


def test_down_beyond_the_limit_with_every_attempt_failed_is_not_live() -> None:
    down = state(up=False, down_since=T0 - 61, failed_attempts=7, last_error="FATAL: disk full")
    problem = down.liveness_problem(now=T0, limit_s=LIMIT_S)
    assert problem is not None
    assert "down for 61 s" in problem and "7 restart attempt(s) failed" in problem
    assert "disk full" in problem


def test_a_long_restart_in_progress_is_given_its_time() -> None:
    """Crash recovery of a large WAL may outlast the limit while the attempt runs."""
    recovering = state(up=False, restarting=True, down_since=T0 - 90, report_due=T0 + 120)
    assert recovering.liveness_problem(now=T0 + 30, limit_s=LIMIT_S) is None
    # ... but not for ever: the attempt's deadline passed long ago and nobody reported.
    problem = recovering.liveness_problem(now=T0 + 181, limit_s=LIMIT_S)
    assert problem is not None and "has not reported for 181 s" in problem


def test_a_silent_watchdog_is_not_live_even_if_the_database_was_up() -> None:
    problem = state().liveness_problem(now=T0 + 62, limit_s=LIMIT_S)
    assert problem is not None and "supervisor (pid 42)" in problem
    assert state().liveness_problem(now=T0 + 60, limit_s=LIMIT_S) is None


def test_auth_files_admit_only_the_named_users_by_peer() -> None:
    hba = [line.split() for line in pg_hba_conf().splitlines() if not line.startswith("#")]
    assert ["local", "all", "all", "peer", "map=cryoprotect"] in hba
    assert all(line[-1] == "reject" for line in hba if line[0] != "local")
    assert not any("trust" in line for line in hba)
    ident = [
        line.split()
        for line in pg_ident_conf(["alice", "pgserver", "alice"], ["postgres", "app"]).splitlines()
        if not line.startswith("#")
    ]
    assert ident == [
        ["cryoprotect", '"alice"', '"postgres"'],
        ["cryoprotect", '"alice"', '"app"'],
        ["cryoprotect", '"pgserver"', '"postgres"'],
        ["cryoprotect", '"pgserver"', '"app"'],
    ]


@pytest.mark.parametrize("name", ["", 'a"b', "two words", "x\nlocal all all trust"])
def test_names_that_could_inject_configuration_are_refused(name: str) -> None:
    with pytest.raises(EmbeddedServerError):
        pg_ident_conf([name], ["postgres"])
