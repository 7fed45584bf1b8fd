"""Export: the selected experiments, mixtures and protocols, with everything they cite
(mixtures, protocols, cell types, the molecules of every mixture), read under the caller's
identity in one transaction and turned into :class:`~.archive.CrateRecord` values.

A cited record is named in the JSON by its Dataset ``@id`` in the archive (every string
equal to the id of an exported record is replaced by that record's ``@id``, in nested
design requests too), so the archive never depends on this install's ids.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from cryoprotect.db.database import SYSTEM_USER_ID
from cryoprotect.db.models import (
    CellType,
    Experiment,
    Mixture,
    MixtureComponent,
    Molecule,
    Protocol,
)
from cryoprotect.errors import NotFound, ValidationError
from cryoprotect.science.jsonable import jsonable
from cryoprotect.services.eln.archive import CrateRecord, ref_of
from cryoprotect.services.experiments.base import CONTENT_FIELDS

MAX_SELECTED = 200

MOLECULE_FIELDS = (
    "name",
    "synonyms",
    "smiles",
    "inchi",
    "inchikey",
    "formula",
    "molecular_weight",
    "pubchem_cid",
    "molecule_class",
    "kind",
    "average_molar_mass",
    "sources",
)
#: An experiment's content (what its service edits) and its verification status.
EXPERIMENT_FIELDS = (*CONTENT_FIELDS, "verification_status")
PROTOCOL_FIELDS = (
    "name",
    "description",
    "mixture_id",
    "cell_type_id",
    "temperature_c",
    "toxicity_cost",
    "steps",
    "design",
)


def swap(value: Any, mapping: dict[str, str]) -> Any:
    """``value`` with every string that is a key of ``mapping`` replaced by its value."""
    if isinstance(value, dict):
        return {k: swap(v, mapping) for k, v in value.items()}
    if isinstance(value, list):
        return [swap(v, mapping) for v in value]
    if isinstance(value, str):
        return mapping.get(value, value)
    return value


def _columns(row: Any, names: Sequence[str]) -> dict[str, Any]:
    return {name: jsonable(getattr(row, name)) for name in names}


def _visible(session: Session, model: Any, ids: Sequence[uuid.UUID], field: str) -> list[Any]:
    rows = []
    for index, row_id in enumerate(ids):
        row = session.get(model, row_id)
        if row is None:
            raise NotFound(
                f"No such {field.removesuffix('s')} visible to you.",
                details={"field": f"{field}[{index}]"},
            )
        rows.append(row)
    return rows


def _cited(session: Session, model: Any, ids: Iterable[uuid.UUID | None]) -> list[Any]:
    """The visible rows among ``ids`` (one a caller cannot see is left out, uncited)."""
    wanted = sorted({i for i in ids if i is not None})
    if not wanted:
        return []
    return list(session.scalars(sa.select(model).where(model.id.in_(wanted))).all())


def _unique(rows: Iterable[Any]) -> list[Any]:
    seen: dict[uuid.UUID, Any] = {}
    for row in rows:
        seen.setdefault(row.id, row)
    return sorted(seen.values(), key=lambda r: str(r.id))


def _record(kind: str, row: Any, name: str, data: dict[str, Any]) -> CrateRecord:
    author = None if row.created_by == SYSTEM_USER_ID else str(row.created_by)
    return CrateRecord(
        kind=kind,
        ref=ref_of(kind, str(row.id)),
        source_id=str(row.id),
        name=name,
        data=data,
        created_at=jsonable(row.created_at),
        updated_at=jsonable(row.updated_at),
        author=author,
    )


def collect(
    session: Session,
    *,
    experiments: Sequence[uuid.UUID] = (),
    mixtures: Sequence[uuid.UUID] = (),
    protocols: Sequence[uuid.UUID] = (),
) -> list[CrateRecord]:
    """The records to archive: the selection and what it cites, ids swapped for ``@id``s.

    Raises:
        ValidationError: nothing selected, or more than :data:`MAX_SELECTED` records.
        NotFound: a selected record the caller cannot see (``field`` names it).
    """
    selected = len(experiments) + len(mixtures) + len(protocols)
    if selected == 0:
        raise ValidationError("Select at least one record to export.", field="experiments")
    if selected > MAX_SELECTED:
        raise ValidationError(
            f"Select at most {MAX_SELECTED} records per archive.", field="experiments"
        )
    exps = _unique(_visible(session, Experiment, experiments, "experiments"))
    prots = _unique(
        [
            *_visible(session, Protocol, protocols, "protocols"),
            *_cited(session, Protocol, (e.protocol_id for e in exps)),
        ]
    )
    mixes = _unique(
        [
            *_visible(session, Mixture, mixtures, "mixtures"),
            *_cited(
                session, Mixture, [*(e.mixture_id for e in exps), *(p.mixture_id for p in prots)]
            ),
        ]
    )
    cells = _unique(
        _cited(
            session, CellType, [*(e.cell_type_id for e in exps), *(p.cell_type_id for p in prots)]
        )
    )
    components = session.execute(
        sa.select(MixtureComponent, Molecule)
        .join(Molecule, Molecule.id == MixtureComponent.molecule_id)
        .where(MixtureComponent.mixture_id.in_([m.id for m in mixes]))
        .order_by(MixtureComponent.mixture_id, MixtureComponent.created_at, Molecule.name)
    ).all()
    molecules = _unique(molecule for _, molecule in components)

    records = [
        _record("molecule", m, m.name or m.smiles or str(m.id), _columns(m, MOLECULE_FIELDS))
        for m in molecules
    ]
    records += [
        _record(
            "cell_type",
            c,
            c.name,
            {
                **_columns(c, ("name", "species", "description", "parameters", "sources")),
                "builtin": c.created_by == SYSTEM_USER_ID,
            },
        )
        for c in cells
    ]
    for mix in mixes:
        data = _columns(mix, ("name", "description", "version", "carrier", "sources"))
        data["components"] = [
            {"molecule_id": str(c.molecule_id), "amount": c.amount, "unit": c.unit, "role": c.role}
            for c, _ in components
            if c.mixture_id == mix.id
        ]
        records.append(_record("mixture", mix, mix.name, data))
    records += [_record("protocol", p, p.name, _columns(p, PROTOCOL_FIELDS)) for p in prots]
    records += [_record("experiment", e, e.title, _columns(e, EXPERIMENT_FIELDS)) for e in exps]
    refs = {r.source_id: r.ref for r in records}
    return [
        CrateRecord(
            kind=r.kind,
            ref=r.ref,
            source_id=r.source_id,
            name=r.name,
            data=swap(r.data, refs),
            created_at=r.created_at,
            updated_at=r.updated_at,
            author=r.author,
            mentions=tuple(sorted(ref for ref in _refs_in(r.data, refs) if ref != r.ref)),
        )
        for r in records
    ]


def _refs_in(value: Any, refs: dict[str, str]) -> set[str]:
    if isinstance(value, dict):
        return set().union(*(_refs_in(v, refs) for v in value.values())) if value else set()
    if isinstance(value, list):
        return set().union(*(_refs_in(v, refs) for v in value)) if value else set()
    return {refs[value]} if isinstance(value, str) and value in refs else set()
