"""HTTP security headers, reverse-proxy trust and CORS: the one place that sets them.

:func:`init_app` adds to every response of the app

* ``Content-Security-Policy`` (:data:`CSP`): scripts, styles, images, fonts and API calls only
  from our own origin, no inline script, no plugins, and no framing (``frame-ancestors``).
  The one exception is the interactive API documentation (flask-smorest's Swagger UI page),
  whose template carries one inline bootstrap script: for that endpoint alone the policy
  allows that script by its SHA-256 hash, computed from the page the server itself rendered.
  The structure editor's scripts (Ketcher, ``static/vendor/ketcher``) add ``'wasm-unsafe-eval'``
  (:data:`CSP_WASM`): its web worker compiles Indigo's WebAssembly, and a worker runs under the
  policy its own script was served with, so the pages themselves keep :data:`CSP`.
* ``X-Content-Type-Options: nosniff``, ``X-Frame-Options: DENY`` (for browsers that predate
  ``frame-ancestors``) and ``Referrer-Policy: strict-origin-when-cross-origin``;
* ``Strict-Transport-Security`` only on requests that arrived over HTTPS: directly, or behind
  ``settings.trust_proxy`` reverse proxies whose ``X-Forwarded-Proto`` is then believed
  (werkzeug's ``ProxyFix``). A plain-HTTP deployment never sends HSTS, since that would lock
  browsers out of it.

CORS is off unless ``settings.cors_origins`` lists origins; then flask-cors answers
preflights and adds ``Access-Control-Allow-Origin`` on ``/api/*`` for those origins only.
Authentication is by bearer token, never cookies, so credentials are not allowed.
"""

from __future__ import annotations

import base64
import hashlib
import re

import flask
from flask_cors import CORS
from werkzeug.middleware.proxy_fix import ProxyFix

from cryoprotect.ops.extensions import first_install
from cryoprotect.settings import Settings

#: The policy for every response. Plotly sets inline ``style`` attributes and draws some
#: glyphs from ``data:`` URIs; no script runs unless it is a file served by this origin.
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; font-src 'self' data:; connect-src 'self'; object-src 'none'; "
    "base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
)
#: The policy of the structure editor's scripts: :data:`CSP` plus ``'wasm-unsafe-eval'``, which
#: lets them compile WebAssembly (CSP Level 3) and nothing else: no string evaluation.
CSP_WASM = CSP.replace("script-src 'self'", "script-src 'self' 'wasm-unsafe-eval'")
#: Static files (``web.static`` filenames) that compile WebAssembly: Ketcher's bundle.
WASM_STATIC_PREFIX = "vendor/ketcher/"
#: One year, with subdomains: the usual policy (MDN's Strict-Transport-Security examples).
#: RFC 6797 section 7.2: a server must not send it over plain HTTP, hence ``is_secure`` below.
HSTS = "max-age=31536000; includeSubDomains"
REFERRER_POLICY = "strict-origin-when-cross-origin"
#: Endpoints whose server-rendered HTML may carry inline scripts (allowed by hash). They
#: render only configuration, never request data.
INLINE_SCRIPT_ENDPOINTS = frozenset({"api-docs.openapi_swagger_ui"})
#: Response headers a cross-origin script may read (pagination, request ids, rate limits).
EXPOSED_HEADERS = ("X-Total-Count", "X-Request-ID", "Retry-After")

_EXT_KEY = "cryoprotect.security"
_INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>(.*?)</script>", re.S | re.I)


def script_hashes(html: str) -> list[str]:
    """CSP source expressions (``'sha256-…'``) for each inline ``<script>`` in ``html``.

    Args:
        html: a rendered HTML document.

    Returns:
        One hash source per inline script, in document order (scripts with ``src`` skipped).
    """
    hashes = []
    for body in _INLINE_SCRIPT.findall(html):
        digest = hashlib.sha256(body.encode("utf-8")).digest()
        hashes.append(f"'sha256-{base64.b64encode(digest).decode('ascii')}'")
    return hashes


def content_security_policy(inline_script_hashes: list[str] | None = None) -> str:
    """:data:`CSP`, with ``script-src`` widened to the given script hashes, if any."""
    if not inline_script_hashes:
        return CSP
    return CSP.replace("script-src 'self'", "script-src 'self' " + " ".join(inline_script_hashes))


def _policy_for(response: flask.Response) -> str:
    endpoint = flask.request.endpoint
    if endpoint in INLINE_SCRIPT_ENDPOINTS and response.mimetype == "text/html":
        return content_security_policy(script_hashes(response.get_data(as_text=True)))
    if endpoint == "web.static" and response.mimetype == "text/javascript":
        filename = (flask.request.view_args or {}).get("filename", "")
        if filename.startswith(WASM_STATIC_PREFIX):
            return CSP_WASM
    return CSP


def _add_headers(response: flask.Response) -> flask.Response:
    headers = response.headers
    headers["Content-Security-Policy"] = _policy_for(response)
    headers["X-Content-Type-Options"] = "nosniff"
    headers["X-Frame-Options"] = "DENY"
    headers["Referrer-Policy"] = REFERRER_POLICY
    if flask.request.is_secure:
        headers["Strict-Transport-Security"] = HSTS
    return response


def init_app(app: flask.Flask, settings: Settings) -> None:
    """Installs proxy trust, CORS and the security headers on ``app``; a second call is a no-op.

    Args:
        app: the application.
        settings: ``trust_proxy`` (number of proxies whose ``X-Forwarded-For/Proto/Host/Prefix``
            to believe) and ``cors_origins`` (empty: CORS off).
    """
    if not first_install(app, _EXT_KEY):
        return
    if settings.trust_proxy:
        n = settings.trust_proxy
        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]
            app.wsgi_app, x_for=n, x_proto=n, x_host=n, x_prefix=n
        )
    if settings.cors_origins:
        CORS(
            app,
            resources={r"/api/*": {"origins": list(settings.cors_origins)}},
            expose_headers=list(EXPOSED_HEADERS),
            supports_credentials=False,
            max_age=600,
        )
    app.after_request(_add_headers)
