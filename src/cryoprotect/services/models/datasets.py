"""Datasets: list them, store user-supplied rows, find one by id or name."""

from __future__ import annotations

import uuid
from typing import Any, Unpack

import sqlalchemy as sa
from sqlalchemy.orm import Session

from cryoprotect.db.models import Dataset
from cryoprotect.errors import NotFound, ValidationError
from cryoprotect.ml import datasets as ml_datasets
from cryoprotect.ml import molecule_features as ml_molecules
from cryoprotect.services.actor import Actor
from cryoprotect.services.common import Page, inserted, paginate
from cryoprotect.services.models.base import ModelServiceBase
from cryoprotect.services.models.records import MIXTURES, MOLECULES, DatasetRecord
from cryoprotect.services.owned import Scope, author


def find_dataset(session: Session, ref: str | uuid.UUID) -> Dataset:
    """The dataset with this id, or the visible one with this name (public first).

    Raises:
        NotFound: none visible to the caller.
    """
    try:
        key = uuid.UUID(str(ref))
    except ValueError:
        found = session.scalars(
            sa.select(Dataset)
            .where(Dataset.name == str(ref))
            .order_by((Dataset.visibility == "public").desc(), Dataset.created_at)
        ).first()
    else:
        found = session.get(Dataset, key)
    if found is None:
        raise NotFound(f"No dataset {ref!s} visible to you.", details={"field": "dataset"})
    return found


class ModelDatasets(ModelServiceBase):
    """Dataset use cases of :class:`~cryoprotect.services.models.ModelService`."""

    def list_datasets(
        self, actor: Actor, *, page: int = 1, per_page: int = 25
    ) -> Page[DatasetRecord]:
        """One page of the datasets the caller may see, by name, with the total count."""
        query = sa.select(Dataset).order_by(Dataset.name, Dataset.id)
        with self.db.transaction(actor.identity) as session:
            return paginate(session, query, page, per_page).map(DatasetRecord.of)

    def create_dataset(
        self,
        actor: Actor,
        *,
        name: str,
        records: list[dict[str, Any]],
        description: str | None = None,
        kind: str | None = None,
        **scope: Unpack[Scope],
    ) -> DatasetRecord:
        """Store user-supplied rows as a dataset, validated first.

        Two kinds: ``mixtures`` (components + targets + group) and ``molecules`` (one SMILES
        per row + targets; standardised, grouped by Bemis–Murcko scaffold unless a group is
        given; every invalid SMILES is reported at once). ``kind`` defaults to
        ``molecules`` when the first record has a ``smiles`` key.

        Raises:
            ValidationError: a malformed record (its path in ``field``); invalid SMILES
                (``details.rows``: index, id, smiles, reason); no numeric target.
        """
        owner = author(actor, **scope)
        kind = kind or (MOLECULES if ml_molecules.is_molecule_records(records) else MIXTURES)
        if kind == MOLECULES:
            ds = ml_molecules.molecule_dataset(records, name=name, description=description or "")
        elif kind == MIXTURES:
            if any(isinstance(r, dict) and r.get("smiles") for r in records):
                raise ValidationError(
                    "A mixtures dataset has components, not smiles (use kind: molecules).",
                    field="kind",
                )
            ds = ml_datasets.dataset_from_records(records, name=name, description=description or "")
        else:
            raise ValidationError("kind must be molecules or mixtures.", field="kind")
        if not ds.target_names():
            raise ValidationError("No row has a numeric target.", field="records")
        with self.db.transaction(actor.identity) as session:
            row = inserted(
                session,
                Dataset(
                    name=name,
                    description=description,
                    content_hash=ds.content_hash,
                    row_count=len(ds),
                    rows=ds.to_records(),
                    target_names=list(ds.target_names()),
                    sources=[],
                    **owner.columns(),
                ),
            )
            return DatasetRecord.of(row)
