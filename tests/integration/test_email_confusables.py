"""E-mail addresses that look like another one do not register (issue 12, finding 9).

``normalise_email`` trims, refuses invisible characters, folds compatibility forms (NFKC),
requires a plain-ASCII local part and stores a non-ASCII domain as its IDNA A-label.
"""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from cryoprotect.errors import ValidationError
from cryoprotect.services.auth import normalise_email

CYRILLIC_A = "\u0430"  # а, looks like the Latin a
GREEK_OMICRON = "\u03bf"  # ο, looks like the Latin o
ZERO_WIDTH_SPACE = "\u200b"


@pytest.mark.unit
@pytest.mark.parametrize(
    "address",
    [
        f"p{CYRILLIC_A}ypal@example.org",  # mixed Latin/Cyrillic local part
        f"j{GREEK_OMICRON}hn@example.org",
        f"pay{ZERO_WIDTH_SPACE}pal@example.org",
        f"paypal{ZERO_WIDTH_SPACE}@example.org",
        "pay\u200dpal@example.org",  # zero-width joiner
        "\ufeffpaypal@example.org",  # byte-order mark
        "paypal@example.org\u200e",  # left-to-right mark
        "pay\u00adpal@example.org",  # soft hyphen
        "pay\u3164pal@example.org",  # Hangul filler, a blank "letter"
        "pay\x00pal@example.org",
        "ada@stra\u00dfe.de",  # IDNA 2003 and 2008 disagree on ß
        "ada@exa_mple.org",
    ],
)
def test_confusable_or_invisible_addresses_are_refused(address: str) -> None:
    with pytest.raises(ValidationError) as raised:
        normalise_email(address)
    assert raised.value.field == "email"


@pytest.mark.unit
@pytest.mark.parametrize(
    ("address", "canonical"),
    [
        ("  Ada@Example.ORG ", "ada@example.org"),
        ("\uff50\uff41\uff59\uff50\uff41\uff4c@example.org", "paypal@example.org"),  # fullwidth
        ("ada@\uff45\uff58\uff41\uff4d\uff50\uff4c\uff45.org", "ada@example.org"),
        ("ada@b\u00fccher.example", "ada@xn--bcher-kva.example"),
        (f"ada@p{CYRILLIC_A}ypal.com", "ada@xn--pypal-4ve.com"),  # shown as what it is
    ],
)
def test_addresses_have_one_canonical_form(address: str, canonical: str) -> None:
    assert normalise_email(address) == canonical


@pytest.mark.integration
def test_registration_refuses_homoglyphs_and_folds_fullwidth(client: Any) -> None:
    password = "correct horse battery"
    for bad in (f"p{CYRILLIC_A}ypal-{uuid.uuid4().hex[:6]}@example.org",
                f"pay{ZERO_WIDTH_SPACE}pal-{uuid.uuid4().hex[:6]}@example.org"):  # fmt: skip
        res = client.post("/api/v1/auth/register", json={"email": bad, "password": password})
        assert res.status_code == 422, res.get_json()
        assert res.get_json()["error"]["details"]["field"] == "email"
        login = client.post("/api/v1/auth/login", json={"email": bad, "password": password})
        assert login.status_code == 401

    local = f"paypal{uuid.uuid4().hex[:6]}"
    plain = f"{local}@example.org"
    assert (
        client.post(
            "/api/v1/auth/register", json={"email": plain, "password": password}
        ).status_code
        == 202
    )
    fullwidth = "".join(chr(ord(c) + 0xFEE0) for c in local) + "@example.org"
    again = client.post(
        "/api/v1/auth/register", json={"email": fullwidth, "password": "a different pw"}
    )
    assert again.status_code == 202
    # The fullwidth spelling names the same account: no second account was made.
    assert (
        client.post(
            "/api/v1/auth/login", json={"email": fullwidth, "password": "a different pw"}
        ).status_code
        == 401
    )
    login = client.post("/api/v1/auth/login", json={"email": fullwidth, "password": password})
    assert login.status_code == 200
    me = client.get(
        "/api/v1/users/me", headers={"Authorization": f"Bearer {login.get_json()['access_token']}"}
    )
    assert me.get_json()["email"] == plain


@pytest.mark.integration
def test_invitations_refuse_homoglyph_addresses(
    client: Any, make_user: Any, make_team: Any
) -> None:
    admin = make_user("admin")
    team = make_team(admin)
    res = client.post(
        f"/api/v1/teams/{team}/members",
        json={"email": f"{admin.email[0]}{CYRILLIC_A}{admin.email[1:]}", "role": "admin"},
        headers=admin.headers,
    )
    assert res.status_code == 422 and res.get_json()["error"]["details"]["field"] == "email"
