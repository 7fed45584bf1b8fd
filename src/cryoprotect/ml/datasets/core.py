"""The :class:`Dataset`: plain, JSON-serialisable rows with a content hash.

A row is one measured formulation: its composition (component name, amount, unit — any
unit of :data:`cryoprotect.science.composition.UNITS`), free-form conditions, one or more
measured targets, a *group* and a row id. The group says which rows are not independent
(rows from one paper, one experimental batch): cross-validation never puts one group on
both sides of a split.

**The content hash** is the SHA-256 of a canonical JSON of the rows (keys sorted, floats in
Python's shortest round-trip form, rows in order) — composition, conditions, targets, group
and row id. Flags and metadata are annotations and are *not* hashed; :data:`FLAGS`
explains each flag code.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, NamedTuple

import numpy as np
from numpy.typing import NDArray

from cryoprotect.errors import ValidationError

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
