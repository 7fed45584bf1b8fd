"""The component library the ML core resolves names against (name → structure, molar mass).

A model sees a formulation as named components with amounts. To turn a name into numbers it
needs the component's canonical library name, its structure (SMILES, for descriptors) and its
molar mass (for molality and mole fractions). This module owns that lookup.

The default library is the reference data shipped inside the package —
``cryoprotect/db/reference/molecules.csv`` (structures) and
``components_without_structure.csv`` (polymers, proteins, sera, with an average molar mass
where one is defined) — read as package data with :mod:`importlib.resources`; no code of the
``db`` layer is imported. Services that keep a richer library in PostgreSQL build a
:class:`ComponentLibrary` from their own records and pass it in.

Names resolve by exact, case-insensitive match on the name or any synonym — never by
substring. In the reference CSVs a ``;`` inside a synonym stands for a comma
(``propane-1;2;3-triol``); both spellings are indexed.

Molar mass, in order of preference: the value of the composition module's density tables
(so that unit conversion and features agree), the RDKit average molar mass of the
standardised structure, the tabulated average molar mass of a structure-less component
(nominal grade value), or none (undefined polymers, sera).
"""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Any

from cryoprotect.errors import InvalidCompositionError, ValidationError
from cryoprotect.science import composition
from cryoprotect.science.records import fields_dict

REFERENCE_PACKAGE = "cryoprotect"
REFERENCE_DIR = ("db", "reference")


@dataclass(frozen=True)
class ComponentInfo:
    """What the ML core knows about one component.

    Attributes:
        name: canonical library name.
        synonyms: other names it is known by.
        molecule_class: ``permeating``, ``non-permeating``, ``polymer``, ``protein``, ...
        smiles: structure, or ``None`` for structure-less components.
        molar_mass_g_per_mol: molar (or average molar) mass, or ``None`` when undefined.
        molar_mass_source: where the molar mass comes from.
    """

    name: str
    synonyms: tuple[str, ...] = ()
    molecule_class: str = ""
    smiles: str | None = None
    molar_mass_g_per_mol: float | None = None
    molar_mass_source: str = ""

    def as_dict(self) -> dict[str, Any]:
        """A JSON-ready dictionary (stored in a model's featurizer state)."""
        return fields_dict(self, synonyms=list(self.synonyms))

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ComponentInfo:
        """Inverse of :meth:`as_dict`."""
        mass = data.get("molar_mass_g_per_mol")
        return cls(
            name=str(data["name"]),
            synonyms=tuple(str(s) for s in data.get("synonyms", ())),
            molecule_class=str(data.get("molecule_class", "")),
            smiles=None if data.get("smiles") is None else str(data["smiles"]),
            molar_mass_g_per_mol=None if mass is None else float(mass),
            molar_mass_source=str(data.get("molar_mass_source", "")),
        )


def _key(name: str) -> str:
    return name.strip().casefold()


class ComponentLibrary:
    """Components indexed by name and synonyms (exact, case-insensitive).

    Args:
        components: the components; two may not share a name or synonym.

    Raises:
        ValueError: a name or synonym names two components (a data error).
    """

    def __init__(self, components: Iterable[ComponentInfo]) -> None:
        self._by_name: dict[str, ComponentInfo] = {}
        self._index: dict[str, ComponentInfo] = {}
        for info in components:
            if _key(info.name) in self._by_name:
                raise ValueError(f"component {info.name!r} appears twice in the library")
            self._by_name[_key(info.name)] = info
        # Canonical names win over synonyms; a synonym shared by two components is ambiguous
        # and is not indexed at all (exact match only, never a guess).
        for info in self._by_name.values():
            self._index[_key(info.name)] = info
        seen: dict[str, ComponentInfo | None] = {}
        for info in self._by_name.values():
            for alias in info.synonyms:
                key = _key(alias)
                if not key or key in self._by_name:
                    continue
                seen[key] = info if seen.get(key, info) is info else None
        for key, found in seen.items():
            if found is not None:
                self._index[key] = found

    def resolve(self, name: str) -> ComponentInfo | None:
        """The component called ``name`` (name or synonym), or ``None``."""
        return self._index.get(_key(name))

    def get(self, name: str, *, field: str | None = None) -> ComponentInfo:
        """The component called ``name``.

        Raises:
            ValidationError: no component has that name or synonym (the name is quoted).
        """
        found = self.resolve(name)
        if found is None:
            raise ValidationError(
                f"unknown component {name!r}: not in the component library "
                "(add it to the library, or use its library name or a synonym)",
                field=field,
                details={"component": name},
            )
        return found

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and self.resolve(name) is not None

    def __len__(self) -> int:
        return len(self._by_name)

    def names(self) -> tuple[str, ...]:
        """Canonical names, sorted case-insensitively."""
        return tuple(sorted((i.name for i in self._by_name.values()), key=str.casefold))


def _synonyms(text: str) -> tuple[str, ...]:
    out: list[str] = []
    for raw in text.split("|"):
        alias = raw.strip()
        if not alias:
            continue
        out.append(alias)
        if ";" in alias:
            out.append(alias.replace(";", ","))
    return tuple(out)


def _density_solute(name: str, synonyms: Iterable[str]) -> composition.Solute | None:
    for candidate in (name, *synonyms):
        try:
            return composition.get_solute(candidate)
        except InvalidCompositionError:
            continue
    return None


def _structure_molar_mass(smiles: str) -> float:
    # Imported lazily: RDKit is only needed when a structure has to be read.
    from cryoprotect.science.standardize import register_structure

    return float(register_structure(smiles).molecular_weight)


def library_from_csv(molecules_csv: str, without_structure_csv: str) -> ComponentLibrary:
    """Build a library from the two reference tables' text.

    Args:
        molecules_csv: text of ``molecules.csv`` (``name, synonyms, smiles, molecule_class``).
        without_structure_csv: text of ``components_without_structure.csv``
            (``name, synonyms, molecule_class, average_molar_mass_g_per_mol``).

    Returns:
        The library.
    """
    infos: list[ComponentInfo] = []
    for row in csv.DictReader(io.StringIO(molecules_csv)):
        name = row["name"].strip()
        synonyms = _synonyms(row.get("synonyms") or "")
        smiles = (row.get("smiles") or "").strip() or None
        solute = _density_solute(name, synonyms)
        if solute is not None:
            mass: float | None = solute.molar_mass_g_per_mol
            source = "composition density tables"
        elif smiles is not None:
            mass = _structure_molar_mass(smiles)
            source = "RDKit average molar mass of the standardised structure"
        else:
            mass, source = None, ""
        infos.append(
            ComponentInfo(
                name=name,
                synonyms=synonyms,
                molecule_class=(row.get("molecule_class") or "").strip(),
                smiles=smiles,
                molar_mass_g_per_mol=mass,
                molar_mass_source=source,
            )
        )
    for row in csv.DictReader(io.StringIO(without_structure_csv)):
        text = (row.get("average_molar_mass_g_per_mol") or "").strip()
        value = float(text) if text else math.nan
        infos.append(
            ComponentInfo(
                name=row["name"].strip(),
                synonyms=_synonyms(row.get("synonyms") or ""),
                molecule_class=(row.get("molecule_class") or "").strip(),
                smiles=None,
                molar_mass_g_per_mol=value if math.isfinite(value) and value > 0 else None,
                molar_mass_source="nominal average molar mass of the grade" if text else "",
            )
        )
    return ComponentLibrary(infos)


def reference_text(filename: str) -> str:
    """Text of a reference CSV shipped in the package (``cryoprotect/db/reference``)."""
    node = resources.files(REFERENCE_PACKAGE)
    for part in REFERENCE_DIR:
        node = node.joinpath(part)
    return node.joinpath(filename).read_text(encoding="utf-8")


@lru_cache(maxsize=1)
def default_library() -> ComponentLibrary:
    """The library shipped with the package (molecules + components without structure)."""
    return library_from_csv(
        reference_text("molecules.csv"), reference_text("components_without_structure.csv")
    )
