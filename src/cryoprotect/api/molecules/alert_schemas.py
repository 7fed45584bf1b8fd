"""Response schemas of a molecule's structural alerts (issue 16, item 4).

They dump :class:`cryoprotect.science.alerts.AlertReport` (computed on read from the
molecule's canonical SMILES, cached by SMILES; nothing is stored).
"""

from __future__ import annotations

import marshmallow as ma

from cryoprotect.api.fields import Text


class StructuralAlertSchema(ma.Schema):
    catalogue = Text(
        required=True,
        metadata={
            "description": "RDKit FilterCatalog set: Brenk, NIH, PAINS_A, PAINS_B or PAINS_C"
        },
    )
    family = Text(required=True, metadata={"description": "Brenk, NIH or PAINS"})
    description = Text(required=True, metadata={"description": "The alert's name in RDKit"})
    atoms = ma.fields.List(
        ma.fields.Integer(),
        required=True,
        metadata={"description": "0-based indices of the matched atoms, in the order of `smiles`"},
    )
    reference = Text(required=True, metadata={"description": "The catalogue's publication"})
    penalised = ma.fields.Boolean(
        required=True,
        metadata={
            "description": "False when a per-alert override applies: the alert is shown but "
            "does not lower the score (params/structural_alert_overrides.csv)"
        },
    )
    override_reason = Text(
        required=True,
        metadata={"description": "Why the alert is not penalised here; empty when penalised"},
    )


class AlertReportSchema(ma.Schema):
    count = ma.fields.Integer(required=True, metadata={"description": "Matched alerts"})
    catalogues = ma.fields.List(Text(), required=True)
    alerts = ma.fields.List(ma.fields.Nested(StructuralAlertSchema), required=True)
    penalty_factor = ma.fields.Float(
        required=True,
        metadata={
            "description": "Factor on the CPA score in the alert-adjusted ranking (1 without "
            "alerts); our choice per family, provenance estimated"
        },
    )
    method = Text(required=True, metadata={"description": "How the alerts were found"})
    ranking_method = Text(
        required=True, metadata={"description": "How the alert-adjusted score is computed"}
    )
