"""`cryoprotect import` of the screen's Parquet output (COPY into staging, INSERT … SELECT).

The screen runs for real (a local Dask cluster of one worker process), its Parquet directory
is imported through the CLI, and what lands is compared with the normal file import of the
same SMILES: the same molecules (InChIKeys, stored identifiers, fingerprints, computed
properties), the same duplicate counting, the caller's row-level security, refusal of Parquet
that is not the screen's, and no half-written batch.
"""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import sqlalchemy as sa
from click.testing import CliRunner

from cryoprotect.cli import main
from cryoprotect.db.database import Database, Identity
from cryoprotect.errors import ValidationError
from cryoprotect.science.alerts import alerts_for_smiles, alerts_key, encode_alerts
from cryoprotect.services.actor import Actor
from cryoprotect.services.auth import AuthService
from cryoprotect.services.molecule_io import import_molecules, read_records
from cryoprotect.services.molecules import MoleculeService
from cryoprotect.services.molecules.bulk import import_screen_parquet
from cryoprotect.services.molecules.records import read_properties
from cryoprotect.services.screening_dask import screen_files_dask
from cryoprotect.services.screening_parts import ALERTS_KEY
from cryoprotect.settings import Settings
from tests.conftest import unique_smiles

pytestmark = pytest.mark.integration

# Glycerol written twice (same parent InChIKey), a salt (parent kept), one unparsable line.
FIXED = ["OCC(O)CO glycerol", "C(O)C(O)CO glycerol-again", "CS(C)=O dmso", "C1CC broken"]
FIXED += ["[Na+].OC(=O)CC(O)(CC(=O)O)C(=O)[O-] citrate-salt", "OCCO ethylene-glycol"]


def _run(settings: Settings, *args: str) -> Any:
    env = {"CRYOPROTECT_HOME": str(settings.home), "DATABASE_URL": None}
    return CliRunner().invoke(main, list(args), env=env, catch_exceptions=False)


def _user(db: Database, settings: Settings, prefix: str) -> tuple[str, Actor]:
    email = f"{prefix}-{uuid.uuid4().hex[:8]}@example.org"
    user = AuthService(db, settings).register(email, "long enough password")
    return email, Actor(user_id=user.id, email=email)


@pytest.fixture(scope="module")
def library(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A SMILES file (unique structures plus FIXED) and its screen as a Parquet directory."""
    base = tmp_path_factory.mktemp("parquet-import")
    source = base / "library.smi"
    lines = [f"{unique_smiles()} unique-{i}" for i in range(40)] + FIXED
    source.write_text("\n".join(lines) + "\n")
    out = base / "ranked"
    summary = screen_files_dask([source], parquet_dir=out, processes=1, partition_rows=15)
    assert summary.total == len(lines) and summary.failed == 1
    return source, out


def _stored(db: Database, actor: Actor) -> dict[str, tuple[Any, ...]]:
    """The caller's private molecules by InChIKey: stored cells, the stored structural
    alerts and their key, and property records (as the molecule's detail reads them:
    computed descriptors included)."""
    with db.transaction(actor.identity) as session:
        rows = session.execute(
            sa.text(
                "SELECT m.inchikey, m.name, m.smiles, m.inchi, m.formula, m.molecular_weight, "
                "m.morgan_fp, m.standardization, m.kind, d.alerts, d.alerts_key, m.id "
                "FROM molecules m LEFT JOIN molecule_descriptors d ON d.molecule_id = m.id "
                "WHERE m.created_by = :me AND m.visibility = 'private'"
            ),
            {"me": actor.user_id},
        ).all()
        return {
            row[0]: (
                *row[1:-1],
                tuple(
                    f"{p.property_name}={p.value!r}|{p.unit or ''}|{p.method}|{p.provenance}"
                    for p in read_properties(session, row[-1])
                ),
            )
            for row in rows
        }


def test_round_trip_lands_what_the_normal_import_lands(
    settings: Settings, db: Database, library: tuple[Path, Path], tmp_path: Path
) -> None:
    source, parquet = library
    email, bulk_actor = _user(db, settings, "bulk")
    result = _run(settings, "import", str(parquet), "--user", email)
    assert result.exit_code == 0, result.output
    # 46 rows: 44 distinct parents, glycerol twice, one unparsable.
    assert "46 rows: 44 added, 1 already present, 1 rejected." in result.output
    assert "ring" in result.output.lower() and "library.smi" in result.output

    _, normal_actor = _user(db, settings, "normal")
    normal = import_molecules(db, normal_actor, read_records(source.read_bytes(), "smiles"))
    assert (normal.created, normal.duplicates, normal.rejected_count) == (44, 1, 1)

    bulk_rows, normal_rows = _stored(db, bulk_actor), _stored(db, normal_actor)
    assert set(bulk_rows) == set(normal_rows) and len(bulk_rows) == 44
    assert bulk_rows == normal_rows  # names, identifiers, fingerprint, record, properties
    assert bulk_rows["PEDCQBHIVMGVHV-UHFFFAOYSA-N"][0] == "glycerol"  # the first row's name
    assert len(bulk_rows["PEDCQBHIVMGVHV-UHFFFAOYSA-N"][-1]) == 19  # computed descriptors
    # Structural alerts stored by both paths under the current key, equal to those found on
    # read (the long chains of the unique structures have some).
    assert {row[-2] for row in bulk_rows.values()} == {alerts_key()}
    for row in bulk_rows.values():
        assert row[-3] == encode_alerts(alerts_for_smiles(row[1]))
    assert any(row[-3] for row in bulk_rows.values())


def test_alerts_found_under_another_key_are_not_stored(
    settings: Settings, db: Database, tmp_path: Path, library: tuple[Path, Path]
) -> None:
    _, parquet = library
    _, actor = _user(db, settings, "older")
    older = tmp_path / "older"
    older.mkdir()
    for part in sorted(parquet.glob("part-*.parquet")):
        table = pq.read_table(part)
        metadata = {**(table.schema.metadata or {}), ALERTS_KEY: b"0:an-older-rdkit"}
        pq.write_table(table.replace_schema_metadata(metadata), older / part.name)
    report = import_screen_parquet(db, actor, older)
    assert report.created == 44
    assert {(row[-3], row[-2]) for row in _stored(db, actor).values()} == {(None, None)}


def test_duplicates_in_scope_are_skipped_and_counted(
    settings: Settings, db: Database, library: tuple[Path, Path]
) -> None:
    _, parquet = library
    email, actor = _user(db, settings, "dups")
    # One molecule of the file already registered by the normal path in the same scope.
    MoleculeService(db).create(actor, smiles="OCCO", name="mine already")
    first = import_screen_parquet(db, actor, parquet, batch_rows=7)
    assert (first.total, first.created, first.duplicates, first.rejected_count) == (46, 43, 2, 1)
    again = _run(settings, "import", str(parquet), "--user", email)
    assert again.exit_code == 0, again.output
    assert "46 rows: 0 added, 45 already present, 1 rejected." in again.output
    assert len(_stored(db, actor)) == 44
    assert _stored(db, actor)["LYCAIKOWRPUZTN-UHFFFAOYSA-N"][0] == "mine already"


def test_a_private_import_is_invisible_to_another_user(
    settings: Settings, db: Database, library: tuple[Path, Path]
) -> None:
    _, parquet = library
    _, owner = _user(db, settings, "owner")
    _, other = _user(db, settings, "other")
    report = import_screen_parquet(db, owner, parquet)
    assert report.created == 44
    service = MoleculeService(db)
    assert service.list(owner, visibility="private", per_page=100).total == 44
    assert service.list(other, visibility="private", per_page=100).total == 0
    with db.transaction(other.identity) as session:
        seen = session.scalar(
            sa.text("SELECT count(*) FROM molecules WHERE id = ANY(CAST(:ids AS uuid[]))"),
            {"ids": report.created_ids},
        )
        props = session.scalar(
            sa.text(
                "SELECT (SELECT count(*) FROM molecule_descriptors "
                "        WHERE molecule_id = ANY(CAST(:ids AS uuid[]))) "
                "     + (SELECT count(*) FROM molecular_properties "
                "        WHERE molecule_id = ANY(CAST(:ids AS uuid[])))"
            ),
            {"ids": report.created_ids},
        )
    assert (seen, props) == (0, 0)
    # The other user's own import is in its own scope: nothing of the owner's is a duplicate.
    theirs = import_screen_parquet(db, other, parquet)
    assert (theirs.created, theirs.duplicates) == (44, 1)


def test_parquet_that_is_not_the_screens_is_refused_naming_the_file(
    settings: Settings, db: Database, tmp_path: Path, library: tuple[Path, Path]
) -> None:
    email, actor = _user(db, settings, "refused")
    plain = tmp_path / "plain.parquet"
    pq.write_table(pa.table({"smiles": ["CCO"], "name": ["ethanol"]}), plain)
    result = _run(settings, "import", str(plain), "--user", email)
    assert result.exit_code != 0
    assert str(plain) in result.output and "not the output of" in result.output
    # A directory of the screen's parts where one part lost its registration columns.
    _, parquet = library
    mixed = tmp_path / "mixed"
    mixed.mkdir()
    parts = sorted(parquet.glob("part-*.parquet"))
    for part in parts:
        (mixed / part.name).write_bytes(part.read_bytes())
    broken = mixed / parts[-1].name
    table = pq.read_table(broken).drop_columns(["registration_morgan_fp"])
    pq.write_table(table, broken)  # keeps the marker, loses a column
    with pytest.raises(ValidationError, match=str(broken)) as caught:
        import_screen_parquet(db, actor, mixed)
    assert "registration_morgan_fp" in caught.value.message
    broken.write_bytes(parts[-1].read_bytes())  # whole again: now only the truncated one
    truncated = mixed / "part-9999-000000.parquet"
    truncated.write_bytes(parts[0].read_bytes()[:100])
    with pytest.raises(ValidationError, match=str(truncated)):
        import_screen_parquet(db, actor, mixed)
    assert _stored(db, actor) == {}  # refused before anything was written


def test_a_failing_batch_leaves_nothing_of_itself(
    settings: Settings, db: Database, tmp_path: Path, library: tuple[Path, Path]
) -> None:
    _, parquet = library
    _, actor = _user(db, settings, "halfway")
    part = sorted(parquet.glob("part-*.parquet"))[0]
    table = pq.read_table(part).slice(0, 10)
    names = table.column("name").to_pylist()
    names[8] = "x" * 400  # longer than molecules.name allows: the database refuses the row
    table = table.set_column(table.schema.get_field_index("name"), "name", pa.array(names))
    single = tmp_path / "part-0000-000000.parquet"
    pq.write_table(table.replace_schema_metadata(pq.read_schema(part).metadata), single)
    keys = table.column("inchikey").to_pylist()
    with pytest.raises(Exception, match="too long|value too long|StringDataRightTruncation"):
        import_screen_parquet(db, actor, single, batch_rows=5)
    stored = _stored(db, actor)
    assert set(stored) == set(keys[:5])  # the first batch committed, the second not at all
    with db.transaction(actor.identity) as session:
        orphans = session.execute(
            sa.text(
                "SELECT count(*), sum(cardinality(d.descriptor_values)), "
                "  (SELECT count(*) FROM molecule_descriptors x "
                "   WHERE NOT EXISTS (SELECT 1 FROM molecules y WHERE y.id = x.molecule_id)) "
                "FROM molecule_descriptors d JOIN molecules m "
                "ON m.id = d.molecule_id WHERE m.created_by = :me"
            ),
            {"me": actor.user_id},
        ).one()
    assert tuple(orphans) == (5, 5 * 19, 0)


def test_imported_molecules_are_audited_and_found_by_search(
    settings: Settings, db: Database, library: tuple[Path, Path]
) -> None:
    """The audit rows the search indexes' change feed reads: one INSERT row per molecule,
    as the per-row trigger wrote it (actor, role, id, the row as JSON, its transaction)."""
    _, parquet = library
    _, actor = _user(db, settings, "audited")
    service = MoleculeService(db)
    service.similar(actor, structure="OCC(O)CO", k=1)  # the index is loaded before the import
    report = import_screen_parquet(db, actor, parquet, batch_rows=20)
    assert report.created == 44
    with db.transaction(Identity.service()) as session:
        audit = session.execute(
            sa.text(
                "SELECT count(*), count(DISTINCT a.row_id), "
                "  bool_and(a.action = 'INSERT' AND a.actor_id = :me "
                "           AND a.actor_role = 'authenticated' AND a.old_data IS NULL "
                "           AND a.new_data = to_jsonb(m) AND a.xact_id > 0), "
                "  count(DISTINCT a.xact_id) "
                "FROM audit_log a JOIN molecules m ON m.id::text = a.row_id "
                "WHERE a.table_name = 'molecules' AND a.row_id = ANY(:ids)"
            ),
            {"me": actor.user_id, "ids": report.created_ids},
        ).one()
    assert tuple(audit) == (44, 44, True, 3)  # batches of 20: three transactions
    glycerol = _stored(db, actor)["PEDCQBHIVMGVHV-UHFFFAOYSA-N"]
    found = service.similar(actor, structure="OCC(O)CO", k=3)
    assert glycerol[1] in {hit.smiles for hit in found.items}
    ids = {str(hit.id) for hit in found.items}
    assert ids & set(report.created_ids)
    substructure = service.substructure(actor, "OCC(O)CO")
    assert {str(hit.id) for hit in substructure.items} & set(report.created_ids)
