"""Rate limits (Flask-Limiter): who is counted, which limit applies where, and the headers.

* **Who.** A request that authenticates with a bearer token (an access token or a
  personal API token) is counted against its user (``user:<id>``), whatever address it
  comes from; every other request against its client address (``ip:<address>``; behind a
  reverse proxy, set ``CRYOPROTECT_TRUST_PROXY`` so the address is the client's).
* **Where.** ``RATELIMIT_DEFAULT`` (300 per minute) applies per caller *and endpoint*;
  sign-in, registration and token refresh get the stricter ``RATELIMIT_AUTH`` (20 per
  minute) instead. Health checks (``/health``, ``/health/ready``) and ``/metrics`` are
  never limited, so probes and scrapes cannot be throttled.
* **Counters** live in memory (``memory://``, per process) unless
  ``RATELIMIT_STORAGE_URI`` names a Redis server (``redis://host:6379/0``), which every
  worker shares. If Redis becomes unreachable the process falls back to in-memory counters
  (logged) and requests keep being served; it returns to Redis when Redis answers again.
  The strategy is a fixed window per limit.
* **Answers.** Every limited response carries ``X-RateLimit-Limit``,
  ``X-RateLimit-Remaining`` and ``X-RateLimit-Reset`` (epoch seconds); a 429 also carries
  ``Retry-After`` (seconds) and the API's error envelope (``api/errors.py``).
"""

from __future__ import annotations

import logging
import math
import time
import uuid
from collections.abc import Callable
from typing import Any, cast

import flask
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address

from cryoprotect.settings import Settings

logger = logging.getLogger(__name__)

#: View endpoints that get ``RATELIMIT_AUTH`` instead of the default limit.
AUTH_ENDPOINTS = ("auth.Register", "auth.Login", "auth.Refresh")
#: Never limited: liveness/readiness probes and the Prometheus scrape.
EXEMPT_BLUEPRINTS = frozenset({"health"})
EXEMPT_ENDPOINTS = frozenset({"metrics"})
#: The same, as OpenAPI paths (for documenting 429 on every other operation).
EXEMPT_PATH_PREFIXES = ("/health", "/metrics")
KEY_PREFIX = "cryoprotect"
#: Statuses for which ``Retry-After`` means something (RFC 9110 §10.2.3).
_RETRY_AFTER_STATUSES = frozenset({429, 503})
#: ``flask.g`` attribute where a 429 that is not a rate limit (e.g. all substructure scan
#: slots busy) keeps its own delay, which Flask-Limiter's header injection would replace.
OWN_RETRY_AFTER = "cryoprotect_retry_after_s"


def _exempt() -> bool:
    return (
        flask.request.endpoint in EXEMPT_ENDPOINTS or flask.request.blueprint in EXEMPT_BLUEPRINTS
    )


def caller_key(identify: Callable[[], uuid.UUID | None]) -> Callable[[], str]:
    """The key function: ``user:<id>`` for a bearer-authenticated request, else ``ip:<addr>``.

    Args:
        identify: the authenticated user's id for the current request, or None
            (anonymous or invalid credentials; it must not raise).
    """

    def key() -> str:
        user_id = identify()
        return f"user:{user_id}" if user_id is not None else f"ip:{get_remote_address()}"

    return key


def _retry_after_s() -> int | None:
    """Whole seconds until the breached limit of this request resets (None if unknown)."""
    for extension in flask.current_app.extensions.get("limiter", ()):
        current = extension.current_limit
        if current is not None and current.breached:
            try:
                reset_time = float(current.window[0])  # RequestLimit.reset_at adds 1 s
                return max(1, math.ceil(reset_time - time.time()))
            except Exception:  # storage trouble must not turn a 429 into a 500
                logger.warning("rate limit window unavailable", exc_info=True)
    return None


def _settle_retry_after(response: flask.Response) -> flask.Response:
    # Flask-Limiter adds a truncated Retry-After to every limited response. Keep it where it
    # means "come back later" (429, 503), rounded up so a client that waits is not early.
    if response.status_code == 429:
        retry_after_s = _retry_after_s()
        if retry_after_s is None:
            retry_after_s = flask.g.get(OWN_RETRY_AFTER)
        if retry_after_s is not None:
            response.headers["Retry-After"] = str(retry_after_s)
    elif response.status_code not in _RETRY_AFTER_STATUSES:
        response.headers.pop("Retry-After", None)
    return response


def init_app(
    app: flask.Flask, settings: Settings, *, identify: Callable[[], uuid.UUID | None]
) -> Limiter:
    """Attach a Flask-Limiter configured from ``settings`` to ``app``.

    Call it after every blueprint is registered (it looks up the auth endpoints). With
    ``RATELIMIT_ENABLED=false`` the limiter is created but checks nothing.

    Args:
        app: the application.
        settings: ``ratelimit_*`` settings.
        identify: see :func:`caller_key`.

    Returns:
        The limiter (also in ``app.extensions["limiter"]``).
    """
    in_memory = settings.ratelimit_storage_uri.startswith("memory://")
    limiter = Limiter(
        caller_key(identify),
        default_limits=[settings.ratelimit_default],
        storage_uri=settings.ratelimit_storage_uri,
        strategy="fixed-window",
        headers_enabled=True,
        key_prefix=KEY_PREFIX,
        in_memory_fallback_enabled=not in_memory,
        swallow_errors=True,
        enabled=settings.ratelimit_enabled,
    )
    # Registered before the limiter's own hook, so it runs after it (Flask runs
    # after_request hooks in reverse order).
    app.after_request(_settle_retry_after)
    limiter.init_app(app)
    if not settings.ratelimit_enabled:
        logger.info("rate limits are disabled (RATELIMIT_ENABLED=false)")
        return limiter
    limiter.request_filter(_exempt)
    for endpoint in AUTH_ENDPOINTS:
        view = app.view_functions.get(endpoint)
        if view is None:
            raise RuntimeError(f"rate limits: no view {endpoint!r} to limit")
        app.view_functions[endpoint] = cast(Any, limiter.limit(settings.ratelimit_auth)(view))
    logger.info(
        "rate limits: %s per caller and endpoint, %s on sign-in/registration/refresh, storage %s",
        settings.ratelimit_default,
        settings.ratelimit_auth,
        "memory" if in_memory else settings.ratelimit_storage_uri.split("://", 1)[0],
    )
    return limiter


def breach_details(error: Any) -> tuple[str, dict[str, Any], int | None]:
    """Message, details and retry delay (s) for a :class:`flask_limiter.RateLimitExceeded`."""
    runtime_limit = getattr(error, "limit", None)
    text = str(runtime_limit.limit) if runtime_limit is not None else str(error.description)
    retry_after_s = _retry_after_s()
    message = f"Too many requests: the limit is {text}."
    if retry_after_s is not None:
        message += f" Retry after {retry_after_s} s."
    return message, {"limit": text, "retry_after_s": retry_after_s}, retry_after_s
