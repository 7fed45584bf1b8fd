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

A predicted toxicity does not enter this score: no molecule toxicity model is shipped,
and a molecule model's target carries no declared direction or scale. A model given to
``cryoprotect screen --model`` adds its prediction as columns beside this score.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from rdkit import Chem
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
    "params/structural_alert_penalties.csv"
)


@dataclass(frozen=True, slots=True)
class Alert:
    """One matched alert: its catalogue, RDKit's description and the matched atoms.

    ``atoms``: indices (0-based, in the order of the molecule that was checked) of every
    atom in any match of the alert's pattern, sorted.
    """

    catalogue: str
    family: str
    description: str
    atoms: tuple[int, ...]

    @property
    def reference(self) -> str:
        return _BY_NAME[self.catalogue].reference

    @property
    def label(self) -> str:
        return f"{self.catalogue}: {self.description}"


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
        return tuple(a.label for a in self.alerts)

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


def structural_alerts(mol: Chem.Mol) -> tuple[Alert, ...]:
    """Every alert of :data:`CATALOGUES` that matches ``mol``, in catalogue order.

    Within a catalogue the alerts keep RDKit's catalogue order.
    """
    found: list[Alert] = []
    for entry in filter_catalog().GetMatches(mol):
        name = str(entry.GetProp("FilterSet"))
        atoms = sorted(
            {pair[1] for match in entry.GetFilterMatches(mol) for pair in match.atomPairs}
        )
        found.append(Alert(name, _BY_NAME[name].family, str(entry.GetDescription()), tuple(atoms)))
    order = {c.name: i for i, c in enumerate(CATALOGUES)}
    return tuple(sorted(found, key=lambda a: order[a.catalogue]))


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
    """Product of one factor per distinct matched family (1.0 without alerts)."""
    table = default_penalties() if penalties is None else penalties
    factor = 1.0
    for family in sorted({a.family for a in alerts}):
        factor *= table[family].penalty_factor
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


@lru_cache(maxsize=20_000)
def alerts_for_smiles(smiles: str) -> AlertReport:
    """:func:`alert_report` of a (canonical) SMILES, cached: library lists compute on read.

    Atom indices refer to the molecule as parsed from ``smiles``.
    """
    mol = Chem.MolFromSmiles(smiles)
    if mol is None:
        raise InvalidStructureError(f"Cannot parse SMILES {smiles[:80]!r}.", field="smiles")
    return alert_report(mol)
