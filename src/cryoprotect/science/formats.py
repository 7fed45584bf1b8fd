"""Chemical file formats: split SD files into records, write SD files.

Pure text handling plus RDKit for writing; reading keeps each record's MOL block as text so
that parsing errors are reported per record by the one parser (``standardize``).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from rdkit import Chem


def sdf_records(data: bytes) -> Iterator[tuple[int, str, str | None]]:
    """Split an SD file into ``(record number, MOL block, title)``; numbering starts at 1.

    Records are separated by ``$$$$`` lines; the data items after ``M  END`` are dropped
    from the block. A trailing empty record is ignored.
    """
    text = data.decode("utf-8-sig", errors="replace").replace("\r\n", "\n")
    number = 0
    for chunk in text.split("$$$$"):
        block = _from_header(chunk)
        if not block.strip():
            continue
        number += 1
        end = block.find("M  END")
        molblock = block[: end + len("M  END")] + "\n" if end >= 0 else block
        title = block.split("\n", 1)[0].strip() or None
        yield number, molblock, title


def _from_header(chunk: str) -> str:
    """A record from its three header lines on: a molfile's title line may be empty, so
    the blank lines before a record are told from it by the counts line (V2000/V3000),
    which is the fourth line of the header."""
    lines = chunk.split("\n")
    counts = next(
        (i for i, line in enumerate(lines) if line.rstrip().endswith(("V2000", "V3000"))), -1
    )
    return "\n".join(lines[counts - 3 :]) if counts >= 3 else chunk.lstrip("\n")


def to_sdf(
    rows: Sequence[Mapping[str, Any]], *, smiles_key: str = "smiles", title_key: str = "name"
) -> str:
    """Write rows with a SMILES as an SD file; every other key becomes a data item."""
    out: list[str] = []
    for row in rows:
        mol = Chem.MolFromSmiles(str(row[smiles_key]))
        if mol is None:
            continue
        mol.SetProp("_Name", str(row.get(title_key) or ""))
        block = Chem.MolToMolBlock(mol)
        items = "".join(
            f">  <{key}>\n{value}\n\n"
            for key, value in row.items()
            if key != smiles_key and value is not None
        )
        out.append(f"{block}{items}$$$$\n")
    return "".join(out)
