"""Request and response schemas of the molecule library and its background jobs."""

from __future__ import annotations

import marshmallow as ma
from flask_smorest.fields import Upload

from cryoprotect.api.common import (
    InputSchema,
    PageArgsSchema,
    SourceSchema,
    StrictSchema,
    paged_schema,
)
from cryoprotect.api.fields import Len, Text, dicts, new_team_id, new_visibility
from cryoprotect.api.molecules.alert_schemas import AlertReportSchema
from cryoprotect.db.models import MOLECULE_CLASSES, MOLECULE_KINDS, VISIBILITIES
from cryoprotect.services.molecule_io import EXPORT_FORMATS, FORMATS


class MoleculeCreateSchema(StrictSchema):
    structure = Text(
        validate=Len(min=1, max=200_000),
        metadata={"description": "SMILES, InChI or a MOL/SDF block"},
    )
    smiles = Text(validate=Len(min=1, max=2000), metadata={"description": "Alias of structure"})
    structure_format = Text(validate=ma.validate.OneOf(("smiles", "inchi", "molblock")))
    lookup = Text(
        validate=Len(min=1, max=300),
        metadata={"description": "Name, synonym or PubChem CID of a library molecule"},
    )
    name = Text(load_default=None, allow_none=True, validate=Len(max=300))
    synonyms = ma.fields.List(Text(validate=Len(min=1, max=300)), validate=Len(max=100))
    pubchem_cid = ma.fields.Integer(allow_none=True, validate=ma.validate.Range(min=1, max=2**53))
    molecule_class = Text(allow_none=True, validate=ma.validate.OneOf(MOLECULE_CLASSES))
    kind = Text(load_default="structure", validate=ma.validate.OneOf(MOLECULE_KINDS))
    average_molar_mass = ma.fields.Float(
        allow_none=True,
        validate=ma.validate.Range(min=0, min_inclusive=False, max=1e9),
        metadata={"description": "g/mol, for components without structure"},
    )
    sources = ma.fields.List(ma.fields.Nested(SourceSchema), validate=Len(max=50))
    visibility = new_visibility()
    team_id = new_team_id()
    on_duplicate = Text(
        load_default="error",
        validate=ma.validate.OneOf(("error", "merge")),
        metadata={"description": "'merge' adds the names as synonyms of the existing record"},
    )


class MoleculeUpdateSchema(StrictSchema):
    name = Text(allow_none=True, validate=Len(max=300))
    synonyms = ma.fields.List(Text(validate=Len(min=1, max=300)), validate=Len(max=100))
    pubchem_cid = ma.fields.Integer(allow_none=True, validate=ma.validate.Range(min=1, max=2**53))
    molecule_class = Text(allow_none=True, validate=ma.validate.OneOf(MOLECULE_CLASSES))
    visibility = Text(validate=ma.validate.OneOf(VISIBILITIES))
    team_id = ma.fields.UUID(allow_none=True)


class PropertySchema(ma.Schema):
    property_name = Text(required=True)
    value = ma.fields.Float(allow_none=True)
    text_value = Text(allow_none=True)
    unit = Text(allow_none=True)
    method = Text(required=True, metadata={"description": "How the value was obtained"})
    provenance = Text(
        required=True, metadata={"description": "measured, fitted, estimated or computed"}
    )
    source = Text(allow_none=True)
    published_decimals = ma.fields.Integer(
        allow_none=True,
        metadata={
            "description": "Decimals the value is written with in its published source "
            "('1.100 g/mL' → 3); null when not a shipped literature value"
        },
    )


class PropertyCreateSchema(StrictSchema):
    property_name = Text(required=True, validate=Len(min=1, max=100))
    value = ma.fields.Float(required=True, allow_nan=False)
    unit = Text(load_default=None, allow_none=True, validate=Len(max=50))
    method = Text(required=True, validate=Len(min=1, max=200))
    provenance = Text(
        required=True, validate=ma.validate.OneOf(("measured", "fitted", "estimated"))
    )
    source = Text(required=True, validate=Len(min=1, max=2000))


class ScoreComponentSchema(ma.Schema):
    name = Text(required=True)
    value = ma.fields.Float(required=True)
    unit = Text(allow_none=True)
    weight = ma.fields.Float(required=True)
    contribution = ma.fields.Float(required=True)
    rationale = Text(required=True)
    citation = Text(required=True)


class CpaScoreSchema(ma.Schema):
    score = ma.fields.Float(required=True)
    method = Text(required=True)
    components = ma.fields.List(ma.fields.Nested(ScoreComponentSchema), required=True)


class MoleculeSchema(ma.Schema):
    id = ma.fields.UUID(required=True)
    kind = Text(required=True)
    name = Text(allow_none=True)
    synonyms = ma.fields.List(Text(), required=True)
    smiles = Text(
        allow_none=True,
        metadata={"description": "Canonical isomeric SMILES of the standardised parent"},
    )
    inchi = Text(allow_none=True)
    inchikey = Text(allow_none=True)
    formula = Text(allow_none=True)
    molecular_weight = ma.fields.Float(allow_none=True, metadata={"description": "g/mol"})
    average_molar_mass = ma.fields.Float(
        allow_none=True, metadata={"description": "g/mol (polymers)"}
    )
    pubchem_cid = ma.fields.Integer(allow_none=True)
    molecule_class = Text(allow_none=True)
    sources = dicts()
    standardization = ma.fields.Dict(required=True)
    visibility = Text(required=True)
    team_id = ma.fields.UUID(allow_none=True)
    created_by = ma.fields.UUID(required=True)
    created_at = ma.fields.DateTime(required=True)
    updated_at = ma.fields.DateTime(required=True)
    identifiers_method = Text(
        allow_none=True, metadata={"description": "How identifiers were computed"}
    )
    alerts = ma.fields.Nested(
        AlertReportSchema,
        allow_none=True,
        metadata={
            "description": "Structural alerts (RDKit Brenk, NIH, PAINS); null without structure"
        },
    )


class MoleculeDetailSchema(MoleculeSchema):
    properties = ma.fields.List(ma.fields.Nested(PropertySchema), required=True)
    cpa_score = ma.fields.Nested(CpaScoreSchema, allow_none=True)
    alert_adjusted_score = ma.fields.Float(
        allow_none=True,
        metadata={"description": "cpa_score.score × alerts.penalty_factor (see ranking_method)"},
    )


def _range(name: str, unit: str) -> dict[str, ma.fields.Float]:
    return {
        f"{name}_min": ma.fields.Float(
            load_default=None, allow_nan=False, metadata={"description": f"Lower bound ({unit})"}
        ),
        f"{name}_max": ma.fields.Float(
            load_default=None, allow_nan=False, metadata={"description": f"Upper bound ({unit})"}
        ),
    }


RANGE_ARGS = {
    "mw": ("molecular_weight", "g/mol"),
    "clogp": ("clogp_crippen", "calculated logP"),
    "tpsa": ("tpsa", "Å²"),
    "hbd": ("hbd", "count"),
    "hba": ("hba", "count"),
}

MoleculeListArgsSchema = type(
    "MoleculeListArgsSchema",
    (PageArgsSchema,),
    {
        "q": Text(
            load_default=None,
            validate=Len(max=300),
            metadata={"description": "Name, synonym, formula, InChIKey or PubChem CID"},
        ),
        "visibility": Text(load_default=None, validate=ma.validate.OneOf(VISIBILITIES)),
        "molecule_class": Text(load_default=None, validate=ma.validate.OneOf(MOLECULE_CLASSES)),
        "kind": Text(load_default=None, validate=ma.validate.OneOf(MOLECULE_KINDS)),
        "sort": Text(
            load_default="name",
            validate=ma.validate.OneOf(("name", "molecular_weight", "created_at")),
        ),
        **{k: v for short, (_, unit) in RANGE_ARGS.items() for k, v in _range(short, unit).items()},
    },
)

MoleculePageSchema = paged_schema(MoleculeSchema, "MoleculePageSchema")


class SimilarArgsSchema(InputSchema):
    """How many neighbours and the least similarity (both similarity searches)."""

    k = ma.fields.Integer(load_default=10, validate=ma.validate.Range(min=1, max=1000))
    threshold = ma.fields.Float(load_default=0.0, validate=ma.validate.Range(min=0.0, max=1.0))


class SimilarityQuerySchema(StrictSchema, SimilarArgsSchema):
    structure = Text(required=True, validate=Len(min=1, max=200_000))


class HitSchema(ma.Schema):
    id = ma.fields.UUID(required=True)
    name = Text(allow_none=True)
    smiles = Text(allow_none=True)
    inchikey = Text(allow_none=True)
    formula = Text(allow_none=True)
    molecular_weight = ma.fields.Float(allow_none=True)
    visibility = Text(required=True)
    similarity = ma.fields.Float(metadata={"description": "Tanimoto coefficient, 0–1"})


class SimilarityResultSchema(ma.Schema):
    method = Text(required=True)
    items = ma.fields.List(ma.fields.Nested(HitSchema), required=True)


class SubstructureQuerySchema(StrictSchema):
    query = Text(
        required=True, validate=Len(min=1, max=2000), metadata={"description": "SMARTS or SMILES"}
    )
    max_hits = ma.fields.Integer(load_default=100, validate=ma.validate.Range(min=1, max=1000))


class SubstructureCountSchema(StrictSchema):
    query = Text(required=True, validate=Len(min=1, max=2000))


class SubstructureResultSchema(ma.Schema):
    query = Text(required=True)
    items = ma.fields.List(ma.fields.Nested(HitSchema), required=True)
    complete = ma.fields.Boolean(
        required=True,
        metadata={"description": "False when more hits exist (or may exist: truncated)"},
    )
    truncated = ma.fields.Boolean(
        required=True,
        metadata={
            "description": "True when matching stopped at the deadline "
            "(CRYOPROTECT_SEARCH_DEADLINE_MS); items are the hits found by then"
        },
    )
    truncated_reason = Text(
        required=True, allow_none=True, metadata={"description": "Why, when truncated"}
    )


class StructureCheckSchema(StrictSchema):
    structure = Text(
        required=True,
        validate=Len(min=1, max=200_000),
        metadata={"description": "SMILES, InChI or a MOL/SDF block, as it would be registered"},
    )
    structure_format = Text(
        load_default=None, validate=ma.validate.OneOf(("smiles", "inchi", "molblock"))
    )
    width = ma.fields.Integer(load_default=300, validate=ma.validate.Range(min=50, max=2000))
    height = ma.fields.Integer(load_default=220, validate=ma.validate.Range(min=50, max=2000))


class ExistingMatchSchema(ma.Schema):
    id = ma.fields.UUID(required=True)
    name = Text(allow_none=True)
    visibility = Text(required=True)


class StructureCheckResultSchema(ma.Schema):
    smiles = Text(
        required=True, metadata={"description": "Canonical isomeric SMILES of the parent"}
    )
    inchi = Text(required=True)
    inchikey = Text(required=True)
    formula = Text(required=True)
    molecular_weight = ma.fields.Float(required=True, metadata={"description": "g/mol"})
    changes = ma.fields.List(
        Text(), required=True, metadata={"description": "Standardisation steps applied"}
    )
    method = Text(required=True, metadata={"description": "How the structure was standardised"})
    svg = Text(required=True, metadata={"description": "RDKit SVG drawing of the parent"})
    existing = ma.fields.List(
        ma.fields.Nested(ExistingMatchSchema),
        required=True,
        metadata={"description": "Visible molecules with the same InChIKey"},
    )


class DescriptorInfoSchema(ma.Schema):
    name = Text(required=True, metadata={"description": "property_name of stored values"})
    label = Text(required=True)
    unit = Text(required=True)
    description = Text(required=True)
    method = Text(required=True)


class JobSchema(ma.Schema):
    id = ma.fields.UUID(required=True)
    kind = Text(required=True)
    status = Text(required=True)
    result = ma.fields.Raw(allow_none=True)
    error = Text(allow_none=True)
    created_at = ma.fields.DateTime(required=True)
    finished_at = ma.fields.DateTime(allow_none=True)
    cancel_requested_at = ma.fields.DateTime(
        allow_none=True, metadata={"description": "When a stop was asked for (POST …/cancel)"}
    )
    progress = ma.fields.Float(
        allow_none=True, metadata={"description": "How far a running job is (0-1), if it says"}
    )


class DepictionArgsSchema(InputSchema):
    highlight = Text(
        load_default=None,
        validate=Len(min=1, max=2000),
        metadata={"description": "SMARTS/SMILES whose matches are highlighted"},
    )
    width = ma.fields.Integer(load_default=300, validate=ma.validate.Range(min=50, max=2000))
    height = ma.fields.Integer(load_default=220, validate=ma.validate.Range(min=50, max=2000))


class ImportFormSchema(InputSchema):
    format = Text(load_default=None, validate=ma.validate.OneOf(FORMATS))
    smiles_column = Text(load_default=None, validate=Len(min=1, max=200))
    name_column = Text(load_default=None, validate=Len(min=1, max=200))
    visibility = new_visibility()
    team_id = ma.fields.UUID(load_default=None)


class ImportFileSchema(ma.Schema):
    file = Upload(required=True)


class RejectedRowSchema(ma.Schema):
    row = ma.fields.Integer(required=True)
    input = Text(required=True)
    reason = Text(allow_none=True)


class ImportReportSchema(ma.Schema):
    total = ma.fields.Integer(required=True)
    created = ma.fields.Integer(required=True)
    duplicates = ma.fields.Integer(required=True)
    rejected_count = ma.fields.Integer(required=True)
    rejected = ma.fields.List(ma.fields.Nested(RejectedRowSchema), required=True)


class ExportArgsSchema(InputSchema):
    format = Text(load_default="csv", validate=ma.validate.OneOf(EXPORT_FORMATS))
    q = Text(load_default=None, validate=Len(max=300))
    ids = ma.fields.List(ma.fields.UUID(), load_default=None, validate=Len(max=10_000))
