"""Who may connect to the embedded server: ``pg_hba.conf`` (the Unix socket only, peer
authentication) and ``pg_ident.conf`` (CryoProtect's OS users → CryoProtect's roles)."""

from __future__ import annotations

from collections.abc import Iterable

from cryoprotect.errors import EmbeddedServerError

IDENT_MAP = "cryoprotect"
_MANAGED = "# Managed by CryoProtect (cryoprotect.db.embedded): rewritten at every start.\n"


def _quoted(name: str) -> str:
    """``name`` as a pg_hba/pg_ident token taken literally (never a keyword or a regex)."""
    if not name or any(c in name for c in '"\n\r\t #'):
        raise EmbeddedServerError(f"{name!r} cannot be written to pg_ident.conf")
    return f'"{name}"'


def pg_hba_conf() -> str:
    """``pg_hba.conf`` of the embedded cluster: the Unix socket only, by OS user (peer)."""
    return (
        _MANAGED
        + "# Unix-socket connections only, authenticated by the connecting process's OS user\n"
        + f'# through the "{IDENT_MAP}" map in pg_ident.conf. The server opens no TCP port.\n'
        + "# TYPE  DATABASE  USER  ADDRESS    METHOD\n"
        + f"local   all       all              peer map={IDENT_MAP}\n"
        + "host    all       all   0.0.0.0/0  reject\n"
        + "host    all       all   ::/0       reject\n"
    )


def pg_ident_conf(os_users: Iterable[str], roles: Iterable[str]) -> str:
    """``pg_ident.conf``: each of ``os_users`` may log in as each of ``roles``, nobody else."""
    lines = [_MANAGED, "# MAPNAME  SYSTEM-USERNAME  PG-USERNAME\n"]
    for os_user in dict.fromkeys(os_users):
        for role in dict.fromkeys(roles):
            lines.append(f"{IDENT_MAP}  {_quoted(os_user)}  {_quoted(role)}\n")
    return "".join(lines)
