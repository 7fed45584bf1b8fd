"""Results import: measurements from a CSV file, one row per measurement, into existing
or new experiments, with a per-row report."""

from __future__ import annotations

import csv
import io
import uuid
from datetime import date
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from cryoprotect.db.database import translate_db_error
from cryoprotect.db.models import CellType, Experiment, Mixture
from cryoprotect.errors import Conflict, NotFound, ValidationError
from cryoprotect.services.actor import Actor
from cryoprotect.services.common import change_visible
from cryoprotect.services.experiments.base import ExperimentServiceBase
from cryoprotect.services.experiments.measures import MEASURES, clean_result
from cryoprotect.services.molecules import check_scope

# The import's CSV column for an experiment column the database may refuse.
CSV_COLUMN_OF = {"mixture_id": "mixture", "cell_type_id": "cell_type"}
IMPORT_COLUMNS = (
    "experiment_id",
    "title",
    "mixture",
    "mixture_version",
    "cell_type",
    "performed_on",
    "operator",
    "measure",
    "value",
    "unit",
    "replicates",
    "sd",
    "assay",
    "time_point_h",
    "notes",
)


class ExperimentImport(ExperimentServiceBase):
    """Import use case of :class:`~cryoprotect.services.experiments.ExperimentService`."""

    def import_results(
        self,
        actor: Actor,
        content: bytes,
        *,
        visibility: str = "private",
        team_id: uuid.UUID | None = None,
        atomic: bool = False,
    ) -> dict[str, Any]:
        """Import measurements from CSV: one row per measurement.

        A row names an existing experiment (``experiment_id``, which the caller may edit)
        or a ``title``: rows with the same new title become one new experiment (with the
        optional mixture by name, cell type by name, date and operator of its first row).
        Good rows are written in one transaction and bad rows are reported by row number
        and field; with ``atomic`` any bad row writes nothing.
        """
        user_id = actor.require_user()
        check_scope(visibility, team_id)
        try:
            text = content.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise ValidationError("The file is not UTF-8 text.", field="file") from exc
        reader = csv.DictReader(io.StringIO(text))
        columns = [c.strip() for c in reader.fieldnames or []]
        unknown = [c for c in columns if c not in IMPORT_COLUMNS]
        if unknown:
            raise ValidationError(
                f"Unknown column {unknown[0]!r}; columns are {', '.join(IMPORT_COLUMNS)}.",
                field="file",
            )
        if "measure" not in columns or not ({"experiment_id", "title"} & set(columns)):
            raise ValidationError(
                "The CSV needs a 'measure' column and 'experiment_id' or 'title'.", field="file"
            )
        report: list[dict[str, Any]] = []
        with self.db.transaction(actor.identity) as session:
            existing: dict[uuid.UUID, list[dict[str, Any]]] = {}
            new: dict[str, dict[str, Any]] = {}
            for number, raw in enumerate(reader, start=2):
                row = {k.strip(): (v or "").strip() for k, v in raw.items() if k}
                try:
                    result = clean_result(self._csv_result(row), "row")
                    target = self._csv_target(session, row, new, user_id)
                except (ValidationError, NotFound) as exc:
                    field = getattr(exc, "field", None) or (exc.details or {}).get("field")
                    report.append(
                        {
                            "row": number,
                            "status": "rejected",
                            "field": (field or "").replace("row.", ""),
                            "reason": exc.message,
                        }
                    )
                    continue
                if isinstance(target, uuid.UUID):
                    existing.setdefault(target, []).append(result)
                    report.append({"row": number, "status": "added", "experiment_id": target})
                else:
                    new[target]["results"].append(result)
                    report.append({"row": number, "status": "added", "title": target})
            rejected = [r for r in report if r["status"] == "rejected"]
            if not report:
                raise ValidationError("The file has no data rows.", field="file")
            if atomic and rejected:  # nothing has been written yet
                return {
                    "total": len(report),
                    "written": 0,
                    "experiments_created": 0,
                    "experiments_updated": 0,
                    "rejected_count": len(rejected),
                    "rows": report,
                }
            for experiment_id, results in existing.items():
                current = session.get(Experiment, experiment_id)
                assert current is not None
                change_visible(
                    session,
                    Experiment,
                    experiment_id,
                    "experiment",
                    {"results": [*current.results, *results]},
                )
            created: dict[str, uuid.UUID] = {}
            for title, spec in new.items():
                refused = self._create_or_refuse(
                    session,
                    Experiment(**spec, visibility=visibility, team_id=team_id, created_by=user_id),
                    atomic=atomic,
                )
                if isinstance(refused, Conflict):
                    # e.g. a team import citing a private mixture: that experiment's rows
                    # are refused, with the database's reason (migration 0010)
                    field = CSV_COLUMN_OF.get(str(refused.details.get("field")), "")
                    for r in report:
                        if r.get("title") == title:
                            del r["title"]
                            r.update(status="rejected", field=field, reason=refused.message)
                    continue
                created[title] = refused
            for r in report:
                if r.get("title") in created:
                    r["experiment_id"] = created[r.pop("title")]
            rejected = [r for r in report if r["status"] == "rejected"]
            return {
                "total": len(report),
                "written": len(report) - len(rejected),
                "experiments_created": len(created),
                "experiments_updated": len(existing),
                "rejected_count": len(rejected),
                "rows": report,
            }

    @staticmethod
    def _create_or_refuse(
        session: Session, experiment: Experiment, *, atomic: bool
    ) -> uuid.UUID | Conflict:
        """Insert one imported experiment in a savepoint; the database's refusal of its
        scope (a :class:`Conflict`) is returned instead of raised unless ``atomic``."""
        try:
            with session.begin_nested():
                session.add(experiment)
                session.flush()
        except sa.exc.IntegrityError as exc:
            refused = translate_db_error(exc)
            if atomic or not isinstance(refused, Conflict):
                raise
            return refused
        return experiment.id

    @staticmethod
    def _csv_result(row: dict[str, str]) -> dict[str, Any]:
        def number(key: str) -> float | None:
            if not row.get(key):
                return None
            try:
                return float(row[key])
            except ValueError:
                raise ValidationError(f"{key} is not a number.", field=f"row.{key}") from None

        measure = row.get("measure", "")
        value: Any
        if MEASURES.get(measure) is not None and MEASURES[measure].kind == "boolean":
            text = row.get("value", "").lower()
            if text not in ("true", "false", "yes", "no", "1", "0"):
                raise ValidationError("value must be yes or no.", field="row.value")
            value = text in ("true", "yes", "1")
        else:
            value = number("value")
        replicates: Any = 1
        if row.get("replicates"):
            try:
                replicates = int(row["replicates"])
            except ValueError:
                raise ValidationError(
                    "replicates is not a whole number.", field="row.replicates"
                ) from None
        return {
            "measure": measure,
            "value": value,
            "unit": row.get("unit") or None,
            "replicates": replicates,
            "sd": number("sd"),
            "time_point_h": number("time_point_h"),
            "assay": row.get("assay") or None,
            "notes": row.get("notes") or None,
        }

    def _csv_target(
        self,
        session: Session,
        row: dict[str, str],
        new: dict[str, dict[str, Any]],
        user_id: uuid.UUID,
    ) -> uuid.UUID | str:
        if row.get("experiment_id"):
            try:
                experiment_id = uuid.UUID(row["experiment_id"])
            except ValueError:
                raise ValidationError(
                    "experiment_id is not a UUID.", field="row.experiment_id"
                ) from None
            experiment = session.get(Experiment, experiment_id)
            if experiment is None:
                raise NotFound("Experiment not found.", details={"field": "experiment_id"})
            editable = session.scalar(
                sa.select(
                    sa.func.auth.can_edit_row(
                        experiment.created_by, experiment.team_id, experiment.visibility
                    )
                )
            )
            if not editable:
                raise ValidationError(
                    "You may not add results to this experiment.", field="row.experiment_id"
                )
            return experiment_id
        title = row.get("title", "")
        if not title:
            raise ValidationError("Give experiment_id or title.", field="row.title")
        if title in new:
            return title
        spec: dict[str, Any] = {"title": title[:300], "results": []}
        if row.get("mixture"):
            mixture = session.scalar(
                sa.select(Mixture)
                .where(sa.func.lower(Mixture.name) == row["mixture"].lower())
                .order_by((Mixture.created_by == user_id).desc(), Mixture.created_at)
            )
            if mixture is None:
                raise ValidationError(
                    f"No visible mixture named {row['mixture']!r}.", field="row.mixture"
                )
            version = None
            if row.get("mixture_version"):
                try:
                    version = int(row["mixture_version"])
                except ValueError:
                    raise ValidationError(
                        "mixture_version is not a whole number.", field="row.mixture_version"
                    ) from None
            spec["mixture_id"], spec["mixture_version"] = self._resolve_mixture(
                session, mixture.id, version
            )
        if row.get("cell_type"):
            cell = session.scalar(
                sa.select(CellType).where(sa.func.lower(CellType.name) == row["cell_type"].lower())
            )
            if cell is None:
                raise ValidationError(
                    f"No visible cell type named {row['cell_type']!r}.", field="row.cell_type"
                )
            spec["cell_type_id"] = cell.id
            spec["biological_system"] = {"kind": "cell", "name": cell.name}
        if row.get("performed_on"):
            try:
                spec["performed_on"] = date.fromisoformat(row["performed_on"])
            except ValueError:
                raise ValidationError(
                    "performed_on must be a date (YYYY-MM-DD).", field="row.performed_on"
                ) from None
        if row.get("operator"):
            spec["operator"] = row["operator"][:200]
        new[title] = spec
        return title
