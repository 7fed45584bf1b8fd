"""``.eln`` export and import (issue 18): an experiment with its mixture, protocol, cell type,
molecules and results exported from one install, imported into a FRESH install (its own
embedded PostgreSQL), exported again, and the two archives' records compared.

Compared: every record's kind, name and full data (the JSON files), with each reference to
another record resolved to that record's kind and name. Not compared, because they must
differ between installs: record ids (Dataset ``@id``/``identifier``), timestamps
(``dateCreated``/``dateModified``, the archive's ``datePublished``) and authors (account ids).
Numbers are compared to 12 significant digits: a molecule registered here is standardised
again from the archived SMILES, and RDKit's molecular weight of the same structure differs
in the 16th digit with the atom order of the SMILES it was read from (624.5130000000005 vs
624.5130000000001 for the test's own molecule).
"""

from __future__ import annotations

import io
import json
import shutil
import tempfile
import uuid
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from cryoprotect.db.database import Database
from cryoprotect.services.eln.archive import CrateRecord, read_archive
from cryoprotect.settings import Settings
from tests.conftest import UserHandle, unique_smiles

pytestmark = pytest.mark.integration

EXPORT, IMPORT = "/api/v1/eln/export", "/api/v1/eln/import"
CELL = "rhesus_mii_oocyte"


@pytest.fixture(scope="module")
def fresh_client(settings: Settings) -> Iterator[Any]:
    """A second, empty install: its own data directory, server, migrations and reference data."""
    from cryoprotect.app import create_app
    from cryoprotect.services.reference_data import load_reference_data

    home = Path(tempfile.mkdtemp(prefix="cpt-eln-", dir="/tmp"))
    database = Database(replace(settings, home=home)).start()
    try:
        database.upgrade()
        load_reference_data(database)
        yield create_app(replace(settings, home=home), database).test_client()
    finally:
        database.stop()
        shutil.rmtree(home, ignore_errors=True)


def _register(client: Any) -> dict[str, str]:
    email, password = f"eln-{uuid.uuid4().hex[:10]}@example.org", "correct horse battery"
    client.post("/api/v1/auth/register", json={"email": email, "password": password})
    token = client.post("/api/v1/auth/login", json={"email": email, "password": password}).json
    return {"Authorization": f"Bearer {token['access_token']}"}


def _post(client: Any, path: str, body: dict[str, Any], headers: dict[str, str]) -> Any:
    res = client.post(path, json=body, headers=headers)
    assert res.status_code == 201, (path, res.json)
    return res.json


def _source_records(client: Any, user: UserHandle) -> dict[str, str]:
    """An experiment citing a mixture, a designed protocol and a shipped cell type, and a
    second mixture with a molecule registered by the user (not in the public library)."""
    h = user.headers
    own = _post(client, "/api/v1/molecules", {"smiles": unique_smiles(), "name": "my solute"}, h)
    dmso = _post(
        client,
        "/api/v1/mixtures",
        {
            "name": "DMSO 1.4 M",
            "description": "loading solution",
            "carrier": None,
            "components": [
                {"name": "Dimethyl sulfoxide", "amount": 1.4, "unit": "mol/L", "role": "cpa"}
            ],
            "sources": [{"citation": "bench notebook 7, p. 12"}],
        },
        h,
    )
    second = _post(
        client,
        "/api/v1/mixtures",
        {
            "name": "glycerol with my solute",
            "components": [
                {"name": "glycerol", "amount": 1.0, "unit": "mol/kg", "role": "cpa"},
                {"molecule_id": own["id"], "amount": 0.05, "unit": "mol/kg", "role": "additive"},
            ],
        },
        h,
    )
    protocol = _post(
        client,
        "/api/v1/protocols",
        {
            "name": "two-step DMSO",
            "design_request": {
                "cell_type": CELL,
                "target": {"mixture_id": dmso["id"]},
                "temperature_c": 22.0,
                "max_steps": 2,
            },
        },
        h,
    )
    experiment = _post(
        client,
        "/api/v1/experiments",
        {
            "title": "oocyte vitrification run 3",
            "mixture_id": dmso["id"],
            "protocol_id": protocol["id"],
            "cell_type_id": protocol["cell_type_id"],
            "conditions": {"cooling_rate_c_per_min": 20000, "storage_temperature_c": -196},
            "results": [
                {"measure": "viability_percent", "value": 72.5, "replicates": 3, "sd": 4.1},
                {"measure": "membrane_integrity_percent", "value": 80.0, "replicates": 3},
            ],
            "performed_on": "2026-11-02",
            "operator": "A. N. Other",
            "notes": "warmed at 37 C",
        },
        h,
    )
    return {"experiment": experiment["id"], "second": second["id"], "molecule": own["id"]}


def _export(client: Any, headers: dict[str, str], **selection: list[str]) -> bytes:
    res = client.post(EXPORT, json=selection, headers=headers)
    assert res.status_code == 200, res.get_data(as_text=True)[:500]
    assert res.mimetype == "application/vnd.eln+zip"
    assert ".eln" in res.headers["Content-Disposition"]
    return res.get_data()


def _import(client: Any, headers: dict[str, str], blob: bytes, **form: str) -> Any:
    return client.post(
        IMPORT,
        data={**form, "file": (io.BytesIO(blob), "records.eln")},
        headers=headers,
        content_type="multipart/form-data",
    )


def _comparable(records: list[CrateRecord]) -> list[tuple[str, str, Any]]:
    """(kind, name, data) per record, references replaced by 'kind:name' of the target."""
    labels = {r.ref: f"{r.kind}:{r.name}" for r in records}

    def resolve(value: Any) -> Any:
        if isinstance(value, dict):
            return {k: resolve(v) for k, v in value.items()}
        if isinstance(value, list):
            return [resolve(v) for v in value]
        if isinstance(value, float):
            return float(f"{value:.12g}")
        return labels.get(value, value) if isinstance(value, str) else value

    return sorted((r.kind, r.name, resolve(r.data)) for r in records)


def test_round_trip_into_a_fresh_install_is_identical(
    client: Any, fresh_client: Any, make_user: Callable[..., UserHandle]
) -> None:
    user = make_user("eln")
    made = _source_records(client, user)
    first = _export(
        client, user.headers, experiments=[made["experiment"]], mixtures=[made["second"]]
    )

    # The archive is an .eln: one root folder holding an RO-Crate 1.1 metadata file.
    with zipfile.ZipFile(io.BytesIO(first)) as archive:
        roots = {name.split("/", 1)[0] for name in archive.namelist()}
        assert len(roots) == 1
        root = roots.pop()
        metadata = json.loads(archive.read(f"{root}/ro-crate-metadata.json"))
    graph = {entity["@id"]: entity for entity in metadata["@graph"]}
    assert graph["ro-crate-metadata.json"]["conformsTo"] == {"@id": "https://w3id.org/ro/crate/1.1"}
    experiment_id = f"experiments/{made['experiment']}/"
    assert graph[experiment_id]["@type"] == "Dataset"
    assert graph[experiment_id]["name"] == "oocyte vitrification run 3"
    assert graph[experiment_id]["dateCreated"] and graph[experiment_id]["author"]
    source = read_archive(first)
    assert sorted((r.kind, r.name) for r in source) == sorted(
        [
            ("molecule", "Dimethyl sulfoxide"),
            ("molecule", "Glycerol"),
            ("molecule", "my solute"),
            ("cell_type", next(r.name for r in source if r.kind == "cell_type")),
            ("mixture", "DMSO 1.4 M"),
            ("mixture", "glycerol with my solute"),
            ("protocol", "two-step DMSO"),
            ("experiment", "oocyte vitrification run 3"),
        ]
    )

    there = _register(fresh_client)
    res = _import(fresh_client, there, first)
    assert res.status_code == 201, res.json
    report = {(r["kind"], r["name"]): r for r in res.json["records"]}
    # Molecules of the public library and shipped cell types are re-used, the rest created.
    assert report[("molecule", "Glycerol")]["created"] is False
    assert report[("molecule", "Dimethyl sulfoxide")]["created"] is False
    assert report[("molecule", "my solute")]["created"] is True
    assert next(r for r in res.json["records"] if r["kind"] == "cell_type")["created"] is False
    assert res.json["warnings"] == []
    imported_experiment = report[("experiment", "oocyte vitrification run 3")]["id"]
    imported_second = report[("mixture", "glycerol with my solute")]["id"]
    shown = fresh_client.get(f"/api/v1/experiments/{imported_experiment}", headers=there).json
    assert shown["results"][0]["value"] == 72.5 and shown["mixture_name"] == "DMSO 1.4 M"
    assert shown["visibility"] == "private"

    second = _export(
        fresh_client, there, experiments=[imported_experiment], mixtures=[imported_second]
    )
    assert _comparable(read_archive(second)) == _comparable(source)
    # ... and the ids really are this install's own.
    assert imported_experiment != made["experiment"]


def _zip(entries: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in entries.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def _rezip(blob: bytes, change: Callable[[str, bytes], tuple[str, bytes] | None]) -> bytes:
    entries = {}
    with zipfile.ZipFile(io.BytesIO(blob)) as archive:
        for name in archive.namelist():
            changed = change(name, archive.read(name))
            if changed is not None:
                entries[changed[0]] = changed[1]
    return _zip(entries)


def test_unsafe_or_foreign_archives_are_refused(
    client: Any, make_user: Callable[..., UserHandle]
) -> None:
    user = make_user("eln")
    made = _source_records(client, user)
    good = _export(client, user.headers, experiments=[made["experiment"]])
    root = zipfile.ZipFile(io.BytesIO(good)).namelist()[0].split("/")[0]
    meta = f"{root}/ro-crate-metadata.json"

    def tamper_json(name: str, data: bytes) -> tuple[str, bytes]:
        if name.endswith("experiment.json"):
            return name, data.replace(b"72.5", b"12.5")
        return name, data

    def foreign(name: str, data: bytes) -> tuple[str, bytes]:
        return name, data.replace(
            b"#cryoprotect-export", b"#someone-else"
        ) if name == meta else data

    def old_crate(name: str, data: bytes) -> tuple[str, bytes]:
        return name, data.replace(b"ro/crate/1.1", b"ro/crate/1.0") if name == meta else data

    cases = {
        "not a zip": b"plain text, not an archive",
        "zip slip": _rezip(good, lambda n, d: (f"{root}/../evil.json" if n == meta else n, d)),
        "absolute": _zip({"/etc/evil": b"x"}),
        "two roots": _zip({f"{root}/x": b"1", "other/y": b"2"}),
        "no metadata": _rezip(good, lambda n, d: None if n == meta else (n, d)),
        "tampered": _rezip(good, tamper_json),
        "foreign": _rezip(good, foreign),
        "old ro-crate": _rezip(good, old_crate),
    }
    before = client.get("/api/v1/experiments?per_page=100", headers=user.headers).json["total"]
    for case, blob in cases.items():
        res = _import(client, user.headers, blob)
        assert res.status_code == 422, (case, res.json)
        assert res.json["error"]["details"]["field"] == "file", case
    after = client.get("/api/v1/experiments?per_page=100", headers=user.headers).json["total"]
    assert after == before


def test_an_import_is_all_or_nothing(client: Any, make_user: Callable[..., UserHandle]) -> None:
    user = make_user("eln")
    made = _source_records(client, user)
    good = _export(client, user.headers, experiments=[made["experiment"]])
    records = read_archive(good)
    # An archive (consistent, checksums right) whose experiment holds an impossible value:
    from cryoprotect.services.eln.archive import write_archive

    broken = [
        replace(r, data={**r.data, "results": [{"measure": "viability_percent", "value": 120}]})
        if r.kind == "experiment"
        else r
        for r in records
    ]
    blob = write_archive(broken, root="broken", description="test")
    other = make_user("eln")
    res = _import(client, other.headers, blob)
    assert res.status_code == 422, res.json
    assert res.json["error"]["details"]["record"].startswith("experiments/")
    assert res.json["error"]["details"]["field"] == "results[0].value"
    assert (
        client.get("/api/v1/mixtures?visibility=private", headers=other.headers).json["total"] == 0
    )
    assert client.get("/api/v1/protocols", headers=other.headers).json["total"] == 0


def test_export_and_import_obey_row_level_security(
    client: Any,
    make_user: Callable[..., UserHandle],
    make_team: Callable[..., uuid.UUID],
) -> None:
    owner, stranger, viewer = make_user("eln"), make_user("eln"), make_user("eln")
    made = _source_records(client, owner)
    refused = client.post(
        EXPORT, json={"experiments": [made["experiment"]]}, headers=stranger.headers
    )
    assert refused.status_code == 404
    assert refused.json["error"]["details"]["field"] == "experiments[0]"
    assert client.post(EXPORT, json={"experiments": [made["experiment"]]}).status_code == 401
    assert client.post(EXPORT, json={}, headers=owner.headers).status_code == 422

    blob = _export(client, owner.headers, experiments=[made["experiment"]])
    team = make_team(owner, viewer=[viewer])
    into_team = _import(client, viewer.headers, blob, visibility="team", team_id=str(team))
    assert into_team.status_code == 403, into_team.json
    ok = _import(client, owner.headers, blob, visibility="team", team_id=str(team))
    assert ok.status_code == 201, ok.json
    new_exp = next(r for r in ok.json["records"] if r["kind"] == "experiment")["id"]
    seen = client.get(f"/api/v1/experiments/{new_exp}", headers=viewer.headers)
    assert seen.status_code == 200 and seen.json["visibility"] == "team"
