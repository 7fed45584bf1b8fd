"""Datasets for training predictive models: list the visible ones, upload one."""

from __future__ import annotations

from typing import Any

import marshmallow as ma
from flask.views import MethodView
from flask_smorest import Blueprint

from cryoprotect.api.common import (
    StrictSchema,
    answers_signed_in,
    current_actor,
    paged_schema,
    scoped,
    services,
)
from cryoprotect.api.fields import Text, dicts
from cryoprotect.api.mixtures import ComponentInSchema
from cryoprotect.api.views import Rows

datasets_blp = Blueprint(
    "datasets", __name__, url_prefix="/api/v1/datasets", description="Datasets"
)


class DatasetSchema(ma.Schema):
    id = ma.fields.UUID(required=True)
    name = Text(required=True)
    kind = Text(
        required=True,
        metadata={"description": "molecules (one SMILES per row) or mixtures (components)"},
    )
    description = Text(allow_none=True)
    content_hash = Text(allow_none=True)
    row_count = ma.fields.Integer(required=True)
    target_names = ma.fields.List(Text(), required=True)
    sources = dicts()
    visibility = Text(required=True)
    created_by = ma.fields.UUID(required=True)
    created_at = ma.fields.DateTime(required=True)


DatasetPageSchema = paged_schema(DatasetSchema, "DatasetPageSchema")


class DatasetRecordSchema(StrictSchema):
    id = Text(validate=ma.validate.Length(min=1, max=200))
    components = ma.fields.List(
        ma.fields.Nested(ComponentInSchema),
        validate=ma.validate.Length(min=1, max=30),
        metadata={"description": "A mixtures dataset: the formulation of the row"},
    )
    smiles = Text(
        validate=ma.validate.Length(min=1, max=2000),
        metadata={
            "description": "A molecules dataset: the row's structure (standardised on upload; "
            "the group defaults to its Bemis-Murcko scaffold)"
        },
    )
    targets = ma.fields.Dict(
        keys=Text(validate=ma.validate.Length(min=1, max=100)),
        values=ma.fields.Float(allow_nan=False),
        required=True,
    )
    group = Text(
        validate=ma.validate.Length(min=1, max=300),
        metadata={"description": "Source or batch; rows of one group never straddle CV folds"},
    )


@scoped
class DatasetCreateSchema(StrictSchema):
    name = Text(required=True, validate=ma.validate.Length(min=1, max=300))
    description = Text(load_default=None, allow_none=True, validate=ma.validate.Length(max=5000))
    records = ma.fields.List(
        ma.fields.Nested(DatasetRecordSchema),
        required=True,
        validate=ma.validate.Length(min=2, max=20000),
    )
    kind = Text(
        load_default=None,
        allow_none=True,
        validate=ma.validate.OneOf(("molecules", "mixtures")),
        metadata={
            "description": "molecules (records with smiles) or mixtures (records with "
            "components); default: molecules when the first record has smiles"
        },
    )


def model_components(components: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Components as the models read them: name (or SMILES), amount and unit."""
    return [
        {"name": c.get("name") or c.get("smiles"), "amount": c["amount"], "unit": c["unit"]}
        for c in components
    ]


@answers_signed_in(
    datasets_blp,
    DatasetSchema,
    body=DatasetCreateSchema,
    status=201,
    errors={409: "A public dataset with this name exists"},
)
def _upload(_: MethodView, body: dict[str, Any]) -> Any:
    """Upload a dataset: rows of components or of molecules (smiles), with numeric targets"""
    records = []
    for i, r in enumerate(body.pop("records")):
        if "components" not in r and "smiles" not in r:
            from cryoprotect.errors import ValidationError

            raise ValidationError(
                f"records[{i}] needs components (a mixture) or smiles (a molecule).",
                field=f"records[{i}]",
            )
        if "components" in r:
            r = {**r, "components": model_components(r["components"])}
        records.append(r)
    return services().models.create_dataset(current_actor(), records=records, **body)


Datasets = Rows(datasets_blp, "models", "dataset", DatasetPageSchema).collection(
    "Datasets",
    "Datasets visible to the caller (the shipped CryoMN data without signing in)",
    verb="list_datasets",
    created=_upload,
)
