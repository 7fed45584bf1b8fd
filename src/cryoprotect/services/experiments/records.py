"""Experiment records: create, read, list, edit and delete under the caller's identity."""

from __future__ import annotations

import uuid
from typing import Any, Unpack

import sqlalchemy as sa

from cryoprotect.db.models import Experiment
from cryoprotect.errors import Conflict
from cryoprotect.services.actor import Actor
from cryoprotect.services.common import (
    Listing,
    Page,
    change_visible,
    narrowed,
    reject_unknown_fields,
)
from cryoprotect.services.experiments.base import (
    CONTENT_FIELDS,
    ExperimentRecord,
    ExperimentServiceBase,
)
from cryoprotect.services.experiments.verification import submit_for_verification
from cryoprotect.services.owned import author, check_scope


class ExperimentRecords(ExperimentServiceBase):
    """Record use cases of :class:`~cryoprotect.services.experiments.ExperimentService`."""

    def create(
        self,
        actor: Actor,
        *,
        title: str,
        visibility: str = "private",
        team_id: uuid.UUID | None = None,
        submit: bool = False,
        **values: Any,
    ) -> ExperimentRecord:
        """Record an experiment in one transaction (optionally submitting it for verification)."""
        owner = author(actor, visibility=visibility, team_id=team_id)
        reject_unknown_fields(values, CONTENT_FIELDS, "Unknown field {field}.")
        with self.db.transaction(actor.identity) as session:
            clean = self._clean(session, {"title": title, **values})
            experiment = Experiment(**clean, **owner.columns())
            session.add(experiment)
            session.flush()
            if submit:
                submit_for_verification(session, experiment, owner.user_id, None)
            session.refresh(experiment)
            return self._record(session, experiment)

    def list(
        self,
        actor: Actor,
        *,
        status: str | None = None,
        team_id: uuid.UUID | None = None,
        mixture_id: uuid.UUID | None = None,
        cell_type_id: uuid.UUID | None = None,
        awaiting_me: bool = False,
        **listing: Unpack[Listing],
    ) -> Page[ExperimentRecord]:
        """Visible experiments, newest first; ``awaiting_me`` = the caller's verification queue."""
        query = narrowed(
            sa.select(Experiment).order_by(Experiment.created_at.desc(), Experiment.id),
            (Experiment.verification_status, status),
            (Experiment.team_id, team_id),
            (Experiment.mixture_id, mixture_id),
            (Experiment.cell_type_id, cell_type_id),
            text=(Experiment.title, listing.get("q")),
        )
        if awaiting_me:
            uid = actor.require_user()
            query = query.where(
                Experiment.verification_status == "pending",
                Experiment.visibility != "private",
                Experiment.created_by != uid,
                sa.func.auth.team_can(Experiment.team_id, "verify"),
            )
        return self._listed(actor, query, listing)

    def update(
        self, actor: Actor, experiment_id: uuid.UUID, changes: dict[str, Any]
    ) -> ExperimentRecord:
        """Edit; editing a verified or rejected experiment sends it back to pending."""
        actor.require_user()
        allowed = {*CONTENT_FIELDS, "visibility", "team_id"}
        reject_unknown_fields(changes, allowed, "{field} cannot be changed here.")
        with self.db.transaction(actor.identity) as session:
            experiment = self._visible(session, experiment_id)
            check_scope(
                changes.get("visibility", experiment.visibility),
                changes.get("team_id", experiment.team_id),
            )
            if "mixture_version" in changes and "mixture_id" not in changes:
                changes = {**changes, "mixture_id": experiment.mixture_id}
            values = self._clean(session, changes)
            change_visible(session, Experiment, experiment_id, "experiment", values)
            session.refresh(experiment)
            return self._record(session, experiment)

    def delete(self, actor: Actor, experiment_id: uuid.UUID) -> None:
        actor.require_user()
        with self.db.transaction(actor.identity) as session:
            experiment = self._visible(session, experiment_id)
            if experiment.verification_status == "verified":
                raise Conflict(
                    "A verified experiment cannot be deleted; edit it (which reopens "
                    "verification) or ask a team admin.",
                    details={"field": "verification_status"},
                )
            change_visible(session, Experiment, experiment_id, "experiment")
