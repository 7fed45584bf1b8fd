"""``cryoprotect serve``: the development server or gunicorn, with the database it needs."""

from __future__ import annotations

import logging
import sys

import click

from cryoprotect.cli.common import load_settings, prepare_database
from cryoprotect.cli.root import main
from cryoprotect.db.database import Database


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Interface to listen on.")
@click.option("--port", default=5000, show_default=True, type=int, help="TCP port.")
@click.option(
    "--prod",
    is_flag=True,
    help="Serve with gunicorn (cryoprotect.ops.gunicorn_conf: CRYOPROTECT_WEB_WORKERS x "
    "CRYOPROTECT_WEB_THREADS, graceful stop on SIGTERM, multiprocess metrics) instead of the "
    "development server.",
)
def serve(host: str, port: int, prod: bool) -> None:
    """Serve the app, initialising or upgrading the data directory first."""
    settings = load_settings()
    db = prepare_database(settings, attach=False)
    db.supervise()  # this process owns the embedded server: restart it if it dies
    where = (
        "embedded PostgreSQL in " + str(settings.home)
        if settings.embedded
        else "external PostgreSQL"
    )
    if prod:
        _serve_prod(db, host, port, where)
        return
    from cryoprotect.app import create_app

    jobs = None
    try:
        app = create_app(settings, db)
        jobs = app.extensions["cryoprotect"].jobs
        # SIGTERM: cancel running jobs (bounded) before the embedded server's handler stops
        # the database and exits.
        jobs.stop_jobs_on_sigterm()
        app.extensions["cryoprotect"].molecules.index.ensure_loaded()  # warm search indexes
        # Our access log (JSON, with request ids) replaces the development server's own.
        logging.getLogger("werkzeug").setLevel(logging.WARNING)
        click.echo(
            f"CryoProtect is running on http://{host}:{port} (database: {where}). Ctrl+C stops it."
        )
        app.run(host=host, port=port, threaded=True, use_reloader=False)
    finally:
        if jobs is not None:
            jobs.shutdown()  # Ctrl+C and other exits: jobs end before the database stops
        db.stop()


def _serve_prod(db: Database, host: str, port: int, where: str) -> None:
    """Run gunicorn as a child while this process keeps (and finally stops) the database."""
    from cryoprotect.ops.serving import run_gunicorn

    # Workers open their own connections; close ours (the embedded server keeps running).
    db.owner_engine.dispose()
    db.app_engine.dispose()
    settings = db.settings
    try:
        status = run_gunicorn(
            host,
            port,
            on_started=lambda pid: click.echo(
                f"CryoProtect (gunicorn pid {pid}, {settings.web_workers} worker(s) x "
                f"{settings.web_threads} threads) is starting on http://{host}:{port} "
                f"(database: {where}). SIGTERM or Ctrl+C stops it gracefully."
            ),
        )
    finally:
        db.stop()
    sys.exit(status)
