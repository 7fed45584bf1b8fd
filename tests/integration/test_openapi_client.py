"""The OpenAPI document is one real clients can use (issue 15, item 7).

It is valid OpenAPI 3.0.3 (openapi-spec-validator), and a standard generator
(openapi-python-client, offline) turns it into a client without dropping a schema or an
operation; that client lists molecules and experiments against the running app (a real
HTTP server in a thread) and parses the answers into its models.
"""

from __future__ import annotations

import importlib
import json
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import require

pytestmark = pytest.mark.integration

PACKAGE = "cryoprotect_generated_client"


@pytest.fixture(scope="module")
def spec(app: Any) -> dict[str, Any]:
    document: dict[str, Any] = app.test_client().get("/api/v1/openapi.json").get_json()
    return document


@pytest.fixture(scope="module")
def served(app: Any) -> Iterator[str]:
    from tests.e2e.conftest import serve_in_thread

    with serve_in_thread(app) as base:
        yield base


def test_document_is_valid_openapi_3_0_3(spec: dict[str, Any]) -> None:
    try:
        from openapi_spec_validator import OpenAPIV30SpecValidator
    except ImportError:
        require(False, "openapi-spec-validator is a test dependency (pip install -e '.[test]')")
    assert spec["openapi"] == "3.0.3"
    errors = [e.message for e in OpenAPIV30SpecValidator(spec).iter_errors()]
    assert errors == []
    form_parameters = [
        f"{method.upper()} {path}"
        for path, operations in spec["paths"].items()
        for method, operation in operations.items()
        if isinstance(operation, dict)
        for parameter in operation.get("parameters", ())
        if parameter.get("in") not in ("path", "query", "header", "cookie")
    ]
    assert form_parameters == []


def test_multipart_imports_describe_their_fields_in_the_request_body(
    spec: dict[str, Any],
) -> None:
    schemas = spec["components"]["schemas"]
    for path, fields in (
        ("/api/v1/molecules/import", {"file", "format", "visibility", "team_id"}),
        ("/api/v1/experiments/import", {"file", "visibility", "team_id", "atomic"}),
    ):
        body = spec["paths"][path]["post"]["requestBody"]
        ref = body["content"]["multipart/form-data"]["schema"]["$ref"]
        properties = schemas[ref.rsplit("/", 1)[1]]["properties"]
        assert fields <= set(properties), path
        assert properties["file"] == {"type": "string", "format": "binary"}


def _generate(spec: dict[str, Any], workdir: Path) -> tuple[Path, str]:
    require(
        importlib.util.find_spec("openapi_python_client") is not None,
        "openapi-python-client is a test dependency (pip install -e '.[test]')",
    )
    (workdir / "openapi.json").write_text(json.dumps(spec))
    (workdir / "config.json").write_text(json.dumps({"post_hooks": []}))
    run = subprocess.run(  # noqa: S603 (our interpreter, our arguments)
        [
            sys.executable,
            "-m",
            "openapi_python_client",
            "generate",
            "--path",
            str(workdir / "openapi.json"),
            "--config",
            str(workdir / "config.json"),
            "--meta",
            "none",
            "--output-path",
            str(workdir / PACKAGE),
        ],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    output = run.stdout + run.stderr
    assert run.returncode == 0, output
    return workdir / PACKAGE, output


def test_generated_client_lists_molecules_and_experiments(
    spec: dict[str, Any], served: str, make_user: Any, client: Any, tmp_path: Path
) -> None:
    package, output = _generate(spec, tmp_path)
    # Nothing dropped: no schema the generator could not name, no operation left out.
    assert "Unable to process schema" not in output, output
    assert "WARNING parsing" not in output, output
    for model in ("experiment", "protocol", "design", "experiment_page", "molecule_page"):
        assert (package / "models" / f"{model}.py").exists(), model

    user = make_user("client")
    title = f"generated-client-{uuid.uuid4().hex[:8]}"
    created = client.post(
        "/api/v1/experiments",
        json={
            "title": title,
            "conditions": {"storage_temperature_c": -196.0, "method": "slow cooling"},
            "results": [{"measure": "viability_percent", "value": 72.5, "replicates": 3}],
        },
        headers=user.headers,
    )
    assert created.status_code == 201, created.json

    sys.path.insert(0, str(tmp_path))
    try:
        generated = importlib.import_module(PACKAGE)
        list_molecules = importlib.import_module(f"{PACKAGE}.api.molecules.get_api_v1_molecules")
        list_experiments = importlib.import_module(
            f"{PACKAGE}.api.experiments.get_api_v1_experiments"
        )
        with generated.AuthenticatedClient(base_url=served, token=user.access_token) as api:
            molecules = list_molecules.sync_detailed(client=api, per_page=5)
            assert molecules.status_code == 200
            assert molecules.parsed is not None and molecules.parsed.total > 0
            assert len(molecules.parsed.items) == 5
            direct = client.get("/api/v1/molecules?per_page=5", headers=user.headers).json
            assert [str(m.id) for m in molecules.parsed.items] == [d["id"] for d in direct["items"]]
            assert [m.smiles for m in molecules.parsed.items] == [
                d["smiles"] for d in direct["items"]
            ]
            assert molecules.headers["X-Total-Count"] == str(molecules.parsed.total)

            experiments = list_experiments.sync_detailed(client=api, q=title, per_page=100)
            assert experiments.status_code == 200
            page = experiments.parsed
            assert page is not None
            mine = [e for e in page.items if e.title == title]
            assert len(mine) == 1
            assert str(mine[0].id) == created.json["id"]
            assert mine[0].conditions.to_dict()["storage_temperature_c"] == -196.0
    finally:
        sys.path.remove(str(tmp_path))
        for name in [m for m in sys.modules if m == PACKAGE or m.startswith(PACKAGE + ".")]:
            del sys.modules[name]
