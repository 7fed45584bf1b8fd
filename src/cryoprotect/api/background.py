"""Bulk API work that runs in the request when small and as a background job when large.

An upload of up to ``CRYOPROTECT_MAX_CONTENT_LENGTH`` (2 MB) can hold 50,000 rows, which
held one request thread for 45 s. Imports of at most ``CRYOPROTECT_IMPORT_SYNC_ROWS`` rows
(500) still answer 200 with their report; larger ones answer 202 with the job
(``JobSchema``), whose ``result`` is the same report once it is ``done``
(``GET /api/v1/jobs/{id}``). The work itself is the same call either way, so its
transactions (and the atomic mode of experiment imports) are exactly those of a small
import.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from typing import Any

import marshmallow as ma
from flask import Response, jsonify
from flask_smorest import Blueprint

from cryoprotect.api.common import (
    NOT_CREATABLE,
    Errors,
    View,
    alt_responses,
    current_actor,
    multipart_arguments,
    services,
    signed_in,
)


def csv_rows(content: bytes) -> int:
    """Data rows (records after the header) of a CSV upload; 0 if it is not UTF-8 text.

    A file that cannot be read is left to the import itself, which reports why in the
    request.
    """
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        return 0
    try:
        return max(0, sum(1 for _ in csv.reader(io.StringIO(text))) - 1)
    except csv.Error:
        return 0


def run_sized(
    kind: str, rows: int, work: Callable[[], dict[str, Any]], job_schema: Any
) -> dict[str, Any] | Response:
    """Run ``work`` now when ``rows`` is within the synchronous limit, else as a job.

    Args:
        kind: the job's kind (``molecule_import``, ``experiment_import``).
        rows: the size of the work, in input rows.
        work: returns the JSON-ready report (the view's 200 body).
        job_schema: dumps the job for the 202 answer.

    Returns:
        The report (the view's response schema dumps it), or a 202 response with the job.
    """
    svc = services()
    if rows <= svc.settings.import_sync_rows:
        return work()
    job = svc.jobs.submit(current_actor(), kind, work)
    response = jsonify(job_schema.dump(job))
    response.status_code = 202
    response.headers["Location"] = f"/api/v1/jobs/{job.id}"
    return response


def imports(
    blp: Blueprint,
    form: type[ma.Schema],
    files: type[ma.Schema],
    report: type[ma.Schema],
    job_schema: type[ma.Schema],
    *,
    job: str = "",
    errors: Errors | None = None,
) -> Callable[[View], View]:
    """A signed-in import of an uploaded file (``form`` fields and ``files``, see
    :func:`multipart_arguments`) that answers through :func:`run_sized`: the ``report`` (200),
    or for a large file the job that makes it (202, ``job_schema``; ``job`` adds how the job
    imports); documents the 403 for a team the caller may not create in and ``errors``."""
    description = (
        "More rows than CRYOPROTECT_IMPORT_SYNC_ROWS: imported by a background "
        f"job{job}; poll /api/v1/jobs/{{id}}, whose result is the report"
    )

    def decorate(view: View) -> View:
        documented = alt_responses(blp, view, {403: NOT_CREATABLE, **(errors or {})})
        documented = blp.alt_response(202, schema=job_schema, description=description)(documented)
        answered = blp.response(200, report)(documented)
        return signed_in(blp)(multipart_arguments(blp, form, files)(answered))

    return decorate
