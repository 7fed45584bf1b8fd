"""Installing an ops extension on a Flask app once (a second ``init_app`` is a no-op)."""

from __future__ import annotations

import flask


def first_install(app: flask.Flask, key: str) -> bool:
    """Whether ``key`` is installed on ``app`` for the first time; marks it installed.

    ``init_app`` functions start with ``if not first_install(app, KEY): return``, so that a
    second call on the same app adds no second set of hooks.
    """
    if key in app.extensions:
        return False
    app.extensions[key] = True
    return True
