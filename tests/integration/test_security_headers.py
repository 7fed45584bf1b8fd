"""Security headers, HSTS behind TLS only, and CORS off by default (cryoprotect.ops.security)."""

from __future__ import annotations

import re
from dataclasses import replace
from typing import Any

import pytest

from cryoprotect.errors import ValidationError
from cryoprotect.ops import security
from cryoprotect.settings import Settings

pytestmark = pytest.mark.integration

ALLOWED_ORIGIN = "https://lab.example.org"
OTHER_ORIGIN = "https://elsewhere.example.net"


def _directives(policy: str) -> dict[str, list[str]]:
    parts = (d.split() for d in policy.split(";") if d.strip())
    return {p[0]: p[1:] for p in parts}


@pytest.fixture(scope="module")
def proxied_app(settings: Settings, db: Any) -> Any:
    """An app behind one trusted proxy that allows one CORS origin."""
    from cryoprotect.app import create_app

    return create_app(replace(settings, trust_proxy=1, cors_origins=(ALLOWED_ORIGIN,)), db)


# ------------------------------------------------------------------- headers
@pytest.mark.parametrize("path", ["/health", "/api/v1/molecules", "/models", "/no-such-page"])
def test_every_response_carries_the_headers(client: Any, path: str) -> None:
    res = client.get(path)
    assert res.headers["Content-Security-Policy"] == security.CSP
    assert res.headers["X-Content-Type-Options"] == "nosniff"
    assert res.headers["X-Frame-Options"] == "DENY"
    assert res.headers["Referrer-Policy"] == "strict-origin-when-cross-origin"


def test_policy_allows_only_our_own_scripts() -> None:
    policy = _directives(security.CSP)
    assert policy["script-src"] == ["'self'"]
    assert policy["default-src"] == ["'self'"]
    assert policy["object-src"] == ["'none'"]
    assert policy["frame-ancestors"] == ["'none'"]
    assert "'unsafe-eval'" not in security.CSP


def test_web_pages_have_no_inline_scripts(client: Any) -> None:
    page = client.get("/models").get_data(as_text=True)
    assert security.script_hashes(page) == []


def test_api_docs_allow_exactly_their_inline_script(client: Any) -> None:
    res = client.get("/api/v1/docs")
    assert res.status_code == 200
    html = res.get_data(as_text=True)
    inline = re.findall(r"<script>(.*?)</script>", html, re.S)
    assert len(inline) == 1, "flask-smorest's Swagger UI page changed shape"
    script_src = _directives(res.headers["Content-Security-Policy"])["script-src"]
    assert script_src == ["'self'", *security.script_hashes(html)]
    assert "'unsafe-inline'" not in script_src


def test_script_hash_matches_the_csp_specification_example() -> None:
    # W3C Content Security Policy Level 3, section "hash-source": the digest of
    # alert('Hello, world.');
    html = "<p>x</p><script>alert('Hello, world.');</script><script src='/a.js'></script>"
    assert security.script_hashes(html) == ["'sha256-qznLcsROx4GACP2dm0UCKCzCG+HiZ1guq6ZZDob/Tng='"]


# ---------------------------------------------------------------------- HSTS
def test_no_hsts_over_plain_http(client: Any) -> None:
    assert "Strict-Transport-Security" not in client.get("/health").headers


def test_hsts_over_https(client: Any) -> None:
    res = client.get("/health", base_url="https://localhost")
    assert res.headers["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"


def test_forwarded_proto_is_ignored_without_a_trusted_proxy(client: Any) -> None:
    res = client.get("/health", headers={"X-Forwarded-Proto": "https"})
    assert "Strict-Transport-Security" not in res.headers


def test_forwarded_proto_from_a_trusted_proxy_enables_hsts(proxied_app: Any) -> None:
    client = proxied_app.test_client()
    res = client.get("/health", headers={"X-Forwarded-Proto": "https"})
    assert res.headers["Strict-Transport-Security"].startswith("max-age=31536000")
    assert "Strict-Transport-Security" not in client.get("/health").headers


# ---------------------------------------------------------------------- CORS
def test_cors_is_off_by_default(client: Any) -> None:
    res = client.get("/api/v1/molecules", headers={"Origin": ALLOWED_ORIGIN})
    assert res.status_code == 200
    assert "Access-Control-Allow-Origin" not in res.headers
    preflight = client.options(
        "/api/v1/molecules",
        headers={"Origin": ALLOWED_ORIGIN, "Access-Control-Request-Method": "POST"},
    )
    assert "Access-Control-Allow-Origin" not in preflight.headers


def test_cors_allows_a_listed_origin(proxied_app: Any) -> None:
    client = proxied_app.test_client()
    res = client.get("/api/v1/molecules", headers={"Origin": ALLOWED_ORIGIN})
    assert res.headers["Access-Control-Allow-Origin"] == ALLOWED_ORIGIN
    assert "X-Total-Count" in res.headers.get("Access-Control-Expose-Headers", "")
    assert "Access-Control-Allow-Credentials" not in res.headers
    preflight = client.options(
        "/api/v1/molecules",
        headers={
            "Origin": ALLOWED_ORIGIN,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "Authorization, Content-Type",
        },
    )
    assert preflight.status_code == 200
    assert preflight.headers["Access-Control-Allow-Origin"] == ALLOWED_ORIGIN
    assert "POST" in preflight.headers["Access-Control-Allow-Methods"]
    assert "authorization" in preflight.headers["Access-Control-Allow-Headers"].lower()


def test_cors_refuses_other_origins_and_non_api_paths(proxied_app: Any) -> None:
    client = proxied_app.test_client()
    other = client.get("/api/v1/molecules", headers={"Origin": OTHER_ORIGIN})
    assert "Access-Control-Allow-Origin" not in other.headers
    page = client.get("/health", headers={"Origin": ALLOWED_ORIGIN})
    assert "Access-Control-Allow-Origin" not in page.headers


# ------------------------------------------------------------------ settings
def test_settings_parse_origins_and_proxy_count(tmp_path: Any) -> None:
    env = {
        "CRYOPROTECT_HOME": str(tmp_path),
        "CRYOPROTECT_CORS_ORIGINS": " https://a.example.org/, http://localhost:8888 ,",
        "CRYOPROTECT_TRUST_PROXY": "2",
    }
    settings = Settings.from_env(env)
    assert settings.cors_origins == ("https://a.example.org", "http://localhost:8888")
    assert settings.trust_proxy == 2
    defaults = Settings.from_env({"CRYOPROTECT_HOME": str(tmp_path)})
    assert defaults.cors_origins == ()
    assert defaults.trust_proxy == 0


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("CRYOPROTECT_CORS_ORIGINS", "https://a.example.org/path"),
        ("CRYOPROTECT_CORS_ORIGINS", "a.example.org"),
        ("CRYOPROTECT_CORS_ORIGINS", "https://.*\\.example\\.org"),
        ("CRYOPROTECT_TRUST_PROXY", "-1"),
        ("CRYOPROTECT_WEB_WORKERS", "0"),
    ],
)
def test_settings_reject_bad_values(tmp_path: Any, name: str, value: str) -> None:
    with pytest.raises(ValidationError) as excinfo:
        Settings.from_env({"CRYOPROTECT_HOME": str(tmp_path), name: value})
    assert name in excinfo.value.message
