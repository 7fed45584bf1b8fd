"""The model registry: list, read, compare, delete and promote versions."""

from __future__ import annotations

import builtins
import uuid
from datetime import UTC, datetime

import sqlalchemy as sa

from cryoprotect.db.models import PredictiveModel
from cryoprotect.errors import Conflict, ValidationError
from cryoprotect.services.actor import Actor
from cryoprotect.services.common import Page, change_visible, narrowed
from cryoprotect.services.models.base import ModelServiceBase
from cryoprotect.services.models.records import ComparedModel, ModelRecord, baseline_status


class ModelRegistry(ModelServiceBase):
    """Registry use cases of :class:`~cryoprotect.services.models.ModelService`."""

    def list(
        self, actor: Actor, *, page: int = 1, per_page: int = 25, target: str | None = None
    ) -> Page[ModelRecord]:
        query = sa.select(PredictiveModel).order_by(
            PredictiveModel.name, PredictiveModel.version.desc()
        )
        return self._page(actor, narrowed(query, (PredictiveModel.target, target)), page, per_page)

    def compare(
        self, actor: Actor, model_ids: builtins.list[uuid.UUID]
    ) -> builtins.list[ComparedModel]:
        """Versions side by side: pooled CV metrics of each model and its baselines, coverage."""
        if not 2 <= len(model_ids) <= 10:
            raise ValidationError("Compare between 2 and 10 model versions.", field="ids")
        return [ComparedModel.of(self.get(actor, model_id)) for model_id in model_ids]

    def promote(
        self,
        actor: Actor,
        model_id: uuid.UUID,
        *,
        force: bool = False,
        reason: str | None = None,
    ) -> ModelRecord:
        """Make this version the active one for its target (the previous one is demoted).

        A version that is not better than its baselines (or has no cross-validated
        comparison with them) is made active only with ``force`` and a ``reason``; the
        override is recorded on the row (``promotion_override``) and in the audit log.

        Raises:
            Conflict: the version is not better than its baselines and ``force`` is not set.
            ValidationError: not ready; or ``force`` without a reason.
        """
        user_id = actor.require_user()
        note = (reason or "").strip()
        if force and not note:
            raise ValidationError(
                "Say why this model should be active although it does not beat its baselines.",
                field="reason",
            )
        with self.db.transaction(actor.identity) as session:
            row = self._visible(session, model_id)
            if row.status != "ready":
                raise ValidationError("Only a ready model can be made active.", field="status")
            status = baseline_status(row.metrics)
            not_better = status.not_better_than_baseline is not False
            if not_better and not force:
                raise Conflict(
                    f"{status.statement} It is not made active without an explicit "
                    "override (force: true with a reason).",
                    details={
                        "not_better_than_baseline": status.not_better_than_baseline,
                        "statement": status.statement,
                        "override": {"force": True, "reason": "why it should be active anyway"},
                    },
                )
            override = (
                {
                    "forced": True,
                    "reason": note[:2000],
                    "by": str(user_id),
                    "at": datetime.now(UTC).isoformat(timespec="seconds"),
                    "not_better_than_baseline": status.not_better_than_baseline,
                    "statement": status.statement,
                }
                if not_better
                else None
            )
            session.execute(
                sa.update(PredictiveModel)
                .where(
                    PredictiveModel.created_by == user_id,
                    PredictiveModel.target == row.target,
                    PredictiveModel.is_active.is_(True),
                    PredictiveModel.id != model_id,
                )
                .values(is_active=False)
            )
            change_visible(
                session,
                PredictiveModel,
                model_id,
                "model",
                {"is_active": True, "promotion_override": override},
            )
            session.refresh(row)
            return ModelRecord.of(row)
