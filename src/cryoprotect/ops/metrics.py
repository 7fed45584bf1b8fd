"""Prometheus metrics: every metric the app exports is declared here, and nowhere else.

It owns the metric singletons (registered once, at import, in the default ``REGISTRY``),
the Flask request hooks and SQLAlchemy listeners that feed them, and ``GET /metrics``.

* ``app_request_count_total{method,endpoint,status}`` and
  ``app_request_latency_seconds{method,endpoint}``. ``endpoint`` is the route template
  (``/api/v1/molecules/<uuid:molecule_id>``), never the raw path, so cardinality stays
  bounded; requests that match no route (404/405) use ``endpoint="<unmatched>"``.
  Scrapes of ``/metrics`` itself are not counted, so scrape traffic does not skew rates.
* ``app_db_query_count_total{query_type}`` (every statement sent, including failing ones)
  and ``app_db_query_latency_seconds{query_type}`` (statements that completed), with
  ``query_type`` one of SELECT/INSERT/UPDATE/DELETE/OTHER.
* ``app_error_count_total{type,endpoint}``; database errors use ``type="database"``.
* ``app_memory_usage_bytes`` (RSS) and ``app_cpu_usage_percent`` of the process serving the
  scrape, read with psutil at scrape time (CPU is averaged since the previous scrape).
* ``app_worker_memory_max_bytes``: the largest RSS among the live serving processes, each
  refreshing its own value at most once a second as it serves requests (and when it answers a
  scrape). It is what the memory alert watches, because under several workers the two gauges
  above describe only whichever worker answered the scrape.
* ``app_ready{check="database"}`` (1 ready, 0 not) and
  ``app_ready_checked_timestamp_seconds{check="database"}``: the result and time of the latest
  ``GET /health/ready`` (database reachable and migrated), whichever process answered it; absent
  until the first check. Orchestrator probes (the compose healthcheck, a Kubernetes
  readinessProbe) keep them fresh.
* ``app_search_refused_total{search,reason}``: expensive searches refused before matching,
  ``search`` one of ``SEARCHES`` and ``reason`` one of ``REFUSALS`` (``query_too_complex``:
  the pattern failed the cost analysis, 400; ``busy``: every scan slot of the process was
  taken, 429). ``app_search_truncated_total{search}``: searches that hit their match
  deadline and returned what they had found.
* ``cryoprotect_embedded_db_restarts_total`` (times the watchdog of ``cryoprotect serve``
  restarted a dead embedded postmaster) and ``cryoprotect_embedded_db_up`` (1 when its
  latest check found the postmaster alive): read at scrape time from the state the watchdog
  publishes under the data directory, so every worker reports the same values; absent when
  the database is external or not supervised.

Multiprocess mode (gunicorn with several workers): set ``PROMETHEUS_MULTIPROC_DIR`` to an
empty, writable directory *before* the server starts (prometheus_client picks its storage
at import). Counters and histograms then go to per-process files there, and ``/metrics``
aggregates them with a ``MultiProcessCollector`` on a fresh ``CollectorRegistry``, whichever
worker answers; the memory/CPU gauges describe that worker. The directory must be emptied
before each server run and a dead worker marked with prometheus_client's
``mark_process_dead`` (its live gauges disappear, its counters keep counting): the gunicorn
hooks in ``cryoprotect.ops.gunicorn_conf`` do both, without importing this module into the
gunicorn master (importing it creates metric files).
"""

from __future__ import annotations

import os
import re
import threading
import time
from collections.abc import Callable
from typing import Any

import flask
import psutil
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
    multiprocess,
)
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from sqlalchemy import event
from sqlalchemy.engine import Engine

from cryoprotect.ops.extensions import first_install

UNMATCHED = "<unmatched>"
NO_ENDPOINT = "<none>"
QUERY_TYPES = ("SELECT", "INSERT", "UPDATE", "DELETE", "OTHER")

_DB_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)

app_request_count = Counter(
    "app_request_count", "HTTP requests served.", ["method", "endpoint", "status"]
)
app_request_latency_seconds = Histogram(
    "app_request_latency_seconds", "HTTP request latency in seconds.", ["method", "endpoint"]
)
app_db_query_count = Counter("app_db_query_count", "SQL statements executed.", ["query_type"])
app_db_query_latency_seconds = Histogram(
    "app_db_query_latency_seconds",
    "SQL statement latency in seconds.",
    ["query_type"],
    buckets=_DB_BUCKETS,
)
app_error_count = Counter("app_error_count", "Errors recorded.", ["type", "endpoint"])
app_worker_memory_max_bytes = Gauge(
    "app_worker_memory_max_bytes",
    "Largest resident set size among live serving processes, in bytes.",
    multiprocess_mode="livemax",
)
# Labelled, so that neither series exists before the first check (an unlabelled gauge would
# report 0, "not ready", from every freshly started process).
app_ready = Gauge(
    "app_ready",
    "1 when the latest readiness check passed, 0 when it failed.",
    ["check"],
    multiprocess_mode="mostrecent",
)
app_ready_checked_timestamp_seconds = Gauge(
    "app_ready_checked_timestamp_seconds",
    "Unix time of the latest readiness check.",
    ["check"],
    multiprocess_mode="max",
)
READINESS_CHECK = "database"
SEARCHES = ("substructure", "substructure_count", "highlight")
REFUSALS = ("query_too_complex", "busy")
app_search_refused = Counter(
    "app_search_refused",
    "Expensive searches refused before matching (cost analysis or busy scan slots).",
    ["search", "reason"],
)
app_search_truncated = Counter(
    "app_search_truncated",
    "Searches stopped at their match deadline (partial results returned).",
    ["search"],
)
_MEMORY_REFRESH_S = 1.0


class ProcessResourceCollector:
    """Reports RSS and CPU usage of the current process, sampled at scrape time."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._pid = -1
        self._proc: psutil.Process | None = None
        self._last_rss_at = float("-inf")

    def _process(self) -> psutil.Process:
        # Re-bind after fork (gunicorn --preload imports us in the master).
        if self._proc is None or self._pid != os.getpid():
            self._pid = os.getpid()
            self._proc = psutil.Process(self._pid)
            self._last_rss_at = float("-inf")
            self._proc.cpu_percent(interval=None)  # primes the CPU baseline
        return self._proc

    @staticmethod
    def _families(rss: float | None = None, cpu: float | None = None) -> list[Metric]:
        return [
            GaugeMetricFamily("app_memory_usage_bytes", "Resident set size in bytes.", rss),
            GaugeMetricFamily("app_cpu_usage_percent", "CPU percent since last scrape.", cpu),
        ]

    def describe(self) -> list[Metric]:
        """Declares the series names without sampling."""
        return self._families()

    def collect(self) -> list[Metric]:
        """Samples the process and returns the two gauges."""
        with self._lock:
            proc = self._process()
            with proc.oneshot():
                return self._families(proc.memory_info().rss, proc.cpu_percent(interval=None))

    def refresh_worker_memory(self, *, force: bool = False) -> None:
        """Publishes this process's RSS to ``app_worker_memory_max_bytes``.

        Args:
            force: refresh even if the last refresh was less than a second ago.
        """
        now = time.monotonic()
        if not force and now - self._last_rss_at < _MEMORY_REFRESH_S:
            return
        with self._lock:
            rss = self._process().memory_info().rss
            self._last_rss_at = now
        app_worker_memory_max_bytes.set(rss)


_resource_collector = ProcessResourceCollector()
REGISTRY.register(_resource_collector)

_EMBEDDED_KEY = "cryoprotect.metrics.embedded_db"


class EmbeddedDatabaseCollector:
    """The embedded server watchdog's restarts and up/down, from the app answering the scrape."""

    def describe(self) -> list[Metric]:
        """Declares nothing up front: the series exist only for a supervised server."""
        return []

    def collect(self) -> list[Metric]:
        """Reads the watchdog's state through the current app's registered reader."""
        read_state = (
            flask.current_app.extensions.get(_EMBEDDED_KEY) if flask.has_app_context() else None
        )
        state = read_state() if read_state is not None else None
        if state is None:
            return []
        return [
            CounterMetricFamily(
                "cryoprotect_embedded_db_restarts",
                "Restarts of a dead embedded PostgreSQL postmaster by its watchdog.",
                value=state.restarts,
            ),
            GaugeMetricFamily(
                "cryoprotect_embedded_db_up",
                "1 when the watchdog's latest check found the embedded postmaster alive.",
                value=1 if state.up else 0,
            ),
        ]


_embedded_collector = EmbeddedDatabaseCollector()
REGISTRY.register(_embedded_collector)

_EXT_KEY = "cryoprotect.metrics"
_START_ATTR = "_metrics_start"
_DONE_ATTR = "_metrics_done"
_CONN_KEY = "cryoprotect.metrics.query_starts"
# Possessive repetition: skipping whitespace, comments and "(" never backtracks.
_FIRST_KEYWORD = re.compile(r"(?:\s|--[^\n]*|/\*.*?\*/|\()*+([A-Za-z]+)", re.S)


def _route_template() -> str:
    rule = flask.request.url_rule
    return rule.rule if rule is not None else UNMATCHED


def _record_request(status: int) -> None:
    rule = flask.request.url_rule
    if flask.g.get(_DONE_ATTR) or (rule is not None and rule.endpoint == "metrics"):
        return
    setattr(flask.g, _DONE_ATTR, True)
    method, endpoint = flask.request.method, _route_template()
    app_request_count.labels(method, endpoint, str(status)).inc()
    start = flask.g.get(_START_ATTR)
    if start is not None:
        app_request_latency_seconds.labels(method, endpoint).observe(time.perf_counter() - start)


def _exposition() -> bytes:
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        registry.register(_resource_collector)
        registry.register(_embedded_collector)
        return generate_latest(registry)
    return generate_latest(REGISTRY)


def init_app(app: flask.Flask) -> None:
    """Instruments a Flask app and adds the ``GET /metrics`` route (view name ``metrics``).

    Safe to call for many apps in one process; a second call on the same app is a no-op.

    Args:
        app: the application to instrument.
    """
    if not first_install(app, _EXT_KEY):
        return

    def start_timer() -> None:
        setattr(flask.g, _START_ATTR, time.perf_counter())

    def count_response(response: flask.Response) -> flask.Response:
        _record_request(response.status_code)
        _resource_collector.refresh_worker_memory()
        return response

    def count_unhandled(exc: BaseException | None) -> None:
        # Only reached without a response when the exception propagates (TESTING mode).
        if exc is not None:
            _record_request(500)

    def metrics() -> flask.Response:
        _resource_collector.refresh_worker_memory(force=True)
        return flask.Response(_exposition(), content_type=CONTENT_TYPE_LATEST)

    # First in line, so early returns from other before_request hooks are still timed.
    app.before_request_funcs.setdefault(None, []).insert(0, start_timer)
    app.after_request(count_response)
    app.teardown_request(count_unhandled)
    app.add_url_rule("/metrics", endpoint="metrics", view_func=metrics, methods=["GET"])


def watch_embedded_database(app: flask.Flask, read_state: Callable[[], Any]) -> None:
    """Exports the embedded server watchdog's state on ``app``'s ``/metrics``.

    Args:
        app: the application.
        read_state: returns the watchdog's latest state (with ``restarts`` and ``up``), or
            None when nothing supervises the database.
    """
    app.extensions[_EMBEDDED_KEY] = read_state


def record_error(error_type: str, endpoint: str | None = None) -> None:
    """Increments ``app_error_count_total``.

    Args:
        error_type: short category, e.g. ``"validation"``, ``"database"``.
        endpoint: route template; defaults to the current request's route, else ``"<none>"``.
    """
    if endpoint is None:
        endpoint = _route_template() if flask.has_request_context() else NO_ENDPOINT
    app_error_count.labels(error_type, endpoint).inc()


def record_readiness(ready: bool) -> None:
    """Sets ``app_ready`` (1/0) and ``app_ready_checked_timestamp_seconds`` (now).

    Args:
        ready: whether the readiness check just made passed.
    """
    app_ready.labels(READINESS_CHECK).set(1 if ready else 0)
    app_ready_checked_timestamp_seconds.labels(READINESS_CHECK).set(time.time())


def record_search_refused(search: str, reason: str) -> None:
    """Increments ``app_search_refused_total``.

    Args:
        search: one of ``SEARCHES``.
        reason: one of ``REFUSALS``.
    """
    if search not in SEARCHES or reason not in REFUSALS:
        raise ValueError(f"unknown search {search!r} or refusal {reason!r}")
    app_search_refused.labels(search, reason).inc()


def record_search_truncated(search: str) -> None:
    """Increments ``app_search_truncated_total``.

    Args:
        search: one of ``SEARCHES``.
    """
    if search not in SEARCHES:
        raise ValueError(f"unknown search {search!r}")
    app_search_truncated.labels(search).inc()


def query_type(statement: str) -> str:
    """Returns the ``QUERY_TYPES`` entry for ``statement``'s first keyword (WITH -> SELECT)."""
    match = _FIRST_KEYWORD.match(statement)
    keyword = match.group(1).upper() if match else ""
    if keyword == "WITH":
        return "SELECT"
    return keyword if keyword in QUERY_TYPES else "OTHER"


def _before_cursor_execute(conn: Any, cursor: Any, statement: str, *_: Any) -> None:
    kind = query_type(statement)
    app_db_query_count.labels(kind).inc()
    conn.info.setdefault(_CONN_KEY, {})[id(cursor)] = (kind, time.perf_counter())


def _after_cursor_execute(conn: Any, cursor: Any, *_: Any) -> None:
    entry = conn.info.get(_CONN_KEY, {}).pop(id(cursor), None)
    if entry is not None:
        app_db_query_latency_seconds.labels(entry[0]).observe(time.perf_counter() - entry[1])


def _handle_error(ctx: Any) -> None:
    # A failed pre-ping is recovered transparently by the pool: not an application error.
    if ctx.is_pre_ping:
        return
    cursor = getattr(ctx.execution_context, "cursor", None)
    if ctx.connection is not None and cursor is not None:
        ctx.connection.info.get(_CONN_KEY, {}).pop(id(cursor), None)
    record_error("database")


_LISTENERS = (
    ("before_cursor_execute", _before_cursor_execute),
    ("after_cursor_execute", _after_cursor_execute),
    ("handle_error", _handle_error),
)


def instrument_engine(engine: Engine) -> None:
    """Counts and times every statement run on ``engine``; idempotent per engine.

    Args:
        engine: the SQLAlchemy engine to instrument.
    """
    for name, listener in _LISTENERS:
        if not event.contains(engine, name, listener):
            event.listen(engine, name, listener)
