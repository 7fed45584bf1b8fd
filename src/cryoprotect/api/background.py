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

from flask import Response, jsonify

from cryoprotect.api.common import current_actor, services


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
