"""Files in and out of the API: the answer of every endpoint that sends a file to be saved
(exports, archives, templates), and the operations that import one uploaded file."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import marshmallow as ma
from flask import Response
from flask_smorest import Blueprint

from cryoprotect.api.common import (
    NOT_CREATABLE,
    Errors,
    View,
    alt_responses,
    multipart_arguments,
    signed_in,
)


def attachment(
    content: bytes | str, media_type: str, filename: str, *, cache_control: str | None = None
) -> Response:
    """``content`` as ``media_type`` (text types labelled UTF-8, as Flask does), to be saved
    as ``filename`` (``Content-Disposition: attachment``), with ``Cache-Control`` if given."""
    headers = {"Content-Disposition": f'attachment; filename="{filename}"'}
    if cache_control is not None:
        headers["Cache-Control"] = cache_control
    return Response(content, mimetype=media_type, headers=headers)


def imports(
    blp: Blueprint,
    form: type[ma.Schema],
    files: type[ma.Schema],
    schema: Any,
    errors: Errors,
) -> Callable[[View], View]:
    """A signed-in import of an uploaded file into the scope the caller names: the multipart
    body (``form`` fields, ``files``; see :func:`multipart_arguments`), ``schema`` answered
    with 201, a 403 for a scope the caller may not create rows in, and the other ``errors``."""

    def decorate(view: View) -> View:
        answered = blp.response(201, schema)(
            alt_responses(blp, view, {403: NOT_CREATABLE, **errors})
        )
        return signed_in(blp)(multipart_arguments(blp, form, files)(answered))

    return decorate
