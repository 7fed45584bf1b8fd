"""The server's binaries and OS accounts: where the PostgreSQL build inside the pgserver
wheel lives, the system user that runs it when CryoProtect runs as root, and the file
permissions that let that user read the build and reach the data directory."""

from __future__ import annotations

import importlib.util
import os
import subprocess
from pathlib import Path

from cryoprotect.errors import EmbeddedServerError


def bin_path() -> Path:
    """The ``bin`` directory of the PostgreSQL build inside the pgserver wheel.

    Located without importing ``pgserver``: its import creates a lock file in a shared
    runtime directory at class-definition time, which is exactly what we avoid.
    """
    spec = importlib.util.find_spec("pgserver")
    if spec is None or not spec.submodule_search_locations:
        raise EmbeddedServerError("the pgserver package is not installed")
    return Path(next(iter(spec.submodule_search_locations))) / "pginstall" / "bin"


def ensure_system_user(name: str) -> tuple[int, int]:
    """Create the unprivileged system user that runs PostgreSQL when we are root."""
    import pwd

    try:
        entry = pwd.getpwnam(name)
    except KeyError:
        subprocess.run(  # noqa: S603 - fixed command
            # useradd is resolved on PATH like any system tool.
            ["useradd", "--system", "--no-create-home", "-s", "/usr/sbin/nologin", name],  # noqa: S607
            check=True,
            capture_output=True,
            text=True,
        )
        entry = pwd.getpwnam(name)
    return entry.pw_uid, entry.pw_gid


def os_user_name(uid: int) -> str:
    """The user name of ``uid``: what peer authentication sees for a process running as it."""
    import pwd

    try:
        return pwd.getpwuid(uid).pw_name
    except KeyError as exc:
        raise EmbeddedServerError(
            f"The embedded PostgreSQL authenticates local connections by OS user name (peer), "
            f"but uid {uid} has no user name (no /etc/passwd entry). Run CryoProtect as a "
            "named user, or use an external PostgreSQL (DATABASE_URL).",
            details={"uid": uid},
        ) from exc


def allow_traverse(path: Path) -> None:
    """Let other users traverse (not list) every directory from ``path`` up to ``/``."""
    for directory in [path, *path.parents]:
        mode = directory.stat().st_mode
        if mode & 0o011 != 0o011:
            directory.chmod(mode | 0o011)


def allow_read_tree(root: Path) -> None:
    """Make a directory tree readable (and its executables runnable) by other users."""
    for directory, _dirs, files in os.walk(root):
        d = Path(directory)
        d.chmod(d.stat().st_mode | 0o055)
        for name in files:
            f = d / name
            if not f.is_symlink():
                f.chmod(
                    f.stat().st_mode
                    | 0o044
                    | ((f.stat().st_mode & 0o100) >> 3)
                    | ((f.stat().st_mode & 0o100) >> 6)
                )


def running_as_root() -> bool:
    return hasattr(os, "geteuid") and os.geteuid() == 0
