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
from schemathesis.openapi.checks import UndefinedStatusCode
from schemathesis.pytest.lazy import get_all_tests
from schemathesis.specs.openapi.checks import (
    is_unexpected_http_status_case,
    positive_data_acceptance,
)

pytestmark = pytest.mark.integration

HYPOTHESIS = settings(max_examples=15, deadline=None, suppress_health_check=list(HealthCheck))

# ``positive_data_acceptance`` demands 2xx for any schema-valid request, but the documents
# cannot express every business rule: a syntactically valid SMILES that RDKit rejects
# (400 invalid_structure), an e-mail the service's address check refuses or a password
# shorter than the service's minimum (422 naming the field) are correct answers to
# schema-valid input. Every other default check stays on, plus the stricter status check below.
EXCLUDED = [positive_data_acceptance]


def documented_status_code(ctx: Any, response: Any, case: Any) -> bool | None:
    """Like ``status_code_conformance``, but the catch-all ``default`` response (which
    flask-smorest adds to every operation for the error envelope) does not count, so each
    status must be listed by the operation itself."""
    if is_unexpected_http_status_case(case):
        return None
    codes = [code for code in case.operation.responses.status_codes if code != "default"]
    if str(response.status_code) not in codes:
        raise UndefinedStatusCode(
            operation=case.operation.label,
            status_code=response.status_code,
            defined_status_codes=codes,
            allowed_status_codes=[int(c) for c in codes],
            message=f"Received: {response.status_code}\nDocumented: {', '.join(codes)}",
        )
    return None


CHECKS: dict[str, Any] = {
    "excluded_checks": EXCLUDED,
    "additional_checks": [documented_status_code],
}


@pytest.fixture(scope="module")
def api_schema(app: Any) -> Any:
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    # A schema-violating body can also be too large: refusing it with 413 (documented on
    # every operation with a body) is a rejection too. E.g. one character over a 200 000-
    # character maxLength, drawn from the astral planes, is 2.4 MB of JSON.
    rejection = schema.config.checks.negative_data_rejection
    rejection.expected_statuses = [*rejection.expected_statuses, "413"]
    return schema


@pytest.fixture(scope="module")
def auth_headers(app: Any) -> dict[str, str]:
    """A Bearer header of a real (non-admin) user, registered once for this module."""
    client = app.test_client()
    password = "schemathesis password"  # noqa: S105
    for _ in range(2):  # the second account is never the first-on-install administrator
        email = f"st-{uuid.uuid4().hex[:10]}@example.org"
        res = client.post("/api/v1/auth/register", json={"email": email, "password": password})
        assert res.status_code == 202, res.json
    login = client.post("/api/v1/auth/login", json={"email": email, "password": password})
    assert login.status_code == 200, login.json
    return {"Authorization": f"Bearer {login.json['access_token']}"}


def _run_every_operation(api_schema: Any, subtests: Any, check_case: Callable[[Any], None]) -> int:
    load_all_checks()
    schema = api_schema.clone(test_function=check_case)
    count = 0
    for result in get_all_tests(
        schema=schema, test_func=check_case, settings=HYPOTHESIS, given_kwargs=None
    ):
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
    documented = {
        (op.method.upper(), op.path)
        for op in (result.ok() for result in api_schema.get_all_operations())
    }
    assert len(documented) >= 20
    assert ("GET", "/api/v1/molecules/{molecule_id}") in documented


def test_openapi_documents_cross_cutting_errors(app: Any) -> None:
    """Bodies can be malformed (400), bearer tokens can be bad (401), and every error
    response is the envelope (so ``response_schema_conformance`` checks error bodies too)."""
    spec = app.test_client().get("/api/v1/openapi.json").get_json()
    error_ref = {"$ref": "#/components/schemas/Error"}
    for path, item in spec["paths"].items():
        for method, operation in item.items():
            if method == "parameters":
                continue
            label = f"{method.upper()} {path}"
            responses = operation["responses"]
            if "requestBody" in operation:
                assert "400" in responses, label
            if any("bearerAuth" in req for req in operation.get("security", [])):
                assert "401" in responses, label
            for code, response in responses.items():
                if code == "default" or int(code) < 400 or "$ref" in response:
                    continue
                schema = response["content"]["application/json"]["schema"]
                # The probes' 503 answers with the probe's own report (liveness, readiness).
                probe = {"/health": "Liveness", "/health/ready": "Readiness"}.get(path)
                if probe is not None and code == "503":
                    assert schema == {"$ref": f"#/components/schemas/{probe}"}, label
                    continue
                assert schema == error_ref, (label, code, schema)


def test_api_anonymous(api_schema: Any, subtests: Any) -> None:
    def check_case(case: Any) -> None:
        case.call_and_validate(**CHECKS)

    assert _run_every_operation(api_schema, subtests, check_case) >= 20


def test_api_authenticated(api_schema: Any, subtests: Any, auth_headers: dict[str, str]) -> None:
    def check_case(case: Any) -> None:
        case.call_and_validate(headers=auth_headers, **CHECKS)

    assert _run_every_operation(api_schema, subtests, check_case) >= 20
