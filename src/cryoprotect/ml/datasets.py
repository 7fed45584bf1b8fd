"""Training data for property models: formulations, conditions, measured targets, groups.

This module owns the :class:`Dataset` (plain, JSON-serialisable rows with a content hash),
the loaders of the CryoMN data (ML-for-CryoMN, MIT; see ``data/SOURCES.md``) and
:func:`dataset_from_records` for user-supplied data.

A row is one measured formulation: its composition (component name, amount, unit — any
unit of :data:`cryoprotect.science.composition.UNITS`), free-form conditions, one or more
measured targets, a *group* and a row id. The group says which rows are not independent
(rows from one paper, one experimental batch): cross-validation never puts one group on
both sides of a split.

**The content hash** is the SHA-256 of a canonical JSON of the rows (keys sorted, floats in
Python's shortest round-trip form, rows in order) — composition, conditions, targets, group
and row id. Flags and metadata are annotations and are *not* hashed.

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
import hashlib
import io
import json
import math
import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np
from numpy.typing import NDArray

from cryoprotect.errors import ValidationError
from cryoprotect.ml.components import ComponentLibrary, default_library, reference_text
from cryoprotect.science.composition import UNITS

FloatArray = NDArray[np.float64]

VIABILITY = "viability_percent"
"""The target name both CryoMN loaders use (post-thaw viability, %)."""

FLAGS: dict[str, str] = {
    "suspicious_molar_amount": (
        "a mol/L amount below 10 mmol/L; the upstream parser is known to have stored some "
        "molar amounts as millimolar (x1000 too small)"
    ),
    "dmso_columns_disagree": "dmso_M does not equal the value derived from dmso_percent",
    "dmso_only_in_usage_column": (
        "DMSO comes only from the raw table's 'DMSO usage' column; the raw ingredient text does "
        "not mention DMSO (it may describe the control arm)"
    ),
    "dmso_above_50_percent": "more than 50 % v/v DMSO (implausible for a cell freezing medium)",
    "hsa_volume_of_albumin_solution": (
        "hsa_pct above 50: a % v/v of a clinical albumin solution, not % w/v protein"
    ),
    "cooh_pll_unit_uncertain": "carboxylated poly-L-lysine '% (wt)' may be % w/w, read as % w/v",
    "peg_3350_bin_mixed": "the PEG 3350 column also holds PEGs of unstated molar mass",
    "aggregated_over_sources": "viability is the mean over several papers (several DOIs)",
    "malformed_doi": "a source DOI is not a well-formed DOI",
    "empty_composition": "no ingredient is listed",
    "target_out_of_range": "viability outside 0-100 %",
    "notes_disagree_with_columns": "the notes text and the numeric columns give other amounts",
}


class Component(NamedTuple):
    """One component of a formulation: ``(name, amount, unit)``.

    ``amount`` is in ``unit``, one of :data:`cryoprotect.science.composition.UNITS`.
    """

    name: str
    amount: float
    unit: str


@dataclass(frozen=True)
class DatasetRow:
    """One measured formulation.

    Attributes:
        row_id: unique within the dataset.
        composition: the components (zero amounts are left out).
        targets: target name → measured value.
        group: rows that are not independent share a group (source DOI, batch).
        conditions: free-form experimental conditions (numbers or strings).
        flags: data-quality flag codes (:data:`FLAGS`); not hashed.
        metadata: raw text kept for the record (raw DOI, notes); not hashed.
        smiles: for a row of a *molecule* dataset (a structure–property record, see
            :mod:`cryoprotect.ml.molecule_features`): the canonical SMILES of the
            standardised molecule; the composition is then empty. ``""`` for a formulation.
    """

    row_id: str
    composition: tuple[Component, ...]
    targets: Mapping[str, float] = field(default_factory=dict)
    group: str = ""
    conditions: Mapping[str, float | str] = field(default_factory=dict)
    flags: tuple[str, ...] = ()
    metadata: Mapping[str, str] = field(default_factory=dict)
    smiles: str = ""

    def canonical(self) -> dict[str, Any]:
        """The hashed content of the row, as plain JSON types (``smiles`` only when set, so
        the hashes of formulation datasets are unchanged)."""
        out: dict[str, Any] = {
            "row_id": self.row_id,
            "composition": [[c.name, float(c.amount), c.unit] for c in self.composition],
            "targets": {k: float(v) for k, v in sorted(self.targets.items())},
            "group": self.group,
            "conditions": dict(sorted(self.conditions.items())),
        }
        if self.smiles:
            out["smiles"] = self.smiles
        return out

    def as_record(self) -> dict[str, Any]:
        """A JSON-ready record that :func:`dataset_from_records` reads back."""
        record = self.canonical()
        record["id"] = record.pop("row_id")
        composition = record.pop("composition")
        if not self.smiles:
            record["components"] = [{"name": n, "amount": a, "unit": u} for n, a, u in composition]
        record["flags"] = list(self.flags)
        record["metadata"] = dict(self.metadata)
        return record


@dataclass(frozen=True)
class Dataset:
    """An ordered collection of :class:`DatasetRow` with a content hash.

    Attributes:
        name: a label (not hashed).
        rows: the rows, in order.
        description: where the data come from (not hashed).
    """

    name: str
    rows: tuple[DatasetRow, ...]
    description: str = ""

    def __post_init__(self) -> None:
        seen: set[str] = set()
        for row in self.rows:
            if row.row_id in seen:
                raise ValidationError(f"row id {row.row_id!r} appears twice", field="rows")
            seen.add(row.row_id)

    def __len__(self) -> int:
        return len(self.rows)

    @property
    def kind(self) -> str:
        """``"molecules"`` (every row a SMILES) or ``"mixtures"`` (every row a composition)."""
        return "molecules" if self.rows and self.rows[0].smiles else "mixtures"

    def canonical_json(self) -> str:
        """Canonical JSON of the rows (what :attr:`content_hash` hashes)."""
        return json.dumps(
            [row.canonical() for row in self.rows],
            sort_keys=True,
            separators=(",", ":"),
            ensure_ascii=False,
            allow_nan=False,
        )

    @cached_property
    def content_hash(self) -> str:
        """SHA-256 (hex) of :meth:`canonical_json`."""
        return hashlib.sha256(self.canonical_json().encode("utf-8")).hexdigest()

    @property
    def row_ids(self) -> list[str]:
        """Row ids, in order."""
        return [r.row_id for r in self.rows]

    @property
    def groups(self) -> list[str]:
        """Group of every row, in order."""
        return [r.group for r in self.rows]

    def target(self, name: str) -> FloatArray:
        """Values of one target, NaN where a row does not have it."""
        return np.array([r.targets.get(name, math.nan) for r in self.rows], dtype=np.float64)

    def target_names(self) -> tuple[str, ...]:
        """Every target name that occurs, sorted."""
        return tuple(sorted({k for r in self.rows for k in r.targets}))

    def subset(self, indices: Iterable[int], *, name: str | None = None) -> Dataset:
        """The rows at ``indices`` (in that order)."""
        return Dataset(
            name=name or self.name,
            rows=tuple(self.rows[int(i)] for i in indices),
            description=self.description,
        )

    def with_target(self, target: str) -> Dataset:
        """The rows that have a value for ``target``."""
        return self.subset(i for i, r in enumerate(self.rows) if target in r.targets)

    def exclude_flagged(self, codes: Iterable[str]) -> Dataset:
        """The rows carrying none of the flag ``codes`` (an explicit, reportable exclusion)."""
        wanted = set(codes)
        unknown = wanted - set(FLAGS)
        if unknown:
            raise ValidationError(f"unknown flag codes {sorted(unknown)}", field="flags")
        return self.subset(i for i, r in enumerate(self.rows) if not wanted & set(r.flags))

    def flag_counts(self) -> dict[str, int]:
        """Flag code → number of rows carrying it."""
        counts: Counter[str] = Counter(f for r in self.rows for f in r.flags)
        return dict(sorted(counts.items()))

    def component_counts(self) -> dict[str, int]:
        """Component name → number of rows containing it."""
        counts: Counter[str] = Counter(c.name for r in self.rows for c in r.composition)
        return dict(sorted(counts.items()))

    def summary(self) -> dict[str, Any]:
        """Rows, groups, targets, flags and hash, JSON-ready."""
        return {
            "name": self.name,
            "rows": len(self.rows),
            "groups": len(set(self.groups)),
            "targets": list(self.target_names()),
            "flags": self.flag_counts(),
            "content_hash": self.content_hash,
        }

    def to_records(self) -> list[dict[str, Any]]:
        """JSON-ready records (for the ``datasets.rows`` column)."""
        return [r.as_record() for r in self.rows]


# --- user-supplied records ----------------------------------------------------------------


def _number(value: Any, field_name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValidationError(f"{field_name} must be a number", field=field_name)
    number = float(value)
    if not math.isfinite(number):
        raise ValidationError(f"{field_name} must be a finite number", field=field_name)
    return number


def _text(value: Any, field_name: str, *, required: bool = True) -> str:
    if value is None and not required:
        return ""
    if not isinstance(value, str) or (required and not value.strip()):
        raise ValidationError(f"{field_name} must be a non-empty string", field=field_name)
    return value.strip()


def check_unit(unit: Any, field_name: str) -> str:
    """``unit`` if it is one of the composition units.

    Raises:
        ValidationError: any other unit (the supported ones are listed).
    """
    if not isinstance(unit, str) or unit.strip() not in UNITS:
        raise ValidationError(
            f"unsupported unit {unit!r}; use one of {', '.join(UNITS)}", field=field_name
        )
    return unit.strip()


def parse_components(items: Any, path: str) -> tuple[Component, ...]:
    """Validate a list of components given as mappings or ``(name, amount, unit)`` triples.

    Zero amounts are left out (a zero amount means the component is absent).

    Raises:
        ValidationError: a malformed entry, an unsupported unit, a negative or non-finite
            amount, or a component listed twice; ``field`` is the entry's path.
    """
    if not isinstance(items, list | tuple):
        raise ValidationError(f"{path} must be a list of components", field=path)
    out: list[Component] = []
    seen: dict[str, int] = {}
    for j, item in enumerate(items):
        where = f"{path}[{j}]"
        if isinstance(item, Mapping):
            name, amount, unit = item.get("name"), item.get("amount"), item.get("unit")
        elif isinstance(item, list | tuple) and len(item) == 3:
            name, amount, unit = item
        else:
            raise ValidationError(
                f"{where} must be {{name, amount, unit}} or a (name, amount, unit) triple",
                field=where,
            )
        name_text = _text(name, f"{where}.name")
        value = _number(amount, f"{where}.amount")
        unit_text = check_unit(unit, f"{where}.unit")
        if value < 0:
            raise ValidationError(f"{where}.amount must be ≥ 0", field=f"{where}.amount")
        key = name_text.casefold()
        if key in seen:
            raise ValidationError(
                f"{name_text} is listed twice ({path}[{seen[key]}] and {where})",
                field=f"{where}.name",
            )
        seen[key] = j
        if value > 0:
            out.append(Component(name_text, value, unit_text))
    return tuple(out)


def dataset_from_records(
    records: Iterable[Mapping[str, Any]],
    *,
    name: str = "user dataset",
    description: str = "",
) -> Dataset:
    """Build a dataset from JSON-like records (user uploads, the ``datasets.rows`` column).

    Each record: ``{"id": str, "components": [{"name", "amount", "unit"}, ...],
    "targets": {name: number}, "group": str, "conditions": {key: number | str}}``, or, in
    a *molecule* dataset, ``"smiles": str`` instead of ``components`` (stored already
    standardised by :func:`cryoprotect.ml.molecule_features.molecule_records`; every record
    of a dataset is of one kind).
    ``components`` may also be ``(name, amount, unit)`` triples and may be called
    ``composition``. Without ``id`` the row id is ``row-<index>``; without ``group`` each
    row is its own group (treated as independent). ``flags`` and ``metadata`` are kept.

    Raises:
        ValidationError: a malformed record; ``field`` is its path, e.g.
            ``records[3].components[1].unit``.
    """
    rows: list[DatasetRow] = []
    for i, record in enumerate(records):
        where = f"records[{i}]"
        if not isinstance(record, Mapping):
            raise ValidationError(f"{where} must be an object", field=where)
        row_id = _text(record.get("id", f"row-{i}"), f"{where}.id")
        items = record.get("components", record.get("composition"))
        smiles = ""
        if record.get("smiles") is not None:
            if items:
                raise ValidationError(
                    f"{where} gives both smiles and components; give one", field=f"{where}.smiles"
                )
            smiles = _text(record.get("smiles"), f"{where}.smiles")
            composition: tuple[Component, ...] = ()
        else:
            composition = parse_components(items, f"{where}.components")
        if rows and bool(rows[0].smiles) != bool(smiles):
            raise ValidationError(
                f"{where}: a dataset holds either molecules (smiles) or mixtures (components), "
                "not both",
                field=f"{where}.smiles",
            )
        targets_in = record.get("targets", {})
        if not isinstance(targets_in, Mapping):
            raise ValidationError(f"{where}.targets must be an object", field=f"{where}.targets")
        targets = {
            _text(k, f"{where}.targets"): _number(v, f"{where}.targets.{k}")
            for k, v in targets_in.items()
            if v is not None
        }
        conditions_in = record.get("conditions", {})
        if not isinstance(conditions_in, Mapping):
            raise ValidationError(
                f"{where}.conditions must be an object", field=f"{where}.conditions"
            )
        conditions: dict[str, float | str] = {}
        for key, value in conditions_in.items():
            ckey = _text(key, f"{where}.conditions")
            if isinstance(value, str):
                conditions[ckey] = value
            elif value is not None:
                conditions[ckey] = _number(value, f"{where}.conditions.{ckey}")
        group = _text(record.get("group"), f"{where}.group", required=False) or row_id
        flags = tuple(str(f) for f in record.get("flags", ()) or ())
        metadata = {str(k): str(v) for k, v in (record.get("metadata") or {}).items()}
        rows.append(
            DatasetRow(
                row_id=row_id,
                composition=composition,
                targets=targets,
                group=group,
                conditions=conditions,
                flags=flags,
                metadata=metadata,
                smiles=smiles,
            )
        )
    return Dataset(name=name, rows=tuple(rows), description=description)


# --- CryoMN -------------------------------------------------------------------------------


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


def _ingredients(
    row: Mapping[str, str], columns: Mapping[str, IngredientColumn], skip: set[str]
) -> list[tuple[IngredientColumn, float]]:
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
        for spec, value in _ingredients(record, columns, {"dmso_percent", "dmso_M"}):
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
            for spec, value in _ingredients(record, columns, set())
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
