"""List endpoints cost a fixed number of SQL statements, whatever the page size.

A list that runs one more query per row (an N+1: a lazy load or a helper that reads each
row's children on its own) fails here: listing ``ROWS`` rows must cost exactly what listing
one row costs. Statements are counted on the app engine with SQLAlchemy's
``before_cursor_execute`` event, only from the test's own thread (background jobs and the
search index's change feed share the engine).
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest
import sqlalchemy as sa

from cryoprotect.db.database import Database
from tests.conftest import UserHandle, train_model_via_api, unique_smiles

pytestmark = pytest.mark.integration

ROWS = 4  # rows on the larger page; each list below holds at least this many


class QueryCounter:
    """Counts the statements the current thread sends through an engine."""

    def __init__(self) -> None:
        self.statements: list[str] = []
        self._thread = threading.get_ident()

    def __call__(self, conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if threading.get_ident() == self._thread:
            self.statements.append(statement)


@pytest.fixture
def count_queries(db: Database) -> Callable[[], Any]:
    """``with count_queries() as counter: ...`` then ``len(counter.statements)``."""

    @contextmanager
    def _count() -> Iterator[QueryCounter]:
        counter = QueryCounter()
        sa.event.listen(db.app_engine, "before_cursor_execute", counter)
        try:
            yield counter
        finally:
            sa.event.remove(db.app_engine, "before_cursor_execute", counter)

    return _count


def _statements_for(client, count_queries, url: str, headers: dict[str, str], per_page: int):
    sep = "&" if "?" in url else "?"
    with count_queries() as counter:
        res = client.get(f"{url}{sep}per_page={per_page}", headers=headers)
    assert res.status_code == 200, res.json
    body = res.json
    items = body["items"] if isinstance(body, dict) else body
    assert len(items) == per_page, (url, per_page, len(items))
    return counter.statements


def _assert_constant(client, count_queries, url: str, headers: dict[str, str]) -> None:
    client.get(url, headers=headers)  # warm caches (token lookup, reflection) outside the count
    one = _statements_for(client, count_queries, url, headers, 1)
    many = _statements_for(client, count_queries, url, headers, ROWS)
    assert len(many) == len(one), (
        f"GET {url}: {len(one)} statements for 1 row but {len(many)} for {ROWS} rows (N+1?):\n"
        + "\n---\n".join(many)
    )


def _mixture(client, user: UserHandle, name: str) -> dict[str, Any]:
    mine = client.post(
        "/api/v1/molecules",
        json={"structure": unique_smiles(), "name": f"{name}-solute"},
        headers=user.headers,
    )
    assert mine.status_code == 201, mine.json
    res = client.post(
        "/api/v1/mixtures",
        json={
            "name": name,
            "components": [
                {"name": "Dimethyl sulfoxide", "amount": 1, "unit": "mol/kg", "role": "cpa"},
                {"molecule_id": mine.json["id"], "amount": 0.1, "unit": "mol/kg"},
            ],
        },
        headers=user.headers,
    )
    assert res.status_code == 201, res.json
    return res.json


def test_molecule_list_is_not_n_plus_one(client, make_user, count_queries) -> None:
    user = make_user("qc-mol")
    for i in range(ROWS):
        res = client.post(
            "/api/v1/molecules",
            json={"structure": unique_smiles(), "name": f"qc-molecule-{i}"},
            headers=user.headers,
        )
        assert res.status_code == 201, res.json
    _assert_constant(client, count_queries, "/api/v1/molecules?visibility=private", user.headers)


def test_mixture_list_is_not_n_plus_one(client, make_user, count_queries) -> None:
    user = make_user("qc-mix")
    for i in range(ROWS):
        _mixture(client, user, f"qc-mixture-{i}")
    _assert_constant(client, count_queries, "/api/v1/mixtures?visibility=private", user.headers)


def test_experiment_list_is_not_n_plus_one(client, make_user, count_queries) -> None:
    user = make_user("qc-exp")
    tag = uuid.uuid4().hex[:8]
    for i in range(ROWS):
        mixture = _mixture(client, user, f"qc-exp-mixture-{tag}-{i}")
        res = client.post(
            "/api/v1/experiments",
            json={
                "title": f"qc-experiment-{tag}-{i}",
                "mixture_id": mixture["id"],
                "results": [
                    {"measure": "viability_percent", "value": 70.0 + i, "replicates": 3},
                    {"measure": "recovery_percent", "value": 60.0 + i, "replicates": 3},
                ],
            },
            headers=user.headers,
        )
        assert res.status_code == 201, res.json
    _assert_constant(client, count_queries, f"/api/v1/experiments?q={tag}", user.headers)


def test_protocol_list_is_not_n_plus_one(client, make_user, count_queries) -> None:
    user = make_user("qc-protocol")
    tag = uuid.uuid4().hex[:8]
    request = {
        "cell_type": "rhesus_mii_oocyte",
        "target": {"components": [{"name": "Dimethyl sulfoxide", "amount": 1.4, "unit": "mol/L"}]},
        "temperature_c": 22.0,
        "max_steps": 2,
    }
    for i in range(ROWS):
        res = client.post(
            "/api/v1/protocols",
            json={"name": f"qc-protocol-{tag}-{i}", "design_request": request},
            headers=user.headers,
        )
        assert res.status_code == 201, res.json
    _assert_constant(client, count_queries, f"/api/v1/protocols?q={tag}", user.headers)


def test_prediction_list_is_not_n_plus_one(app, client, count_queries) -> None:
    headers, model_id = train_model_via_api(app, "qc-predictions")
    for amount in range(5, 5 + ROWS):
        res = client.post(
            f"/api/v1/predictive-models/{model_id}/predict",
            json={
                "components": [{"name": "Dimethyl sulfoxide", "amount": amount, "unit": "% v/v"}]
            },
            headers=headers,
        )
        assert res.status_code == 200, res.json
    _assert_constant(client, count_queries, "/api/v1/predictions", headers)
