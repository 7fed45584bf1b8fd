"""Where the PostgreSQL client tools come from and how they are run, and the libpq
connection string (password in the environment, never on a command line)."""

from __future__ import annotations

import logging
import os
import shutil
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.engine import URL

from cryoprotect.db.embedded import bin_path
from cryoprotect.errors import BackupError

logger = logging.getLogger(__name__)


# --------------------------------------------------------------------------- tools
@dataclass(frozen=True)
class PgTools:
    """Where ``pg_dump``, ``pg_restore`` and ``psql`` come from.

    Attributes:
        bin_dir: a directory holding them; None looks each one up on ``PATH``.
    """

    bin_dir: Path | None

    @classmethod
    def embedded(cls) -> PgTools:
        """The binaries shipped in the pgserver wheel (the embedded server's own)."""
        return cls(bin_path())

    @classmethod
    def from_option(cls, value: str | None) -> PgTools:
        """``None`` = the embedded server's binaries, ``"PATH"`` = look up on PATH, else a dir."""
        if value is None:
            return cls.embedded()
        if value == "PATH":
            return cls(None)
        return cls(Path(value).expanduser())

    def executable(self, name: str) -> str:
        """The path of tool ``name``.

        Raises:
            BackupError: the tool is not there (or not executable).
        """
        if self.bin_dir is None:
            found = shutil.which(name)
            if found is None:
                raise BackupError(
                    f"{name} was not found on PATH. Install the PostgreSQL client tools, or "
                    "omit --pg-bin to use the binaries shipped with the embedded server.",
                    details={"tool": name},
                )
            return found
        candidate = self.bin_dir / name
        if not (candidate.is_file() and os.access(candidate, os.X_OK)):
            raise BackupError(
                f"{name} was not found in {self.bin_dir}. Pass --pg-bin with the directory "
                "holding the PostgreSQL client tools (or --pg-bin PATH to use those on PATH).",
                details={"tool": name, "bin_dir": str(self.bin_dir)},
            )
        return str(candidate)

    def version(self, name: str) -> str:
        """The tool's ``--version`` line, e.g. ``pg_dump (PostgreSQL) 16.2``."""
        return self.run(name, ["--version"]).stdout.strip()

    def run(
        self,
        name: str,
        args: Sequence[str],
        *,
        env: dict[str, str] | None = None,
        what: str | None = None,
    ) -> subprocess.CompletedProcess[str]:
        """Run a tool; a non-zero exit becomes :class:`BackupError` with its stderr.

        Args:
            name: ``pg_dump``, ``pg_restore`` or ``psql``.
            args: its arguments.
            env: extra environment variables (``PGPASSWORD``, ``PGAPPNAME``).
            what: what the step was doing, for the error message.
        """
        argv = [self.executable(name), *args]
        proc = subprocess.run(  # noqa: S603 - our tool path, arguments built here
            argv,
            capture_output=True,
            text=True,
            check=False,
            env={**os.environ, **(env or {})},
            cwd="/",
        )
        if proc.returncode != 0:
            stderr = proc.stderr.strip()[-3000:]
            raise BackupError(
                f"{what or name} failed ({name} exited with {proc.returncode}): {stderr}",
                details={"tool": name, "exit_code": proc.returncode},
            )
        return proc


def libpq_env(url: URL) -> tuple[str, dict[str, str]]:
    """A libpq connection URI without the password, and the environment carrying it.

    The password goes in ``PGPASSWORD`` so that it never appears in a process list.
    """
    bare = URL.create(
        "postgresql",
        username=url.username,
        host=url.host,
        port=url.port,
        database=url.database,
        query=url.query,
    )
    env = {"PGAPPNAME": "cryoprotect-backup"}
    if url.password:
        env["PGPASSWORD"] = str(url.password)
    return bare.render_as_string(hide_password=False), env


def quote_ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def qualified_name(table: str) -> str:
    schema, _, name = table.partition(".")
    return f"{quote_ident(schema)}.{quote_ident(name)}"
