"""Checks for user-supplied cell parameters: text, numbers, temperature range, volume
limits, annotations (sources, provenance, verified) and permeabilities.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from typing import Any

from cryoprotect.errors import ValidationError
from cryoprotect.science.cells.schema import (
    MAX_TEMPERATURE_C,
    MIN_TEMPERATURE_C,
    PROVENANCES,
    USER_SOURCE,
    Permeability,
)
from cryoprotect.science.numbers import finite_number

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
    return finite_number(data[name], name, where)


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
