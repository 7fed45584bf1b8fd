"""The ``cryoprotect`` command. It parses arguments and calls the layers below; nothing more.

One module per command group, each registering its commands on :data:`main` (the
``cryoprotect`` entry point, ``cryoprotect.cli:main``):

- :mod:`.root`: the group itself; :mod:`.common`: settings, :func:`open_database` and the
  one error boundary (a ``CryoprotectError`` becomes ``error: …`` and exit code 1);
- :mod:`.serve`: ``serve``; :mod:`.database`: ``db …``; :mod:`.library`: ``import``,
  ``screen``; :mod:`.params`: ``params …``; :mod:`.models`: ``models …``;
  :mod:`.users`: ``users …``; :mod:`.flags`: ``flags …``; :mod:`.backup`: ``backup …``;
  :mod:`.index`: ``index …``; :mod:`.alerts`: ``alerts …``.
"""

from cryoprotect.cli.alerts import alerts  # noqa: F401  (registers `cryoprotect alerts`)
from cryoprotect.cli.backup import (
    backup,
    backup_create,
    backup_list,
    backup_prune,
    backup_restore,
    backup_verify,
)
from cryoprotect.cli.common import fail, load_settings, open_database, prepare_database
from cryoprotect.cli.database import (
    db,
    db_current,
    db_downgrade,
    db_health,
    db_upgrade,
    db_verify_rls,
)
from cryoprotect.cli.flags import flags, flags_list, flags_override, flags_set
from cryoprotect.cli.index import index  # noqa: F401  (registers `cryoprotect index`)
from cryoprotect.cli.library import import_file, screen
from cryoprotect.cli.models import models, models_train
from cryoprotect.cli.params import params, params_fit, params_reference
from cryoprotect.cli.root import main
from cryoprotect.cli.serve import serve
from cryoprotect.cli.users import users, users_create_admin

__all__ = [
    "backup",
    "backup_create",
    "backup_list",
    "backup_prune",
    "backup_restore",
    "backup_verify",
    "db",
    "db_current",
    "db_downgrade",
    "db_health",
    "db_upgrade",
    "db_verify_rls",
    "fail",
    "flags",
    "flags_list",
    "flags_override",
    "flags_set",
    "import_file",
    "load_settings",
    "main",
    "models",
    "models_train",
    "open_database",
    "params",
    "params_fit",
    "params_reference",
    "prepare_database",
    "screen",
    "serve",
    "users",
    "users_create_admin",
]
