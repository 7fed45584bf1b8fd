"""Toxicity models: import exposure data, fit (as a job), list, read, delete.

The numbers come from :func:`cryoprotect.science.toxicity.fit_kinetic_model`; this module
gathers the caller's visible exposure data (RLS decides), records the fit and its
diagnostics in ``toxicity_models`` and versions it by name per owner.
"""

from __future__ import annotations

import itertools
import time
import uuid
from collections.abc import Callable, Sequence
from typing import Any, Unpack

import sqlalchemy as sa
from sqlalchemy.orm import Session

from cryoprotect.db.database import Database
from cryoprotect.db.models import Experiment, ToxicityModel
from cryoprotect.errors import CryoprotectError, NotFound, ValidationError
from cryoprotect.science.jsonable import jsonable
from cryoprotect.science.records import fields_dict
from cryoprotect.science.toxicity import ModelSpec, fit_kinetic_model
from cryoprotect.services.actor import Actor
from cryoprotect.services.common import Page, inserted, narrowed
from cryoprotect.services.mixtures import MixtureService
from cryoprotect.services.owned import OwnedRows, Scope, author
from cryoprotect.services.solutions import SolutionComponent
from cryoprotect.services.toxicity.exposure import (
    EXPOSURE_METHOD,
    ExposurePoint,
    exposure_points,
    visible_exposure_experiments,
)
from cryoprotect.services.toxicity.importer import ExposureRow, RowError, check_row, read_rows
from cryoprotect.services.toxicity.records import (
    ExposureImport,
    ToxicityModelRecord,
    kinetic_model,
    stored_model,
)

Progress = Callable[[float], None]
DEFAULT_BOOTSTRAP = 200
SAME_TEMPERATURE_K = 0.5


def _pairs(value: Any, cpas: tuple[str, ...]) -> tuple[tuple[str, str], ...]:
    """``terms.interactions``: true (every pair), false/empty, or a list of [cpa, cpa]."""
    if value is True:
        return tuple(itertools.combinations(cpas, 2))
    if not value:
        return ()
    by_key = {c.casefold(): c for c in cpas}
    pairs = []
    for i, pair in enumerate(value):
        names = [by_key.get(str(n).strip().casefold()) for n in pair]
        if len(names) != 2 or None in names or names[0] == names[1]:
            raise ValidationError(
                f"Each interaction names two different CPAs of the model ({', '.join(cpas)}).",
                field=f"terms.interactions[{i}]",
            )
        pairs.append((str(names[0]), str(names[1])))
    return tuple(pairs)


class ToxicityService(OwnedRows[ToxicityModel, ToxicityModelRecord]):
    """Exposure-data import and kinetic toxicity models (reading, paging and deleting a
    version from :class:`~cryoprotect.services.owned.OwnedRows`)."""

    model = ToxicityModel
    noun = "toxicity model"

    def __init__(self, db: Database, mixtures: MixtureService) -> None:
        super().__init__(db)
        self.mixtures = mixtures

    def record(self, row: ToxicityModel) -> ToxicityModelRecord:
        return ToxicityModelRecord.of(row)

    # ------------------------------------------------------------------ exposure data
    def _resolver(self, session: Session) -> Callable[[str], SolutionComponent]:
        cache: dict[str, SolutionComponent] = {}

        def resolve(name: str) -> SolutionComponent:
            key = name.strip().casefold()
            if key not in cache:
                with session.begin_nested():
                    cache[key] = self.mixtures.solution_components(
                        session, components=[{"name": name, "amount": 1.0, "unit": "mol/kg"}]
                    )[0]
            return cache[key]

        return resolve

    def import_exposure(
        self,
        actor: Actor,
        content: bytes,
        *,
        title: str,
        cell_type_id: uuid.UUID | None = None,
        **scope: Unpack[Scope],
    ) -> ExposureImport:
        """One exposure experiment from the CSV, all rows or none (one transaction).

        Raises:
            ValidationError: the file cannot be read, or some rows are bad: ``details.rows``
                lists every bad row (``row`` — the header is row 1 —, ``field``, ``reason``).
        """
        owner = author(actor, **scope)
        if not title.strip():
            raise ValidationError("The experiment needs a title.", field="title")
        rows = read_rows(content)
        with self.db.transaction(actor.identity) as session:
            resolve = self._resolver(session)
            checked: list[ExposureRow] = []
            errors: list[RowError] = []
            for number, row in enumerate(rows, start=2):
                outcome = check_row(row, number, resolve)
                if isinstance(outcome, ExposureRow):
                    checked.append(outcome)
                else:
                    errors.extend(outcome)
            if errors:
                raise ValidationError(
                    f"{len({e.row for e in errors})} of {len(rows)} rows are bad; nothing was "
                    f"imported (first: row {errors[0].row}, {errors[0].field}: {errors[0].reason}).",
                    field=f"rows[{errors[0].row}].{errors[0].field}",
                    details={
                        "rows": [
                            {"row": e.row, "field": e.field, "reason": e.reason} for e in errors
                        ]
                    },
                )
            experiment = Experiment(
                title=title.strip(),
                conditions={"method": EXPOSURE_METHOD},
                results=[r.result for r in checked],
                cell_type_id=cell_type_id,
                **owner.columns(),
            )
            session.add(experiment)
            session.flush()
            cpas = sorted({n for r in checked for n in r.result["exposure"]["molality_mol_per_kg"]})
            plates = sorted({str(r.result["exposure"]["plate"]) for r in checked})
            return ExposureImport(
                experiment_id=experiment.id,
                title=experiment.title,
                rows=len(checked),
                cpas=cpas,
                plates=plates,
                visibility=owner.visibility,
                team_id=owner.team_id,
            )

    # ------------------------------------------------------------------------ models
    def _points(
        self,
        session: Session,
        experiment_ids: Sequence[uuid.UUID] | None,
        verified_only: bool,
    ) -> list[ExposurePoint]:
        experiments = visible_exposure_experiments(
            session, experiment_ids, verified_only=verified_only
        )
        if experiment_ids is not None:
            found = {e.id for e in experiments}
            for i, eid in enumerate(experiment_ids):
                if eid not in found:
                    raise NotFound(
                        "No such exposure experiment visible to you"
                        + (" (verified)" if verified_only else "")
                        + f": {eid}.",
                        details={"field": f"experiment_ids[{i}]"},
                    )
        return exposure_points(experiments)

    @staticmethod
    def _spec(
        points: Sequence[ExposurePoint],
        *,
        name: str,
        cpas: Sequence[str] | None,
        terms: dict[str, Any],
    ) -> tuple[ModelSpec, list[ExposurePoint]]:
        seen = sorted({k for p in points for k, v in p.observation.molality.items() if v > 0})
        if cpas:
            by_key = {c.casefold(): c for c in seen}
            chosen = []
            for i, c in enumerate(cpas):
                canonical = by_key.get(c.strip().casefold())
                if canonical is None:
                    raise ValidationError(
                        f"No exposure data for {c!r}; the data have {', '.join(seen) or 'no CPA'}.",
                        field=f"cpas[{i}]",
                    )
                chosen.append(canonical)
            keys = {c.casefold() for c in chosen}
            points = [
                p
                for p in list(points)
                if all(k.casefold() in keys for k, v in p.observation.molality.items() if v > 0)
            ]
        else:
            chosen = seen
        if not chosen:
            raise ValidationError("The exposure data hold no CPA exposure.", field="cpas")
        temperatures = [p.observation.temperature_k for p in points]
        temperature = bool(terms.get("temperature"))
        if not temperature and max(temperatures) - min(temperatures) > SAME_TEMPERATURE_K:
            raise ValidationError(
                "The data span several temperatures; fit with terms.temperature true "
                "(Arrhenius) or choose experiments at one temperature.",
                field="terms.temperature",
            )
        t_ref = float(sorted(temperatures)[len(temperatures) // 2])
        spec = ModelSpec(
            cpas=tuple(chosen),
            specific=True,
            nonspecific=bool(terms.get("nonspecific")),
            interactions=_pairs(terms.get("interactions"), tuple(chosen)),
            temperature=temperature,
            t_ref_k=t_ref,
            name=name,
        )
        return spec, list(points)

    def create_pending(
        self,
        actor: Actor,
        *,
        name: str,
        experiment_ids: Sequence[uuid.UUID] | None = None,
        verified_only: bool = False,
        cpas: Sequence[str] | None = None,
        terms: dict[str, Any] | None = None,
        n_bootstrap: int = DEFAULT_BOOTSTRAP,
        **scope: Unpack[Scope],
    ) -> ToxicityModelRecord:
        """Check the request against the visible data and register a ``queued`` version."""
        owner = author(actor, **scope)
        if not name.strip():
            raise ValidationError("A toxicity model needs a name.", field="name")
        terms = dict(terms or {})
        with self.db.transaction(actor.identity) as session:
            points = self._points(session, experiment_ids, verified_only)
            if not points:
                raise ValidationError(
                    "No usable exposure data visible to you"
                    + (" among verified experiments" if verified_only else "")
                    + "; import an exposure CSV first.",
                    field="experiment_ids",
                )
            spec, used = self._spec(points, name=name.strip(), cpas=cpas, terms=terms)
            n_free = len(spec.parameter_names())
            if len(used) <= n_free + 1:
                raise ValidationError(
                    f"{len(used)} observations cannot fit {n_free} parameters and sigma.",
                    field="experiment_ids",
                )
            version = int(
                session.scalar(
                    sa.select(sa.func.max(ToxicityModel.version)).where(
                        ToxicityModel.created_by == owner.user_id,
                        ToxicityModel.name == name.strip(),
                    )
                )
                or 0
            )
            row = ToxicityModel(
                name=name.strip(),
                version=version + 1,
                status="queued",
                progress=0.0,
                spec=jsonable(
                    {
                        "cpas": list(spec.cpas),
                        "nonspecific": spec.nonspecific,
                        "interactions": [list(p) for p in spec.interactions],
                        "temperature": spec.temperature,
                        "t_ref_k": spec.t_ref_k,
                        "n_bootstrap": n_bootstrap,
                    }
                ),
                training_data=jsonable(
                    {
                        "experiment_ids": sorted({str(p.experiment_id) for p in used}),
                        "row_count": len(used),
                        "groups": len({p.observation.group for p in used}),
                        "verified_only": verified_only,
                        "requested_experiment_ids": None
                        if experiment_ids is None
                        else [str(e) for e in experiment_ids],
                    }
                ),
                **owner.columns(),
            )
            return ToxicityModelRecord.of(inserted(session, row))

    def _set(self, actor: Actor, model_id: uuid.UUID, **values: Any) -> None:
        with self.db.transaction(actor.identity) as session:
            session.execute(
                sa.update(ToxicityModel).where(ToxicityModel.id == model_id).values(**values)
            )

    def run_fit(
        self,
        actor: Actor,
        model_id: uuid.UUID,
        *,
        progress: Progress | None = None,
        cancel: Callable[[], None] | None = None,
    ) -> ToxicityModelRecord:
        """Fit a queued version to the data it was registered with; store the fit or the error.

        ``cancel`` (a job's ``CancelToken.check``) is called between solver iterations; what
        it raises (:class:`~cryoprotect.errors.Cancelled`) stops the fit, and the version is
        marked failed with the reason, as a cancelled model training is.
        """
        with self.db.transaction(actor.identity) as session:
            row = self._visible(session, model_id)
            if row.status != "queued":
                raise ValidationError(
                    f"The toxicity model is {row.status}; only a queued version is fitted.",
                    field="status",
                )
            stored_spec, data = dict(row.spec), dict(row.training_data)
            ids = [uuid.UUID(e) for e in data["experiment_ids"]]
            points = self._points(session, ids, bool(data.get("verified_only")))
            row.status = "training"
        started = time.perf_counter()
        report = progress or (lambda fraction: None)
        try:
            report(0.1)
            self._set(actor, model_id, progress=0.1)
            spec, used = self._spec(
                points,
                name=row.name,
                cpas=stored_spec["cpas"],
                terms={
                    "nonspecific": stored_spec["nonspecific"],
                    "interactions": stored_spec["interactions"],
                    "temperature": stored_spec["temperature"],
                },
            )
            fit = fit_kinetic_model(
                [p.observation for p in used],
                spec,
                n_bootstrap=int(stored_spec.get("n_bootstrap") or DEFAULT_BOOTSTRAP),
                seed=0,
                check=cancel,
            )
            report(0.95)
        except BaseException as exc:  # never left 'training'
            reason = exc.message if isinstance(exc, CryoprotectError) else type(exc).__name__
            self._set(actor, model_id, status="failed", error=reason[:2000])
            raise
        summary = {
            "parameters": [fields_dict(p, reasons=list(p.reasons)) for p in fit.parameters],
            "warnings": list(fit.warnings),
            "aic": fit.aic,
            "bic": fit.bic,
            "log_likelihood": fit.log_likelihood,
            "sigma": fit.sigma,
            "n_observations": fit.n_observations,
            "n_free": fit.n_free,
            "held_out": [
                {
                    "group": e.unit,
                    "n": e.n,
                    "rmse": e.rmse,
                    "mean_error": e.mean_error,
                    "informed": e.informed,
                }
                for e in fit.held_out
            ],
            "held_out_rmse": fit.held_out_rmse,
            "interval_method": fit.interval_method,
            "error_model": fit.error_model,
            "points": [
                {
                    "experiment_id": str(p.experiment_id),
                    "result_index": p.row,
                    "group": p.observation.group,
                    "plate": p.plate,
                    "well": p.well,
                    "molality_mol_per_kg": dict(p.observation.molality),
                    "time_s": p.observation.time_s,
                    "temperature_k": p.observation.temperature_k,
                    "viability": p.observation.viability,
                    "fitted": fitted,
                    "residual": residual,
                    "weight": p.observation.weight,
                }
                for p, fitted, residual in zip(used, fit.predicted, fit.residuals, strict=True)
            ],
        }
        with self.db.transaction(actor.identity) as session:
            row = self._visible(session, model_id)
            row.model = stored_model(fit.model)
            row.fit = jsonable(summary)
            row.status = "ready"
            row.progress = 1.0
            row.training_seconds = round(time.perf_counter() - started, 3)
            session.flush()
            session.refresh(row)
            return ToxicityModelRecord.of(row)

    def list(
        self,
        actor: Actor,
        *,
        page: int = 1,
        per_page: int = 25,
        q: str | None = None,
        status: str | None = None,
    ) -> Page[ToxicityModelRecord]:
        query = sa.select(ToxicityModel).order_by(ToxicityModel.created_at.desc(), ToxicityModel.id)
        query = narrowed(query, (ToxicityModel.status, status), text=(ToxicityModel.name, q))
        return self._page(actor, query, page, per_page)

    def resolve(self, session: Session, model_id: uuid.UUID) -> tuple[ToxicityModel, Any]:
        """A visible, ready version and its :class:`KineticToxicityModel` (404 / 422)."""
        row = session.get(ToxicityModel, model_id)
        if row is None:
            raise NotFound("Toxicity model not found.", details={"field": "toxicity_model_id"})
        return row, kinetic_model(row)
