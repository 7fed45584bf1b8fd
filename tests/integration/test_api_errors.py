"""The API's single error envelope and "nothing half-written".

Every failure, whatever raised it (webargs/marshmallow validation, Werkzeug routing,
the body-size limit, domain errors from the services), answers
``{"error": {"code", "message", "details"}}`` with the right status; a request that fails
leaves no partial write behind.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import pytest
import sqlalchemy as sa

from cryoprotect.db.database import Database, Identity
from cryoprotect.db.models import Molecule
from cryoprotect.science.molecules import parse_smiles

pytestmark = pytest.mark.integration

REGISTER = "/api/v1/auth/register"
MOLECULES = "/api/v1/molecules"


def _email() -> str:
    return f"err-{uuid.uuid4().hex[:10]}@example.org"


def assert_envelope(res: Any, status: int, code: str | None = None) -> dict[str, Any]:
    assert res.status_code == status, res.get_data(as_text=True)
    assert res.mimetype == "application/json"
    body = res.get_json()
    assert list(body) == ["error"], body
    error = body["error"]
    assert set(error) == {"code", "message", "details"}, error
    assert isinstance(error["code"], str) and error["code"]
    assert isinstance(error["message"], str) and error["message"]
    assert isinstance(error["details"], dict)
    if code is not None:
        assert error["code"] == code, error
    return error


def _molecule_count(db: Database, user_id: uuid.UUID) -> int:
    with db.transaction(Identity.service()) as session:
        return int(
            session.scalar(
                sa.select(sa.func.count())
                .select_from(Molecule)
                .where(Molecule.created_by == user_id)
            )
            or 0
        )


# ------------------------------------------------------------- validation
def test_malformed_json_is_400_bad_request(client: Any) -> None:
    res = client.post(
        REGISTER, data='{"email": "a@b.org", "password": ', content_type="application/json"
    )
    error = assert_envelope(res, 400, "bad_request")
    assert "json" in error["message"].lower()


def test_missing_field_is_422_naming_it(client: Any) -> None:
    res = client.post(REGISTER, json={"email": _email()})
    error = assert_envelope(res, 422, "validation_error")
    assert "password" in error["details"]["fields"]
    assert error["details"]["field"] == "password"
    assert "password" in error["message"]


def test_wrong_type_is_422_naming_it(client: Any) -> None:
    res = client.post(REGISTER, json={"email": 12345, "password": "long enough pw"})
    error = assert_envelope(res, 422, "validation_error")
    assert list(error["details"]["fields"]) == ["email"]


def test_wrong_type_in_nested_list_is_422_naming_the_field(make_user: Any, client: Any) -> None:
    user = make_user()
    res = client.post(MOLECULES, json={"smiles": "CCO", "synonyms": [1, 2]}, headers=user.headers)
    error = assert_envelope(res, 422, "validation_error")
    assert "synonyms" in error["details"]["fields"]


def test_unknown_field_is_422_naming_it(client: Any) -> None:
    res = client.post(
        REGISTER, json={"email": _email(), "password": "long enough pw", "is_admin": True}
    )
    error = assert_envelope(res, 422, "validation_error")
    assert "is_admin" in error["details"]["fields"]


def test_json_body_that_is_not_an_object_is_rejected(client: Any) -> None:
    res = client.post(REGISTER, json=["a", "b"])
    assert_envelope(res, 422, "validation_error")


def test_body_over_max_content_length_is_413(app: Any, client: Any) -> None:
    limit = app.config["MAX_CONTENT_LENGTH"]
    assert limit, "the app must set a body-size limit"
    payload = '{"email": "' + "a" * limit + '@example.org", "password": "long enough pw"}'
    res = client.post(REGISTER, data=payload, content_type="application/json")
    error = assert_envelope(res, 413, "payload_too_large")
    assert error["details"]["limit_bytes"] == limit


def test_invalid_smiles_is_400_with_rdkit_reason(make_user: Any, client: Any) -> None:
    user = make_user()
    res = client.post(MOLECULES, json={"smiles": "C(C)(C)(C)(C)C"}, headers=user.headers)
    error = assert_envelope(res, 400, "invalid_structure")
    assert "Explicit valence for atom # 0 C, 5, is greater than permitted" in error["message"]
    assert error["details"]["field"] == "smiles"


def test_unknown_route_is_404_with_envelope(client: Any) -> None:
    assert_envelope(client.get("/api/v1/no-such-thing"), 404, "not_found")
    assert_envelope(client.get("/no/such/page"), 404, "not_found")


def test_bad_uuid_in_path_is_404_with_envelope(client: Any) -> None:
    assert_envelope(client.get(f"{MOLECULES}/not-a-uuid"), 404, "not_found")


def test_wrong_method_is_405_with_envelope_and_allow(client: Any) -> None:
    res = client.delete("/health")
    assert_envelope(res, 405, "method_not_allowed")
    assert "GET" in res.headers["Allow"]
    assert_envelope(client.put(REGISTER, json={}), 405, "method_not_allowed")


# -------------------------------------------- every status, one envelope
def _s400(client: Any, **_: Any) -> Any:
    return client.post(REGISTER, data="{oops", content_type="application/json")


def _s401(client: Any, **_: Any) -> Any:
    return client.get("/api/v1/users/me")


def _s403(client: Any, make_user: Any, make_team: Any, **_: Any) -> Any:
    admin, viewer = make_user(), make_user()
    team_id = make_team(admin, viewer=[viewer])
    return client.patch(
        f"/api/v1/teams/{team_id}", json={"name": "renamed"}, headers=viewer.headers
    )


def _s404(client: Any, **_: Any) -> Any:
    return client.get(f"{MOLECULES}/{uuid.uuid4()}")


def _s405(client: Any, **_: Any) -> Any:
    return client.post("/health")


def _s409(client: Any, make_user: Any, make_team: Any, **_: Any) -> Any:
    admin = make_user()
    team_id = make_team(admin)  # its only admin cannot step down
    return client.patch(
        f"/api/v1/teams/{team_id}/members/{admin.id}",
        json={"role": "viewer"},
        headers=admin.headers,
    )


def _s413(client: Any, app: Any, **_: Any) -> Any:
    return client.post(
        REGISTER, data="x" * (app.config["MAX_CONTENT_LENGTH"] + 1), content_type="application/json"
    )


def _s422(client: Any, **_: Any) -> Any:
    return client.post(REGISTER, json={})


STATUS_PROBES: dict[int, Callable[..., Any]] = {
    400: _s400,
    401: _s401,
    403: _s403,
    404: _s404,
    405: _s405,
    409: _s409,
    413: _s413,
    422: _s422,
}


@pytest.mark.parametrize("status", sorted(STATUS_PROBES))
def test_every_error_status_has_exactly_the_envelope(
    status: int, app: Any, client: Any, make_user: Any, make_team: Any
) -> None:
    res = STATUS_PROBES[status](client=client, app=app, make_user=make_user, make_team=make_team)
    assert res.status_code == status, res.get_data(as_text=True)
    body = res.get_json()
    assert set(body) == {"error"}
    assert set(body["error"]) == {"code", "message", "details"}
    assert isinstance(body["error"]["details"], dict)
    assert res.headers.get("X-Request-ID")


# ------------------------------------------------------ nothing half-written
def test_failed_molecule_posts_leave_count_unchanged(
    db: Database, make_user: Any, client: Any
) -> None:
    user = make_user()
    assert (
        client.post(
            MOLECULES, json={"smiles": "CCO", "name": "ethanol"}, headers=user.headers
        ).status_code
        == 201
    )
    before = _molecule_count(db, user.id)
    assert before == 1

    assert_envelope(
        client.post(MOLECULES, json={"smiles": "C(C)(C)(C)(C)C"}, headers=user.headers),
        400,
        "invalid_structure",
    )
    # Same structure, another spelling: still a duplicate in the caller's private scope.
    dup = client.post(MOLECULES, json={"smiles": "OCC", "name": "again"}, headers=user.headers)
    error = assert_envelope(dup, 409, "conflict")
    assert error["details"]["existing_id"]
    assert_envelope(
        client.post(MOLECULES, json={"smiles": "CCO", "visibility": "team"}, headers=user.headers),
        422,
    )
    assert_envelope(
        client.post(MOLECULES, json={"smiles": "CCC", "team_id": "nope"}, headers=user.headers), 422
    )

    assert _molecule_count(db, user.id) == before
    listed = client.get(f"{MOLECULES}?visibility=private", headers=user.headers).get_json()
    assert listed["total"] == 1


def test_failed_member_add_leaves_members_unchanged(
    make_user: Any, make_team: Any, client: Any
) -> None:
    admin, editor = make_user(), make_user()
    team_id = make_team(admin, editor=[editor])
    members_url = f"/api/v1/teams/{team_id}/members"
    before = client.get(members_url, headers=admin.headers).get_json()
    assert len(before) == 2

    # An address without an account is invited like any other (no account enumeration).
    invited = client.post(
        members_url, json={"email": _email(), "role": "viewer"}, headers=admin.headers
    )
    assert invited.status_code == 202, invited.get_json()
    assert_envelope(
        client.post(
            members_url, json={"email": editor.email, "role": "viewer"}, headers=admin.headers
        ),
        409,
        "conflict",
    )
    assert_envelope(
        client.post(
            members_url, json={"email": editor.email, "role": "owner"}, headers=admin.headers
        ),
        422,
    )

    assert client.get(members_url, headers=admin.headers).get_json() == before


def test_transaction_rolls_back_on_exception(db: Database, make_user: Any) -> None:
    user = make_user()
    record = parse_smiles("OCC(O)CO")  # glycerol
    molecule_id: uuid.UUID | None = None

    class Boom(RuntimeError):
        pass

    with pytest.raises(Boom), db.transaction(Identity.user(user.id)) as session:
        molecule = Molecule(
            name="glycerol",
            smiles=record.smiles,
            inchi=record.inchi,
            inchikey=record.inchikey,
            formula=record.formula,
            molecular_weight=record.molecular_weight,
            visibility="private",
            created_by=user.id,
        )
        session.add(molecule)
        session.flush()
        molecule_id = molecule.id
        # Visible inside the transaction ...
        found = session.scalar(sa.select(Molecule.id).where(Molecule.id == molecule_id))
        assert found == molecule_id
        raise Boom

    assert molecule_id is not None
    # ... and gone afterwards, even to the service role that bypasses row-level security.
    with db.transaction(Identity.service()) as session:
        assert session.get(Molecule, molecule_id) is None
    assert _molecule_count(db, user.id) == 0


# ------------------------------------------- text PostgreSQL cannot store
NUL_CASES = [
    (
        "post",
        REGISTER,
        {"email": "a\x00b@example.org", "password": "long enough pw"},
        "email",
        False,
    ),
    ("post", "/api/v1/auth/login", {"email": "a@b.org", "password": "pw\x00"}, "password", False),
    ("post", MOLECULES, {"smiles": "CCO", "name": "eth\x00anol"}, "name", True),
    ("post", MOLECULES, {"smiles": "CCO", "synonyms": ["ok", "b\x00d"]}, "synonyms", True),
    ("post", MOLECULES, {"smiles": "C\x00C"}, "smiles", True),
    ("patch", "/api/v1/users/me", {"display_name": "\x00"}, "display_name", True),
    ("post", "/api/v1/teams", {"name": "team\x00"}, "name", True),
    ("post", "/api/v1/users/me/api-tokens", {"name": "tok\x00en"}, "name", True),
]


@pytest.mark.parametrize(("method", "url", "body", "field", "signed_in"), NUL_CASES)
def test_nul_character_is_422_naming_the_field(
    make_user: Any,
    client: Any,
    method: str,
    url: str,
    body: dict[str, Any],
    field: str,
    signed_in: bool,
) -> None:
    # PostgreSQL rejects NUL in text; it must never reach the database as a 500.
    headers = make_user().headers if signed_in else None
    res = getattr(client, method)(url, json=body, headers=headers)
    error = assert_envelope(res, 422, "validation_error")
    assert field in error["details"]["fields"]


def test_nul_character_in_query_is_422(client: Any) -> None:
    error = assert_envelope(client.get(f"{MOLECULES}?q=a%00b"), 422, "validation_error")
    assert "q" in error["details"]["fields"]


def test_lone_surrogate_is_422_naming_the_field(make_user: Any, client: Any) -> None:
    user = make_user()
    res = client.post(
        MOLECULES,
        data='{"smiles": "CCO", "name": "x\\ud800y"}',
        content_type="application/json",
        headers=user.headers,
    )
    error = assert_envelope(res, 422, "validation_error")
    assert "name" in error["details"]["fields"]


def test_nul_in_user_agent_does_not_break_login(make_user: Any, client: Any) -> None:
    user = make_user()
    res = client.post(
        "/api/v1/auth/login",
        json={"email": user.email, "password": user.password},
        headers={"User-Agent": "agent\x00/1.0"},
    )
    assert res.status_code == 200, res.get_data(as_text=True)


# ------------------------------------------------------------- request ids
def test_request_id_header_on_success_and_error(client: Any) -> None:
    ok = client.get("/health")
    assert ok.status_code == 200
    assert ok.headers.get("X-Request-ID")
    for res in (
        client.get("/api/v1/users/me"),
        client.get("/nope"),
        client.post(REGISTER, data="{", content_type="application/json"),
    ):
        assert res.status_code >= 400
        assert res.headers.get("X-Request-ID")
    assert client.get("/health").headers["X-Request-ID"] != ok.headers["X-Request-ID"]


def test_incoming_request_id_is_echoed(client: Any) -> None:
    res = client.get("/api/v1/users/me", headers={"X-Request-ID": "trace-abc.123"})
    assert res.status_code == 401
    assert res.headers["X-Request-ID"] == "trace-abc.123"
