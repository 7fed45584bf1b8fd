"""Cost the caller controls is bounded (issue 12, finding 3): substructure patterns, match
deadlines, scan slots, and bulk imports that run as background jobs.

No timing is asserted: the deadline is set to 0 in a test app, scan slots are taken by the
test itself, and the import threshold is lowered in a test app.
"""

from __future__ import annotations

import contextlib
import io
import os
import threading
import uuid
from dataclasses import replace
from typing import Any

import psutil
import pytest
from prometheus_client import REGISTRY

from cryoprotect.search import ISOLATION_AVAILABLE
from tests.conftest import require, unique_smiles
from tests.unit.test_search_limits import lattice_smiles

pytestmark = pytest.mark.integration

SEARCH = "/api/v1/molecules/search/substructure"
# The attack of issue 12: 21 wildcards and a uranium in a recursive SMARTS (22 atoms).
DOS_22 = "[$(" + "~".join(["*"] * 21) + "~[U])]"
# Allowed for signed-in callers, refused for anonymous ones, and matched guarded.
RECURSIVE_HYDROXYL = "[$([OX2H][CX4])]"


def _refused(kind: str, reason: str) -> float:
    value = REGISTRY.get_sample_value(
        "app_search_refused_total", {"search": kind, "reason": reason}
    )
    return value or 0.0


def _truncated(kind: str) -> float:
    return REGISTRY.get_sample_value("app_search_truncated_total", {"search": kind}) or 0.0


def _app(settings, db, **overrides: Any):
    from cryoprotect.app import create_app

    return create_app(replace(settings, **overrides), db)


# ------------------------------------------------------------------ patterns


def test_anonymous_recursive_wildcard_attack_is_refused(client) -> None:
    before = _refused("substructure", "query_too_complex")
    res = client.post(SEARCH, json={"query": DOS_22})
    assert res.status_code == 400, res.json
    error = res.json["error"]
    assert error["code"] == "query_too_complex"
    assert error["details"]["field"] == "query" and error["details"]["rule"] == "max_recursive"
    assert "Recursive SMARTS" in error["message"]
    assert _refused("substructure", "query_too_complex") == before + 1


def test_signed_in_callers_get_bounded_recursion(client, make_user, settings, db) -> None:
    user = make_user("smarts")
    res = client.post(SEARCH, json={"query": DOS_22}, headers=user.headers)
    assert res.status_code == 400
    assert res.json["error"]["details"]["rule"] == "max_recursive_atoms"
    # The allowed pattern must be matched to the end: a deadline far beyond any load the
    # shared test machines see, so only a refusal or a wrong match can fail this (no timing).
    patient = _app(settings, db, search_deadline_ms=600_000).test_client()
    ok = patient.post(SEARCH, json={"query": RECURSIVE_HYDROXYL}, headers=user.headers)
    assert ok.status_code == 200, ok.json
    assert ok.json["items"] and ok.json["truncated"] is False
    assert ok.json["truncated_reason"] is None
    anonymous = client.post(SEARCH, json={"query": RECURSIVE_HYDROXYL})
    assert anonymous.status_code == 400


def test_long_wildcard_chains_and_huge_patterns_are_refused(client) -> None:
    chain = client.post(SEARCH, json={"query": "~".join(["*"] * 12) + "~[U]"})
    assert chain.status_code == 400
    assert chain.json["error"]["details"]["rule"] == "max_wildcard_chain"
    big = client.post(SEARCH, json={"query": "C" * 40})
    assert big.status_code == 400 and big.json["error"]["details"]["rule"] == "max_atoms"


def test_count_jobs_and_highlights_apply_the_same_limits(client, make_user) -> None:
    user = make_user("count")
    count = client.post(
        "/api/v1/molecules/search/substructure/count", json={"query": DOS_22}, headers=user.headers
    )
    assert count.status_code == 400 and count.json["error"]["code"] == "query_too_complex"
    listed = client.get("/api/v1/molecules?q=glycerol&visibility=public").json["items"]
    molecule_id = listed[0]["id"]
    before = _refused("highlight", "query_too_complex")
    drawing = client.get(
        f"/api/v1/molecules/{molecule_id}/depiction", query_string={"highlight": DOS_22}
    )
    assert drawing.status_code == 400
    assert drawing.json["error"]["details"]["field"] == "highlight"
    assert _refused("highlight", "query_too_complex") == before + 1
    plain = client.get(
        f"/api/v1/molecules/{molecule_id}/depiction", query_string={"highlight": "[OX2H]"}
    )
    assert plain.status_code == 200


# ------------------------------------------------------------------ deadline


def test_a_search_past_its_deadline_returns_truncated(settings, db, make_user) -> None:
    client = _app(settings, db, search_deadline_ms=0).test_client()
    headers = make_user("deadline").headers  # tokens are valid in every app of these settings
    before = _truncated("substructure")
    res = client.post(SEARCH, json={"query": RECURSIVE_HYDROXYL}, headers=headers)
    assert res.status_code == 200, res.json
    body = res.json
    assert body["truncated"] is True and body["complete"] is False
    assert "deadline" in body["truncated_reason"]
    assert body["items"] == []  # a deadline of 0 stops before the first molecule
    assert _truncated("substructure") == before + 1


def _idle_children_while(server: psutil.Process, work: threading.Thread) -> set[int]:
    """Start ``work``; until it ends, the scheduling policies of ``server``'s new children."""
    before = {child.pid for child in server.children()}
    policies: set[int] = set()
    work.start()
    while work.is_alive():
        for child in server.children():
            if child.pid not in before:
                with contextlib.suppress(OSError):
                    policies.add(os.sched_getscheduler(child.pid))
        work.join(0.005)
    assert {child.pid for child in server.children()} <= before  # ended and reaped
    return policies


def test_an_expensive_search_runs_at_idle_priority_outside_the_server_process(
    settings, db, app, client, make_user
) -> None:
    """An anonymous pattern the cost check allows (20 named carbons, O, F) is exhaustive on
    lattices any user may register privately: it is matched in a child process at idle CPU
    priority, ended at the deadline, so it takes no CPU time (and no GIL) from the server
    process's other requests. The same holds for a signed-in caller's background count."""
    require(ISOLATION_AVAILABLE and hasattr(os, "SCHED_IDLE"), "needs os.fork and SCHED_IDLE")
    owner = make_user("lattices")
    created = []
    for width in (16, 17):
        res = client.post(
            "/api/v1/molecules",
            json={"smiles": lattice_smiles(width, 8), "name": f"lattice {width}x8"},
            headers=owner.headers,
        )
        assert res.status_code == 201, res.json
        assert res.json["visibility"] == "private"
        created.append(res.json["id"])
    chain = "~".join(["C"] * 20) + "~O~F"  # 22 named atoms: allowed to anonymous callers
    server = psutil.Process()
    try:
        answers: list[Any] = []
        search = threading.Thread(
            target=lambda: answers.append(app.test_client().post(SEARCH, json={"query": chain}))
        )
        policies = _idle_children_while(server, search)
        assert answers[0].status_code == 200, answers[0].json
        assert answers[0].json["truncated"] is True and answers[0].json["items"] == []
        assert os.SCHED_IDLE in policies  # matched in an idle-priority child, not in here

        counting_app = _app(settings, db, search_count_deadline_s=1)
        counter = counting_app.test_client()
        started = counter.post(
            "/api/v1/molecules/search/substructure/count",
            json={"query": chain},
            headers=owner.headers,
        )
        assert started.status_code == 202, started.json
        jobs = counting_app.extensions["cryoprotect"].jobs
        count = threading.Thread(
            target=lambda: jobs.wait(owner.actor, uuid.UUID(started.json["id"]), timeout_s=120)
        )
        assert os.SCHED_IDLE in _idle_children_while(server, count)
        job = counter.get(f"/api/v1/jobs/{started.json['id']}", headers=owner.headers).json
        assert job["status"] == "done", job
        assert job["result"]["truncated"] is True and job["result"]["count"] == 0
    finally:
        for molecule_id in created:
            client.delete(f"/api/v1/molecules/{molecule_id}", headers=owner.headers)


# ------------------------------------------------------------------ scan slots


def test_full_scan_slots_answer_429_and_cheap_requests_still_work(app, client) -> None:
    molecules = app.extensions["cryoprotect"].molecules
    slots = molecules.budget.concurrent
    taken = 0
    try:
        for _ in range(slots):
            assert molecules.scan_slots.acquire(blocking=False)
            taken += 1
        before = _refused("substructure", "busy")
        busy = client.post(SEARCH, json={"query": "[OX2H][CX4]"})
        assert busy.status_code == 429, busy.json
        assert busy.json["error"]["code"] == "busy"
        assert int(busy.headers["Retry-After"]) >= 1
        assert _refused("substructure", "busy") == before + 1
        # List, get and similarity do not wait for scan slots.
        listed = client.get("/api/v1/molecules?per_page=5")
        assert listed.status_code == 200
        assert client.get(f"/api/v1/molecules/{listed.json['items'][0]['id']}").status_code == 200
        similar = client.post(
            "/api/v1/molecules/search/similarity", json={"structure": "OCC(O)CO", "k": 3}
        )
        assert similar.status_code == 200
    finally:
        for _ in range(taken):
            molecules.scan_slots.release()
    again = client.post(SEARCH, json={"query": "[OX2H][CX4]"})
    assert again.status_code == 200 and again.json["truncated"] is False


# ------------------------------------------------------------------ imports


def _wait(app, user, job_id: str) -> dict[str, Any]:
    job = app.extensions["cryoprotect"].jobs.wait(user.actor, uuid.UUID(job_id), timeout_s=120)
    polled = app.test_client().get(f"/api/v1/jobs/{job_id}", headers=user.headers)
    assert polled.status_code == 200 and polled.json["status"] == job.status
    return polled.json


def test_a_large_molecule_import_runs_as_a_job(settings, db, make_user) -> None:
    app = _app(settings, db, import_sync_rows=2)
    client = app.test_client()
    user = make_user("bulk")
    headers = user.headers
    good = [unique_smiles() for _ in range(3)]
    content = "\n".join(["smiles,name", *(f"{s},bulk-{i}" for i, s in enumerate(good)), "C1CC,bad"])
    res = client.post(
        "/api/v1/molecules/import",
        data={"file": (io.BytesIO(content.encode()), "bulk.csv")},
        headers=headers,
        content_type="multipart/form-data",
    )
    assert res.status_code == 202, res.json
    assert res.json["kind"] == "molecule_import" and res.json["status"] == "queued"
    assert res.headers["Location"] == f"/api/v1/jobs/{res.json['id']}"
    job = _wait(app, user, res.json["id"])
    assert job["status"] == "done", job
    report = job["result"]
    assert report["total"] == 4 and report["created"] == 3 and report["rejected_count"] == 1
    assert report["rejected"][0]["row"] == 5 and report["rejected"][0]["reason"]
    mine = client.get("/api/v1/molecules?visibility=private&per_page=100", headers=headers).json
    assert mine["total"] == 3
    # At or below the threshold the answer is the report itself, as before.
    small = client.post(
        "/api/v1/molecules/import",
        data={"file": (io.BytesIO(f"smiles\n{unique_smiles()}\n".encode()), "one.csv")},
        headers=headers,
        content_type="multipart/form-data",
    )
    assert small.status_code == 200 and small.json["created"] == 1


def _import_results(client, headers, csv_text: str, **form: str):
    return client.post(
        "/api/v1/experiments/import",
        data={"file": (io.BytesIO(csv_text.encode()), "results.csv"), **form},
        headers=headers,
        content_type="multipart/form-data",
    )


def test_a_large_atomic_experiment_import_job_writes_nothing_on_a_bad_row(
    settings, db, make_user
) -> None:
    app = _app(settings, db, import_sync_rows=2)
    client = app.test_client()
    user = make_user("atomic")
    headers = user.headers
    title = f"bulk-atomic-{uuid.uuid4().hex[:6]}"
    rows = [f"{title},viability_percent,{50 + i},%" for i in range(4)]
    rows.insert(2, f"{title},viability_percent,abc,%")
    csv_text = "title,measure,value,unit\n" + "\n".join(rows) + "\n"
    res = _import_results(client, headers, csv_text, atomic="true")
    assert res.status_code == 202, res.json
    assert res.json["kind"] == "experiment_import"
    job = _wait(app, user, res.json["id"])
    assert job["status"] == "done", job
    report = job["result"]
    assert report["total"] == 5 and report["written"] == 0 and report["rejected_count"] == 1
    assert [r["row"] for r in report["rows"] if r["status"] == "rejected"] == [4]
    listed = client.get(f"/api/v1/experiments?q={title}", headers=headers).json
    assert listed["total"] == 0  # nothing partial

    good = csv_text.replace(f"{title},viability_percent,abc,%\n", "")
    done = _wait(app, user, _import_results(client, headers, good, atomic="true").json["id"])
    assert done["status"] == "done" and done["result"]["written"] == 4
    created = {r["experiment_id"] for r in done["result"]["rows"]}
    assert len(created) == 1
    listed = client.get(f"/api/v1/experiments?q={title}", headers=headers).json
    assert listed["total"] == 1 and listed["items"][0]["id"] in created


# ------------------------------------------------------------------ export


def test_an_export_beyond_its_limit_is_refused(client, monkeypatch) -> None:
    from cryoprotect.services import molecule_io

    # The shipped library has 35 public structures; a limit below that stands for 10,000.
    monkeypatch.setattr(molecule_io, "MAX_EXPORT_ROWS", 5)
    everything = client.get("/api/v1/molecules/export?format=sdf")
    assert everything.status_code == 400, everything.data[:200]
    error = everything.json["error"]
    assert error["code"] == "limit_exceeded" and error["details"]["limit"] == 5
    narrowed = client.get("/api/v1/molecules/export?format=json&q=glycerol")
    assert narrowed.status_code == 200 and 0 < len(narrowed.json) <= 5
