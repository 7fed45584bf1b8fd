"""Training data from experiments: composition → measured value records for a dataset."""

from __future__ import annotations

import uuid
from typing import Any

import sqlalchemy as sa

from cryoprotect.db.models import Experiment, MixtureVersion
from cryoprotect.errors import ValidationError
from cryoprotect.services.actor import Actor
from cryoprotect.services.experiments.base import ExperimentServiceBase
from cryoprotect.services.experiments.measures import MEASURES, measured_values
from cryoprotect.services.mixtures import visible_components


class ExperimentTrainingData(ExperimentServiceBase):
    """Dataset use case of :class:`~cryoprotect.services.experiments.ExperimentService`."""

    def dataset_records(
        self,
        actor: Actor,
        *,
        measure: str,
        team_id: uuid.UUID | None = None,
        verified_only: bool = True,
    ) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        """Training records (mixture composition → measured value) and their sources.

        Only verified experiments feed a verified dataset; each experiment is its own CV
        group, so its replicates never straddle folds.
        """
        if measure not in MEASURES or MEASURES[measure].kind != "percent":
            numeric = [k for k, m in MEASURES.items() if m.kind == "percent"]
            raise ValidationError(f"measure must be one of {', '.join(numeric)}.", field="measure")
        query = sa.select(Experiment).where(Experiment.mixture_id.is_not(None))
        if team_id:
            query = query.where(Experiment.team_id == team_id)
        if verified_only:
            query = query.where(Experiment.verification_status == "verified")
        records, sources = [], []
        with self.db.transaction(actor.identity) as session:
            for e in session.scalars(query.order_by(Experiment.created_at)).all():
                measured = measured_values(e).get(measure)
                if measured is None:
                    continue
                components = session.scalar(
                    sa.select(visible_components(MixtureVersion.components)).where(
                        MixtureVersion.mixture_id == e.mixture_id,
                        MixtureVersion.version == e.mixture_version,
                    )
                )
                # A snapshot naming a molecule the caller cannot see is not theirs to train on.
                if components is None or any(c.get("redacted") for c in components):
                    continue
                records.append(
                    {
                        "id": f"experiment-{e.id}",
                        "components": [
                            {"name": c["name"], "amount": c["amount"], "unit": c["unit"]}
                            for c in components
                        ],
                        "targets": {measure: measured["value"]},
                        "group": f"experiment-{e.id}",
                    }
                )
                sources.append(
                    {
                        "note": f"experiment {e.id} ({e.title}), {e.verification_status}",
                    }
                )
        return records, sources
