"""Loaders of the CryoMN data (ML-for-CryoMN, MIT; see ``data/SOURCES.md``).

**Known problems of the CryoMN data** (documented in ``db/reference/cryomn_ingredients.csv``
and found by reading the files). The loaders never change a value; they attach *flags* to
the affected rows (:data:`FLAGS` explains each code) so that a caller can exclude them
explicitly (:meth:`Dataset.exclude_flagged`) and report that it did:

* ``literature_formulations.csv`` holds **198** records, not 201: three DOI fields contain a
  line break inside quotes, so the file has 201 data *lines* (202 with the header).
* Molar amounts read as millimolar by the upstream parser ('1M acetamide' stored as
  0.001 mol/L; 0.5–1.5 M EG and PG stored as 0.0005–0.005 mol/L; '0.25 M trehalose' stored
  as 0.00025 mol/L). Every literature ``_M`` amount below 10 mmol/L is flagged
  ``suspicious_molar_amount`` — some are genuine (1 mM taurine is in the raw text).
* ``dmso_percent`` is the raw table's 'DMSO usage' column; ``dmso_M`` was derived from it
  (% v/v × 1.10 g/mL / 78.13 g/mol). Both name the same DMSO, so the loader keeps the
  reported % v/v and checks that ``dmso_M`` agrees (``dmso_columns_disagree`` otherwise).
  For some papers 'DMSO usage' describes the DMSO *control arm*, not the formulation; where
  the raw ingredient text does not mention DMSO the row is flagged
  ``dmso_only_in_usage_column`` (e.g. formulation 341: 'Residual DMSO removed (>95% ...)'
  became 95 % v/v DMSO).
* ``hsa_pct`` above 50: % v/v of a clinical albumin solution recorded as % w/v protein
  (``hsa_volume_of_albumin_solution``).
* ``cooh_pll_pct`` may be % w/w (``cooh_pll_unit_uncertain``); ``peg_3350_pct`` also holds
  every PEG whose molar mass the source did not state (``peg_3350_bin_mixed``).
* 18 literature rows average one formulation over several papers (``source_doi`` lists
  several DOIs; viability is their mean): ``aggregated_over_sources``. Those papers also
  have rows of their own, so with the default grouping (one group per distinct set of
  DOIs) a paper can contribute to both sides of a split through an aggregate row. The
  strict alternative, ``group_by="connected"`` (rows sharing any DOI are one group), merges
  130 of 198 rows into a single group. One DOI is truncated to ``d`` (``malformed_doi``).
* DOIs are written inconsistently (``https://doi.org/``, ``doi:``, ``=`` for ``/``); groups
  use a normalised, lower-cased form; the raw text is kept in the row's metadata.
* One literature row lists no ingredient at all (``empty_composition``).
* Wet-lab rows: the ``notes`` text restates the composition; where it disagrees with the
  numeric columns the row is flagged ``notes_disagree_with_columns``.
"""

from __future__ import annotations

import csv
import io
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from cryoprotect.errors import ValidationError
from cryoprotect.ml.components import ComponentLibrary, default_library, reference_text
from cryoprotect.ml.datasets.core import VIABILITY, Component, Dataset, DatasetRow
from cryoprotect.ml.datasets.records import check_unit


@dataclass(frozen=True)
class IngredientColumn:
    """One CryoMN ingredient column: the library component and unit it holds."""

    column: str
    name: str
    unit: str
    notes: str


def read_ingredient_map(path: str | Path | None = None) -> dict[str, IngredientColumn]:
    """Read ``cryomn_ingredients.csv`` (column → library name, unit, notes).

    Args:
        path: the CSV; default: the copy shipped in ``cryoprotect/db/reference``.

    Raises:
        ValidationError: a unit that is not a composition unit.
    """
    text = (
        reference_text("cryomn_ingredients.csv")
        if path is None
        else Path(path).read_text(encoding="utf-8")
    )
    columns: dict[str, IngredientColumn] = {}
    for row in csv.DictReader(io.StringIO(text)):
        column = row["column"].strip()
        unit = check_unit(row["unit"], f"cryomn_ingredients.{column}.unit")
        columns[column] = IngredientColumn(column, row["name"].strip(), unit, row["notes"] or "")
    return columns


_DOI_PREFIX = re.compile(r"^(?:https?://)?(?:dx\.)?doi\.org/|^doi:\s*", re.IGNORECASE)
_DOI_SHAPE = re.compile(r"^10\.\d{4,9}/\S+$")
_DMSO_TEXT = re.compile(r"dmso|me2so|dimethyl\s*sulfoxide|dimethylsulfoxide", re.IGNORECASE)
# The upstream parser's conversion of % v/v DMSO to mol/L (cryomn_ingredients.csv notes).
_UPSTREAM_DMSO_G_PER_ML = 1.10
_UPSTREAM_DMSO_G_PER_MOL = 78.13
_SUSPICIOUS_MOLAR = 0.01  # mol/L


def normalise_doi(text: str) -> str:
    """A DOI without resolver prefix, lower-cased, ``=`` read as ``/`` (a typo in the data)."""
    doi = _DOI_PREFIX.sub("", text.strip()).strip().lower()
    if doi.startswith("10.") and "/" not in doi and "=" in doi:
        doi = doi.replace("=", "/", 1)
    return doi.rstrip(".")


def split_dois(text: str) -> list[str]:
    """The normalised DOIs listed in one ``source_doi`` cell (``;`` or newline separated)."""
    return [normalise_doi(part) for part in re.split(r"[;\n]", text) if part.strip()]


def _connected_groups(doi_sets: Sequence[Sequence[str]]) -> list[str]:
    parent: dict[str, str] = {}

    def find(x: str) -> str:
        parent.setdefault(x, x)
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for dois in doi_sets:
        for doi in dois[1:]:
            a, b = find(dois[0]), find(doi)
            if a != b:
                parent[max(a, b)] = min(a, b)
        if dois:
            find(dois[0])
    return ["doi-component:" + find(d[0]) if d else "no-doi" for d in doi_sets]


def _raw_ingredient_texts(path: Path) -> list[str]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        reader = csv.reader(handle)
        next(reader, None)
        return [row[0] if row else "" for row in reader]


def _float(text: str | None) -> float:
    return float(text) if text not in (None, "") else 0.0


def ingredient_amounts(
    row: Mapping[str, str], columns: Mapping[str, IngredientColumn], skip: set[str]
) -> list[tuple[IngredientColumn, float]]:
    """The non-zero ingredient columns of one CryoMN row (columns in ``skip`` left out)."""
    found = []
    for column, spec in columns.items():
        if column in skip or column not in row:
            continue
        value = _float(row[column])
        if value != 0.0:
            found.append((spec, value))
    return found


def load_cryomn_literature(
    path: str | Path,
    *,
    ingredients: str | Path | None = None,
    raw_table: str | Path | None = None,
    group_by: str = "doi",
    library: ComponentLibrary | None = None,
) -> Dataset:
    """Load ``literature_formulations.csv`` (CryoMN literature formulations).

    Args:
        path: the CSV.
        ingredients: the column map (default: the shipped ``cryomn_ingredients.csv``).
        raw_table: ``raw_literature_table.csv`` for the DMSO cross-check (default: the file
            beside ``path`` if it exists; the check is skipped without it).
        group_by: ``"doi"`` — one group per distinct set of normalised DOIs (default), or
            ``"connected"`` — rows sharing any DOI are one group (strict; see module docs).
        library: checks that every mapped component exists (default: the shipped library).

    Returns:
        198 rows (ids ``lit:<formulation_id>``), target ``viability_percent``, flagged as
        described in the module docstring.
    """
    if group_by not in {"doi", "connected"}:
        raise ValidationError("group_by must be 'doi' or 'connected'", field="group_by")
    path = Path(path)
    columns = read_ingredient_map(ingredients)
    _check_library(columns, library)
    raw_path = (
        Path(raw_table) if raw_table is not None else path.with_name("raw_literature_table.csv")
    )
    raw_texts = _raw_ingredient_texts(raw_path) if raw_path.exists() else None
    with path.open(encoding="utf-8", newline="") as handle:
        records = list(csv.DictReader(handle))

    doi_sets = [split_dois(r["source_doi"]) for r in records]
    groups = (
        _connected_groups(doi_sets)
        if group_by == "connected"
        else ["doi:" + "; ".join(sorted(set(d))) if d else "no-doi" for d in doi_sets]
    )
    rows: list[DatasetRow] = []
    for record, dois, group in zip(records, doi_sets, groups, strict=True):
        fid = record["formulation_id"].strip()
        flags: list[str] = []
        # dmso_percent (as reported) and dmso_M (derived from it upstream) are one component.
        composition: list[Component] = []
        dmso_pct = _float(record.get("dmso_percent"))
        dmso_m = _float(record.get("dmso_M"))
        if dmso_pct > 0:
            composition.append(Component(columns["dmso_percent"].name, dmso_pct, "% v/v"))
            derived = dmso_pct * _UPSTREAM_DMSO_G_PER_ML / _UPSTREAM_DMSO_G_PER_MOL * 10.0
            if not math.isclose(derived, dmso_m, rel_tol=1e-3):
                flags.append("dmso_columns_disagree")
            if dmso_pct > 50:
                flags.append("dmso_above_50_percent")
            index = int(fid) - 1
            if (
                raw_texts is not None
                and 0 <= index < len(raw_texts)
                and not _DMSO_TEXT.search(raw_texts[index])
            ):
                flags.append("dmso_only_in_usage_column")
        elif dmso_m > 0:
            composition.append(Component(columns["dmso_M"].name, dmso_m, "mol/L"))
        for spec, value in ingredient_amounts(record, columns, {"dmso_percent", "dmso_M"}):
            composition.append(Component(spec.name, value, spec.unit))
            if spec.unit == "mol/L" and value < _SUSPICIOUS_MOLAR:
                flags.append("suspicious_molar_amount")
            if spec.column == "hsa_pct" and value > 50:
                flags.append("hsa_volume_of_albumin_solution")
            if spec.column == "cooh_pll_pct":
                flags.append("cooh_pll_unit_uncertain")
            if spec.column == "peg_3350_pct":
                flags.append("peg_3350_bin_mixed")
        if not composition:
            flags.append("empty_composition")
        if len(set(dois)) > 1:
            flags.append("aggregated_over_sources")
        if any(not _DOI_SHAPE.match(d) for d in dois) or not dois:
            flags.append("malformed_doi")
        viability = float(record["viability_percent"])
        if not 0.0 <= viability <= 100.0:
            flags.append("target_out_of_range")
        rows.append(
            DatasetRow(
                row_id=f"lit:{fid}",
                composition=tuple(composition),
                targets={VIABILITY: viability},
                group=group,
                flags=tuple(dict.fromkeys(flags)),
                metadata={"source_doi": record["source_doi"].strip(), "formulation_id": fid},
            )
        )
    return Dataset(
        name="CryoMN literature formulations",
        rows=tuple(rows),
        description=(
            "ML-for-CryoMN (MIT, Hao Li 2026) data/processed/parsed_formulations.csv @c7583b4; "
            f"grouped by {'connected DOI sets' if group_by == 'connected' else 'DOI set'}"
        ),
    )


_NOTE_TERM = re.compile(r"([\d.]+)\s*(mM|M|%)\s+([A-Za-z][A-Za-z0-9 \-]*?)\s*(?:\+|$)")


def _notes_agree(notes: str, composition: Sequence[Component], library: ComponentLibrary) -> bool:
    """Whether every '<amount><unit> <name>' term of the notes matches the columns (±1 %)."""
    amounts = {c.name: (c.amount, c.unit) for c in composition}
    terms = _NOTE_TERM.findall(notes)
    if len(terms) != len(composition):
        return False
    for number, unit, name in terms:
        info = library.resolve(name.strip())
        if info is None or info.name not in amounts:
            return False
        value, column_unit = amounts[info.name]
        stated = float(number) / 1000.0 if unit == "mM" else float(number)
        expected_unit = "mol/L" if unit in {"mM", "M"} else column_unit
        if column_unit != expected_unit or not math.isclose(stated, value, rel_tol=0.01):
            return False
    return True


def load_cryomn_wetlab(
    path: str | Path,
    *,
    ingredients: str | Path | None = None,
    library: ComponentLibrary | None = None,
) -> Dataset:
    """Load ``wetlab_validation.csv`` (CryoMN wet-lab measurements).

    Args:
        path: the CSV.
        ingredients: the column map (default: the shipped ``cryomn_ingredients.csv``).
        library: resolves the names in the notes (default: the shipped library).

    Returns:
        90 rows (ids ``wetlab:<experiment_id>``), target ``viability_percent`` (from
        ``viability_measured``), grouped by experiment date (one batch per date).
    """
    library = library or default_library()
    columns = read_ingredient_map(ingredients)
    _check_library(columns, library)
    with Path(path).open(encoding="utf-8", newline="") as handle:
        records = list(csv.DictReader(handle))
    rows: list[DatasetRow] = []
    for record in records:
        composition = tuple(
            Component(spec.name, value, spec.unit)
            for spec, value in ingredient_amounts(record, columns, set())
        )
        flags: list[str] = []
        if not composition:
            flags.append("empty_composition")
        notes = (record.get("notes") or "").strip()
        if notes and not _notes_agree(notes, composition, library):
            flags.append("notes_disagree_with_columns")
        viability = float(record["viability_measured"])
        if not 0.0 <= viability <= 100.0:
            flags.append("target_out_of_range")
        date_text = record["experiment_date"].strip()
        date = datetime.strptime(date_text, "%m/%d/%y").date().isoformat()
        rows.append(
            DatasetRow(
                row_id=f"wetlab:{record['experiment_id'].strip()}",
                composition=composition,
                targets={VIABILITY: viability},
                group=f"batch:{date}",
                conditions={"experiment_date": date},
                flags=tuple(flags),
                metadata={"notes": notes},
            )
        )
    return Dataset(
        name="CryoMN wet-lab validation",
        rows=tuple(rows),
        description=(
            "ML-for-CryoMN (MIT, Hao Li 2026) data/validation/validation_results.csv @c7583b4; "
            "grouped by experiment date"
        ),
    )


def _check_library(
    columns: Mapping[str, IngredientColumn], library: ComponentLibrary | None
) -> None:
    library = library or default_library()
    missing = sorted({c.name for c in columns.values() if c.name not in library})
    if missing:
        raise ValidationError(
            f"ingredient map names components that are not in the library: {missing}",
            field="ingredients",
        )
