"""Experimental conditions parsed from the CryoMN raw table's free text, and the v2 files.

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
"""

from __future__ import annotations

import csv
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from cryoprotect.ml.datasets import normalise_doi

FloatArray = NDArray[np.float64]

REFERENCE_DIR = Path(__file__).resolve().parents[2] / "db" / "reference"
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
