"""The CryoMN v2 release: parsed experimental conditions, per-source noise, the v2 loaders.

This module owns how the extended CryoMN data (``db/reference/cryomn_v2``; MIT, © 2026
Hao Li; public repository baitmeister/ML-for-CryoMN @4e241f9, see ``data/SOURCES.md``)
becomes :class:`~cryoprotect.ml.datasets.Dataset` rows with conditions a model can use,
and the featurizer that turns categorical conditions into features
(``composition_conditions_v2``).

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

**Parsed conditions** (:func:`parse_record`; regular expressions over the record's text,
documented in :data:`CELL_TYPE_PATTERNS`, :data:`MEDIUM_PATTERNS`, :data:`ASSAY_PATTERNS`
and :func:`parse_cooling`). A field whose text matches no rule is the explicit category
``unknown``; text matching rules of two categories is ``ambiguous`` — never a guess:

* ``cell_type`` — from every text field of the record (the raw table has no cell-type
  column; 'MSCs:', 'ASCs', 'bone marrow' appear in ingredient and method notes). A record
  without a match takes its paper's cell type when every other record of the same DOI that
  names one names the same (``cell_type_from = "same_doi"``); otherwise ``unknown``.
* ``cooling_protocol`` and ``cooling_rate_c_per_min`` — ``controlled_rate`` when the
  'Cooling rate' text states exactly one rate in °C/min (the number, as a magnitude, is
  the numeric condition), ``multi_step`` when it states several (no single number),
  ``passive`` for a −80 °C freezer or an insulated container without a stated rate,
  ``vitrification``, else ``unknown``. Without a single stated rate the numeric condition
  is absent (the featurizer imputes the training median with a missing flag).
* ``basal_medium`` — from the ingredient text and the 'Basal medium' column.
* ``assay`` — the viability assay, from the viability/recovery/method/result texts.
* ``source_type`` — ``literature``, ``wetlab`` (the 106 legacy rows) or ``wetlab_feedback``.
* ``observation_noise_sd`` — the curators' noise (viability points) of the row's source.

Wet-lab files record none of cell type, cooling, medium or assay: those rows are
``unknown`` in every parsed field (and their noise is the curators').

**Groups** (cross-validation never splits one): literature rows by DOI set (as v1), wet-lab
rows by experiment date, feedback rows by their round.
"""

from __future__ import annotations

import csv
import dataclasses
import math
import re
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from cryoprotect.errors import ValidationError
from cryoprotect.ml.components import ComponentLibrary
from cryoprotect.ml.datasets import (
    VIABILITY,
    Component,
    Dataset,
    DatasetRow,
    ingredient_amounts,
    load_cryomn_literature,
    load_cryomn_wetlab,
    normalise_doi,
    read_ingredient_map,
)
from cryoprotect.ml.features import (
    FEATURIZERS,
    CompositionPhysicsFeaturizer,
    RowQuantities,
)

FloatArray = NDArray[np.float64]

REFERENCE_DIR = Path(__file__).resolve().parent.parent / "db" / "reference"
V2_DIR = REFERENCE_DIR / "cryomn_v2"
V1_DIR = REFERENCE_DIR / "cryomn"
SOURCE = (
    "CryoMN v2 (baitmeister/ML-for-CryoMN, MIT licence, (c) 2026 Hao Li), commit 4e241f9: "
    "data/raw/Cryopreservative Data 2026.csv, data/processed_v2/*.csv, "
    "data/validation/validation_results.csv, config_v2/ingredients.yaml; literature rows "
    "cite their DOIs"
)

UNKNOWN = "unknown"
AMBIGUOUS = "ambiguous"
CATEGORICAL_CONDITIONS = ("cell_type", "cooling_protocol", "basal_medium", "assay", "source_type")
"""String conditions the v2 loaders write (each row has every one of them)."""
COOLING_RATE = "cooling_rate_c_per_min"
NOISE = "observation_noise_sd"

_I = re.IGNORECASE
#: cell type → patterns (any match). Acronyms are case-sensitive, words are not.
CELL_TYPE_PATTERNS: dict[str, tuple[re.Pattern[str], ...]] = {
    "msc_adipose": (
        re.compile(r"\b(?:h?ASCs?|h?ADSCs?|AD-?MSCs?|hADMSCs?)\b"),
        re.compile(r"adipose[- ](?:tissue[- ])?derived", _I),
    ),
    "msc_bone_marrow": (
        re.compile(r"\b(?:h?BM-?MSCs?|BMSCs?|BMMeSCs?)\b"),
        re.compile(r"bone[- ]marrow", _I),
    ),
    "msc_umbilical": (
        re.compile(r"\b(?:h?UC-?MSCs?|WJ-?MSCs?)\b"),
        re.compile(r"umbilical|wharton", _I),
    ),
    "msc_dental": (re.compile(r"\b(?:DPSCs?|SHEDs?)\b"), re.compile(r"dental pulp", _I)),
    "pluripotent": (
        re.compile(r"\b(?:h?ESCs?|h?iPSCs?|iPS)\b"),
        re.compile(r"embryonic stem|pluripotent", _I),
    ),
    "other_cell_type": (
        re.compile(
            r"hepatocyte|fibroblast|keratinocyte|\bT[- ]cells?\b|lymphocyte|erythrocyte|"
            r"red blood cell|oocyte|sperm|islet|chondrocyte|neuron",
            _I,
        ),
    ),
}
#: Unspecified mesenchymal stromal cells: used only when no specific MSC type matched.
MSC_UNSPECIFIED = (re.compile(r"\bh?MSCs?\b"), re.compile(r"mesenchymal", _I))

#: basal medium → patterns (ingredient text and the 'Basal medium' column).
MEDIUM_PATTERNS: dict[str, tuple[re.Pattern[str], ...]] = {
    "dmem_f12": (re.compile(r"DMEM\s*/\s*(?:Ham'?s?\s*)?F-?12", _I),),
    "dmem": (re.compile(r"\bDMEM\b(?!\s*/\s*(?:Ham'?s?\s*)?F-?12)", _I),),
    "alpha_mem": (re.compile(r"(?:α|alpha|a)\s*-?\s*MEM\b", _I),),
    "rpmi": (re.compile(r"RPMI", _I),),
    "pbs": (re.compile(r"\bD?PBS\b|phosphate[- ]buffered", _I),),
    "hbss": (re.compile(r"\bHBSS\b|hanks", _I),),
    "saline_or_electrolyte": (re.compile(r"saline|plasma-?lyte|\bNaCl\b", _I),),
    "commercial_medium": (
        re.compile(r"cryostor|\bCS ?(?:2|5|10)\b|cell ?banker|bambanker|synth-a-freeze", _I),
    ),
}
_PLAIN_MEM = re.compile(r"(?<![αa-]\s)(?<![αa-])\bMEM\b", _I)

#: viability assay → patterns (viability, recovery, method and result texts).
ASSAY_PATTERNS: dict[str, tuple[re.Pattern[str], ...]] = {
    "trypan_blue": (re.compile(r"trypan", _I),),
    "flow_cytometry": (re.compile(r"flow[- ]?cytometr|\bFACS\b|7-?AAD|annexin", _I),),
    "fluorescent_live_dead": (
        re.compile(
            r"live\s*/\s*dead|calcein|ethidium|acridine orange|\bAO\s*/\s*PI\b|propidium|"
            r"fluorescein diacetate",
            _I,
        ),
    ),
    "metabolic": (re.compile(r"\bMTT\b|CCK-?8|alamar|resazurin|\bWST|\bXTT\b|presto ?blue", _I),),
}

_DEG = r"(?:°|◦|º|˚|℃|deg(?:rees?)?)"
_RATE = re.compile(rf"([+\-−–]?)\s*(\d+(?:\.\d+)?)\s*{_DEG}?\s*C?\s*/\s*min", _I)
#: Placed in a freezer, an insulated container or vapour phase without a stated rate.
_PASSIVE = re.compile(
    rf"mr\.?\s*frosty|coolcell|isopropanol|nalgene|uncontrolled|non-?programmed|freezer|"
    rf"directly (?:at|to|in)|vapou?r phase|(?:-|−|–)\s*80\s*{_DEG}?\s*C?\b",
    _I,
)
_VITRIFICATION = re.compile(r"vitrif", _I)
_NOT_MENTIONED = re.compile(r"^\s*(?:not\s+(?:mentioned|mention|reported|stated|measured))", _I)


@dataclass(frozen=True)
class ParsedConditions:
    """What :func:`parse_record` read from one raw literature record.

    Attributes:
        cell_type: category of :data:`CELL_TYPE_PATTERNS`, ``msc_unspecified``,
            ``ambiguous`` or ``unknown``.
        cell_type_from: ``record``, ``same_doi`` (filled in by :func:`parse_raw_table`)
            or ``none``.
        cooling_protocol: ``controlled_rate``, ``multi_step``, ``passive``,
            ``vitrification`` or ``unknown``.
        cooling_rate_c_per_min: the one stated cooling rate (magnitude, °C/min), or NaN.
        basal_medium: category of :data:`MEDIUM_PATTERNS`, ``mem``, ``ambiguous`` or
            ``unknown``.
        assay: category of :data:`ASSAY_PATTERNS`, ``ambiguous`` or ``unknown``.
    """

    cell_type: str
    cell_type_from: str
    cooling_protocol: str
    cooling_rate_c_per_min: float
    basal_medium: str
    assay: str

    def conditions(self) -> dict[str, float | str]:
        """The row conditions (the rate only when one was stated)."""
        out: dict[str, float | str] = {
            "cell_type": self.cell_type,
            "cooling_protocol": self.cooling_protocol,
            "basal_medium": self.basal_medium,
            "assay": self.assay,
        }
        if math.isfinite(self.cooling_rate_c_per_min):
            out[COOLING_RATE] = self.cooling_rate_c_per_min
        return out


def _categories(text: str, patterns: Mapping[str, Sequence[re.Pattern[str]]]) -> set[str]:
    return {name for name, pats in patterns.items() if any(p.search(text) for p in pats)}


def _one(found: set[str]) -> str:
    if not found:
        return UNKNOWN
    return next(iter(found)) if len(found) == 1 else AMBIGUOUS


def parse_cell_type(text: str) -> str:
    """Cell type named in ``text`` (see :data:`CELL_TYPE_PATTERNS`; stem-cell categories win
    over ``other_cell_type``; unspecified MSC only when no specific category matched)."""
    found = _categories(text, CELL_TYPE_PATTERNS)
    if len(found) > 1:
        # Stem-cell papers name the lineages they differentiate into ('fibroblast-like',
        # 'chondrocytes'): other cell types count only when no stem-cell category matched.
        found.discard("other_cell_type")
    if not found and any(p.search(text) for p in MSC_UNSPECIFIED):
        return "msc_unspecified"
    return _one(found)


def parse_cooling(text: str) -> tuple[str, float]:
    """Cooling protocol and the single stated rate (°C/min, magnitude) of a 'Cooling rate' cell.

    Rates are numbers followed by '°C/min' (any degree sign, with or without sign).
    One distinct rate → ``controlled_rate`` with that rate; several → ``multi_step`` (no
    number); none, with vitrification named → ``vitrification``; none, with a −80 °C freezer
    or an insulated container → ``passive``; otherwise ``unknown``.
    """
    if not text.strip() or _NOT_MENTIONED.match(text):
        return UNKNOWN, math.nan
    rates = sorted({float(m.group(2)) for m in _RATE.finditer(text)})
    if len(rates) == 1:
        return "controlled_rate", rates[0]
    if len(rates) > 1:
        return "multi_step", math.nan
    if _VITRIFICATION.search(text):
        return "vitrification", math.nan
    if _PASSIVE.search(text):
        return "passive", math.nan
    return UNKNOWN, math.nan


def parse_medium(text: str) -> str:
    """Basal medium named in ``text`` (see :data:`MEDIUM_PATTERNS`; plain MEM is ``mem``)."""
    found = _categories(text, MEDIUM_PATTERNS)
    if "alpha_mem" not in found and _PLAIN_MEM.search(text):
        found.add("mem")
    return _one(found)


_CLAUSE = re.compile(r"[.,;\n|]+")
_VIABILITY_WORD = re.compile(r"viab|alive|live|dead|exclusion", _I)


def parse_assay(text: str) -> str:
    """Viability assay named in ``text`` (see :data:`ASSAY_PATTERNS`).

    Clauses (split at '.', ',', ';', '|' and line breaks) that mention viability (or live, dead,
    exclusion) are read first, because papers also name assays used for other endpoints
    (flow cytometry for surface markers); only when they name no assay is the whole text
    read. Two assays in the text that decides → ``ambiguous``.
    """
    clauses = [c for c in _CLAUSE.split(text) if _VIABILITY_WORD.search(c)]
    found = _categories("\n".join(clauses), ASSAY_PATTERNS)
    return _one(found if found else _categories(text, ASSAY_PATTERNS))


INGREDIENTS = "All ingredients in cryoprotective solution"
COOLING = "Cooling rate"
DOI = "Source (DOI link)"
MEDIUM = "Basal medium"
_ASSAY_FIELDS = ("Viability", "Recovery", "Comments about method", "Comments about results")


def parse_record(record: Mapping[str, str]) -> ParsedConditions:
    """Parse one raw literature record (a row of ``raw_literature_2026.csv``)."""
    everything = "\n".join(str(v) for v in record.values() if v)
    cell = parse_cell_type(everything)
    protocol, rate = parse_cooling(record.get(COOLING, "") or "")
    medium_text = "\n".join(
        record.get(k, "") or "" for k in (INGREDIENTS, MEDIUM) if record.get(k, "")
    )
    assay_text = " | ".join(record.get(k, "") or "" for k in _ASSAY_FIELDS)
    return ParsedConditions(
        cell_type=cell,
        cell_type_from="none" if cell == UNKNOWN else "record",
        cooling_protocol=protocol,
        cooling_rate_c_per_min=rate,
        basal_medium=parse_medium(medium_text),
        assay=parse_assay(assay_text),
    )


def read_raw_table(path: str | Path | None = None) -> list[dict[str, str]]:
    """The raw literature records (UTF-8 with BOM; fields may hold line breaks)."""
    source = Path(path) if path is not None else V2_DIR / "raw_literature_2026.csv"
    with source.open(encoding="utf-8-sig", newline="") as handle:
        return [dict(r) for r in csv.DictReader(handle)]


def parse_raw_table(records: Sequence[Mapping[str, str]]) -> list[ParsedConditions]:
    """Parse every record, then fill unknown cell types from the same DOI when unanimous."""
    parsed = [parse_record(r) for r in records]
    by_doi: dict[str, set[str]] = {}
    dois = [normalise_doi((r.get(DOI) or "").split(";")[0]) for r in records]
    for doi, p in zip(dois, parsed, strict=True):
        if doi and p.cell_type not in (UNKNOWN, AMBIGUOUS):
            by_doi.setdefault(doi, set()).add(p.cell_type)
    out = []
    for doi, p in zip(dois, parsed, strict=True):
        named = by_doi.get(doi, set())
        if p.cell_type == UNKNOWN and len(named) == 1:
            p = ParsedConditions(
                next(iter(named)),
                "same_doi",
                p.cooling_protocol,
                p.cooling_rate_c_per_min,
                p.basal_medium,
                p.assay,
            )
        out.append(p)
    return out


# --- loaders ------------------------------------------------------------------------------


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


# --- featurizer ---------------------------------------------------------------------------


@FEATURIZERS.register("composition_conditions_v2")
class CompositionConditionsFeaturizer(CompositionPhysicsFeaturizer):
    """``composition_physics_v1`` plus one-hot categorical conditions and a noise column.

    Args:
        categorical: string condition keys one-hot encoded as ``category[<key>=<value>]``.
            The categories are learned at fit time (present in at least ``min_count``
            training rows; ``unknown`` always has a column); rarer, unseen or missing values
            count as ``unknown``.
        noise_condition: a numeric condition appended as the **last** column
            ``noise[<key>]`` (missing: the training median) — what
            ``gaussian_process_source_noise`` reads as each row's noise standard
            deviation and does not use as an input.
        min_count, conditions, library: as :class:`CompositionPhysicsFeaturizer`.
    """

    name = "composition_conditions_v2"

    def __init__(
        self,
        *,
        min_count: int = 3,
        conditions: Sequence[str] = (),
        categorical: Sequence[str] = (),
        noise_condition: str | None = None,
        library: ComponentLibrary | None = None,
    ) -> None:
        super().__init__(min_count=min_count, conditions=conditions, library=library)
        self.categorical = tuple(str(c) for c in categorical)
        self.noise_condition = noise_condition
        self.categories: dict[str, tuple[str, ...]] = {}
        self.noise_fill = math.nan

    def fit_quantities(
        self, q: RowQuantities, rows: Sequence[DatasetRow]
    ) -> CompositionConditionsFeaturizer:
        """Fit the v1 part, then the categories and the noise fill value (training rows only)."""
        self.categories = {}
        for key in self.categorical:
            counts = Counter(_category(c, key) for c in q.conditions)
            kept = sorted(k for k, n in counts.items() if n >= self.min_count and k != UNKNOWN)
            self.categories[key] = (UNKNOWN, *kept)
        if self.noise_condition is not None:
            values = np.array([_numeric(c, self.noise_condition) for c in q.conditions])
            good = values[np.isfinite(values)]
            if good.size == 0 or np.any(good <= 0):
                raise ValidationError(
                    f"condition {self.noise_condition!r} must be a positive number in the "
                    "training rows",
                    field="featurizer_options",
                )
            self.noise_fill = float(np.median(good))
        super().fit_quantities(q, rows)
        return self

    def _names(self) -> list[str]:
        names = super()._names()
        for key in self.categorical:
            names += [f"category[{key}={v}]" for v in self.categories.get(key, ())]
        if self.noise_condition is not None:
            names.append(f"noise[{self.noise_condition}]")
        return names

    def assemble(self, q: RowQuantities) -> FloatArray:
        """The v1 features, the one-hot columns, then the noise column."""
        base = super().assemble(q)
        parts = [base]
        for key in self.categorical:
            cats = self.categories[key]
            values = [_category(c, key) for c in q.conditions]
            values = [v if v in cats else UNKNOWN for v in values]
            parts.append(
                np.array([[1.0 if v == c else 0.0 for c in cats] for v in values]).reshape(
                    q.n_rows, len(cats)
                )
            )
        if self.noise_condition is not None:
            noise = np.array([_numeric(c, self.noise_condition) for c in q.conditions])
            parts.append(np.where(np.isfinite(noise), noise, self.noise_fill)[:, None])
        return np.ascontiguousarray(np.hstack(parts), dtype=np.float64)

    def get_state(self) -> dict[str, Any]:
        """The v1 state plus the categories and the noise column."""
        state = super().get_state()
        state["config"] = {
            **state["config"],
            "categorical": list(self.categorical),
            "noise_condition": self.noise_condition,
        }
        state["categories"] = {k: list(v) for k, v in self.categories.items()}
        state["noise_fill"] = self.noise_fill
        return state

    @classmethod
    def from_state(
        cls, state: Mapping[str, Any], *, library: ComponentLibrary | None = None
    ) -> CompositionConditionsFeaturizer:
        """Rebuild a fitted featurizer (the feature names must come out identical)."""
        config = state["config"]
        categories = {str(k): tuple(v) for k, v in state.get("categories", {}).items()}
        noise_condition = config.get("noise_condition")
        extra = sum(len(v) for v in categories.values()) + (noise_condition is not None)
        names = list(state["feature_names"])
        # The v1 part is rebuilt (and checked) by the parent, before the extra columns.
        v1_state = {**state, "feature_names": names[: len(names) - extra]}
        obj = super().from_state(v1_state, library=library)
        assert isinstance(obj, CompositionConditionsFeaturizer)
        obj.categorical = tuple(config.get("categorical", ()))
        obj.noise_condition = noise_condition
        obj.categories = categories
        fill = state.get("noise_fill")
        obj.noise_fill = float(fill) if fill is not None else math.nan
        obj._feature_names = obj._names()
        if obj._feature_names != names:
            raise ValidationError(
                "stored feature names do not match the featurizer", field="featurizer"
            )
        return obj


def _category(conditions: Mapping[str, float | str], key: str) -> str:
    value = conditions.get(key)
    return value if isinstance(value, str) and value.strip() else UNKNOWN


def _numeric(conditions: Mapping[str, float | str], key: str) -> float:
    value = conditions.get(key)
    if isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value):
        return float(value)
    return math.nan
