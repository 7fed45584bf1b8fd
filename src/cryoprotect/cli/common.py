"""What every command shares: settings, the database context manager and the one error boundary.

A :class:`~cryoprotect.errors.CryoprotectError` escaping any command is turned into
``error: <message>`` on stderr and exit code 1 by :class:`CryoprotectGroup` (the
``cryoprotect`` group's class), so commands do not catch it themselves.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, NoReturn

import click

from cryoprotect.db.database import SYSTEM_USER_ID, Database, head_revision
from cryoprotect.errors import CryoprotectError
from cryoprotect.services.actor import Actor
from cryoprotect.settings import Settings

#: The kinds of path the commands take (as :class:`pathlib.Path` objects): a file (to
#: write, or to read when it must exist) and a directory.
FILE = click.Path(dir_okay=False, path_type=Path)
EXISTING_FILE = click.Path(exists=True, dir_okay=False, path_type=Path)
DIRECTORY = click.Path(file_okay=False, path_type=Path)


def load_settings() -> Settings:
    """The settings from the environment."""
    return Settings.from_env()


def fail(exc: CryoprotectError) -> NoReturn:
    """Print the error's message and exit with status 1."""
    click.echo(f"error: {exc.message}", err=True)
    sys.exit(1)


class CryoprotectGroup(click.Group):
    """A command group whose invocation is the CLI's one error boundary."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except CryoprotectError as exc:
            fail(exc)


def prepare_database(settings: Settings, *, attach: bool) -> Database:
    """Start (or attach to) the database, migrate it to head and load the reference data.

    Without ``attach`` (``serve``, both modes) it also ends the jobs an earlier server left
    running and fails the model versions they left ``training``
    (:func:`cryoprotect.services.jobs.recover_interrupted`).
    """
    db = Database(settings, attach=attach).start()
    try:
        if not db.at_head(as_owner=True):
            click.echo(f"Migrating the database to revision {head_revision()} …")
            db.upgrade()
        if settings.load_reference_data:
            from cryoprotect.services.reference_data import load_reference_data

            counts = load_reference_data(db)
            click.echo("Reference data: " + ", ".join(f"{n} {t}" for t, n in counts.items()))
        if not attach:
            from cryoprotect.services.jobs import recover_interrupted

            # With the embedded server we just started, no other process can be running jobs.
            exclusive = db.server is not None and db.server.owner
            recovered = recover_interrupted(db, exclusive=exclusive)
            if any(recovered.values()):
                click.echo(
                    f"Recovered interrupted work: {recovered['jobs']} job(s) ended, "
                    f"{recovered['models']} model version(s) marked failed."
                )
    except BaseException:
        db.stop()
        raise
    return db


@contextmanager
def open_database(
    settings: Settings | None = None, *, prepare: bool = False, attach: bool = True
) -> Iterator[Database]:
    """The database for one command, stopped (detached) when the block ends.

    Args:
        settings: default: :func:`load_settings`.
        prepare: migrate to head and load the reference data first (:func:`prepare_database`).
        attach: attach to a running embedded server rather than owning one.
    """
    settings = settings or load_settings()
    database = (
        prepare_database(settings, attach=attach)
        if prepare
        else Database(settings, attach=attach).start()
    )
    try:
        yield database
    finally:
        database.stop()


def system_actor(**flags: Any) -> Actor:
    """The shipped-data owner (the system account), e.g. ``is_admin=True, via="cli"``."""
    return Actor(user_id=SYSTEM_USER_ID, email="system@cryoprotect.invalid", **flags)
