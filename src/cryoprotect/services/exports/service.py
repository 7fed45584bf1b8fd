"""Exports under the caller's identity: each reads its record through the resource's own
service (so RLS decides what is visible, exactly as for the show and list endpoints) and
writes it as CSV, an Excel workbook or a one-page PDF report."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from cryoprotect.errors import Conflict, CryoprotectError, LimitExceeded, NotFound, ValidationError
from cryoprotect.services.actor import Actor
from cryoprotect.services.bundle import Services
from cryoprotect.services.common import MAX_PER_PAGE, Page
from cryoprotect.services.exports import builders, listings, pages
from cryoprotect.services.exports.reports import PDF_MEDIA_TYPE, Report, render_pdf
from cryoprotect.services.exports.tables import Export
from cryoprotect.services.exports.writers import CSV_MEDIA_TYPE, XLSX_MEDIA_TYPE, to_csv, to_xlsx

#: Formats of a record with a report, and of a list or a record without one.
REPORT_FORMATS = ("csv", "xlsx", "pdf")
TABLE_FORMATS = ("csv", "xlsx")
#: Rows of one list export (molecules, predictions); beyond it, narrow the filters.
MAX_EXPORT_ROWS = 10_000
#: The job kind whose result a cocktail report reads (api/cocktails.py starts it).
COCKTAIL_JOB = "design_cocktail"


@dataclass(frozen=True, slots=True)
class ExportFile:
    """A file to download: its bytes, media type and file name."""

    content: bytes
    media_type: str
    filename: str


def slug(text: str, limit: int = 60) -> str:
    """``text`` as a file-name part: ASCII letters, digits and dashes only."""
    cleaned = re.sub(r"[^A-Za-z0-9]+", "-", text).strip("-").lower()
    return cleaned[:limit].rstrip("-") or "export"


def check_format(fmt: str, allowed: tuple[str, ...]) -> None:
    if fmt not in allowed:
        raise ValidationError(f"format must be one of {', '.join(allowed)}.", field="format")


class ExportService:
    """The exports of the resources that :class:`~cryoprotect.services.bundle.Services`
    serves (built per call: it holds nothing but the bundle)."""

    def __init__(self, services: Services) -> None:
        self.services = services

    def _file(
        self, actor: Actor, fmt: str, export: Export, report: Callable[[], Report] | None = None
    ) -> ExportFile:
        now = datetime.now(UTC)
        stem = f"{slug(export.resource)}-{slug(export.title)}-{now:%Y-%m-%d}"
        if fmt == "csv":
            return ExportFile(to_csv(export), CSV_MEDIA_TYPE, f"{stem}.csv")
        if fmt == "xlsx":
            content = to_xlsx(export, exported_by=actor.email, exported_at=now)
            return ExportFile(content, XLSX_MEDIA_TYPE, f"{stem}.xlsx")
        assert report is not None, fmt
        pdf = render_pdf(report(), exported_by=actor.email, exported_at=now)
        return ExportFile(pdf, PDF_MEDIA_TYPE, f"{stem}.pdf")

    # ------------------------------------------------------------ one record
    def experiment(self, actor: Actor, experiment_id: uuid.UUID, fmt: str) -> ExportFile:
        check_format(fmt, REPORT_FORMATS)
        record = self.services.experiments.get(actor, experiment_id)
        export = builders.experiment_export(record)
        return self._file(actor, fmt, export, lambda: pages.experiment_report(record))

    def protocol(self, actor: Actor, protocol_id: uuid.UUID, fmt: str) -> ExportFile:
        check_format(fmt, REPORT_FORMATS)
        record = self.services.protocols.get(actor, protocol_id)
        export = builders.protocol_export(record)
        return self._file(actor, fmt, export, lambda: pages.protocol_report(record))

    def mixture(self, actor: Actor, mixture_id: uuid.UUID, fmt: str) -> ExportFile:
        check_format(fmt, TABLE_FORMATS)
        record = self.services.mixtures.get(actor, mixture_id)
        try:
            properties = self.services.mixtures.properties(actor, mixture_id)
        except NotFound:
            raise
        except CryoprotectError:  # a composition physics cannot take: components only
            properties = None
        return self._file(actor, fmt, builders.mixture_export(record, properties))

    def cocktail(self, actor: Actor, job_id: uuid.UUID, fmt: str) -> ExportFile:
        """A finished cocktail design (the caller's own job, as GET /jobs/{id} shows it)."""
        check_format(fmt, REPORT_FORMATS)
        job = self.services.jobs.get(actor, job_id)
        if job.kind != COCKTAIL_JOB:
            raise NotFound("No such cocktail design.", details={"field": "job_id"})
        if job.status != "done" or not isinstance(job.result, dict) or "pareto" not in job.result:
            raise Conflict(
                f"The cocktail design is {job.status}; only a finished design can be exported.",
                details={"field": "job_id", "status": job.status},
            )
        result: dict[str, Any] = job.result
        export = listings.cocktail_export(str(job_id), result)
        return self._file(actor, fmt, export, lambda: pages.cocktail_report(str(job_id), result))

    # ------------------------------------------------------------ lists
    def _all(self, fetch: Callable[[int], Page[Any]], noun: str) -> list[Any]:
        """Every row of a paginated list (page by page, at most :data:`MAX_EXPORT_ROWS`)."""
        first = fetch(1)
        if first.total > MAX_EXPORT_ROWS:
            raise LimitExceeded(
                f"The export would hold {first.total:,} {noun}, more than {MAX_EXPORT_ROWS:,}; "
                "narrow it with the list's filters.",
                field="q",
                details={"limit": MAX_EXPORT_ROWS, "requested": first.total},
            )
        items = list(first.items)
        page = 1
        while len(items) < first.total:
            page += 1
            more = fetch(page).items
            if not more:
                break
            items += more
        return items

    def molecules(self, actor: Actor, fmt: str, **filters: Any) -> ExportFile:
        """The molecules the list shows with the same ``filters``, every page."""
        check_format(fmt, TABLE_FORMATS)
        service = self.services.molecules
        rows = self._all(
            lambda p: service.list(actor, page=p, per_page=MAX_PER_PAGE, **filters), "molecules"
        )
        return self._file(actor, fmt, listings.molecules_export(rows))

    def predictions(self, actor: Actor, fmt: str) -> ExportFile:
        """The stored predictions the caller may see, with their models' names."""
        check_format(fmt, TABLE_FORMATS)
        service = self.services.models
        rows = self._all(
            lambda p: service.list_predictions(actor, page=p, per_page=MAX_PER_PAGE), "predictions"
        )
        models: dict[Any, Any] = {}
        for model_id in dict.fromkeys(r.model_id for r in rows):
            try:
                models[model_id] = service.get(actor, model_id)
            except NotFound:
                models[model_id] = None
        return self._file(actor, fmt, listings.predictions_export(rows, models))
