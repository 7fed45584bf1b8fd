"""Structured logging: root-logger setup, request ids, and the per-request access log.

The module owns the single stderr handler on the root logger (JSON lines via
python-json-logger, or plain text), the filter that stamps every record with the current
``request_id``, and the Flask hooks that assign that id (``X-Request-ID`` in and out) and
write one line per request on the ``cryoprotect.access`` logger.
"""

from __future__ import annotations

import logging
import re
import sys
import time
import uuid

import flask
from pythonjsonlogger.json import JsonFormatter

from cryoprotect.ops.extensions import first_install

ACCESS_LOGGER = "cryoprotect.access"
REQUEST_ID_HEADER = "X-Request-ID"
NO_REQUEST_ID = "-"

_HANDLER_NAME = "cryoprotect"
_EXT_KEY = "cryoprotect.logging"
_START_ATTR = "_log_start"
_DONE_ATTR = "_log_done"
_SANE_ID = re.compile(r"[A-Za-z0-9._-]{1,128}")
_TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"

access_log = logging.getLogger(ACCESS_LOGGER)


def current_request_id() -> str:
    """Returns the current request's id, or ``"-"`` outside a request.

    Inside a request the id is assigned on first use: the incoming ``X-Request-ID`` when it
    is a sane token (at most 128 chars of ``[A-Za-z0-9._-]``), else a fresh uuid4 hex.
    """
    if not flask.has_request_context():
        return NO_REQUEST_ID
    request_id: str | None = flask.g.get("request_id")
    if request_id is None:
        incoming = flask.request.headers.get(REQUEST_ID_HEADER, "")
        request_id = incoming if _SANE_ID.fullmatch(incoming) else uuid.uuid4().hex
        flask.g.request_id = request_id
    return request_id


class RequestIdFilter(logging.Filter):
    """Adds ``request_id`` to every record that lacks one (never drops records)."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Stamps the record and lets it through."""
        if not hasattr(record, "request_id"):
            record.request_id = current_request_id()
        return True


def configure_logging(level: str = "INFO", json_format: bool = True) -> None:
    """Sends all logs to stderr through one handler on the root logger.

    Idempotent: a second call replaces the handler installed by the first (so the format or
    level can change) and leaves handlers installed by others alone.

    Args:
        level: root level name (``DEBUG``, ``INFO``, ...).
        json_format: JSON lines (fields timestamp, level, logger, message, request_id, plus
            any ``extra``) when true, else a plain text line.

    Raises:
        ValueError: ``level`` is not a known level name.
    """
    root = logging.getLogger()
    root.setLevel(level.upper())
    for old in [h for h in root.handlers if h.name == _HANDLER_NAME]:
        root.removeHandler(old)
        old.close()

    handler = logging.StreamHandler(sys.stderr)
    handler.name = _HANDLER_NAME
    handler.addFilter(RequestIdFilter())
    if json_format:
        handler.setFormatter(
            JsonFormatter(
                ["levelname", "name", "message", "request_id"],
                rename_fields={"levelname": "level", "name": "logger"},
                timestamp=True,
            )
        )
    else:
        handler.setFormatter(logging.Formatter(_TEXT_FORMAT))
    root.addHandler(handler)


def _log_access(status: int) -> None:
    if flask.g.get(_DONE_ATTR):
        return
    flask.g.setdefault(_DONE_ATTR, True)
    request = flask.request
    start = flask.g.get(_START_ATTR)
    duration_ms = round((time.perf_counter() - start) * 1000, 3) if start is not None else None
    route = request.url_rule.rule if request.url_rule is not None else "<unmatched>"
    access_log.info(
        "%s %s %s %sms",
        request.method,
        request.path,
        status,
        duration_ms,
        extra={
            "method": request.method,
            "path": request.path,
            "route": route,
            "status": status,
            "duration_ms": duration_ms,
            "remote_addr": request.remote_addr,
            "user_agent": request.user_agent.string,
            "request_id": current_request_id(),
        },
    )


def init_app(app: flask.Flask) -> None:
    """Assigns request ids, echoes ``X-Request-ID`` and writes the access log for ``app``.

    A second call on the same app is a no-op.

    Args:
        app: the application to instrument.
    """
    if not first_install(app, _EXT_KEY):
        return

    def start_request() -> None:
        flask.g.setdefault(_START_ATTR, time.perf_counter())
        current_request_id()

    def finish_request(response: flask.Response) -> flask.Response:
        response.headers[REQUEST_ID_HEADER] = current_request_id()
        _log_access(response.status_code)
        return response

    def log_unhandled(exc: BaseException | None) -> None:
        # Only reached without a response when the exception propagates (TESTING mode).
        if exc is not None:
            _log_access(500)

    # First in line, so the id exists before any other hook logs.
    app.before_request_funcs.setdefault(None, []).insert(0, start_request)
    app.after_request(finish_request)
    app.teardown_request(log_unhandled)
