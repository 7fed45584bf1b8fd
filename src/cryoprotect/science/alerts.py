"""Structural alerts (RDKit FilterCatalog) and the alert-adjusted CPA ranking.

The CPA score (:mod:`cryoprotect.science.cpa_score`) rewards small, polar, H-bonding
molecules and knows nothing of reactivity or toxicity: on RDKit's NCI sample it ranks
hydrazine, methylhydrazine, carbohydrazide and triaminoguanidine first. This module flags
the substructures that medicinal chemists have catalogued as unwanted, with the SMARTS
that RDKit ships in :mod:`rdkit.Chem.FilterCatalog`, and combines them with the score.

**Catalogues** (the SMARTS are RDKit's; the citations were checked against the
publishers' / indexing records, and are also the ones RDKit's FilterCatalog README gives):

* ``Brenk`` (105 alerts): "unwanted functionality due to potential tox reasons or
  unfavourable pharmacokinetic properties". Brenk R et al. Lessons learnt from assembling
  screening libraries for drug discovery for neglected diseases. ChemMedChem 3:435–444
  (2008), doi:10.1002/cmdc.200700139.
* ``NIH`` (180 alerts): problematic (reactive) functional groups. Jadhav A et al.
  Quantitative analyses of aggregation, autofluorescence, and reactivity artifacts in a
  screen for inhibitors of a thiol protease. J Med Chem 53:37–51 (2010),
  doi:10.1021/jm901070c.
* ``PAINS_A``, ``PAINS_B``, ``PAINS_C`` (16 + 55 + 409 alerts): pan-assay interference
  compounds. Baell JB, Holloway GA. New substructure filters for removal of pan assay
  interference compounds (PAINS) from screening libraries and for their exclusion in
  bioassays. J Med Chem 53:2719–2740 (2010), doi:10.1021/jm901137j.

An alert is a hypothesis to check, not a measured toxicity: absence of alerts does not
make a molecule safe, and an alert does not prove harm.

**Ranking** (:func:`alert_adjusted_score`)::

    alert_adjusted_score = cpa_score × Π_f penalty_factor(f)

over the distinct alert *families* f that match (``Brenk``, ``NIH``, ``PAINS`` — the three
PAINS families count once, being one publication). A family counts once however many of
its alerts match, because the catalogues overlap (hydrazine matches Brenk's ``hydrazine``
and ``Oxygen-nitrogen_single_bond`` on the same N–N bond). The factors are in
``params/structural_alert_penalties.csv``; they are **our choice** (provenance
``estimated``, ``verified=false``), not published values, and each row says why.

**Per-alert overrides** (``params/structural_alert_overrides.csv``): a few alerts are not
about toxicity or reactivity in a CPA context, or their SMARTS over-matches (Brenk's
``aldehyde`` is ``[CH1]=O`` and matches the formyl C–H of formamide; NIH's
``gte_7_aliphatic_OH`` counts the hydroxyls of any sugar). Such an alert is still reported
but carries the row's factor (1.0: not penalised) instead of its family's, unless the row's
``penalised_if`` SMARTS — a narrower pattern for what the alert is about — matches the
molecule. Each row is a rule about the alert, with its reason; none names a molecule. A
family's factor is then the smallest factor of its matched alerts (once per family).

**Speed**: RDKit's ``FilterCatalog.GetMatches`` tries all 765 patterns. Each pattern's
RDKit pattern fingerprint (the substructure screen RDKit's ``SubstructLibrary`` uses) is
computed once; a pattern whose bits are not all set in the molecule's pattern fingerprint
cannot match and is not tried. The patterns are read from the catalogue entries
themselves; an entry that cannot be read is always tried.

A predicted toxicity does not enter this score: no molecule toxicity model is shipped,
and a molecule model's target carries no declared direction or scale. A model given to
``cryoprotect screen --model`` adds its prediction as columns beside this score.
"""

from __future__ import annotations

import csv
import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from functools import lru_cache
from pathlib import Path

import numpy as np
from rdkit import Chem, DataStructs
from rdkit.Chem import FilterCatalog as rd_filters

from cryoprotect.errors import InvalidStructureError, ValidationError

PARAMS_DIR = Path(__file__).resolve().parent / "params"
PENALTY_TABLE = PARAMS_DIR / "structural_alert_penalties.csv"
PENALTY_COLUMNS = (
    "family",
    "catalogues",
    "penalty_factor",
    "unit",
    "source",
    "provenance",
    "verified",
)
OVERRIDE_TABLE = PARAMS_DIR / "structural_alert_overrides.csv"
OVERRIDE_COLUMNS = (
    "catalogue",
    "alert",
    "factor",
    "penalised_if",
    "reason",
    "source",
    "provenance",
    "verified",
)

BRENK_2008 = (
    "Brenk R et al. Lessons learnt from assembling screening libraries for drug discovery for "
    "neglected diseases. ChemMedChem 3:435-444 (2008), doi:10.1002/cmdc.200700139"
)
JADHAV_2010 = (
    "Jadhav A et al. Quantitative analyses of aggregation, autofluorescence, and reactivity "
    "artifacts in a screen for inhibitors of a thiol protease. J Med Chem 53:37-51 (2010), "
    "doi:10.1021/jm901070c"
)
BAELL_2010 = (
    "Baell JB, Holloway GA. New substructure filters for removal of pan assay interference "
    "compounds (PAINS) from screening libraries and for their exclusion in bioassays. "
    "J Med Chem 53:2719-2740 (2010), doi:10.1021/jm901137j"
)


@dataclass(frozen=True, slots=True)
class Catalogue:
    """One of RDKit's filter catalogues: its name (RDKit's ``FilterSet``), family, source."""

    name: str
    family: str
    reference: str


CATALOGUES: tuple[Catalogue, ...] = (
    Catalogue("Brenk", "Brenk", BRENK_2008),
    Catalogue("NIH", "NIH", JADHAV_2010),
    Catalogue("PAINS_A", "PAINS", BAELL_2010),
    Catalogue("PAINS_B", "PAINS", BAELL_2010),
    Catalogue("PAINS_C", "PAINS", BAELL_2010),
)
_BY_NAME = {c.name: c for c in CATALOGUES}
FAMILIES = ("Brenk", "NIH", "PAINS")
METHOD = (
    f"RDKit {Chem.rdBase.rdkitVersion} FilterCatalog substructure alerts "
    "(Brenk, NIH, PAINS A/B/C) on the standardised parent structure"
)
RANKING_METHOD = (
    "alert_adjusted_score = cpa_score x product of one penalty factor per matched alert "
    "family (Brenk, NIH, PAINS); factors are our choice (provenance estimated), "
    "params/structural_alert_penalties.csv; alerts that are over-matches or not about "
    "toxicity or reactivity in a CPA context are shown but not penalised "
    "(params/structural_alert_overrides.csv, each with its reason)"
)


@dataclass(frozen=True, slots=True)
class Alert:
    """One matched alert: its catalogue, RDKit's description and the matched atoms.

    ``atoms``: indices (0-based, in the order of the molecule that was checked) of every
    atom in any match of the alert's pattern, sorted. ``override_factor`` and
    ``override_reason``: set when a row of the override table applies to this match (the
    alert then carries that factor instead of its family's); ``None`` / ``""`` otherwise.
    """

    catalogue: str
    family: str
    description: str
    atoms: tuple[int, ...]
    override_factor: float | None = None
    override_reason: str = ""

    @property
    def reference(self) -> str:
        return _BY_NAME[self.catalogue].reference

    @property
    def label(self) -> str:
        return f"{self.catalogue}: {self.description}"

    @property
    def penalised(self) -> bool:
        """Whether the alert can lower the score (False: shown only, override factor 1)."""
        return self.override_factor is None or self.override_factor < 1.0


@dataclass(frozen=True, slots=True)
class PenaltyFactor:
    """The factor applied to the CPA score when an alert family matches, with its source."""

    family: str
    catalogues: tuple[str, ...]
    penalty_factor: float
    source: str
    provenance: str
    verified: bool


@dataclass(frozen=True, slots=True)
class AlertReport:
    """The alerts of one molecule and the factor they put on its CPA score."""

    alerts: tuple[Alert, ...]
    penalty_factor: float

    @property
    def count(self) -> int:
        return len(self.alerts)

    @property
    def catalogues(self) -> tuple[str, ...]:
        """Matched catalogues, in :data:`CATALOGUES` order."""
        found = {a.catalogue for a in self.alerts}
        return tuple(c.name for c in CATALOGUES if c.name in found)

    @property
    def families(self) -> tuple[str, ...]:
        found = {a.family for a in self.alerts}
        return tuple(f for f in FAMILIES if f in found)

    @property
    def descriptions(self) -> tuple[str, ...]:
        """``catalogue: alert`` per alert; ``(not penalised)`` is appended when overridden."""
        return tuple(a.label if a.penalised else f"{a.label} (not penalised)" for a in self.alerts)

    @property
    def method(self) -> str:
        return METHOD

    @property
    def ranking_method(self) -> str:
        return RANKING_METHOD

    def adjusted(self, cpa_score: float) -> float:
        """The alert-adjusted score of a molecule whose CPA score is ``cpa_score``."""
        return cpa_score * self.penalty_factor


# --- the catalogue ------------------------------------------------------------------------


@lru_cache(maxsize=1)
def filter_catalog() -> rd_filters.FilterCatalog:
    """RDKit's Brenk, NIH and PAINS A/B/C catalogues in one FilterCatalog (built once)."""
    params = rd_filters.FilterCatalogParams()
    for catalogue in CATALOGUES:
        params.AddCatalog(
            getattr(rd_filters.FilterCatalogParams.FilterCatalogs, catalogue.name.upper())
        )
    return rd_filters.FilterCatalog(params)


_FP_SIZE = 2048


@dataclass(frozen=True, slots=True)
class _Screen:
    """The catalogue's entries with each pattern's packed pattern-fingerprint bits."""

    entries: tuple[rd_filters.FilterCatalogEntry, ...]
    bits: np.ndarray  # (entries, _FP_SIZE / 8) uint8; an all-zero row is always tried


def _pattern_bits(mol: Chem.Mol) -> np.ndarray:
    fingerprint = Chem.PatternFingerprint(mol, fpSize=_FP_SIZE)
    return np.frombuffer(DataStructs.BitVectToBinaryText(fingerprint), dtype=np.uint8)


def entry_pattern(entry: rd_filters.FilterCatalogEntry) -> Chem.Mol | None:
    """The query molecule of a single-pattern catalogue entry, or None if it cannot be read.

    RDKit does not expose an entry's pattern; its serialisation (a boost text archive) holds
    the description, the pickled query molecule and the match-count bounds. Only an entry
    whose layout is exactly that, with at least one match required, yields its pattern
    (then a molecule that cannot contain the pattern cannot match the entry).
    """
    try:
        data = entry.Serialize()
        name = str(entry.GetDescription()).encode()
        head = data.find(b" " + name + b" ")
        rest = data[head + len(name) + 2 :]
        size_end = rest.find(b" ")
        size = int(rest[:size_end])
        pickle = rest[size_end + 1 : size_end + 1 + size]
        tail = rest[size_end + 1 + size :].split()
        if head < 0 or int(tail[0]) < 1:
            return None
        pattern = Chem.Mol(pickle)
    except (ValueError, IndexError, RuntimeError):
        return None
    return pattern if pattern.GetNumAtoms() > 0 else None


@lru_cache(maxsize=1)
def _screen() -> _Screen:
    catalog = filter_catalog()
    entries = tuple(catalog.GetEntryWithIdx(i) for i in range(catalog.GetNumEntries()))
    bits = np.zeros((len(entries), _FP_SIZE // 8), dtype=np.uint8)
    for i, entry in enumerate(entries):
        pattern = entry_pattern(entry)
        if pattern is not None:
            bits[i] = _pattern_bits(pattern)
    return _Screen(entries, bits)


def _raw_alerts(mol: Chem.Mol) -> list[Alert]:
    screen = _screen()
    missing = screen.bits & ~_pattern_bits(mol)
    found: list[Alert] = []
    for i in np.flatnonzero(~missing.any(axis=1)):
        entry = screen.entries[i]
        if not entry.HasFilterMatch(mol):
            continue
        name = str(entry.GetProp("FilterSet"))
        atoms = sorted(
            {pair[1] for match in entry.GetFilterMatches(mol) for pair in match.atomPairs}
        )
        found.append(Alert(name, _BY_NAME[name].family, str(entry.GetDescription()), tuple(atoms)))
    return found


def structural_alerts(
    mol: Chem.Mol, overrides: Mapping[tuple[str, str], AlertOverride] | None = None
) -> tuple[Alert, ...]:
    """Every alert of :data:`CATALOGUES` that matches ``mol``, in catalogue order.

    Within a catalogue the alerts keep RDKit's catalogue order. Alerts with a row in
    ``overrides`` (default: the shipped table) that applies to ``mol`` carry its factor and
    reason. The result equals RDKit's ``FilterCatalog.GetMatches`` (patterns that the
    pattern fingerprint rules out are not tried; see the module docstring).
    """
    table = default_overrides() if overrides is None else overrides
    found = []
    for alert in _raw_alerts(mol):
        rule = table.get((alert.catalogue, alert.description))
        if rule is not None and rule.applies(mol):
            alert = replace(alert, override_factor=rule.factor, override_reason=rule.reason)
        found.append(alert)
    order = {c.name: i for i, c in enumerate(CATALOGUES)}
    return tuple(sorted(found, key=lambda a: order[a.catalogue]))


# --- per-alert overrides ------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class AlertOverride:
    """One row of the override table: an alert shown with ``factor`` instead of its family's.

    ``penalised_if``: a narrower SMARTS for what the alert is about; when it matches the
    molecule the override does not apply (the alert keeps its family's factor). ``None``:
    the override always applies.
    """

    catalogue: str
    alert: str
    factor: float
    penalised_if: str | None
    reason: str
    source: str
    provenance: str
    verified: bool

    def applies(self, mol: Chem.Mol) -> bool:
        if self.penalised_if is None:
            return True
        return not mol.HasSubstructMatch(_smarts(self.penalised_if))


@lru_cache(maxsize=64)
def _smarts(text: str) -> Chem.Mol:
    pattern = Chem.MolFromSmarts(text)
    if pattern is None:
        raise ValidationError(f"Cannot parse SMARTS {text!r}.", field="penalised_if")
    return pattern


def _alert_names() -> set[tuple[str, str]]:
    return {(str(e.GetProp("FilterSet")), str(e.GetDescription())) for e in _screen().entries}


def load_overrides(path: Path | str = OVERRIDE_TABLE) -> dict[tuple[str, str], AlertOverride]:
    """The per-alert overrides of ``path`` keyed by (catalogue, alert), checked.

    Every row must name an alert of the catalogue, a factor in (0, 1], a parseable
    ``penalised_if`` SMARTS (or none), a reason and a source.
    """
    with Path(path).open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        if tuple(reader.fieldnames or ()) != OVERRIDE_COLUMNS:
            raise ValidationError(
                f"{Path(path).name}: columns must be {', '.join(OVERRIDE_COLUMNS)}.",
                field="columns",
            )
        rows = list(reader)
    known = _alert_names()
    table: dict[tuple[str, str], AlertOverride] = {}
    for number, row in enumerate(rows, start=2):
        where = f"{Path(path).name} line {number}"
        key = (row["catalogue"], row["alert"])
        if key not in known:
            raise ValidationError(f"{where}: no alert {key[1]!r} in {key[0]}.", field="alert")
        if key in table:
            raise ValidationError(f"{where}: {key[0]}: {key[1]} listed twice.", field="alert")
        factor = float(row["factor"])
        if not 0.0 < factor <= 1.0:
            raise ValidationError(f"{where}: factor must be in (0, 1].", field="factor")
        if not row["reason"].strip() or not row["source"].strip():
            raise ValidationError(f"{where}: a reason and a source are required.", field="reason")
        if row["verified"] not in ("true", "false"):
            raise ValidationError(f"{where}: verified must be true or false.", field="verified")
        penalised_if = row["penalised_if"].strip() or None
        if penalised_if is not None:
            _smarts(penalised_if)
        table[key] = AlertOverride(
            catalogue=key[0],
            alert=key[1],
            factor=factor,
            penalised_if=penalised_if,
            reason=row["reason"],
            source=row["source"],
            provenance=row["provenance"],
            verified=row["verified"] == "true",
        )
    return table


@lru_cache(maxsize=1)
def default_overrides() -> Mapping[tuple[str, str], AlertOverride]:
    """The shipped override table (read once)."""
    return load_overrides()


# --- penalties ----------------------------------------------------------------------------


def load_penalties(path: Path | str = PENALTY_TABLE) -> dict[str, PenaltyFactor]:
    """The per-family penalty factors of ``path``, checked (0 < factor ≤ 1, every family)."""
    with Path(path).open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        if tuple(reader.fieldnames or ()) != PENALTY_COLUMNS:
            raise ValidationError(
                f"{Path(path).name}: columns must be {', '.join(PENALTY_COLUMNS)}.", field="columns"
            )
        rows = list(reader)
    table: dict[str, PenaltyFactor] = {}
    for number, row in enumerate(rows, start=2):
        where = f"{Path(path).name} line {number}"
        factor = float(row["penalty_factor"])
        if not 0.0 < factor <= 1.0:
            raise ValidationError(
                f"{where}: penalty_factor must be in (0, 1].", field="penalty_factor"
            )
        catalogues = tuple(row["catalogues"].split("|"))
        if row["family"] not in FAMILIES or any(
            _BY_NAME.get(c) is None or _BY_NAME[c].family != row["family"] for c in catalogues
        ):
            raise ValidationError(f"{where}: unknown family or catalogue.", field="family")
        if row["verified"] not in ("true", "false"):
            raise ValidationError(f"{where}: verified must be true or false.", field="verified")
        table[row["family"]] = PenaltyFactor(
            family=row["family"],
            catalogues=catalogues,
            penalty_factor=factor,
            source=row["source"],
            provenance=row["provenance"],
            verified=row["verified"] == "true",
        )
    missing = [f for f in FAMILIES if f not in table]
    if missing:
        raise ValidationError(
            f"{Path(path).name}: no factor for {', '.join(missing)}.", field="family"
        )
    return table


@lru_cache(maxsize=1)
def default_penalties() -> Mapping[str, PenaltyFactor]:
    """The shipped penalty table (read once)."""
    return load_penalties()


def penalty_factor(
    alerts: Iterable[Alert], penalties: Mapping[str, PenaltyFactor] | None = None
) -> float:
    """Product over the matched families of the smallest factor of their alerts.

    An alert's factor is its override factor when an override applies, else its family's
    (so a family counts once; 1.0 without alerts or when every alert is overridden to 1).
    """
    table = default_penalties() if penalties is None else penalties
    smallest: dict[str, float] = {}
    for alert in alerts:
        own = (
            table[alert.family].penalty_factor
            if alert.override_factor is None
            else alert.override_factor
        )
        smallest[alert.family] = min(own, smallest.get(alert.family, 1.0))
    factor = 1.0
    for family in sorted(smallest):
        factor *= smallest[family]
    return factor


def alert_adjusted_score(
    cpa_score: float,
    alerts: Iterable[Alert],
    penalties: Mapping[str, PenaltyFactor] | None = None,
) -> float:
    """``cpa_score`` × :func:`penalty_factor` of ``alerts`` (see the module docstring)."""
    return cpa_score * penalty_factor(alerts, penalties)


# --- reports ------------------------------------------------------------------------------


def alert_report(mol: Chem.Mol) -> AlertReport:
    """The alerts of ``mol`` with their penalty factor (shipped table)."""
    alerts = structural_alerts(mol)
    return AlertReport(alerts=alerts, penalty_factor=penalty_factor(alerts))


# --- stored alerts -------------------------------------------------------------------------

STORED_FORMAT = "1"
"""Version of :func:`encode_alerts`' shape (part of :func:`alerts_key`)."""


@lru_cache(maxsize=1)
def alerts_key() -> str:
    """What a molecule's stored alerts were found with: the format, RDKit's version (its
    catalogues' SMARTS) and the shipped override table. Stored alerts under another key are
    not used (they are found again on read), so a new RDKit or override table cannot leave
    stale alerts on screen. The penalty table is not part of it: factors are looked up on read.
    """
    digest = hashlib.sha256()
    digest.update(f"{STORED_FORMAT}\n{METHOD}\n".encode())
    digest.update(OVERRIDE_TABLE.read_bytes())
    return f"{STORED_FORMAT}:{digest.hexdigest()[:20]}"


def encode_alerts(report: AlertReport) -> list[dict[str, object]]:
    """``report``'s alerts as JSON-ready objects (what :func:`decode_alerts` reads back)."""
    return [
        {
            "catalogue": a.catalogue,
            "description": a.description,
            "atoms": list(a.atoms),
            "override_factor": a.override_factor,
            "override_reason": a.override_reason,
        }
        for a in report.alerts
    ]


def decode_alerts(
    stored: object, penalties: Mapping[str, PenaltyFactor] | None = None
) -> AlertReport | None:
    """The report of alerts stored by :func:`encode_alerts`, its factor from ``penalties``
    (default: the shipped table); None when ``stored`` is not that shape (an unknown
    catalogue, a missing field), so the caller finds the alerts again instead."""
    if not isinstance(stored, list):
        return None
    alerts = []
    for item in stored:
        try:
            catalogue = _BY_NAME[item["catalogue"]]
            factor = item["override_factor"]
            alerts.append(
                Alert(
                    catalogue=catalogue.name,
                    family=catalogue.family,
                    description=str(item["description"]),
                    atoms=tuple(int(i) for i in item["atoms"]),
                    override_factor=None if factor is None else float(factor),
                    override_reason=str(item["override_reason"]),
                )
            )
        except (KeyError, TypeError, ValueError):
            return None
    found = tuple(alerts)
    return AlertReport(alerts=found, penalty_factor=penalty_factor(found, penalties))


@lru_cache(maxsize=20_000)
def alerts_for_smiles(smiles: str) -> AlertReport:
    """:func:`alert_report` of a (canonical) SMILES, cached: library lists compute on read.

    Atom indices refer to the molecule as parsed from ``smiles``.
    """
    mol = Chem.MolFromSmiles(smiles)
    if mol is None:
        raise InvalidStructureError(f"Cannot parse SMILES {smiles[:80]!r}.", field="smiles")
    return alert_report(mol)
