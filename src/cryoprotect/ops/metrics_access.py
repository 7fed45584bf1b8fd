"""Who may read ``GET /metrics``: client networks and an optional bearer token.

The exposition names every route, error type and latency of the service, so it is not for
the internet. Two settings decide, checked in this order:

* ``CRYOPROTECT_METRICS_ALLOW`` (``settings.metrics_allow``): the client address must lie
  in one of these networks, else 403. Default: loopback and the private ranges
  (``127.0.0.0/8``, ``::1``, ``10.0.0.0/8``, ``172.16.0.0/12``, ``192.168.0.0/16``,
  ``fc00::/7``), which a Prometheus on the same host or container network uses. The
  address is the TCP peer, or with ``CRYOPROTECT_TRUST_PROXY`` set, the client named by
  the trusted proxies' ``X-Forwarded-For`` (werkzeug's ``ProxyFix``, installed by
  :mod:`cryoprotect.ops.security`); an IPv4-mapped IPv6 address counts as IPv4.
* ``CRYOPROTECT_METRICS_TOKEN`` (``settings.metrics_token``): when set, the request must
  also carry ``Authorization: Bearer <token>`` (compared in constant time), else 401.

Refusals are the API's usual error envelope (raised as HTTP errors, rendered by
``api/errors.py``).
"""

from __future__ import annotations

import hmac
import ipaddress

import flask
from werkzeug.exceptions import Forbidden, Unauthorized

from cryoprotect.ops.extensions import first_install
from cryoprotect.settings import Settings

_EXT_KEY = "cryoprotect.metrics_access"
METRICS_ENDPOINT = "metrics"

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def client_allowed(address: str | None, networks: tuple[Network, ...]) -> bool:
    """True when ``address`` (an IP address string) lies in one of ``networks``."""
    try:
        ip = ipaddress.ip_address((address or "").split("%", 1)[0])
    except ValueError:
        return False
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return any(ip.version == net.version and ip in net for net in networks)


def _bearer_matches(header: str | None, token: str) -> bool:
    scheme, _, value = (header or "").partition(" ")
    return scheme.lower() == "bearer" and hmac.compare_digest(
        value.strip().encode("utf-8"), token.encode("utf-8")
    )


def init_app(app: flask.Flask, settings: Settings) -> None:
    """Guards the ``metrics`` endpoint of ``app``; a second call is a no-op.

    Args:
        app: the application (its ``/metrics`` view is named ``metrics``).
        settings: ``metrics_allow`` (networks) and ``metrics_token`` (None: no token).
    """
    if not first_install(app, _EXT_KEY):
        return
    networks = tuple(ipaddress.ip_network(n, strict=False) for n in settings.metrics_allow)
    token = settings.metrics_token

    def guard() -> None:
        if flask.request.endpoint != METRICS_ENDPOINT:
            return
        if not client_allowed(flask.request.remote_addr, networks):
            raise Forbidden(
                "Metrics are not served to this address (see CRYOPROTECT_METRICS_ALLOW)."
            )
        if token is not None and not _bearer_matches(
            flask.request.headers.get("Authorization"), token
        ):
            raise Unauthorized("Metrics need the bearer token set in CRYOPROTECT_METRICS_TOKEN.")

    # First in line: a refused scrape does no other work.
    app.before_request_funcs.setdefault(None, []).insert(0, guard)
