"""Backups of the CryoProtect database: create, list, verify, restore and prune.

It owns the backup format and every step that reads or writes it; ``cryoprotect backup``
only parses arguments and calls the functions here. Modules, by job: :mod:`.archive`
(the format on disk), :mod:`.catalog` (finding backups), :mod:`.tools` (the PostgreSQL
client tools), :mod:`.checksums` (table states), :mod:`.create`, :mod:`.verify`,
:mod:`.restore` with :mod:`.target` (checks on the target, load order), :mod:`.prune`
(rotation).

**Format.** A backup is one directory ``<backup_dir>/<name>/`` holding ``cryoprotect.dump``
(``pg_dump --format=custom``, compressed) and ``metadata.json``: creation time, app
version, Alembic revision, PostgreSQL server and pg_dump versions, the app role the dump
grants privileges to, the dump's SHA-256 and size, and the row count and content checksum
of every table. The directory is assembled under a hidden ``.incomplete-*`` name and
renamed into place only when both files are complete and flushed, so a failed or
interrupted backup never leaves anything that looks like a backup.

**Consistency.** The row counts and checksums describe exactly the rows in the dump: one
``REPEATABLE READ`` transaction locks every table against DDL (``ACCESS SHARE``), exports
its snapshot, runs ``pg_dump --snapshot`` on it, then checksums the same snapshot.

**Checksums.** Per table, ``md5`` over the ordered concatenation of ``md5(row::text)``,
ordered by primary key, computed by the server with fixed output settings (UTC, ISO
dates, shortest-exact floats, hex bytea) and ``row_security = off`` (an error, rather than
a silently filtered sum, if the role could not read every row). A restore is verified
by recomputing them on the target, independently of the dump's bytes.

**Roles and RLS.** Roles are cluster objects, outside any dump. The restore connects as
the target's owner (migration) role, creates the app role if it is missing (as migration
0002 does: LOGIN, NOBYPASSRLS), and restores with ``--no-owner``, so every object is owned
by the owner role and the app role keeps only the grants recorded in the dump. The
policies are restored with their tables; :func:`cryoprotect.db.rls.verify_rls` must come
back clean before a restore is reported as done.

**Older revisions.** A backup from an older schema revision is verified at that revision,
then migrated forward to this code's head with Alembic (``Database.upgrade``).

**One transaction.** Every restore streams ``pg_restore --file=-`` into ``psql`` inside
one transaction, and COMMIT is sent only after pg_restore has read the whole archive and
psql has stopped on no error: a failed restore leaves the target as it was, including
the ``DROP OWNED`` with which ``clean`` empties a non-empty target.

**Partial restore** loads the data of chosen tables, plus the foreign-key parents (from
the metadata) that have rows in the backup and none in the target. Into an empty target
it restores the whole schema with only that data, in the archive's order (data before
constraints and triggers). Into a database at the backup's revision it loads only the
data, parents first, with the tables' own triggers disabled inside the transaction so
that the audit-log and team-creator triggers do not fire for restored rows (foreign keys
are still checked). Tables to be filled must be empty unless ``clean`` asks to TRUNCATE
them; PostgreSQL refuses to truncate a table that others reference unless those are
restored too, and tables referencing each other in a cycle cannot be restored alone.

**Rotation** (:func:`plan_prune`): keep the newest backup of each of the ``keep_daily``
most recent UTC days that have backups, and of each of the ``keep_weekly`` most recent
ISO weeks that have backups (days and weeks without backups do not count, so a stopped
schedule never ages every backup out); everything else is removed.
"""

from cryoprotect.ops.backup.archive import (
    ALEMBIC_TABLE,
    CHECKSUM_METHOD,
    DEFAULT_COMPRESSION,
    DUMP_FILE,
    FORMAT_VERSION,
    INCOMPLETE_PREFIX,
    LOCK_TIMEOUT,
    METADATA_FILE,
    NAME_PREFIX,
    Backup,
    read_backup,
)
from cryoprotect.ops.backup.catalog import (
    default_backup_dir,
    find_backup,
    format_size,
    list_backups,
)
from cryoprotect.ops.backup.checksums import (
    TableState,
    table_states,
)
from cryoprotect.ops.backup.create import (
    create_backup,
)
from cryoprotect.ops.backup.prune import (
    STALE_INCOMPLETE_AFTER,
    PrunePlan,
    plan_prune,
    prune_backups,
)
from cryoprotect.ops.backup.restore import (
    RestoreReport,
    restore_backup,
)
from cryoprotect.ops.backup.target import (
    dependency_order,
)
from cryoprotect.ops.backup.tools import (
    PgTools,
)
from cryoprotect.ops.backup.verify import (
    VerifyReport,
    verify_backup,
)

__all__ = [
    "ALEMBIC_TABLE",
    "Backup",
    "CHECKSUM_METHOD",
    "DEFAULT_COMPRESSION",
    "DUMP_FILE",
    "FORMAT_VERSION",
    "INCOMPLETE_PREFIX",
    "LOCK_TIMEOUT",
    "METADATA_FILE",
    "NAME_PREFIX",
    "PgTools",
    "PrunePlan",
    "RestoreReport",
    "STALE_INCOMPLETE_AFTER",
    "TableState",
    "VerifyReport",
    "create_backup",
    "default_backup_dir",
    "dependency_order",
    "find_backup",
    "format_size",
    "list_backups",
    "plan_prune",
    "prune_backups",
    "read_backup",
    "restore_backup",
    "table_states",
    "verify_backup",
]
