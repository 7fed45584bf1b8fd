"""Property-based API tests: schemathesis drives every operation of the OpenAPI document.

Each operation is called with generated (valid and invalid) data, once anonymously and
once as a real signed-in user, and every response must

* not be a server error (the app runs with ``TESTING=True``, so an unexpected exception
  re-raises and fails the test instead of becoming a 500),
* conform to the documented response schema (bodies, content types, headers),
* have a status code the operation documents.
"""

from __future__ import annotations

import uuid
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, settings

pytestmark = pytest.mark.integration

HYPOTHESIS = settings(max_examples=15, deadline=None, suppress_health_check=list(HealthCheck))

schema = schemathesis.pytest.from_fixture("api_schema")


@pytest.fixture(scope="module")
def api_schema(app: Any) -> Any:
    return schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)


@pytest.fixture(scope="module")
def auth_headers(app: Any) -> dict[str, str]:
    """A Bearer header of a real (non-admin) user, registered once for this module."""
    client = app.test_client()
    password = "schemathesis password"
    for _ in range(2):  # the second account is never the first-on-install administrator
        email = f"st-{uuid.uuid4().hex[:10]}@example.org"
        res = client.post("/api/v1/auth/register", json={"email": email, "password": password})
        assert res.status_code == 201, res.json
    login = client.post("/api/v1/auth/login", json={"email": email, "password": password})
    assert login.status_code == 200, login.json
    return {"Authorization": f"Bearer {login.json['access_token']}"}


def test_openapi_document_lists_every_operation(api_schema: Any, app: Any) -> None:
    documented = {(op.method.upper(), op.path) for op in
                  (result.ok() for result in api_schema.get_all_operations())}
    assert len(documented) >= 20
    assert ("GET", "/api/v1/molecules/{molecule_id}") in documented


@schema.parametrize()
@HYPOTHESIS
def test_api_anonymous(case: Any) -> None:
    case.call_and_validate()


@schema.parametrize()
@HYPOTHESIS
def test_api_authenticated(case: Any, auth_headers: dict[str, str]) -> None:
    case.call_and_validate(headers=auth_headers)
