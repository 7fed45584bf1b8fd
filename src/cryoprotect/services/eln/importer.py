"""Import: the records of an ``.eln`` archive created in the importer's chosen scope, all in
one transaction (all or nothing), in dependency order, each checked as the services check
what a user types:

* molecules are matched by InChIKey (a structure-less component by name) among the
  molecules the importer can see — the public library first — and re-used; one not found
  is registered from its SMILES through the same standardisation as a registration, and
  must come out with the archived InChIKey;
* a shipped cell type is matched by its parameter-set key; a user's cell type is
  validated by the science module and created;
* a mixture is created with its archived components and version number (its snapshot
  written as every edit writes one) after the same composition and physics checks;
* a protocol is created with its archived steps and design (a record of the design that
  was run where it was exported; the designer is not re-run);
* an experiment is created through the experiment service's own cleaning (measures,
  units, bounds), unverified: a verification made elsewhere is not one made here.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from cryoprotect.db.database import SYSTEM_USER_ID
from cryoprotect.db.models import CellType, Experiment, Mixture, Molecule, Protocol
from cryoprotect.errors import NotFound, ValidationError
from cryoprotect.science import cells
from cryoprotect.services.chemistry import prepare_structure
from cryoprotect.services.eln.archive import CrateRecord
from cryoprotect.services.eln.export import EXPERIMENT_FIELDS, swap
from cryoprotect.services.experiments import ExperimentService
from cryoprotect.services.mixtures import MixtureService
from cryoprotect.services.molecules import insert_properties
from cryoprotect.services.molecules.records import clean_synonyms
from cryoprotect.services.owned import Author

_UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")


@dataclass(frozen=True, slots=True)
class ImportedRecord:
    """One record of the archive and what became of it here."""

    kind: str
    ref: str
    name: str
    id: uuid.UUID
    created: bool


@dataclass(frozen=True, slots=True)
class ImportReport:
    """What an import created (and re-used), in the order it was done, and any warning."""

    records: list[ImportedRecord]
    warnings: list[str] = field(default_factory=list)

    def count(self, kind: str, *, created: bool) -> int:
        return sum(1 for r in self.records if r.kind == kind and r.created == created)


@dataclass
class Importer:
    """Creates an archive's records in one session (the caller's transaction), owned by
    ``scope`` (the importer and the scope they chose, checked by :func:`author`)."""

    session: Session
    scope: Author
    mixtures: MixtureService
    experiments: ExperimentService
    ids: dict[str, str] = field(default_factory=dict, init=False)  # archive @id -> id here
    done: list[ImportedRecord] = field(default_factory=list, init=False)
    warnings: list[str] = field(default_factory=list, init=False)
    #: imported mixture -> its version
    versions: dict[uuid.UUID, int] = field(default_factory=dict, init=False)

    def run(self, records: list[CrateRecord]) -> ImportReport:
        if not records:
            raise ValidationError("The archive holds no CryoProtect records.", field="file")
        handlers = {
            "molecule": self._molecule,
            "cell_type": self._cell_type,
            "mixture": self._mixture,
            "protocol": self._protocol,
            "experiment": self._experiment,
        }
        for record in records:
            data = swap(record.data, self.ids)
            try:
                row_id, created = handlers[record.kind](record, data)
            except ValidationError as exc:
                exc.details.setdefault("record", record.ref)
                exc.message = (
                    f"{record.kind.replace('_', ' ').capitalize()} {record.name!r}: {exc.message}"
                )
                exc.args = (exc.message,)
                raise
            self.ids[record.ref] = str(row_id)
            self.done.append(ImportedRecord(record.kind, record.ref, record.name, row_id, created))
        return ImportReport(self.done, self.warnings)

    # ------------------------------------------------------------------ helpers
    def _id(self, data: dict[str, Any], key: str, record: CrateRecord) -> uuid.UUID | None:
        """A cited record's id here, or None (with a warning) when the archive lacks it."""
        value = data.get(key)
        if value is None:
            return None
        if isinstance(value, str) and _UUID.match(value) and value in self.ids.values():
            return uuid.UUID(value)
        self.warnings.append(
            f"{record.name!r}: the cited {key.removesuffix('_id').replace('_', ' ')} is not in "
            "the archive; imported without it."
        )
        return None

    def _add(self, row: Any) -> uuid.UUID:
        self.session.add(row)
        self.session.flush()
        row_id: uuid.UUID = row.id
        return row_id

    def _visible_first(self, condition: Any) -> Molecule | None:
        mine = sa.and_(Molecule.created_by == self.scope.user_id)
        return self.session.scalars(
            sa.select(Molecule)
            .where(condition)
            .order_by((Molecule.visibility == "public").desc(), mine.desc(), Molecule.created_at)
            .limit(1)
        ).first()

    # ------------------------------------------------------------------- kinds
    def _molecule(self, record: CrateRecord, data: dict[str, Any]) -> tuple[uuid.UUID, bool]:
        if data.get("kind") == "no_structure":
            name = str(data.get("name") or "").strip()
            if not name:
                raise ValidationError("A component without structure needs a name.", field="name")
            found = self._visible_first(
                sa.and_(
                    Molecule.kind == "no_structure", sa.func.lower(Molecule.name) == name.lower()
                )
            )
            if found is not None:
                return found.id, False
            values: dict[str, Any] = {"kind": "no_structure", "name": name}
            values["average_molar_mass"] = data.get("average_molar_mass")
            properties: list[dict[str, Any]] = []
            alerts = None
        else:
            inchikey = data.get("inchikey")
            if not inchikey or not data.get("smiles"):
                raise ValidationError("A molecule needs its SMILES and InChIKey.", field="smiles")
            found = self._visible_first(Molecule.inchikey == inchikey)
            if found is not None:
                return found.id, False
            prepared = prepare_structure(str(data["smiles"]), "smiles")
            if prepared.values.get("inchikey") != inchikey:
                raise ValidationError(
                    f"The structure standardises here to InChIKey {prepared.values.get('inchikey')}, "
                    f"not the archived {inchikey}.",
                    field="inchikey",
                )
            values = {**prepared.values, "name": (data.get("name") or "").strip() or None}
            properties = prepared.properties
            alerts = prepared.alerts
        molecule = Molecule(
            **values,
            synonyms=clean_synonyms(data.get("synonyms") or []),
            pubchem_cid=data.get("pubchem_cid"),
            molecule_class=data.get("molecule_class"),
            sources=list(data.get("sources") or []),
            **self.scope.columns(),
        )
        row_id = self._add(molecule)
        insert_properties(self.session, row_id, self.scope.user_id, properties, alerts)
        return row_id, True

    def _cell_type(self, record: CrateRecord, data: dict[str, Any]) -> tuple[uuid.UUID, bool]:
        parameters = dict(data.get("parameters") or {})
        if data.get("builtin"):
            key = str(parameters.get("key") or "")
            shipped = self.session.scalars(
                sa.select(CellType).where(
                    CellType.created_by == SYSTEM_USER_ID,
                    CellType.parameters["key"].astext == key,
                )
            ).first()
            if shipped is None:
                raise NotFound(
                    f"The shipped cell type {key!r} is not in this install.",
                    details={"field": "parameters.key", "record": record.ref},
                )
            return shipped.id, False
        cell = cells.CellType.from_dict(parameters)
        row = CellType(
            name=data.get("name") or cell.name,
            species=data.get("species"),
            description=data.get("description"),
            parameters=cell.as_dict(),
            sources=list(data.get("sources") or []),
            **self.scope.columns(),
        )
        return self._add(row), True

    def _mixture(self, record: CrateRecord, data: dict[str, Any]) -> tuple[uuid.UUID, bool]:
        components = []
        for comp in data.get("components") or []:
            molecule = comp.get("molecule_id") if isinstance(comp, dict) else None
            if not (isinstance(molecule, str) and molecule in self.ids.values()):
                raise ValidationError(
                    "A component's molecule is not in the archive.", field="components"
                )
            components.append({**comp, "molecule_id": uuid.UUID(molecule)})
        mixtures = self.mixtures
        resolved = mixtures._resolve_components(self.session, components)  # noqa: SLF001
        mixtures._validate_physics(self.session, resolved, data.get("carrier"))  # noqa: SLF001
        version = data.get("version")
        mixture = Mixture(
            name=str(data.get("name") or "").strip() or record.name,
            description=data.get("description"),
            carrier=data.get("carrier"),
            sources=list(data.get("sources") or []),
            version=version if isinstance(version, int) and version >= 1 else 1,
            **self.scope.columns(),
        )
        row_id = self._add(mixture)
        mixtures._write_components(self.session, row_id, self.scope.user_id, resolved)  # noqa: SLF001
        self.session.refresh(mixture)
        mixtures._snapshot(self.session, mixture, self.scope.user_id)  # noqa: SLF001
        self.session.flush()
        self.versions[row_id] = mixture.version
        return row_id, True

    def _protocol(self, record: CrateRecord, data: dict[str, Any]) -> tuple[uuid.UUID, bool]:
        steps, design = data.get("steps") or [], data.get("design") or {}
        if not isinstance(steps, list) or not isinstance(design, dict):
            raise ValidationError(
                "A protocol's steps are a list and its design an object.", field="steps"
            )
        row = Protocol(
            name=str(data.get("name") or "").strip() or record.name,
            description=data.get("description"),
            mixture_id=self._id(data, "mixture_id", record),
            cell_type_id=self._id(data, "cell_type_id", record),
            steps=steps,
            design=design,
            toxicity_cost=data.get("toxicity_cost"),
            temperature_c=data.get("temperature_c"),
            **self.scope.columns(),
        )
        return self._add(row), True

    def _experiment(self, record: CrateRecord, data: dict[str, Any]) -> tuple[uuid.UUID, bool]:
        values = {k: data.get(k) for k in EXPERIMENT_FIELDS if k != "verification_status"}
        for key in ("mixture_id", "protocol_id", "cell_type_id"):
            values[key] = self._id(data, key, record)
        mixture_id = values["mixture_id"]
        if mixture_id is None:
            values["mixture_version"] = None
        elif values.get("mixture_version") != self.versions.get(mixture_id):
            self.warnings.append(
                f"{record.name!r} cited version {values.get('mixture_version')} of its mixture; "
                "the archive holds the mixture's current version only, which it now cites."
            )
            values["mixture_version"] = self.versions.get(mixture_id)
        if values.get("performed_on"):
            try:
                values["performed_on"] = date.fromisoformat(str(values["performed_on"]))
            except ValueError as exc:
                raise ValidationError("performed_on is not a date.", field="performed_on") from exc
        if data.get("verification_status") not in (None, "unverified"):
            self.warnings.append(
                f"{record.name!r} was {data['verification_status']} where it was exported; "
                "it is imported unverified."
            )
        clean = self.experiments._clean(self.session, values)  # noqa: SLF001
        return self._add(Experiment(**clean, **self.scope.columns())), True
