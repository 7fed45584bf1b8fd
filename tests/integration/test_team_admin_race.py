"""A team keeps an admin even when two admins demote or remove each other at once
(issue 12, finding 5; migration 0011's ``keep_team_admin`` trigger).

Two levels, both with real concurrency:

* the database on its own: two connections as the app role, each an admin changing the
  other; the second statement is issued before the first transaction commits, so without
  the trigger both commit and the team has no admin left;
* the API: two threads released together by a barrier, each admin demoting (or removing)
  the other, several trials; exactly one request succeeds, and the team keeps an admin.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable
from typing import Any

import pytest
import sqlalchemy as sa

from cryoprotect.db.database import Database, Identity

pytestmark = pytest.mark.integration

TRIALS = 4
WAIT_S = 60.0  # a bound on waiting for the other thread, never an assertion on timing


def _admins(db: Database, team_id: uuid.UUID) -> list[uuid.UUID]:
    with db.transaction(Identity.service()) as session:
        return list(
            session.scalars(
                sa.text(
                    "SELECT m.user_id FROM public.user_team_membership m "
                    "JOIN public.team_roles r ON r.id = m.role_id "
                    "WHERE m.team_id = :team AND r.can_manage"
                ),
                {"team": team_id},
            )
        )


def _two_admin_team(client: Any, make_user: Any, make_team: Any) -> tuple[Any, Any, uuid.UUID]:
    first, second = make_user("admin-a"), make_user("admin-b")
    team_id = make_team(first, viewer=[second])
    promoted = client.patch(
        f"/api/v1/teams/{team_id}/members/{second.id}",
        json={"role": "admin"},
        headers=first.headers,
    )
    assert promoted.status_code == 200, promoted.json
    return first, second, team_id


def _as(conn: sa.Connection, user_id: uuid.UUID) -> None:
    conn.execute(
        sa.text(
            "SELECT set_config('request.jwt.claim.sub', :sub, true), "
            "set_config('request.jwt.claim.role', 'authenticated', true)"
        ),
        {"sub": str(user_id)},
    )


DEMOTE = (
    "UPDATE public.user_team_membership SET role_id = 1 "  # 1 = viewer
    "WHERE team_id = :team AND user_id = :target"
)
REMOVE = "DELETE FROM public.user_team_membership WHERE team_id = :team AND user_id = :target"


def _blocked_or_done(db: Database, pid: int, thread: threading.Thread) -> None:
    """Wait until the other connection waits for a lock, or has finished its work."""
    deadline = time.monotonic() + WAIT_S
    while thread.is_alive() and time.monotonic() < deadline:
        with db.transaction(Identity.service()) as session:
            waiting = session.scalar(
                sa.text("SELECT wait_event_type = 'Lock' FROM pg_stat_activity WHERE pid = :pid"),
                {"pid": pid},
            )
        if waiting:
            return
        time.sleep(0.02)
    assert time.monotonic() < deadline, "the second transaction neither blocked nor finished"


def _database_trial(
    db: Database, first: Any, second: Any, team_id: uuid.UUID, statement: str
) -> None:
    outcome: dict[str, Any] = {}
    pid_known = threading.Event()

    def other_side() -> None:
        with db.app_engine.connect() as conn:
            tx = conn.begin()
            _as(conn, second.id)
            outcome["pid"] = conn.scalar(sa.text("SELECT pg_backend_pid()"))
            pid_known.set()
            try:
                conn.execute(sa.text(statement), {"team": team_id, "target": first.id})
                tx.commit()
                outcome["ok"] = True
            except sa.exc.DBAPIError as exc:
                tx.rollback()
                outcome["error"] = exc

    with db.app_engine.connect() as conn:
        tx = conn.begin()
        _as(conn, first.id)
        done = conn.execute(sa.text(statement), {"team": team_id, "target": second.id})
        assert done.rowcount == 1
        thread = threading.Thread(target=other_side)
        thread.start()
        assert pid_known.wait(WAIT_S)
        # Both statements are issued before either transaction commits.
        _blocked_or_done(db, outcome["pid"], thread)
        tx.commit()
    thread.join(WAIT_S)
    assert not thread.is_alive()

    assert len(_admins(db, team_id)) >= 1, "the team was left without an admin"
    error = outcome.get("error")
    assert error is not None and "ok" not in outcome
    assert error.orig.sqlstate == "23514"
    assert error.orig.diag.constraint_name == "team_keeps_an_admin"


@pytest.mark.parametrize("statement", [DEMOTE, REMOVE], ids=["demote", "remove"])
def test_database_refuses_the_second_of_two_concurrent_admin_losses(
    db: Database, client: Any, make_user: Any, make_team: Any, statement: str
) -> None:
    for _ in range(TRIALS):
        first, second, team_id = _two_admin_team(client, make_user, make_team)
        _database_trial(db, first, second, team_id, statement)


def _race(app: Any, calls: tuple[Callable[[Any], Any], Callable[[Any], Any]]) -> list[int]:
    barrier = threading.Barrier(2)
    statuses: list[int] = [0, 0]

    def run(index: int) -> None:
        client = app.test_client()
        barrier.wait(WAIT_S)
        statuses[index] = calls[index](client).status_code

    threads = [threading.Thread(target=run, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(WAIT_S)
    return statuses


def _demote_each_other(app: Any, url: str, first: Any, second: Any) -> list[int]:
    return _race(
        app,
        (
            lambda c: c.patch(f"{url}/{second.id}", json={"role": "viewer"}, headers=first.headers),
            lambda c: c.patch(f"{url}/{first.id}", json={"role": "viewer"}, headers=second.headers),
        ),
    )


def _remove_each_other(app: Any, url: str, first: Any, second: Any) -> list[int]:
    return _race(
        app,
        (
            lambda c: c.delete(f"{url}/{second.id}", headers=first.headers),
            lambda c: c.delete(f"{url}/{first.id}", headers=second.headers),
        ),
    )


def test_two_admins_demoting_each_other_through_the_api(
    app: Any, db: Database, client: Any, make_user: Any, make_team: Any
) -> None:
    for _ in range(TRIALS):
        first, second, team_id = _two_admin_team(client, make_user, make_team)
        url = f"/api/v1/teams/{team_id}/members"
        statuses = _demote_each_other(app, url, first, second)
        assert len(_admins(db, team_id)) == 1, statuses
        assert sorted(statuses) == [200, 409], statuses
        loser, winner = (first, second) if statuses[0] == 409 else (second, first)
        retry = client.patch(f"{url}/{winner.id}", json={"role": "viewer"}, headers=loser.headers)
        assert retry.status_code == 409
        assert "at least one admin" in retry.get_json()["error"]["message"]


def test_two_admins_removing_each_other_through_the_api(
    app: Any, db: Database, client: Any, make_user: Any, make_team: Any
) -> None:
    for _ in range(TRIALS):
        first, second, team_id = _two_admin_team(client, make_user, make_team)
        statuses = _remove_each_other(app, f"/api/v1/teams/{team_id}/members", first, second)
        assert len(_admins(db, team_id)) == 1, statuses
        # The loser was removed by the winner first: it can no longer see the team (404).
        assert sorted(statuses) == [204, 404], statuses


def test_deleting_a_team_still_removes_its_admins(
    db: Database, client: Any, make_user: Any, make_team: Any
) -> None:
    first, second, team_id = _two_admin_team(client, make_user, make_team)
    assert client.delete(f"/api/v1/teams/{team_id}", headers=first.headers).status_code == 204
    assert _admins(db, team_id) == []
    # The last admin cannot leave; the team itself can go.
    solo = make_user("solo")
    lonely = make_team(solo)
    res = client.delete(f"/api/v1/teams/{lonely}/members/{solo.id}", headers=solo.headers)
    assert res.status_code == 409
    assert client.delete(f"/api/v1/teams/{lonely}", headers=solo.headers).status_code == 204
