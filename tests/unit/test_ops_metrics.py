"""Tests for cryoprotect.ops.metrics: request hooks, /metrics exposition, DB listeners."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path
from typing import Any

import flask
import pytest
import sqlalchemy as sa
from prometheus_client import REGISTRY
from prometheus_client.parser import text_string_to_metric_families

from cryoprotect.ops import metrics

pytestmark = pytest.mark.unit

ROUTE = "/items/<int:item_id>"
FAMILIES = {
    "app_request_count",
    "app_request_latency_seconds",
    "app_db_query_count",
    "app_db_query_latency_seconds",
    "app_error_count",
    "app_memory_usage_bytes",
    "app_cpu_usage_percent",
}


def make_app(testing: bool = True) -> flask.Flask:
    app = flask.Flask("metrics_test")
    app.testing = testing

    @app.get(ROUTE)
    def get_item(item_id: int) -> dict[str, int]:
        return {"id": item_id}

    @app.get("/boom")
    def boom() -> str:
        raise RuntimeError("boom")

    @app.get("/fail")
    def fail() -> str:
        metrics.record_error("validation")
        return "bad"

    metrics.init_app(app)
    return app


def sample(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


def scrape(client: flask.testing.FlaskClient) -> dict[str, list[Any]]:
    response = client.get("/metrics")
    assert response.status_code == 200
    assert response.content_type.startswith("text/plain")
    return {f.name: f.samples for f in text_string_to_metric_families(response.text)}


def test_requests_are_labelled_with_the_route_template() -> None:
    client = make_app().test_client()
    before = sample("app_request_count_total", method="GET", endpoint=ROUTE, status="200")
    latency_before = sample("app_request_latency_seconds_count", method="GET", endpoint=ROUTE)
    assert client.get("/items/7").status_code == 200
    assert client.get("/items/8").status_code == 200

    families = scrape(client)
    assert families.keys() >= FAMILIES
    endpoints = {
        s.labels["endpoint"]
        for name in ("app_request_count", "app_request_latency_seconds")
        for s in families[name]
        if "endpoint" in s.labels
    }
    assert ROUTE in endpoints
    assert not any(e.startswith("/items/") and e != ROUTE for e in endpoints)
    after = sample("app_request_count_total", method="GET", endpoint=ROUTE, status="200")
    assert after - before == 2
    latency_after = sample("app_request_latency_seconds_count", method="GET", endpoint=ROUTE)
    assert latency_after - latency_before == 2


def test_unmatched_requests_and_scrapes() -> None:
    client = make_app().test_client()
    unmatched = {"method": "GET", "endpoint": "<unmatched>", "status": "404"}
    before = sample("app_request_count_total", **unmatched)
    assert client.get("/no/such/path").status_code == 404
    assert sample("app_request_count_total", **unmatched) - before == 1

    scrape(client)
    scrape(client)
    assert sample("app_request_count_total", method="GET", endpoint="/metrics", status="200") == 0


@pytest.mark.parametrize("testing", [False, True])
def test_unhandled_exceptions_count_as_500(testing: bool) -> None:
    client = make_app(testing=testing).test_client()
    labels = {"method": "GET", "endpoint": "/boom", "status": "500"}
    before = sample("app_request_count_total", **labels)
    if testing:  # the exception propagates; the teardown hook still counts it
        with pytest.raises(RuntimeError):
            client.get("/boom")
    else:
        assert client.get("/boom").status_code == 500
    assert sample("app_request_count_total", **labels) - before == 1


def test_init_app_on_many_apps_and_twice_on_one() -> None:
    app = make_app()
    metrics.init_app(app)  # no duplicate route, no double counting
    make_app()
    client = app.test_client()
    labels = {"method": "GET", "endpoint": ROUTE, "status": "200"}
    before = sample("app_request_count_total", **labels)
    client.get("/items/1")
    assert sample("app_request_count_total", **labels) - before == 1


def test_record_error_endpoint_defaults() -> None:
    outside = {"type": "unit_test", "endpoint": "<none>"}
    before = sample("app_error_count_total", **outside)
    metrics.record_error("unit_test")
    assert sample("app_error_count_total", **outside) - before == 1

    inside = {"type": "validation", "endpoint": "/fail"}
    before = sample("app_error_count_total", **inside)
    make_app().test_client().get("/fail")
    assert sample("app_error_count_total", **inside) - before == 1


def test_resource_gauges_are_sampled() -> None:
    families = scrape(make_app().test_client())
    assert families["app_memory_usage_bytes"][0].value > 0
    assert families["app_cpu_usage_percent"][0].value >= 0


def test_worker_memory_gauge_tracks_this_process() -> None:
    families = scrape(make_app().test_client())
    rss = families["app_worker_memory_max_bytes"][0].value
    # The scrape refreshes it from psutil: the same order of magnitude as the RSS gauge.
    assert 0.5 < rss / families["app_memory_usage_bytes"][0].value < 2


def test_readiness_gauges_record_the_latest_check() -> None:
    labels = {"check": metrics.READINESS_CHECK}
    started = time.time()
    metrics.record_readiness(False)
    assert sample("app_ready", **labels) == 0
    metrics.record_readiness(True)
    assert sample("app_ready", **labels) == 1
    checked = sample("app_ready_checked_timestamp_seconds", **labels)
    assert started <= checked <= time.time()


@pytest.mark.parametrize(
    ("sql", "expected"),
    [
        ("select 1", "SELECT"),
        ("  /* hint */ -- note\n (SELECT 1)", "SELECT"),
        ("WITH a AS (SELECT 1) SELECT * FROM a", "SELECT"),
        ("INSERT INTO t VALUES (1)", "INSERT"),
        ("update t set x = 1", "UPDATE"),
        ("DELETE FROM t", "DELETE"),
        ("CREATE TABLE t (x int)", "OTHER"),
        ("", "OTHER"),
    ],
)
def test_query_type(sql: str, expected: str) -> None:
    assert metrics.query_type(sql) == expected


def test_instrument_engine_counts_times_and_is_idempotent() -> None:
    engine = sa.create_engine("sqlite://")  # stand-in engine to exercise the event hooks
    metrics.instrument_engine(engine)
    metrics.instrument_engine(engine)
    try:
        with engine.connect() as conn:
            types = ("SELECT", "INSERT", "OTHER")
            counts = {t: sample("app_db_query_count_total", query_type=t) for t in types}
            timed = {t: sample("app_db_query_latency_seconds_count", query_type=t) for t in types}
            conn.execute(sa.text("CREATE TABLE t (x INTEGER)"))
            conn.execute(sa.text("INSERT INTO t VALUES (1)"))
            conn.execute(sa.text("SELECT x FROM t")).all()
            for t in types:
                assert sample("app_db_query_count_total", query_type=t) - counts[t] == 1
                assert sample("app_db_query_latency_seconds_count", query_type=t) - timed[t] == 1

            errors = sample("app_error_count_total", type="database", endpoint="<none>")
            with pytest.raises(sa.exc.OperationalError):
                conn.execute(sa.text("SELECT * FROM missing_table"))
            assert sample("app_error_count_total", type="database", endpoint="<none>") == errors + 1
            assert not conn.info.get("cryoprotect.metrics.query_starts")
    finally:
        engine.dispose()


MULTIPROC_SCRIPT = textwrap.dedent(
    """
    import flask
    from cryoprotect.ops import metrics

    app = flask.Flask("mp")

    @app.get("/items/<int:item_id>")
    def item(item_id):
        return "ok"

    metrics.init_app(app)
    client = app.test_client()
    client.get("/items/3")
    print(client.get("/metrics").text)
    """
)


def test_multiprocess_mode_exposition(tmp_path: Path) -> None:
    env = dict(os.environ, PROMETHEUS_MULTIPROC_DIR=str(tmp_path))
    env["PYTHONPATH"] = os.pathsep.join(sys.path)
    result = subprocess.run(  # noqa: S603 - fixed script, our own interpreter
        [sys.executable, "-c", MULTIPROC_SCRIPT],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert list(tmp_path.glob("*.db")), "metrics were not written to the multiprocess directory"
    families = {f.name: f.samples for f in text_string_to_metric_families(result.stdout)}
    requests = [s for s in families["app_request_count"] if s.name == "app_request_count_total"]
    assert [(s.labels["endpoint"], s.value) for s in requests] == [(ROUTE, 1.0)]
    assert families["app_memory_usage_bytes"][0].value > 0
