"""A bound on how deeply a JSON request body may nest, checked before any parser runs.

Python's ``json`` module (used by webargs and by Flask's ``request.get_json``) recurses
once per nesting level, so a body of 100,000 ``[`` raised ``RecursionError`` deep inside
request parsing: a 500 instead of a client error. No request schema of this API nests
more than a few levels, so every JSON body (``application/json`` or ``application/*+json``)
nested deeper than :data:`MAX_JSON_DEPTH` arrays/objects is refused with 400
``bad_request`` (``details: {"field": "body", "max_depth": …}``) before it is parsed.

The check is a linear scan in C (a regex drops string literals, ``bytes.translate`` keeps
the brackets, numpy takes the running depth), a few milliseconds for the largest body the
size limit admits, and nothing at all for the usual body with few brackets.
"""

from __future__ import annotations

import re
from typing import Any

import flask
import numpy as np

from cryoprotect.api.errors import error_response

MAX_JSON_DEPTH = 64
"""Deepest nesting of arrays and objects accepted in a JSON request body."""

# A string literal with its escapes; the closing quote is optional so that an unterminated
# string ends the scan in one linear pass (possessive: never backtracks).
_STRING = re.compile(rb'"(?:[^"\\]++|\\.)*+"?', re.S)
_NOT_BRACKETS = bytes(b for b in range(256) if b not in b"[]{}")
_OPEN = (ord("["), ord("{"))


def json_depth_exceeds(body: bytes, limit: int = MAX_JSON_DEPTH) -> bool:
    """True when the arrays/objects of ``body`` nest deeper than ``limit`` levels.

    Brackets inside string literals do not count. The scan does not validate the JSON:
    a malformed body is left to the parser, except that unbalanced opening brackets count
    as nesting (they would make the parser recurse just the same).
    """
    brackets = _STRING.sub(b"", body).translate(None, _NOT_BRACKETS)
    opens = brackets.count(b"[") + brackets.count(b"{")
    if opens <= limit:
        return False
    codes = np.frombuffer(brackets, dtype=np.uint8)
    steps = np.where((codes == _OPEN[0]) | (codes == _OPEN[1]), 1, -1).astype(np.int32)
    return int(np.cumsum(steps).max()) > limit


def _refuse_deep_json() -> Any:
    if not flask.request.is_json:
        return None
    body = flask.request.get_data(cache=True)  # cached: webargs parses these bytes later
    if not body or not json_depth_exceeds(body):
        return None
    return error_response(
        400,
        f"The request body nests arrays/objects deeper than {MAX_JSON_DEPTH} levels.",
        details={"field": "body", "max_depth": MAX_JSON_DEPTH},
    )


def init_app(app: flask.Flask) -> None:
    """Refuse over-deep JSON bodies on every route of ``app`` (before the view parses them)."""
    app.before_request(_refuse_deep_json)
