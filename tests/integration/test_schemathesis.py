"""Property-based API tests: schemathesis drives every operation of the OpenAPI document.

Each operation is called with generated (valid and invalid) data, once anonymously and
once as a real signed-in user, and every response must

* not be a server error (the app runs with ``TESTING=True``, so an unexpected exception
  re-raises and fails the test instead of becoming a 500),
* conform to the documented response schema (bodies, content types, headers),
* have a status code the operation documents.

schemathesis 4.32's ``pytest.from_fixture`` lazy loader writes ``Node._nodeid``, which
pytest 9.2 no longer has, so this module drives schemathesis's own per-operation test
builder (``get_all_tests``, the same one the lazy loader uses: examples, coverage and
fuzzing phases) and reports each operation as a pytest subtest.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import load_all_checks
from schemathesis.core.failures import FailureGroup, as_reported_failure
from schemathesis.core.result import Ok
from schemathesis.pytest.lazy import get_all_tests

pytestmark = pytest.mark.integration

HYPOTHESIS = settings(max_examples=15, deadline=None, suppress_health_check=list(HealthCheck))


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


def _run_every_operation(api_schema: Any, subtests: Any, check_case: Callable[[Any], None]) -> int:
    load_all_checks()
    schema = api_schema.clone(test_function=check_case)
    count = 0
    for result in get_all_tests(schema=schema, test_func=check_case, settings=HYPOTHESIS,
                                given_kwargs=None):
        if not isinstance(result, Ok):
            pytest.fail(f"invalid operation in the OpenAPI document: {result.err()}")
        operation, test = result.ok()
        count += 1
        with subtests.test(msg=operation.label):
            try:
                test()
            except FailureGroup as exc:
                raise as_reported_failure(exc) from None
    return count


def test_openapi_document_lists_every_operation(api_schema: Any) -> None:
    documented = {(op.method.upper(), op.path) for op in
                  (result.ok() for result in api_schema.get_all_operations())}
    assert len(documented) >= 20
    assert ("GET", "/api/v1/molecules/{molecule_id}") in documented


def test_api_anonymous(api_schema: Any, subtests: Any) -> None:
    def check_case(case: Any) -> None:
        case.call_and_validate()

    assert _run_every_operation(api_schema, subtests, check_case) >= 20


def test_api_authenticated(api_schema: Any, subtests: Any, auth_headers: dict[str, str]) -> None:
    def check_case(case: Any) -> None:
        case.call_and_validate(headers=auth_headers)

    assert _run_every_operation(api_schema, subtests, check_case) >= 20
