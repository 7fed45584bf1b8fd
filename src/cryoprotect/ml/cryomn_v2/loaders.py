"""The CryoMN v2 loaders: literature, wet-lab and feedback rows with parsed conditions.

They turn the extended CryoMN data (``db/reference/cryomn_v2``; MIT, © 2026 Hao Li;
public repository baitmeister/ML-for-CryoMN @4e241f9, see ``data/SOURCES.md``) into
:class:`~cryoprotect.ml.datasets.Dataset` rows with conditions a model can use
(parsed by :mod:`cryoprotect.ml.cryomn_v2.conditions`).

**What v2 adds, and what it does not.** ``raw_literature_2026.csv`` is byte-identical to
v1's ``raw_literature_table.csv`` (394 records); its free text (cooling rate, methods,
results, basal medium) was never used as features before. ``observations.csv`` holds 328
observations: 198 literature viabilities (the v1 rows), 106 legacy wet-lab viabilities
(90 in v1), and a first feedback round (``ROUND_001``: 12 viabilities + 12 binary
'intact patch' results, not used here), each with the curators' *observation noise* —
a standard deviation in viability points they assign per source type (literature 50,
legacy wet-lab 5, feedback 1; ``config_v2/optimization.yaml`` ``transfer.*_noise_percent``
upstream; the curators' choice, not a measurement). ``formulations.csv`` drops 12
ingredient columns the v2 vocabulary marks inactive (PEGs, HES, Ficoll, pentaisomaltose,
COOH-PLL): 42 of the 198 literature rows would lose an ingredient, so literature
compositions come from the v1 table (identical in every shared column; a test checks it)
and the wet-lab ones from ``wetlab_validation_results.csv`` (all columns); only the 12
feedback formulations come from ``formulations.csv``.

**Groups** (cross-validation never splits one): literature rows by DOI set (as v1), wet-lab
rows by experiment date, feedback rows by their round.
"""

from __future__ import annotations

import csv
import dataclasses
from collections import Counter
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from cryoprotect.errors import ValidationError
from cryoprotect.ml.components import ComponentLibrary
from cryoprotect.ml.cryomn_v2.conditions import (
    CATEGORICAL_CONDITIONS,
    COOLING,
    NOISE,
    UNKNOWN,
    V1_DIR,
    V2_DIR,
    parse_raw_table,
    read_raw_table,
)
from cryoprotect.ml.datasets import (
    VIABILITY,
    Component,
    Dataset,
    DatasetRow,
    ingredient_amounts,
    load_cryomn_literature,
    load_cryomn_wetlab,
    read_ingredient_map,
)


def _observations(directory: Path) -> list[dict[str, str]]:
    with (directory / "observations.csv").open(encoding="utf-8", newline="") as handle:
        return [dict(r) for r in csv.DictReader(handle) if r["endpoint"] == VIABILITY]


def _noise_by_formulation(observations: Sequence[Mapping[str, str]]) -> dict[str, float]:
    out: dict[str, float] = {}
    for r in observations:
        text = (r.get("observation_noise") or "").strip()
        if not text:
            raise ValidationError(
                f"observation {r['observation_id']} has no observation_noise", field="noise"
            )
        out[r["formulation_id"]] = float(text)
    return out


def _unknown_conditions(source_type: str, noise: float) -> dict[str, float | str]:
    return {
        "cell_type": UNKNOWN,
        "cooling_protocol": UNKNOWN,
        "basal_medium": UNKNOWN,
        "assay": UNKNOWN,
        "source_type": source_type,
        NOISE: noise,
    }


def _with(row: DatasetRow, **changes: Any) -> DatasetRow:
    return dataclasses.replace(row, **changes)


def load_v2_literature(
    directory: str | Path | None = None,
    *,
    v1_directory: str | Path | None = None,
    library: ComponentLibrary | None = None,
) -> Dataset:
    """198 literature rows: v1 compositions, v2 noise, parsed conditions, DOI groups."""
    directory = Path(directory) if directory is not None else V2_DIR
    v1 = Path(v1_directory) if v1_directory is not None else V1_DIR
    base = load_cryomn_literature(
        v1 / "literature_formulations.csv",
        raw_table=directory / "raw_literature_2026.csv",
        library=library,
    )
    raw = read_raw_table(directory / "raw_literature_2026.csv")
    parsed = parse_raw_table(raw)
    noise = _noise_by_formulation(_observations(directory))
    rows = []
    for row in base.rows:
        fid = row.metadata["formulation_id"]
        p = parsed[int(fid) - 1]
        conditions: dict[str, float | str] = {
            **p.conditions(),
            "source_type": "literature",
            NOISE: noise[f"legacy_lit_{fid}"],
        }
        meta = {
            **row.metadata,
            "raw_record": str(int(fid)),
            "cell_type_from": p.cell_type_from,
            "cooling_text": (raw[int(fid) - 1].get(COOLING) or "").strip()[:300],
        }
        rows.append(_with(row, conditions=conditions, metadata=meta))
    return Dataset(
        name="CryoMN v2 literature formulations",
        rows=tuple(rows),
        description=(
            "ML-for-CryoMN v2 (MIT, Hao Li 2026) @4e241f9: v1 literature compositions, "
            "v2 observation noise, conditions parsed from the raw records; grouped by DOI set"
        ),
    )


def load_v2_wetlab(
    directory: str | Path | None = None, *, library: ComponentLibrary | None = None
) -> Dataset:
    """106 legacy wet-lab rows (``wetlab_validation_results.csv``), grouped by date."""
    directory = Path(directory) if directory is not None else V2_DIR
    base = load_cryomn_wetlab(directory / "wetlab_validation_results.csv", library=library)
    noise = _noise_by_formulation(_observations(directory))
    rows = []
    for row in base.rows:
        experiment = row.row_id.split(":", 1)[1]
        conditions = {
            **row.conditions,
            **_unknown_conditions("wetlab", noise[f"legacy_wetlab_{experiment}"]),
        }
        rows.append(_with(row, conditions=conditions))
    return Dataset(
        name="CryoMN v2 wet-lab validation",
        rows=tuple(rows),
        description=(
            "ML-for-CryoMN v2 (MIT, Hao Li 2026) data/validation/validation_results.csv "
            "@4e241f9 (106 rows); grouped by experiment date"
        ),
    )


def load_v2_feedback(
    directory: str | Path | None = None, *, library: ComponentLibrary | None = None
) -> Dataset:
    """The feedback-round viabilities (``ROUND_001``: 12 rows), grouped by round."""
    directory = Path(directory) if directory is not None else V2_DIR
    columns = read_ingredient_map()
    if library is not None:
        missing = sorted({c.name for c in columns.values() if c.name not in library})
        if missing:
            raise ValidationError(f"unknown components {missing}", field="ingredients")
    with (directory / "formulations.csv").open(encoding="utf-8", newline="") as handle:
        formulations = {r["formulation_id"]: r for r in csv.DictReader(handle)}
    rows = []
    for obs in _observations(directory):
        if obs["source_type"] != "wetlab_feedback":
            continue
        record = formulations[obs["formulation_id"]]
        composition = tuple(
            Component(spec.name, value, spec.unit)
            for spec, value in ingredient_amounts(record, columns, set())
        )
        value = float(obs["value"])
        flags = () if 0.0 <= value <= 100.0 else ("target_out_of_range",)
        rows.append(
            DatasetRow(
                row_id=f"feedback:{obs['batch_id']}:{obs['formulation_id']}:{obs['replicate_id']}",
                composition=composition,
                targets={VIABILITY: value},
                group=f"round:{obs['batch_id']}",
                conditions=_unknown_conditions("wetlab_feedback", float(obs["observation_noise"])),
                flags=flags,
                metadata={
                    "candidate": record["source_row_id"],
                    "label": record["formulation_label"],
                },
            )
        )
    return Dataset(
        name="CryoMN v2 feedback round",
        rows=tuple(rows),
        description="ML-for-CryoMN v2 data/processed_v2/observations.csv @4e241f9, ROUND_001",
    )


def load_v2_all(
    directory: str | Path | None = None,
    *,
    v1_directory: str | Path | None = None,
    library: ComponentLibrary | None = None,
) -> Dataset:
    """Every viability observation of v2 (198 + 106 + 12 = 316 rows), per-source groups."""
    parts = (
        load_v2_literature(directory, v1_directory=v1_directory, library=library),
        load_v2_wetlab(directory, library=library),
        load_v2_feedback(directory, library=library),
    )
    return Dataset(
        name="CryoMN v2 all viability observations",
        rows=tuple(r for d in parts for r in d.rows),
        description=(
            "ML-for-CryoMN v2 (MIT, Hao Li 2026) @4e241f9: literature (DOI groups), legacy "
            "wet-lab (date groups), feedback round; per-source observation noise"
        ),
    )


def condition_counts(dataset: Dataset) -> dict[str, dict[str, int]]:
    """Condition key → category → rows (the categorical conditions only)."""
    return {
        key: dict(Counter(str(r.conditions.get(key, UNKNOWN)) for r in dataset.rows).most_common())
        for key in CATEGORICAL_CONDITIONS
    }
