"""Gunicorn configuration for production serving (``cryoprotect serve --prod``).

Used as ``gunicorn -c python:cryoprotect.ops.gunicorn_conf -b HOST:PORT``: it names the app
(``wsgi_app``), so no application argument is needed. ``cryoprotect serve --prod`` runs
exactly that after migrating the database; run gunicorn yourself only against an external,
already migrated PostgreSQL (``DATABASE_URL``), since with the embedded server some process
must own the data directory for the whole run, and ``serve --prod`` is that process.

Choices, each from gunicorn's documentation of the setting:

* ``gthread`` workers (``CRYOPROTECT_WEB_WORKERS`` processes x ``CRYOPROTECT_WEB_THREADS``
  threads; defaults 2 x 8). Requests mostly wait on PostgreSQL, which threads overlap.
  Background jobs (``/api/v1/jobs``, model training) run in the worker that accepted them
  and keep their state in the database, so any worker answers a poll. ``worker_exit``
  cancels a leaving worker's jobs (bounded by ``CRYOPROTECT_JOB_SHUTDOWN_TIMEOUT_S``, well
  inside ``graceful_timeout``).
* ``preload_app = False``: each worker builds its own app, engines and connection pool after
  the fork, so no database connection or lock is ever shared between processes. The
  *libraries* are imported once in the master instead (``on_starting``: numpy, RDKit,
  scikit-learn and every module of the science core, the search indexes, the database
  layer and the services; not the app, the API or the metrics), and ``pre_fork`` freezes
  the garbage collector's view of them (``gc.freeze``), so every worker shares those pages
  copy-on-write: about 210 MiB of imported code and data per worker that each would
  otherwise hold privately (``benchmarks/million.py`` prints the sum of PSS per worker).
* ``graceful_timeout``: on SIGTERM workers stop accepting, finish in-flight requests for up
  to 30 s, and the master exits 0. ``timeout`` is generous because a worker's first
  heartbeat comes only after the app (RDKit, scikit-learn) is imported and built.
* Prometheus multiprocess mode: when ``PROMETHEUS_MULTIPROC_DIR`` is unset this module sets
  it to a fresh temporary directory (removed at exit) before any worker imports
  prometheus_client; ``on_starting`` clears stale files; ``child_exit`` marks dead workers.
* Logs: our JSON access log (``cryoprotect.access``, one line per request with request id,
  route, status and duration) replaces gunicorn's access log; gunicorn's own messages go
  through the same JSON handler on stderr.
* The request scheme comes only from werkzeug's ``ProxyFix`` when ``CRYOPROTECT_TRUST_PROXY``
  is set (``cryoprotect.ops.security``), so gunicorn's own ``X-Forwarded-Proto`` handling
  is switched off.
"""

from __future__ import annotations

import gc
import importlib
import os
import pkgutil
import shutil
import tempfile
from pathlib import Path
from typing import Any

from cryoprotect.settings import Settings

_settings = Settings.from_env()

# prometheus_client chooses its storage when it is first imported, and every worker
# inherits this environment: the variable must exist before any worker starts.
_OWNED_METRICS_DIR: Path | None = None
if _settings.metrics_multiproc_dir is None:
    _OWNED_METRICS_DIR = Path(tempfile.mkdtemp(prefix="cryoprotect-metrics-"))
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = str(_OWNED_METRICS_DIR)
METRICS_DIR = _OWNED_METRICS_DIR or _settings.metrics_multiproc_dir

wsgi_app = "cryoprotect.app:create_app()"
worker_class = "gthread"
workers = _settings.web_workers
threads = _settings.web_threads
preload_app = False
timeout = 120
graceful_timeout = 30
keepalive = 5
accesslog = None
errorlog = "-"
loglevel = _settings.log_level.lower()
secure_scheme_headers: dict[str, str] = {}
forwarded_allow_ips = ""
proc_name = "cryoprotect"
# The runtime control socket sits at one path per user ($XDG_RUNTIME_DIR or ~/.gunicorn), so
# two servers of one user would fight over it; signals (TERM, HUP, TTIN/TTOU) remain.
control_socket_disable = True
# gunicorn's loggers hand their records to the root logger, where on_starting (and, in each
# worker, create_app) installs our single JSON handler; gunicorn's access log is dropped.
logconfig_dict: dict[str, Any] = {
    "version": 1,
    "disable_existing_loggers": False,
    "root": {"level": _settings.log_level, "handlers": []},
    "loggers": {
        "gunicorn.error": {"level": _settings.log_level, "handlers": [], "propagate": True},
        "gunicorn.access": {"level": "CRITICAL", "handlers": [], "propagate": False},
    },
    "handlers": {},
    "formatters": {},
}


def reset_metrics_dir(path: Path) -> None:
    """Creates ``path`` if needed and deletes the metric files (``*.db``) of earlier runs."""
    path.mkdir(parents=True, exist_ok=True)
    for stale in path.glob("*.db"):
        stale.unlink(missing_ok=True)


# The hooks below run in the gunicorn master, which must not import cryoprotect.ops.metrics:
# declaring the metrics there would create metric files of its own.
def on_starting(server: Any) -> None:
    """Master, before the first fork: structured logging and an empty metrics directory."""
    from cryoprotect.ops import logging as ops_logging

    ops_logging.configure_logging(_settings.log_level, _settings.log_json)
    assert METRICS_DIR is not None
    reset_metrics_dir(METRICS_DIR)
    preload_libraries()


# Imported by the master so that workers share them; these never declare metrics, open
# connections or start threads at import (the app, the API and ops do some of that).
_NOT_IN_MASTER: tuple[str, ...] = tuple(
    f"cryoprotect.{name}" for name in ("api", "app", "cli", "ops", "web", "db.migrations")
)


def preload_libraries() -> list[str]:
    """Import every cryoprotect module outside ``_NOT_IN_MASTER`` (and so the libraries they
    use) in this process; returns their names."""
    import cryoprotect

    names = [
        info.name
        for info in pkgutil.walk_packages(cryoprotect.__path__, "cryoprotect.")
        if not info.name.startswith(_NOT_IN_MASTER)
    ]
    for name in names:
        importlib.import_module(name)
    return names


def pre_fork(server: Any, worker: Any) -> None:
    """Master, before each fork: move every object so far to the collector's permanent
    generation, so collections in the workers do not write to (and so copy) shared pages."""
    gc.freeze()


def post_worker_init(worker: Any) -> None:
    """Worker, app built: load the molecule search index before taking requests.

    The index also loads on first use, so a failure here (the database briefly unreachable)
    is logged and the worker starts anyway: gunicorn stops the whole server when a worker
    fails to boot.
    """
    try:
        worker.wsgi.extensions["cryoprotect"].molecules.index.ensure_loaded()
    except Exception:
        worker.log.warning("molecule index not preloaded; it loads on first use", exc_info=True)


def worker_exit(server: Any, worker: Any) -> None:
    """Worker, leaving (after SIGTERM's graceful stop, or SIGQUIT): cancel its background
    jobs and wait for them at most ``CRYOPROTECT_JOB_SHUTDOWN_TIMEOUT_S``, so training
    processes are terminated and the jobs end 'cancelled' instead of staying 'running'."""
    services = getattr(getattr(worker, "wsgi", None), "extensions", {}).get("cryoprotect")
    if services is not None:
        services.jobs.shutdown()


def child_exit(server: Any, worker: Any) -> None:
    """Master, a worker has exited: drop its live gauges (its counters keep counting)."""
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)


def on_exit(server: Any) -> None:
    """Master, shutting down: remove the metrics directory this module created."""
    if _OWNED_METRICS_DIR is not None:
        shutil.rmtree(_OWNED_METRICS_DIR, ignore_errors=True)
