"""Saved search indexes against the database (issue 17, item 3).

Each test gives :class:`MoleculeIndex` a directory of its own on the session's database
(row-level security on; writers are signed-in users) and checks the index against the
table read as the service role:

* the first start builds and saves; a later start opens that saved index (no rebuild) and
  applies only the changes after its feed position (inserts, an update of structure and
  visibility, a delete), and then equals the table exactly — ids, fingerprints,
  structures, visibility metadata — and answers searches as brute force over the table;
* a missing, damaged, foreign or other-version saved index is not used: start-up builds
  a new one and still equals the table;
* searches running on other threads while a rebuild writes and swaps in a new saved index
  return exactly the brute-force answer every time; another process's index adopts the
  new saved index.
"""

from __future__ import annotations

import json
import threading
import uuid
from pathlib import Path

import pytest
import sqlalchemy as sa
from rdkit import Chem, DataStructs

from cryoprotect.db.database import Database, Identity
from cryoprotect.db.models import Molecule
from cryoprotect.science.fingerprints import fingerprint_to_bitvect, morgan_fingerprint
from cryoprotect.science.substructure import parse_query
from cryoprotect.search.persist import MANIFEST, saved_indexes
from cryoprotect.services.molecule_index import MoleculeIndex
from tests.conftest import unique_smiles
from tests.integration.test_molecule_index_feed import _bulk_rows, _insert, _row, _user

pytestmark = pytest.mark.integration

PATTERNS = ("OCC", "CN", "CCCCCO", "[OH]")


Row = tuple[bytes, str, str, str, str | None]  # fingerprint, SMILES, visibility, owner, team


def _table(db: Database) -> dict[str, Row]:
    """id -> (fingerprint, SMILES, visibility, owner, team) of every indexed structure."""
    with db.transaction(Identity.service()) as session:
        return {
            str(r.id): (
                bytes(r.morgan_fp),
                r.smiles,
                r.visibility,
                str(r.created_by),
                str(r.team_id) if r.team_id else None,
            )
            for r in session.execute(
                sa.select(
                    Molecule.id,
                    Molecule.morgan_fp,
                    Molecule.smiles,
                    Molecule.visibility,
                    Molecule.created_by,
                    Molecule.team_id,
                ).where(Molecule.kind == "structure", Molecule.morgan_fp.is_not(None))
            )
        }


def _brute_similarity(table: dict[str, Row], query: bytes, k: int) -> list[tuple[str, float]]:
    keys = sorted(table)
    scores = DataStructs.BulkTanimotoSimilarity(
        fingerprint_to_bitvect(query), [fingerprint_to_bitvect(table[key][0]) for key in keys]
    )
    ranked = sorted((-s, key) for key, s in zip(keys, scores, strict=True))
    return [(key, -s) for s, key in ranked[:k]]


def _brute_substructure(table: dict[str, Row], text: str) -> set[str]:
    query = parse_query(text)
    return {
        key for key, row in table.items() if Chem.MolFromSmiles(row[1]).HasSubstructMatch(query)
    }


def _assert_equals_table(index: MoleculeIndex, db: Database, *, searches: bool = True) -> None:
    table = _table(db)
    assert index.similarity.fingerprints() == {key: row[0] for key, row in table.items()}
    assert index.substructure.structures().keys() == table.keys()
    keys = sorted(table)
    metas = index._state.metas(keys)
    assert [(m.visibility, m.created_by, m.team_id) if m else None for m in metas] == [
        table[key][2:] for key in keys
    ]
    if searches:
        for key in keys[:: max(1, len(keys) // 6)]:
            assert index.similarity.search(table[key][0], 12) == _brute_similarity(
                table, table[key][0], 12
            )
        for text in PATTERNS:
            found = index.substructure.search(parse_query(text), max_hits=10**6)
            assert set(found) == _brute_substructure(table, text), text


def _edit(db: Database, owner: uuid.UUID, replacement_smiles: str) -> tuple[str, str]:
    """Insert, update (structure and visibility) and delete; returns (updated, deleted)."""
    rows = [_row(f"C{'C' * n}OC(C)C{'C' * n}N", owner) for n in range(2, 6)]
    _insert(db, owner, rows)
    updated, deleted = str(rows[0]["id"]), str(rows[1]["id"])
    replacement = _row(replacement_smiles, owner)
    with db.transaction(Identity.user(owner)) as session:
        session.execute(
            sa.update(Molecule)
            .where(Molecule.id == uuid.UUID(updated))
            .values(
                smiles=replacement["smiles"],
                morgan_fp=replacement["morgan_fp"],
                inchi=replacement["inchi"],
                inchikey=replacement["inchikey"],
                formula=replacement["formula"],
                molecular_weight=replacement["molecular_weight"],
                visibility="public",
            )
        )
        session.execute(sa.delete(Molecule).where(Molecule.id == uuid.UUID(deleted)))
    return updated, deleted


def test_start_up_from_a_saved_index_plus_later_changes_equals_the_table(
    db: Database, tmp_path: Path
) -> None:
    owner = _user(db)
    _insert(db, owner, _bulk_rows(owner, 60))
    first = MoleculeIndex(db, index_dir=tmp_path, build_chunk=25)  # folds while building
    first.ensure_loaded()
    saved = first.saved_path
    assert saved is not None and saved_indexes(tmp_path) == [saved]
    assert not list(tmp_path.glob(".partial-*")) and not list(tmp_path.glob(".tmp-*"))
    _assert_equals_table(first, db)

    replacement = unique_smiles()
    updated, deleted = _edit(db, owner, replacement)
    second = MoleculeIndex(db, index_dir=tmp_path)
    second.ensure_loaded()
    assert second.saved_path == saved  # opened, not rebuilt
    assert second._state.changed == 3  # four inserted, one of them updated, one deleted
    assert deleted not in second.substructure and updated in second.similarity
    _assert_equals_table(second, db)
    fp = morgan_fingerprint(Chem.MolFromSmiles(replacement))
    assert second.similarity.search(fp, 1) == [(updated, 1.0)]
    assert first.sync() == 4  # distinct rows changed
    _assert_equals_table(first, db, searches=False)


@pytest.mark.parametrize("damage", ["missing", "damaged", "other version", "other database"])
def test_unusable_saved_index_falls_back_to_a_build(
    db: Database, tmp_path: Path, damage: str
) -> None:
    owner = _user(db)
    _insert(db, owner, _bulk_rows(owner, 20))
    first = MoleculeIndex(db, index_dir=tmp_path)
    first.ensure_loaded()
    assert first.saved_path is not None
    path = first.saved_path
    manifest = json.loads((path / MANIFEST).read_text())
    if damage == "missing":
        for entry in path.iterdir():
            entry.unlink()
        path.rmdir()
    elif damage == "damaged":
        (path / "sub_patterns.npy").write_bytes(b"\x93NUMPY garbage")
    elif damage == "other version":
        (path / MANIFEST).write_text(json.dumps({**manifest, "format": manifest["format"] + 1}))
    else:
        (path / MANIFEST).write_text(json.dumps({**manifest, "source": {"database": "x"}}))
    _edit(db, owner, unique_smiles())
    second = MoleculeIndex(db, index_dir=tmp_path)
    second.ensure_loaded()
    assert second.saved_path is not None and second.saved_path != path
    _assert_equals_table(second, db)


def test_searches_during_a_background_rebuild_are_exact(db: Database, tmp_path: Path) -> None:
    owner = _user(db)
    _insert(db, owner, _bulk_rows(owner, 80))
    index = MoleculeIndex(db, index_dir=tmp_path, rebuild_after=10)
    index.ensure_loaded()
    before = index.saved_path
    _edit(db, owner, unique_smiles())
    _insert(db, owner, [_row(unique_smiles(), owner) for _ in range(10)])
    table = _table(db)
    queries = [table[key][0] for key in sorted(table)[::25]]
    expected = [_brute_similarity(table, q, 10) for q in queries]
    matching = {text: _brute_substructure(table, text) for text in PATTERNS}
    index.sync()  # >= 10 changes: a rebuild starts in the background
    errors: list[str] = []
    rounds = [0]
    stop = threading.Event()

    def search() -> None:
        while not stop.is_set():
            for query, want in zip(queries, expected, strict=True):
                if index.similarity.search(query, 10) != want:
                    errors.append("similarity")
            for text, want_set in matching.items():
                if set(index.substructure.search(parse_query(text), max_hits=10**6)) != want_set:
                    errors.append(text)
            rounds[0] += 1

    workers = [threading.Thread(target=search, daemon=True) for _ in range(2)]
    for worker in workers:
        worker.start()
    try:
        background = index._background
        assert background is not None
        background.join(timeout=120)
        rebuilt = index.rebuild(wait=True)  # and one more, in the foreground, while they search
    finally:
        stop.set()
        for worker in workers:
            worker.join(timeout=60)
    assert not errors, errors[:5]
    assert rounds[0] > 0
    assert index.saved_path == rebuilt and rebuilt != before
    assert index._state.changed == 0  # nothing on top of the new saved index
    _assert_equals_table(index, db)

    # Another process's index (same directory) adopts the newest saved index.
    other = MoleculeIndex(db, index_dir=tmp_path)
    other._state = other._open_newest(other._source()) or other._state
    other._loaded = True
    assert other.saved_path == rebuilt
    newer = index.rebuild(wait=True)
    other._checked = 0.0
    other.sync()
    assert other._background is not None
    other._background.join(timeout=60)
    assert other.saved_path == newer
    _assert_equals_table(other, db, searches=False)


def test_cli_index_rebuild_and_status(db: Database, tmp_path: Path) -> None:
    from click.testing import CliRunner

    from cryoprotect.cli import main

    runner = CliRunner()
    env = {
        "CRYOPROTECT_HOME": str(db.settings.home),
        "CRYOPROTECT_INDEX_DIR": str(tmp_path),
        "DATABASE_URL": None,
    }

    def cli(*args: str) -> str:
        result = runner.invoke(main, list(args), env=env, catch_exceptions=False)
        assert result.exit_code == 0, result.output
        return result.output

    assert "No saved search index" in cli("index", "status")
    rows = len(_table(db))
    built = cli("index", "rebuild")
    assert f"({rows} molecules)" in built
    [first] = saved_indexes(tmp_path)
    assert first.name in built
    assert first.name in cli("index", "status") and f"{rows} molecules" in cli("index", "status")
    for args in (("index", "rebuild"), ("index", "rebuild", "--full")):
        output = cli(*args)
        newest = saved_indexes(tmp_path)[0]
        assert newest.name in output and newest != first
        assert json.loads((newest / MANIFEST).read_text())["rows"] == rows
        first = newest
    assert len(saved_indexes(tmp_path)) == 2  # older ones are pruned
    index = MoleculeIndex(db, index_dir=tmp_path)
    index.ensure_loaded()
    assert index.saved_path == first
    _assert_equals_table(index, db, searches=False)
