"""One error format for the whole API, and the one place errors become status codes.

Every error response is ``{"error": {"code", "message", "details"}}``: HTTP errors,
request validation (webargs/marshmallow), authentication, domain errors from the services
and database outages alike. Under ``TESTING`` an unexpected exception re-raises, so a bug
fails its test instead of becoming a 500 page.
"""

from __future__ import annotations

import logging
from http import HTTPStatus
from typing import Any

import marshmallow as ma
from flask import Flask, current_app, g, jsonify, request
from flask_smorest import Api as _SmorestApi
from flask_smorest.spec.plugins import FlaskPlugin
from werkzeug.exceptions import HTTPException

from cryoprotect import errors
from cryoprotect.ops import ratelimit
from cryoprotect.ops.metrics import record_error

logger = logging.getLogger(__name__)

# The domain errors each status answers. Most specific first: classes are tried in this
# order (statuses in turn, classes within a status) and the first match wins.
ERRORS_BY_STATUS: dict[int, tuple[type[errors.CryoprotectError], ...]] = {
    400: (errors.InvalidStructureError, errors.LimitExceeded),
    422: (
        errors.InvalidCompositionError,
        errors.ValidationError,
        errors.OutOfDomainError,
        errors.InfeasibleProtocolError,
    ),
    401: (errors.AuthenticationError,),
    403: (errors.PermissionDenied,),
    404: (errors.NotFound,),
    409: (errors.Conflict,),
    429: (errors.Busy,),
    503: (errors.DatabaseUnavailable, errors.EmbeddedServerError),
}

CODE_BY_STATUS = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    406: "not_acceptable",
    409: "conflict",
    413: "payload_too_large",
    415: "unsupported_media_type",
    422: "validation_error",
    429: "rate_limited",
    500: "internal_error",
    503: "service_unavailable",
}


class ErrorBodySchema(ma.Schema):
    code = ma.fields.String(required=True, metadata={"description": "Stable machine-readable code"})
    message = ma.fields.String(required=True)
    details = ma.fields.Dict(
        required=True, metadata={"description": "Context, e.g. the field at fault"}
    )


class ErrorSchema(ma.Schema):
    error = ma.fields.Nested(ErrorBodySchema, required=True)


def error_response(
    status: int,
    message: str,
    *,
    code: str | None = None,
    details: dict[str, Any] | None = None,
    headers: dict[str, str] | None = None,
) -> Any:
    body = {
        "error": {
            "code": code or CODE_BY_STATUS.get(status, "error"),
            "message": message,
            "details": details or {},
        }
    }
    response = jsonify(body)
    response.status_code = status
    for key, value in (headers or {}).items():
        response.headers[key] = value
    if status == 401:
        response.headers.setdefault("WWW-Authenticate", 'Bearer realm="cryoprotect"')
    return response


def _flatten_messages(messages: Any) -> dict[str, Any]:
    """webargs groups errors by location ({"json": {...}}); report them by field."""
    if not isinstance(messages, dict):
        return {"_request": messages}
    flat: dict[str, Any] = {}
    for location, fields in messages.items():
        if isinstance(fields, dict):
            flat.update(fields)
        else:
            flat[location] = fields
    return flat


def _endpoint() -> str:
    rule = request.url_rule
    return rule.rule if rule is not None else "<unmatched>"


_RATE_LIMIT_HEADERS = {
    "Retry-After": {
        "description": "Seconds until the limit resets",
        "schema": {"type": "integer", "minimum": 0},
    },
    "X-RateLimit-Limit": {
        "description": "Requests allowed in the window",
        "schema": {"type": "integer"},
    },
    "X-RateLimit-Remaining": {
        "description": "Requests left in the window",
        "schema": {"type": "integer"},
    },
    "X-RateLimit-Reset": {
        "description": "When the window resets (Unix time, s)",
        "schema": {"type": "integer"},
    },
}


def complete_error_responses(operations: dict[str, Any], path: str | None = None) -> None:
    """Document the errors every operation can answer, in one place.

    * An operation with a request body can answer 400 (the body is not valid JSON) and 413
      (the body exceeds ``CRYOPROTECT_MAX_CONTENT_LENGTH``).
    * An operation that reads a bearer token can answer 401 (missing, malformed, expired
      or revoked credentials), even where signing in is optional.
    * Every operation outside the health checks can answer 429 (a rate limit, see
      ``ops/ratelimit.py``) with ``Retry-After`` and ``X-RateLimit-*`` headers; an operation
      that documents its own 429 gets those headers added to it.
    * Every 4xx/5xx response is the error envelope (``alt_response`` calls that only give a
      description get the :class:`ErrorSchema` body).
    """
    for method, operation in operations.items():
        if method == "parameters" or not isinstance(operation, dict):
            continue
        responses = operation.setdefault("responses", {})
        documented = {str(code) for code in responses}  # int or str keys, as decorators left them
        if "requestBody" in operation and "400" not in documented:
            responses[400] = {"description": "The request body is not valid JSON"}
        if "requestBody" in operation and "413" not in documented:
            responses[413] = {"description": "The request body is larger than the configured limit"}
        if "401" not in documented and any(
            "bearerAuth" in requirement for requirement in operation.get("security") or ()
        ):
            responses[401] = {"description": "Missing, invalid or expired credentials"}
        limited = not (path or "").startswith(ratelimit.EXEMPT_PATH_PREFIXES)
        if limited and "429" not in documented:
            responses[429] = {
                "description": "Too many requests (rate limit); retry after Retry-After seconds",
                "headers": _RATE_LIMIT_HEADERS,
            }
        elif limited:  # a documented 429 (e.g. busy scan slots) may also be a rate limit
            for code, response in responses.items():
                if str(code) == "429" and isinstance(response, dict) and "$ref" not in response:
                    response["headers"] = {**_RATE_LIMIT_HEADERS, **(response.get("headers") or {})}
        for code, response in responses.items():
            if (
                str(code).isdigit()
                and int(code) >= 400
                and isinstance(response, dict)
                and "$ref" not in response
                and "content" not in response
            ):
                response["content"] = {"application/json": {"schema": ErrorSchema}}


class _DocumentingFlaskPlugin(FlaskPlugin):  # type: ignore[misc]
    """flask-smorest's Flask plugin, plus :func:`complete_error_responses`.

    It runs before the marshmallow plugin (flask-smorest orders the Flask plugin first), so
    the schema added here is resolved to ``#/components/schemas/Error`` like any other.
    """

    def operation_helper(
        self, path: str | None = None, operations: dict[str, Any] | None = None, **kwargs: Any
    ) -> None:
        complete_error_responses(operations or {}, path)


class Api(_SmorestApi):  # type: ignore[misc]
    """flask-smorest's Api with our error envelope for every HTTP error."""

    ERROR_SCHEMA = ErrorSchema

    def __init__(
        self, app: Flask | None = None, *, spec_kwargs: dict[str, Any] | None = None, **kwargs: Any
    ) -> None:
        spec_kwargs = {"flask_plugin": _DocumentingFlaskPlugin(), **(spec_kwargs or {})}
        super().__init__(app, spec_kwargs=spec_kwargs, **kwargs)

    def handle_http_exception(self, error: HTTPException) -> Any:
        status = error.code or 500
        data = getattr(error, "data", None) or {}
        details: dict[str, Any] = {}
        retry_after: dict[str, str] = {}
        message = error.description or HTTPStatus(status).phrase
        if "messages" in data:
            fields = _flatten_messages(data["messages"])
            if status == 400 and "json" in fields:
                message = "The request body is not valid JSON."
                details = {"field": "body", "errors": fields}
            else:
                names = ", ".join(sorted(fields))
                message = f"Invalid input: {names}." if names else "Invalid input."
                details = {"fields": fields}
                if len(fields) == 1:
                    details["field"] = next(iter(fields))
        elif status == 413:
            limit = current_app.config.get("MAX_CONTENT_LENGTH")
            message = f"The request body is larger than the {limit}-byte limit."
            details = {"limit_bytes": limit}
        elif status == 429:
            message, details, retry_after_s = ratelimit.breach_details(error)
            if retry_after_s is not None:
                retry_after = {"Retry-After": str(retry_after_s)}
        if status >= 500:
            record_error(type(error).__name__, _endpoint())
        headers = dict(data.get("headers") or {}) | retry_after
        if status == 405 and hasattr(error, "valid_methods") and error.valid_methods:
            headers["Allow"] = ", ".join(error.valid_methods)
        return error_response(status, message, details=details, headers=headers)


def _handle_domain_error(exc: errors.CryoprotectError) -> Any:
    status = next((s for s, classes in ERRORS_BY_STATUS.items() if isinstance(exc, classes)), 500)
    if status >= 500:
        logger.error("service failure: %s", exc.message, extra={"code": exc.code})
        record_error(exc.code, _endpoint())
    headers = {}
    if status == 429 and exc.details.get("retry_after_s") is not None:
        headers["Retry-After"] = str(exc.details["retry_after_s"])
        setattr(g, ratelimit.OWN_RETRY_AFTER, exc.details["retry_after_s"])
    return error_response(status, exc.message, code=exc.code, details=exc.details, headers=headers)


def _handle_unexpected(exc: Exception) -> Any:
    if isinstance(exc, HTTPException):
        return current_app.extensions["smorest_api"].handle_http_exception(exc)
    record_error(type(exc).__name__, _endpoint())
    if current_app.testing:
        raise exc
    logger.exception("unhandled error")
    return error_response(500, "An unexpected error occurred; it has been logged.")


def register_error_handlers(app: Flask, api: Api) -> None:
    app.extensions["smorest_api"] = api
    app.register_error_handler(errors.CryoprotectError, _handle_domain_error)
    app.register_error_handler(Exception, _handle_unexpected)
