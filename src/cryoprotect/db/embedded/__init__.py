"""The embedded PostgreSQL server (the default database).

Uses the PostgreSQL binaries shipped in the ``pgserver`` wheel, but manages the server's
lifecycle here, because pgserver's own handle keeps its lock and sockets in a shared
runtime directory and does not always stop the server at exit:

* the cluster lives in ``<home>/pgdata``; its Unix socket and our lock file live under
  ``<home>/run`` (falling back to a short per-home directory in the system temp dir only
  when that path is too long for a Unix socket);
* one process at a time *owns* a data directory: it holds an exclusive ``flock`` on
  ``<home>/run/server.lock`` and stops the server when it exits (atexit and SIGTERM).
  A second owner gets :class:`EmbeddedServerError` naming the pid that holds it; a
  non-owning client (``attach=True``, e.g. ``cryoprotect db health`` beside a running
  ``serve``) connects to the running server without stopping it;
* when run as root, PostgreSQL refuses to run as root, so (as pgserver does) the server
  runs as a ``pgserver`` system user that owns the data directory.

Who can connect. The server listens on its Unix socket only (no TCP port). The socket
directory is mode 0700 and owned by the server's OS user (root, which bypasses file
permissions, can still reach it); a fallback directory in the system temp dir that exists
but belongs to another user, or is not a plain directory, is refused. Authentication is
``peer`` with the map in ``pg_ident.conf``: exactly the OS user running CryoProtect and the
server's own OS user may log in, and only as the roles CryoProtect uses (the superuser,
the migration owner and the app role). Both files are rewritten by every owner at start,
so a cluster initialised by an older version with ``trust`` is upgraded in place (reloaded
when the owner adopts a running server). Any other local account is refused at the socket
directory and, failing that, by authentication.

Supervision. :meth:`EmbeddedPostgres.supervise` (called by ``cryoprotect serve``, the owner)
starts a watchdog thread that notices a postmaster that has died (``kill -9``, the OOM
killer) and starts it again with exponential backoff; PostgreSQL's crash recovery replays
the WAL, so committed transactions survive. The watchdog publishes its state to
``<home>/run/supervisor.json`` (:class:`SupervisorState`), which every process serving the
app (gunicorn workers included) reads for ``/health`` and ``/metrics``.

Modules: :mod:`.server` (lifecycle, lock, permissions), :mod:`.supervision` (watchdog and
its published state), :mod:`.auth_config` (pg_hba/pg_ident), :mod:`.os_access` (the
pgserver binaries, the system user, file permissions).
"""

from cryoprotect.db.embedded.auth_config import IDENT_MAP, pg_hba_conf, pg_ident_conf
from cryoprotect.db.embedded.os_access import bin_path
from cryoprotect.db.embedded.server import (
    DEFAULT_ROLES,
    SUPERUSER,
    SYSTEM_USER,
    EmbeddedPostgres,
)
from cryoprotect.db.embedded.supervision import SupervisorState

__all__ = [
    "DEFAULT_ROLES",
    "IDENT_MAP",
    "SUPERUSER",
    "SYSTEM_USER",
    "EmbeddedPostgres",
    "SupervisorState",
    "bin_path",
    "pg_hba_conf",
    "pg_ident_conf",
]
