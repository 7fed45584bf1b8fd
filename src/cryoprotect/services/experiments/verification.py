"""The lab-verification workflow: submit, decide (verify or reject) and the history.

Enforced by the database (migration 0008): the author submits a team experiment
(``pending``); a team member with the *verify* capability who is not the author marks it
``verified`` or ``rejected``; editing the science of a decided experiment reopens it. The
checks here come first only to give a precise message.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from cryoprotect.db.models import Experiment, LabVerification, User
from cryoprotect.errors import Conflict, PermissionDenied, ValidationError
from cryoprotect.services.actor import Actor
from cryoprotect.services.common import record_from
from cryoprotect.services.experiments.base import ExperimentRecord, ExperimentServiceBase


@dataclass(frozen=True, slots=True)
class VerificationRecord:
    """One row of the verification workflow, with the names of the people in it."""

    id: uuid.UUID
    status: str
    verifier_id: uuid.UUID | None
    verifier: str | None
    notes: str | None
    equipment: str | None
    verified_at: datetime | None
    created_by: uuid.UUID
    created_by_name: str | None
    created_at: datetime

    @classmethod
    def of(cls, v: LabVerification, names: dict[uuid.UUID, str]) -> VerificationRecord:
        return record_from(
            cls,
            v,
            verifier=names.get(v.verifier_id) if v.verifier_id else None,
            created_by_name=names.get(v.created_by),
        )


@dataclass(frozen=True, slots=True)
class ExperimentChange:
    """One change of an experiment (``public.experiment_history``); ``changes`` is empty
    and ``redacted`` true where the caller could not see it before or after."""

    occurred_at: datetime
    actor_id: uuid.UUID | None
    actor: str | None
    action: str
    changes: dict[str, Any]
    redacted: bool


@dataclass(frozen=True, slots=True)
class ExperimentHistory:
    """Verification decisions and changes of one experiment, oldest first."""

    experiment_id: uuid.UUID
    verification_status: str
    verifications: list[VerificationRecord]
    changes: list[ExperimentChange]


def submit_for_verification(
    session: Session, experiment: Experiment, user_id: uuid.UUID, notes: str | None
) -> None:
    """Add the ``pending`` verification row (unverified/rejected → pending).

    Raises:
        ValidationError: the experiment is not shared with a team.
        Conflict: it is already pending or verified.
    """
    if experiment.visibility == "private" or experiment.team_id is None:
        raise ValidationError(
            "Only experiments shared with a team can be verified; set visibility to 'team' first.",
            field="visibility",
        )
    if experiment.verification_status == "pending":
        raise Conflict("This experiment is already waiting for verification.")
    if experiment.verification_status == "verified":
        raise Conflict("This experiment is already verified; an edit reopens it.")
    session.add(
        LabVerification(
            experiment_id=experiment.id,
            status="pending",
            notes=notes or "Submitted for verification",
            created_by=user_id,
        )
    )
    session.flush()


class ExperimentVerification(ExperimentServiceBase):
    """Verification use cases of :class:`~cryoprotect.services.experiments.ExperimentService`."""

    def submit(
        self, actor: Actor, experiment_id: uuid.UUID, notes: str | None = None
    ) -> ExperimentRecord:
        """Ask the team's verifiers to check this experiment (unverified/rejected → pending)."""
        user_id = actor.require_user()
        with self.db.transaction(actor.identity) as session:
            experiment = self._visible(session, experiment_id)
            submit_for_verification(session, experiment, user_id, notes)
            session.refresh(experiment)
            return self._record(session, experiment)

    def decide(
        self,
        actor: Actor,
        experiment_id: uuid.UUID,
        *,
        status: str,
        notes: str | None = None,
        equipment: str | None = None,
    ) -> ExperimentRecord:
        """A verifier (not the author) marks a pending experiment verified or rejected."""
        user_id = actor.require_user()
        if status not in ("verified", "rejected"):
            raise ValidationError("status must be 'verified' or 'rejected'.", field="status")
        if status == "rejected" and not (notes or "").strip():
            raise ValidationError("Say why the experiment is rejected.", field="notes")
        with self.db.transaction(actor.identity) as session:
            experiment = self._visible(session, experiment_id)
            if experiment.created_by == user_id:
                raise PermissionDenied("You cannot verify your own experiment.")
            if experiment.visibility == "private" or experiment.team_id is None:
                raise PermissionDenied("Only team experiments can be verified.")
            if not session.scalar(sa.select(sa.func.auth.team_can(experiment.team_id, "verify"))):
                raise PermissionDenied(
                    "You need the verifier (or admin) role in this experiment's team."
                )
            if experiment.verification_status != "pending":
                raise Conflict(
                    f"The experiment is {experiment.verification_status}, not pending; the "
                    "author submits it first.",
                    details={"field": "verification_status"},
                )
            session.add(
                LabVerification(
                    experiment_id=experiment.id,
                    status=status,
                    verifier_id=user_id,
                    notes=notes,
                    equipment=equipment,
                    verified_at=sa.func.now(),
                    created_by=user_id,
                )
            )
            session.flush()
            session.refresh(experiment)
            return self._record(session, experiment)

    def history(self, actor: Actor, experiment_id: uuid.UUID) -> ExperimentHistory:
        """Verification decisions and every change (who, when, what), oldest first.

        A change is shown only to callers who could see the experiment both before and
        after it (``public.experiment_history``, migration 0011); others get the entry
        with empty ``changes`` and ``redacted`` true (e.g. notes written while private).
        """
        with self.db.transaction(actor.identity) as session:
            experiment = self._visible(session, experiment_id)
            verifications = session.scalars(
                sa.select(LabVerification)
                .where(LabVerification.experiment_id == experiment_id)
                .order_by(LabVerification.created_at, LabVerification.id)
            ).all()
            changes = session.execute(
                sa.text(
                    "SELECT occurred_at, actor_id, action, changes, redacted "
                    "FROM public.experiment_history(:id)"
                ),
                {"id": experiment_id},
            ).all()
            names = self._user_names(
                session,
                {v.created_by for v in verifications}
                | {v.verifier_id for v in verifications if v.verifier_id}
                | {c.actor_id for c in changes if c.actor_id},
            )
            return ExperimentHistory(
                experiment_id=experiment.id,
                verification_status=experiment.verification_status,
                verifications=[VerificationRecord.of(v, names) for v in verifications],
                changes=[
                    record_from(
                        ExperimentChange, c, actor=names.get(c.actor_id) if c.actor_id else None
                    )
                    for c in changes
                ],
            )

    @staticmethod
    def _user_names(session: Session, ids: set[uuid.UUID]) -> dict[uuid.UUID, str]:
        """Display names of the users the caller may see (RLS: self and team-mates)."""
        if not ids:
            return {}
        rows = session.execute(
            sa.select(User.id, User.display_name, User.email).where(User.id.in_(ids))
        ).all()
        return {r.id: r.display_name or r.email for r in rows}
