"""Pointer for ``gunicorn -c deploy/gunicorn.conf.py``: the configuration itself ships inside the
package, as ``cryoprotect.ops.gunicorn_conf`` (``gunicorn -c python:cryoprotect.ops.gunicorn_conf``,
which is what ``cryoprotect serve --prod`` runs), so an installed copy needs no repository."""

from cryoprotect.ops.gunicorn_conf import *  # noqa: F403
