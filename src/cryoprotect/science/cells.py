"""Cell types: the membrane and osmotic parameters that membrane-transport models need.

This module owns the description of a cell as the two-parameter transport model sees it
(:mod:`cryoprotect.science.transport`): its hydraulic conductivity Lp, its permeability Ps
to each cryoprotectant (CPA), their Arrhenius activation energies and the temperature they
were measured at, its osmotically inactive volume fraction, isotonic volume, membrane area
and isotonic osmolality, and its osmotic tolerance limits (the smallest and largest volume,
as a fraction of the isotonic volume, the cell survives).

Units are fixed and appear in every name: Lp in µm/min/atm (the unit cryobiology papers
report), Ps in µm/s, activation energies in kJ/mol, volumes in µm³, areas in µm²,
osmolality in osmol/kg water, temperatures in °C.

**Built-in cell types** come from ``params/cell_types.csv``, one row per value (long
format) with the columns ``cell_type, parameter, solute, value, unit, temperature_c,
source, provenance, verified``. ``provenance`` is ``measured``, ``fitted`` or
``estimated``; ``verified`` says whether the number was seen in its source (or in an
abstract quoting it). Rows ``name`` and ``species`` carry display text.

**User cell types** travel as the JSON object of :meth:`CellType.as_dict` — the shape the
API accepts and the database stores (``cell_types.parameters``)::

    {
      "key": "my_cells",                      # optional; derived from the name if absent
      "name": "My cells", "species": "Homo sapiens",
      "lp_um_per_min_atm": 0.5, "lp_activation_energy_kj_per_mol": 50,
      "reference_temperature_c": 22,
      "inactive_volume_fraction": 0.3, "isotonic_volume_um3": 1767,
      "surface_area_um2": 706.9, "isotonic_osmolality_osmol_per_kg": 0.29,
      "min_volume_fraction": 0.6, "max_volume_fraction": 1.4,
      "permeabilities": [
        {"solute": "Dimethyl sulfoxide", "ps_um_per_s": 0.3,
         "activation_energy_kj_per_mol": 97, "reference_temperature_c": 22,   # optional
         "reflection_coefficient": null,                                      # optional
         "sources": {...}, "provenance": {...}, "verified": {...}}           # optional
      ],
      "sources": {"lp_um_per_min_atm": "citation", ...},          # optional
      "provenance": {"lp_um_per_min_atm": "measured", ...},       # optional
      "verified": {"lp_um_per_min_atm": true, ...}                # optional
    }

Values a user supplies without a provenance tag are tagged ``user`` and, without a source,
``"user-supplied"``. :meth:`CellType.from_dict` checks every field and raises
:class:`~cryoprotect.errors.ValidationError` with ``field = "parameters.<name>"`` (or
``"parameters.permeabilities[i].<name>"``) naming the first problem.
"""

from __future__ import annotations

import csv
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from functools import lru_cache
from pathlib import Path
from typing import Any

from cryoprotect.errors import NotFound, ValidationError

PARAMS_DIR = Path(__file__).resolve().parent / "params"
CELL_TABLE = PARAMS_DIR / "cell_types.csv"

CELL_COLUMNS = (
    "cell_type",
    "parameter",
    "solute",
    "value",
    "unit",
    "temperature_c",
    "source",
    "provenance",
    "verified",
)
TABLE_PROVENANCES = frozenset({"measured", "fitted", "estimated"})
"""Provenance tags allowed in the shipped table."""
PROVENANCES = TABLE_PROVENANCES | {"user"}
"""Provenance tags allowed anywhere (``user`` marks values a user supplied)."""
USER_SOURCE = "user-supplied"

# CSV parameter → (CellType field, unit the CSV must use).
CELL_PARAMETERS: dict[str, tuple[str, str]] = {
    "lp": ("lp_um_per_min_atm", "um/min/atm"),
    "lp_activation_energy": ("lp_activation_energy_kj_per_mol", "kJ/mol"),
    "reference_temperature": ("reference_temperature_c", "degC"),
    "inactive_volume_fraction": ("inactive_volume_fraction", "1"),
    "isotonic_volume": ("isotonic_volume_um3", "um^3"),
    "surface_area": ("surface_area_um2", "um^2"),
    "isotonic_osmolality": ("isotonic_osmolality_osmol_per_kg", "osmol/kg"),
    "min_volume_fraction": ("min_volume_fraction", "1"),
    "max_volume_fraction": ("max_volume_fraction", "1"),
}
# CSV parameter → (Permeability field, unit).
SOLUTE_PARAMETERS: dict[str, tuple[str, str]] = {
    "ps": ("ps_um_per_s", "um/s"),
    "ps_activation_energy": ("activation_energy_kj_per_mol", "kJ/mol"),
    "reflection_coefficient": ("reflection_coefficient", "1"),
    "ps_saturation": ("saturation_molality_mol_per_kg", "mol/kg"),
}
TEXT_PARAMETERS = frozenset({"name", "species"})

NUMERIC_FIELDS: tuple[str, ...] = tuple(f for f, _ in CELL_PARAMETERS.values())
MIN_TEMPERATURE_C = -50.0
MAX_TEMPERATURE_C = 100.0
"""Range accepted for a reference temperature (well beyond any membrane measurement)."""

_KEY_PATTERN = re.compile(r"^[a-z0-9][a-z0-9_]{0,63}$")


# --- data classes -------------------------------------------------------------------------


@dataclass(frozen=True)
class Permeability:
    """The permeability of one membrane to one CPA.

    Attributes:
        solute: the CPA's name, as in the osmotic virial tables (e.g. ``"Dimethyl sulfoxide"``).
        ps_um_per_s: solute permeability Ps in µm/s at ``reference_temperature_c``.
        activation_energy_kj_per_mol: Arrhenius activation energy of Ps, kJ/mol.
        reflection_coefficient: Staverman σ for the Kedem–Katchalsky model, or ``None``.
        sources: field name → citation.
        provenance: field name → ``measured``/``fitted``/``estimated``/``user``.
        reference_temperature_c: temperature Ps was measured at; ``None`` means the cell's
            :attr:`CellType.reference_temperature_c`.
        verified: field name → whether the number was checked against its source.
        saturation_molality_mol_per_kg: half-saturation constant K of a facilitated
            (carrier/channel) flux, mol/kg; ``None`` for simple diffusion. With K the
            transport model uses Ps = Ps0 / ((1 + m_e/K)(1 + m_i/K)), ``ps_um_per_s`` being
            Ps0, the low-concentration limit (symmetric carrier, Widdas 1952).
    """

    solute: str
    ps_um_per_s: float
    activation_energy_kj_per_mol: float
    reflection_coefficient: float | None
    sources: dict[str, str]
    provenance: dict[str, str]
    reference_temperature_c: float | None = None
    verified: dict[str, bool] = field(default_factory=dict)
    saturation_molality_mol_per_kg: float | None = None

    def as_dict(self) -> dict[str, Any]:
        """The permeability as a JSON-ready dict (see the module docstring)."""
        return {
            "solute": self.solute,
            "ps_um_per_s": self.ps_um_per_s,
            "activation_energy_kj_per_mol": self.activation_energy_kj_per_mol,
            "reference_temperature_c": self.reference_temperature_c,
            "reflection_coefficient": self.reflection_coefficient,
            "saturation_molality_mol_per_kg": self.saturation_molality_mol_per_kg,
            "sources": dict(self.sources),
            "provenance": dict(self.provenance),
            "verified": dict(self.verified),
        }


@dataclass(frozen=True)
class CellType:
    """A cell as the membrane-transport model sees it (units in the field names).

    Attributes:
        key: a stable identifier (``"human_rbc"``, ``"generic_mammalian"``, ...).
        name: display name.
        species: Latin binomial, or ``None``.
        lp_um_per_min_atm: hydraulic conductivity Lp at ``reference_temperature_c``.
        lp_activation_energy_kj_per_mol: Arrhenius activation energy of Lp.
        reference_temperature_c: temperature Lp was measured at (and Ps, unless the
            permeability says otherwise).
        inactive_volume_fraction: osmotically inactive volume / isotonic volume (vb).
        isotonic_volume_um3: cell volume in isotonic medium.
        surface_area_um2: membrane area (taken as constant by the transport model).
        isotonic_osmolality_osmol_per_kg: osmolality of the isotonic medium.
        min_volume_fraction: lower osmotic tolerance limit, V/V_iso.
        max_volume_fraction: upper osmotic tolerance limit, V/V_iso.
        permeabilities: solute name → :class:`Permeability`.
        sources: field name → citation.
        provenance: field name → provenance tag.
        verified: field name → whether the number was checked against its source.
    """

    key: str
    name: str
    species: str | None
    lp_um_per_min_atm: float
    lp_activation_energy_kj_per_mol: float
    reference_temperature_c: float
    inactive_volume_fraction: float
    isotonic_volume_um3: float
    surface_area_um2: float
    isotonic_osmolality_osmol_per_kg: float
    min_volume_fraction: float
    max_volume_fraction: float
    permeabilities: Mapping[str, Permeability]
    sources: Mapping[str, str]
    provenance: Mapping[str, str]
    verified: Mapping[str, bool] = field(default_factory=dict)

    @property
    def inactive_volume_um3(self) -> float:
        """Osmotically inactive volume vb·V_iso, µm³."""
        return self.inactive_volume_fraction * self.isotonic_volume_um3

    @property
    def isotonic_water_volume_um3(self) -> float:
        """Osmotically active (water) volume in isotonic medium, (1 − vb)·V_iso, µm³."""
        return (1.0 - self.inactive_volume_fraction) * self.isotonic_volume_um3

    def permeability(self, solute: str) -> Permeability | None:
        """The membrane's permeability to ``solute`` (case-insensitive name), or ``None``."""
        wanted = solute.strip().casefold()
        for name, value in self.permeabilities.items():
            if name.casefold() == wanted:
                return value
        return None

    def as_dict(self) -> dict[str, Any]:
        """The cell type as the JSON object described in the module docstring.

        Round-trips: ``CellType.from_dict(cell.as_dict()) == cell``.
        """
        data: dict[str, Any] = {"key": self.key, "name": self.name, "species": self.species}
        for name in NUMERIC_FIELDS:
            data[name] = getattr(self, name)
        data["permeabilities"] = [p.as_dict() for p in self.permeabilities.values()]
        data["sources"] = dict(self.sources)
        data["provenance"] = dict(self.provenance)
        data["verified"] = dict(self.verified)
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> CellType:
        """Build and validate a cell type from its JSON object.

        Args:
            data: the object of :meth:`as_dict` (user input or a stored row).

        Raises:
            ValidationError: a field is missing, not a finite number, out of range, or
                inconsistent (``field`` names it, e.g. ``"parameters.min_volume_fraction"``).
        """
        if not isinstance(data, Mapping):
            raise ValidationError("cell parameters must be a JSON object", field="parameters")
        name = _required_text(data.get("name"), "parameters.name")
        key = data.get("key")
        if key is None:
            key = slugify(name)
        if not isinstance(key, str) or not _KEY_PATTERN.match(key):
            raise ValidationError(
                "key must be 1-64 characters of a-z, 0-9 and '_' (starting with a letter or digit)",
                field="parameters.key",
            )
        species = _text(data.get("species"), "parameters.species", required=False)
        values = {f: _number(data, f, "parameters") for f in NUMERIC_FIELDS}
        _check_cell_values(values)
        permeabilities = _permeabilities(data.get("permeabilities", []))
        sources, provenance, verified = _annotations(data, NUMERIC_FIELDS, "parameters")
        return cls(
            key=key,
            name=name,
            species=species or None,
            lp_um_per_min_atm=values["lp_um_per_min_atm"],
            lp_activation_energy_kj_per_mol=values["lp_activation_energy_kj_per_mol"],
            reference_temperature_c=values["reference_temperature_c"],
            inactive_volume_fraction=values["inactive_volume_fraction"],
            isotonic_volume_um3=values["isotonic_volume_um3"],
            surface_area_um2=values["surface_area_um2"],
            isotonic_osmolality_osmol_per_kg=values["isotonic_osmolality_osmol_per_kg"],
            min_volume_fraction=values["min_volume_fraction"],
            max_volume_fraction=values["max_volume_fraction"],
            permeabilities=permeabilities,
            sources=sources,
            provenance=provenance,
            verified=verified,
        )


# --- validation helpers -------------------------------------------------------------------


def slugify(name: str) -> str:
    """A key made from a display name: lower case, runs of other characters become ``_``."""
    slug = re.sub(r"[^a-z0-9]+", "_", name.casefold()).strip("_")
    return slug[:64] or "cell"


def _text(value: Any, where: str, *, required: bool) -> str | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            raise ValidationError(f"{where.rsplit('.', 1)[-1]} is required", field=where)
        return None
    if not isinstance(value, str) or len(value) > 200:
        raise ValidationError("must be a string of at most 200 characters", field=where)
    return value.strip()


def _required_text(value: Any, where: str) -> str:
    text = _text(value, where, required=True)
    if text is None:  # _text raises first; kept for the type checker
        raise ValidationError("a value is required", field=where)
    return text


def _number(data: Mapping[str, Any], name: str, prefix: str, *, optional: bool = False) -> float:
    where = f"{prefix}.{name}"
    if name not in data or data[name] is None:
        if optional:
            return math.nan
        raise ValidationError(f"{name} is required", field=where)
    value = data[name]
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValidationError(f"{name} must be a number", field=where)
    number = float(value)
    if not math.isfinite(number):
        raise ValidationError(f"{name} must be finite", field=where)
    return number


def _require(condition: bool, message: str, where: str) -> None:
    if not condition:
        raise ValidationError(message, field=where)


def _check_temperature(value: float, where: str) -> None:
    _require(
        MIN_TEMPERATURE_C <= value <= MAX_TEMPERATURE_C,
        f"temperature must be within {MIN_TEMPERATURE_C:g}–{MAX_TEMPERATURE_C:g} °C",
        where,
    )


def _check_cell_values(v: Mapping[str, float]) -> None:
    p = "parameters."
    for name in ("lp_um_per_min_atm", "isotonic_volume_um3", "surface_area_um2"):
        _require(v[name] > 0, f"{name} must be > 0", p + name)
    _require(
        v["isotonic_osmolality_osmol_per_kg"] > 0,
        "isotonic_osmolality_osmol_per_kg must be > 0",
        p + "isotonic_osmolality_osmol_per_kg",
    )
    _require(
        v["lp_activation_energy_kj_per_mol"] >= 0,
        "lp_activation_energy_kj_per_mol must be ≥ 0",
        p + "lp_activation_energy_kj_per_mol",
    )
    _check_temperature(v["reference_temperature_c"], p + "reference_temperature_c")
    vb = v["inactive_volume_fraction"]
    _require(
        0 < vb < 1, "inactive_volume_fraction must be in (0, 1)", p + "inactive_volume_fraction"
    )
    low, high = v["min_volume_fraction"], v["max_volume_fraction"]
    _require(
        0 < low < 1,
        "min_volume_fraction must be in (0, 1): the isotonic volume must be tolerated",
        p + "min_volume_fraction",
    )
    _require(
        high > 1,
        "max_volume_fraction must be > 1: the isotonic volume must be tolerated",
        p + "max_volume_fraction",
    )


def _annotations(
    data: Mapping[str, Any], names: tuple[str, ...], prefix: str
) -> tuple[dict[str, str], dict[str, str], dict[str, bool]]:
    """Sources, provenance and verified flags for ``names``; defaults for user input."""
    raw_sources = data.get("sources") or {}
    raw_provenance = data.get("provenance") or {}
    raw_verified = data.get("verified") or {}
    for label, raw in (("sources", raw_sources), ("provenance", raw_provenance)):
        if not isinstance(raw, Mapping) or not all(isinstance(x, str) for x in raw.values()):
            raise ValidationError(
                f"{label} must map field names to strings", field=f"{prefix}.{label}"
            )
    if not isinstance(raw_verified, Mapping) or not all(
        isinstance(x, bool) for x in raw_verified.values()
    ):
        raise ValidationError(
            "verified must map field names to booleans", field=f"{prefix}.verified"
        )
    sources: dict[str, str] = {}
    provenance: dict[str, str] = {}
    verified: dict[str, bool] = {}
    for name in names:
        source = raw_sources.get(name)
        sources[name] = source.strip() if source and source.strip() else USER_SOURCE
        tag = raw_provenance.get(name, "user")
        if tag not in PROVENANCES:
            raise ValidationError(
                f"provenance of {name} must be one of {sorted(PROVENANCES)}",
                field=f"{prefix}.provenance.{name}",
            )
        provenance[name] = tag
        verified[name] = bool(raw_verified.get(name, False))
    return sources, provenance, verified


_PERMEABILITY_FIELDS = (
    "ps_um_per_s",
    "activation_energy_kj_per_mol",
    "reference_temperature_c",
    "reflection_coefficient",
    "saturation_molality_mol_per_kg",
)


def _permeabilities(raw: Any) -> dict[str, Permeability]:
    if isinstance(raw, Mapping):  # convenience: {"Dimethyl sulfoxide": {...}}
        raw = [{"solute": name, **dict(value)} for name, value in raw.items()]
    if not isinstance(raw, list | tuple):
        raise ValidationError("permeabilities must be a list", field="parameters.permeabilities")
    result: dict[str, Permeability] = {}
    for index, item in enumerate(raw):
        prefix = f"parameters.permeabilities[{index}]"
        if not isinstance(item, Mapping):
            raise ValidationError("each permeability must be an object", field=prefix)
        permeability = _permeability(item, prefix)
        if any(name.casefold() == permeability.solute.casefold() for name in result):
            raise ValidationError(
                f"{permeability.solute!r} is listed twice", field=f"{prefix}.solute"
            )
        result[permeability.solute] = permeability
    return result


def _permeability(item: Mapping[str, Any], prefix: str) -> Permeability:
    solute = _required_text(item.get("solute"), f"{prefix}.solute")
    ps = _number(item, "ps_um_per_s", prefix)
    _require(ps > 0, "ps_um_per_s must be > 0", f"{prefix}.ps_um_per_s")
    energy = _number(item, "activation_energy_kj_per_mol", prefix)
    _require(
        energy >= 0,
        "activation_energy_kj_per_mol must be ≥ 0",
        f"{prefix}.activation_energy_kj_per_mol",
    )
    reference = _number(item, "reference_temperature_c", prefix, optional=True)
    if not math.isnan(reference):
        _check_temperature(reference, f"{prefix}.reference_temperature_c")
    sigma = _number(item, "reflection_coefficient", prefix, optional=True)
    if not math.isnan(sigma):
        _require(
            0 <= sigma <= 1,
            "reflection_coefficient must be in [0, 1]",
            f"{prefix}.reflection_coefficient",
        )
    saturation = _number(item, "saturation_molality_mol_per_kg", prefix, optional=True)
    if not math.isnan(saturation):
        _require(
            saturation > 0,
            "saturation_molality_mol_per_kg must be > 0",
            f"{prefix}.saturation_molality_mol_per_kg",
        )
    present = tuple(
        f
        for f in _PERMEABILITY_FIELDS
        if f in ("ps_um_per_s", "activation_energy_kj_per_mol") or item.get(f) is not None
    )
    sources, provenance, verified = _annotations(item, present, prefix)
    return Permeability(
        solute=solute,
        ps_um_per_s=ps,
        activation_energy_kj_per_mol=energy,
        reflection_coefficient=None if math.isnan(sigma) else sigma,
        sources=sources,
        provenance=provenance,
        reference_temperature_c=None if math.isnan(reference) else reference,
        verified=verified,
        saturation_molality_mol_per_kg=None if math.isnan(saturation) else saturation,
    )


# --- the shipped table --------------------------------------------------------------------


def _parse_bool(text: str, where: str) -> bool:
    value = text.strip().lower()
    if value in {"true", "false"}:
        return value == "true"
    raise ValidationError(f"{where}: 'verified' must be true or false, not {text!r}")


def _row_to_entry(row: Mapping[str, str], where: str) -> tuple[str, str, str, Any]:
    """Check one CSV row; return (cell_type, parameter, solute, value)."""
    parameter = row["parameter"].strip()
    solute = row["solute"].strip()
    if row["provenance"].strip() not in TABLE_PROVENANCES:
        raise ValidationError(f"{where}: unknown provenance {row['provenance']!r}")
    if not row["source"].strip():
        raise ValidationError(f"{where}: every row needs a source")
    if parameter in TEXT_PARAMETERS:
        return row["cell_type"].strip(), parameter, solute, row["value"].strip()
    spec = CELL_PARAMETERS.get(parameter) or SOLUTE_PARAMETERS.get(parameter)
    if spec is None:
        raise ValidationError(f"{where}: unknown parameter {parameter!r}")
    if (parameter in SOLUTE_PARAMETERS) != bool(solute):
        raise ValidationError(f"{where}: {parameter!r} needs a solute iff it is a solute parameter")
    if row["unit"].strip() != spec[1]:
        raise ValidationError(f"{where}: {parameter} must be in {spec[1]}, not {row['unit']!r}")
    return row["cell_type"].strip(), parameter, solute, float(row["value"])


def load_cell_table(path: Path | str) -> dict[str, CellType]:
    """Read a cell-parameter table in the long format of ``params/cell_types.csv``.

    Args:
        path: the CSV (columns :data:`CELL_COLUMNS`).

    Returns:
        Cell types keyed by their key, in table order.

    Raises:
        ValidationError: a column, parameter, unit or provenance is wrong, a value repeats,
            or a cell type fails :meth:`CellType.from_dict`'s checks.
    """
    path = Path(path)
    cells: dict[str, dict[str, Any]] = {}
    with path.open(newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        missing = set(CELL_COLUMNS) - set(reader.fieldnames or ())
        if missing:
            raise ValidationError(f"{path.name}: missing columns {sorted(missing)}")
        for line, row in enumerate(reader, start=2):
            where = f"{path.name}:{line}"
            key, parameter, solute, value = _row_to_entry(row, where)
            entry = cells.setdefault(
                key, {"key": key, "sources": {}, "provenance": {}, "verified": {}, "perm": {}}
            )
            _store(entry, row, parameter, solute, value, where)
    return {key: CellType.from_dict(_assemble(entry)) for key, entry in cells.items()}


def _store(
    entry: dict[str, Any],
    row: Mapping[str, str],
    parameter: str,
    solute: str,
    value: Any,
    where: str,
) -> None:
    if parameter in TEXT_PARAMETERS:
        target, name = entry, parameter
    elif solute:
        target = entry["perm"].setdefault(
            solute, {"solute": solute, "sources": {}, "provenance": {}, "verified": {}}
        )
        name = SOLUTE_PARAMETERS[parameter][0]
        if parameter == "ps" and row["temperature_c"].strip():
            target["reference_temperature_c"] = float(row["temperature_c"])
            target["sources"]["reference_temperature_c"] = "temperature of the Ps measurement"
            target["provenance"]["reference_temperature_c"] = row["provenance"].strip()
            target["verified"]["reference_temperature_c"] = _parse_bool(row["verified"], where)
    else:
        target, name = entry, CELL_PARAMETERS[parameter][0]
        if parameter == "lp":
            entry["_lp_temperature"] = row["temperature_c"].strip()
    if name in target:
        raise ValidationError(f"{where}: {parameter} of {entry['key']} {solute} appears twice")
    target[name] = value
    if parameter not in TEXT_PARAMETERS:
        target["sources"][name] = row["source"].strip()
        target["provenance"][name] = row["provenance"].strip()
        target["verified"][name] = _parse_bool(row["verified"], where)


def _assemble(entry: dict[str, Any]) -> dict[str, Any]:
    lp_temperature = entry.pop("_lp_temperature", "")
    reference = entry.get("reference_temperature_c")
    if lp_temperature and reference is not None and float(lp_temperature) != reference:
        raise ValidationError(
            f"{entry['key']}: the lp row's temperature_c ({lp_temperature}) differs from "
            f"reference_temperature ({reference})"
        )
    entry["permeabilities"] = list(entry.pop("perm").values())
    entry["species"] = entry.get("species") or None
    return entry


@lru_cache(maxsize=1)
def _builtin() -> dict[str, CellType]:
    return load_cell_table(CELL_TABLE)


def builtin_cell_types() -> dict[str, CellType]:
    """The cell types shipped in ``params/cell_types.csv`` (parsed once, cached).

    Returns:
        A fresh dict keyed by cell-type key.
    """
    return dict(_builtin())


def get_cell_type(key: str) -> CellType:
    """One shipped cell type.

    Args:
        key: its key, e.g. ``"human_rbc"`` (exact match).

    Raises:
        NotFound: no shipped cell type has that key.
    """
    found = _builtin().get(key)
    if found is None:
        raise NotFound(f"no cell type {key!r}", details={"cell_type": key})
    return found


# --- published spread of the parameters -----------------------------------------------------

LITERATURE_TABLE = PARAMS_DIR / "cell_parameter_literature.csv"
LITERATURE_COLUMNS = (
    "cell_type",
    "parameter",
    "solute",
    "value",
    "sd",
    "unit",
    "temperature_c",
    "method",
    "source",
    "provenance",
    "verified",
    "in_range",
    "chosen",
    "choice_reason",
)
RANGE_PARAMETERS: dict[str, str] = {
    "lp": "um/min/atm",
    "inactive_volume_fraction": "1",
    "ps": "um/s",
    "ps_saturation": "mol/kg",
}
"""Parameters whose published spread is recorded (and carried into sensitivity bands)."""


@dataclass(frozen=True)
class PublishedValue:
    """One published value of a cell parameter (a row of ``cell_parameter_literature.csv``).

    Attributes:
        cell_type: key of the shipped cell type.
        parameter: ``lp``, ``inactive_volume_fraction``, ``ps`` or ``ps_saturation``.
        solute: the CPA for ``ps``/``ps_saturation``, else ``""``.
        value: the published (or converted) value, in ``unit``.
        sd: its reported standard deviation, or ``None``.
        unit: as in :data:`RANGE_PARAMETERS`.
        temperature_c: measurement temperature, °C, or ``None`` when not stated.
        method: how it was measured.
        source: citation (what was seen and how it was converted).
        provenance: ``measured``, ``fitted`` or ``estimated``.
        verified: whether the number was read in the source.
        in_range: whether it counts towards the published range (``False`` for values from
            another regime, e.g. subzero fits, or measured where a carrier saturates).
        chosen: whether it is the value shipped in ``cell_types.csv``.
        choice_reason: why it was (or was not) chosen.
    """

    cell_type: str
    parameter: str
    solute: str
    value: float
    sd: float | None
    unit: str
    temperature_c: float | None
    method: str
    source: str
    provenance: str
    verified: bool
    in_range: bool
    chosen: bool
    choice_reason: str

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready dict."""
        return {name: getattr(self, name) for name in LITERATURE_COLUMNS}


@dataclass(frozen=True)
class ParameterRange:
    """The published range of one cell parameter, as a sensitivity band uses it.

    ``low``/``high`` are the smallest and largest published means counted ``in_range``;
    with a single published value they are its mean ∓ its SD (or the value itself when no
    SD is reported, ``spread = False``).
    """

    parameter: str
    solute: str
    unit: str
    low: float
    high: float
    shipped: float
    spread: bool
    sources: tuple[str, ...]
    provenance: str
    verified: bool

    @property
    def name(self) -> str:
        """``lp``, ``inactive_volume_fraction``, ``ps (Glycerol)``, ..."""
        return f"{self.parameter} ({self.solute})" if self.solute else self.parameter

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready dict."""
        return {
            "parameter": self.parameter,
            "solute": self.solute or None,
            "unit": self.unit,
            "low": self.low,
            "high": self.high,
            "shipped": self.shipped,
            "spread": self.spread,
            "sources": list(self.sources),
            "provenance": self.provenance,
            "verified": self.verified,
        }


def _optional_float(text: str) -> float | None:
    return float(text) if text.strip() else None


def load_literature(path: Path | str = LITERATURE_TABLE) -> tuple[PublishedValue, ...]:
    """Read the published-values table (columns :data:`LITERATURE_COLUMNS`).

    Raises:
        ValidationError: a missing column, an unknown parameter or unit, a bad flag, a
            row without a source, or a cell type/parameter with no ``chosen`` row.
    """
    path = Path(path)
    values: list[PublishedValue] = []
    with path.open(newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        missing = set(LITERATURE_COLUMNS) - set(reader.fieldnames or ())
        if missing:
            raise ValidationError(f"{path.name}: missing columns {sorted(missing)}")
        for line, row in enumerate(reader, start=2):
            where = f"{path.name}:{line}"
            parameter = row["parameter"].strip()
            if RANGE_PARAMETERS.get(parameter) != row["unit"].strip():
                raise ValidationError(f"{where}: unknown parameter/unit {parameter!r}")
            if row["provenance"].strip() not in TABLE_PROVENANCES or not row["source"].strip():
                raise ValidationError(f"{where}: needs a source and a provenance tag")
            values.append(
                PublishedValue(
                    cell_type=row["cell_type"].strip(),
                    parameter=parameter,
                    solute=row["solute"].strip(),
                    value=float(row["value"]),
                    sd=_optional_float(row["sd"]),
                    unit=row["unit"].strip(),
                    temperature_c=_optional_float(row["temperature_c"]),
                    method=row["method"].strip(),
                    source=row["source"].strip(),
                    provenance=row["provenance"].strip(),
                    verified=_parse_bool(row["verified"], where),
                    in_range=_parse_bool(row["in_range"], where),
                    chosen=_parse_bool(row["chosen"], where),
                    choice_reason=row["choice_reason"].strip(),
                )
            )
    keys = {(v.cell_type, v.parameter, v.solute) for v in values}
    for key in keys:
        if not any(v.chosen for v in values if (v.cell_type, v.parameter, v.solute) == key):
            raise ValidationError(f"{path.name}: no chosen value for {key}")
    return tuple(values)


@lru_cache(maxsize=1)
def _literature() -> tuple[PublishedValue, ...]:
    return load_literature(LITERATURE_TABLE)


def published_values(cell_type: str) -> list[PublishedValue]:
    """The published values recorded for one shipped cell type (empty for others)."""
    return [v for v in _literature() if v.cell_type == cell_type]


def shipped_value(cell: CellType, parameter: str, solute: str = "") -> float | None:
    """The value the cell type uses for a range parameter (``None`` if it has none)."""
    if parameter == "lp":
        return cell.lp_um_per_min_atm
    if parameter == "inactive_volume_fraction":
        return cell.inactive_volume_fraction
    permeability = cell.permeability(solute)
    if permeability is None:
        return None
    if parameter == "ps":
        return permeability.ps_um_per_s
    return permeability.saturation_molality_mol_per_kg


def parameter_ranges(cell: CellType) -> list[ParameterRange]:
    """The published range of each of the cell's parameters recorded in the literature table.

    Only shipped cell types (matched by key) have recorded ranges; a user's cell type gets
    an empty list. A parameter the cell does not use (e.g. a CPA it has no permeability
    for) is left out.
    """
    grouped: dict[tuple[str, str], list[PublishedValue]] = {}
    for value in published_values(cell.key):
        grouped.setdefault((value.parameter, value.solute), []).append(value)
    ranges: list[ParameterRange] = []
    for (parameter, solute), found in grouped.items():
        shipped = shipped_value(cell, parameter, solute)
        counted = [v for v in found if v.in_range]
        if shipped is None or not counted:
            continue
        if len(counted) == 1:
            only = counted[0]
            sd = only.sd or 0.0
            low, high, spread = only.value - sd, only.value + sd, sd > 0
        else:
            means = [v.value for v in counted]
            low, high, spread = min(means), max(means), max(means) > min(means)
        low, high = min(low, shipped), max(high, shipped)
        if parameter == "inactive_volume_fraction":
            low, high = max(low, 1e-3), min(high, 0.999)
        ranges.append(
            ParameterRange(
                parameter=parameter,
                solute=solute,
                unit=counted[0].unit,
                low=low,
                high=high,
                shipped=shipped,
                spread=spread,
                sources=tuple(dict.fromkeys(v.source for v in counted)),
                provenance=_weakest([v.provenance for v in counted]),
                verified=all(v.verified for v in counted),
            )
        )
    return ranges


def _weakest(tags: list[str]) -> str:
    order = ("measured", "fitted", "estimated")
    return max(tags, key=lambda t: order.index(t) if t in order else len(order))


def with_parameter(cell: CellType, parameter: str, solute: str, value: float) -> CellType:
    """A copy of ``cell`` with one range parameter replaced (for sensitivity bands)."""
    if parameter == "lp":
        return replace(cell, lp_um_per_min_atm=value)
    if parameter == "inactive_volume_fraction":
        return replace(cell, inactive_volume_fraction=value)
    permeability = cell.permeability(solute)
    if permeability is None:
        raise ValidationError(f"{cell.name} has no permeability to {solute!r}")
    if parameter == "ps":
        changed = replace(permeability, ps_um_per_s=value)
    else:
        changed = replace(permeability, saturation_molality_mol_per_kg=value)
    permeabilities = dict(cell.permeabilities)
    permeabilities[permeability.solute] = changed
    return replace(cell, permeabilities=permeabilities)
