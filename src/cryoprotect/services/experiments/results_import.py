"""Results import: measurements from a CSV file, one row per measurement, into existing
or new experiments, with a per-row report."""

from __future__ import annotations

import csv
import io
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any, TypeVar, Unpack

import sqlalchemy as sa
from sqlalchemy.orm import Session

from cryoprotect.db.database import translate_db_error
from cryoprotect.db.models import CellType, Experiment, Mixture
from cryoprotect.errors import Conflict, NotFound, ValidationError
from cryoprotect.services.actor import Actor
from cryoprotect.services.common import change_visible
from cryoprotect.services.experiments.base import ExperimentServiceBase
from cryoprotect.services.experiments.measures import MEASURES, clean_result
from cryoprotect.services.owned import Scope, author

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


T = TypeVar("T")


def _parse(row: dict[str, str], key: str, parse: Callable[[str], T], problem: str) -> T | None:
    """The CSV cell ``key`` parsed (None where it is empty); ``{key} {problem}.`` where it
    does not parse."""
    if not row.get(key):
        return None
    try:
        return parse(row[key])
    except ValueError:
        raise ValidationError(f"{key} {problem}.", field=f"row.{key}") from None


@dataclass(frozen=True, slots=True)
class ImportRow:
    """What became of one CSV row: ``added`` (to ``experiment_id``, or to the new
    experiment ``title`` while it is not yet written) or ``rejected`` (``field``, ``reason``).
    A None attribute is left out of the report."""

    row: int
    status: str
    experiment_id: uuid.UUID | None = None
    title: str | None = None
    field: str | None = None
    reason: str | None = None

    @classmethod
    def rejected(cls, row: int, field: str, reason: str) -> ImportRow:
        return cls(row, "rejected", field=field, reason=reason)


@dataclass(frozen=True, slots=True)
class ImportReport:
    """The per-row report of a results import and its counts."""

    total: int
    written: int
    experiments_created: int
    experiments_updated: int
    rejected_count: int
    rows: list[ImportRow]

    @classmethod
    def of(
        cls, rows: list[ImportRow], *, created: int = 0, updated: int = 0, wrote: bool = True
    ) -> ImportReport:
        """Counts of ``rows``; ``wrote`` False: nothing was written (an atomic import with
        a rejected row)."""
        rejected = sum(r.status == "rejected" for r in rows)
        written = len(rows) - rejected if wrote else 0
        return cls(len(rows), written, created, updated, rejected, rows)


class ExperimentImport(ExperimentServiceBase):
    """Import use case of :class:`~cryoprotect.services.experiments.ExperimentService`."""

    def import_results(
        self,
        actor: Actor,
        content: bytes,
        *,
        atomic: bool = False,
        **scope: Unpack[Scope],
    ) -> ImportReport:
        """Import measurements from CSV: one row per measurement.

        A row names an existing experiment (``experiment_id``, which the caller may edit)
        or a ``title``: rows with the same new title become one new experiment (with the
        optional mixture by name, cell type by name, date and operator of its first row).
        Good rows are written in one transaction and bad rows are reported by row number
        and field; with ``atomic`` any bad row writes nothing.
        """
        owner = author(actor, **scope)
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
        report: list[ImportRow] = []
        with self.db.transaction(actor.identity) as session:
            existing: dict[uuid.UUID, list[dict[str, Any]]] = {}
            new: dict[str, dict[str, Any]] = {}
            for number, raw in enumerate(reader, start=2):
                row = {k.strip(): (v or "").strip() for k, v in raw.items() if k}
                try:
                    result = clean_result(self._csv_result(row), "row")
                    target = self._csv_target(session, row, new, owner.user_id)
                except (ValidationError, NotFound) as exc:
                    field = getattr(exc, "field", None) or (exc.details or {}).get("field")
                    report.append(
                        ImportRow.rejected(number, (field or "").replace("row.", ""), exc.message)
                    )
                    continue
                if isinstance(target, uuid.UUID):
                    existing.setdefault(target, []).append(result)
                    report.append(ImportRow(number, "added", experiment_id=target))
                else:
                    new[target]["results"].append(result)
                    report.append(ImportRow(number, "added", title=target))
            if not report:
                raise ValidationError("The file has no data rows.", field="file")
            if atomic and any(r.status == "rejected" for r in report):
                return ImportReport.of(report, wrote=False)  # nothing has been written yet
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
                    Experiment(**spec, **owner.columns()),
                    atomic=atomic,
                )
                if isinstance(refused, Conflict):
                    # e.g. a team import citing a private mixture: that experiment's rows
                    # are refused, with the database's reason (migration 0010)
                    field = CSV_COLUMN_OF.get(str(refused.details.get("field")), "")
                    report = [
                        ImportRow.rejected(r.row, field, refused.message) if r.title == title else r
                        for r in report
                    ]
                    continue
                created[title] = refused
            report = [
                ImportRow(r.row, r.status, experiment_id=created[r.title])
                if r.title in created
                else r
                for r in report
            ]
            return ImportReport.of(report, created=len(created), updated=len(existing))

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
            return _parse(row, key, float, "is not a number")

        measure = row.get("measure", "")
        value: Any
        if MEASURES.get(measure) is not None and MEASURES[measure].kind == "boolean":
            text = row.get("value", "").lower()
            if text not in ("true", "false", "yes", "no", "1", "0"):
                raise ValidationError("value must be yes or no.", field="row.value")
            value = text in ("true", "yes", "1")
        else:
            value = number("value")
        replicates = _parse(row, "replicates", int, "is not a whole number")
        return {
            "measure": measure,
            "value": value,
            "unit": row.get("unit") or None,
            "replicates": 1 if replicates is None else replicates,
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
        experiment_id = _parse(row, "experiment_id", uuid.UUID, "is not a UUID")
        if experiment_id is not None:
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
            version = _parse(row, "mixture_version", int, "is not a whole number")
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
        performed_on = _parse(
            row, "performed_on", date.fromisoformat, "must be a date (YYYY-MM-DD)"
        )
        if performed_on is not None:
            spec["performed_on"] = performed_on
        if row.get("operator"):
            spec["operator"] = row["operator"][:200]
        new[title] = spec
        return title
