"""Distributed screening's partitions (issue 17, item 1): read piecewise, a file yields exactly
the records — with the same row numbers — that the local engine reads in one pass; a file that
cannot be screened fails at planning, naming the file."""

from __future__ import annotations

import gzip
import shutil
from itertools import accumulate
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from rdkit import RDConfig

from cryoprotect.services.screening import iter_input, screen_file
from cryoprotect.services.screening_parts import (
    ScreenInputError,
    plan_file,
    read_partition,
    score_partition,
)

pytestmark = pytest.mark.unit

NCI_SDF = Path(RDConfig.RDDataDir) / "NCI" / "first_200.props.sdf"
SMILES = "smiles name\nCCO ethanol\n\n# a comment\nC1CC broken\nOCC(O)CO glycerol\r\nCC\n"


def _inputs(tmp_path: Path) -> list[Path]:
    smi = tmp_path / "lib.smi"
    smi.write_text(SMILES * 7, encoding="utf-8", newline="")
    gz = tmp_path / "lib.smi.gz"
    gz.write_bytes(gzip.compress(smi.read_bytes()))
    table = tmp_path / "lib.csv"
    table.write_text("smiles,name\nCCO,ethanol\n\nCCN,ethylamine\nOCCO\n", encoding="utf-8")
    sdf = tmp_path / "lib.sdf"
    shutil.copy(NCI_SDF, sdf)
    sdf_gz = tmp_path / "lib.sdf.gz"
    sdf_gz.write_bytes(gzip.compress(sdf.read_bytes()))
    return [smi, gz, table, sdf, sdf_gz]


@pytest.mark.parametrize("size", [1, 3, 7, 10_000])
def test_partitions_read_what_the_local_engine_reads(tmp_path: Path, size: int) -> None:
    for source in _inputs(tmp_path):
        parts = plan_file(str(source), 0, size)
        pieces = [record for part in parts for record in read_partition(part)]
        whole = list(iter_input(source))
        assert pieces == whole, source.name
        assert len(whole) > 1
        assert [p.index for p in parts] == list(range(len(parts)))
        if size == 1:
            assert len(parts) > 1


def test_sdf_partitions_cut_at_record_boundaries(tmp_path: Path) -> None:
    sdf = tmp_path / "lib.sdf"
    shutil.copy(NCI_SDF, sdf)
    parts = plan_file(str(sdf), 2, 64)
    assert [p.count for p in parts] == [64, 64, 64, 8]
    assert [p.first_row for p in parts] == [1, 65, 129, 193]
    assert all(p.file_index == 2 for p in parts)
    titles = [r[3] for r in read_partition(parts[1])]
    assert titles == [r[3] for r in iter_input(sdf)][64:128]


def test_parquet_rows_numbered_from_one_across_row_groups(tmp_path: Path) -> None:
    source = tmp_path / "lib.parquet"
    table = pa.table({"smiles": ["CCO", "CCN", "OCCO"] * 5, "name": ["a", "b", None] * 5})
    pq.write_table(table, source, row_group_size=4)
    for size in (1, 2, 5, 100):
        records = [r for part in plan_file(str(source), 0, size) for r in read_partition(part)]
        assert [r[0] for r in records] == list(range(1, 16))
        assert records[:3] == [
            (1, "CCO", "smiles", "a"),
            (2, "CCN", "smiles", "b"),
            (3, "OCCO", "smiles", None),
        ]


def test_bad_files_fail_at_planning_naming_the_file(tmp_path: Path) -> None:
    corrupt = tmp_path / "cut.smi.gz"
    corrupt.write_bytes(gzip.compress(b"CCO ethanol\n" * 2000)[:-40])
    no_smiles = tmp_path / "nosmiles.parquet"
    pq.write_table(pa.table({"structure": ["CCO"]}), no_smiles)
    binary = tmp_path / "binary.smi"
    binary.write_bytes(b"CCO ethanol\n\x00\x01\x02garbage\n")
    unknown = tmp_path / "library.xlsx"
    unknown.write_bytes(b"PK\x03\x04")
    missing = tmp_path / "missing.smi"
    expected = {
        corrupt: "cannot be read",
        no_smiles: "no 'smiles' column",
        binary: "line 2 holds a NUL byte",
        unknown: "unknown format",
        missing: "cannot be read",
    }
    for source, reason in expected.items():
        with pytest.raises(ScreenInputError) as caught:
            plan_file(str(source), 0, 100)
        assert str(source) in str(caught.value) and reason in str(caught.value)


def test_a_partition_writes_the_local_engines_csv_lines(tmp_path: Path) -> None:
    source = tmp_path / "lib.smi"
    source.write_text(SMILES * 3, encoding="utf-8", newline="")
    local = tmp_path / "local.csv"
    screen_file(source, local, processes=1)
    # The local engine's lines in input order (its rank column taken off); 14 rows: the
    # header line is read as a (failing) SMILES in the 2nd and 3rd copies.
    expected = sorted(
        (line.split(",", 1)[1] for line in local.read_text().splitlines()[1:]),
        key=lambda line: int(line.split(",", 1)[0]),
    )
    staging = tmp_path / "staging"
    staging.mkdir()
    lines: list[str] = []
    for part in plan_file(str(source), 0, 4):
        result = score_partition(part, str(staging), "alert_adjusted", parquet=False, lines=True)
        text = Path(result.lines).read_bytes().decode("utf-8")
        rows = text.splitlines(keepends=True)
        assert result.path == "" and result.line_ends is not None
        assert result.line_ends.tolist() == list(accumulate(len(r.encode()) for r in rows))
        assert len(rows) == len(result.keys)
        lines += [row.removesuffix("\n") for row in rows]
    assert lines == [f"{line},lib.smi" for line in expected]
    assert len(lines) == 14 and not list(staging.glob("*.parquet"))
