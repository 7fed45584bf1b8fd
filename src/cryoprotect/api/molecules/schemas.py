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
from cryoprotect.api.molecules.alert_schemas import AlertReportSchema
from cryoprotect.db.models import MOLECULE_CLASSES, MOLECULE_KINDS, VISIBILITIES
from cryoprotect.services.molecule_io import EXPORT_FORMATS, FORMATS

_Text = ma.fields.String
_Len = ma.validate.Length


class MoleculeCreateSchema(StrictSchema):
    structure = _Text(
        validate=_Len(min=1, max=200_000),
        metadata={"description": "SMILES, InChI or a MOL/SDF block"},
    )
    smiles = _Text(validate=_Len(min=1, max=2000), metadata={"description": "Alias of structure"})
    structure_format = _Text(validate=ma.validate.OneOf(("smiles", "inchi", "molblock")))
    lookup = _Text(
        validate=_Len(min=1, max=300),
        metadata={"description": "Name, synonym or PubChem CID of a library molecule"},
    )
    name = _Text(load_default=None, allow_none=True, validate=_Len(max=300))
    synonyms = ma.fields.List(_Text(validate=_Len(min=1, max=300)), validate=_Len(max=100))
    pubchem_cid = ma.fields.Integer(allow_none=True, validate=ma.validate.Range(min=1, max=2**53))
    molecule_class = _Text(allow_none=True, validate=ma.validate.OneOf(MOLECULE_CLASSES))
    kind = _Text(load_default="structure", validate=ma.validate.OneOf(MOLECULE_KINDS))
    average_molar_mass = ma.fields.Float(
        allow_none=True,
        validate=ma.validate.Range(min=0, min_inclusive=False, max=1e9),
        metadata={"description": "g/mol, for components without structure"},
    )
    sources = ma.fields.List(ma.fields.Nested(SourceSchema), validate=_Len(max=50))
    visibility = _Text(load_default="private", validate=ma.validate.OneOf(VISIBILITIES))
    team_id = ma.fields.UUID(load_default=None, allow_none=True)
    on_duplicate = _Text(
        load_default="error",
        validate=ma.validate.OneOf(("error", "merge")),
        metadata={"description": "'merge' adds the names as synonyms of the existing record"},
    )


class MoleculeUpdateSchema(StrictSchema):
    name = _Text(allow_none=True, validate=_Len(max=300))
    synonyms = ma.fields.List(_Text(validate=_Len(min=1, max=300)), validate=_Len(max=100))
    pubchem_cid = ma.fields.Integer(allow_none=True, validate=ma.validate.Range(min=1, max=2**53))
    molecule_class = _Text(allow_none=True, validate=ma.validate.OneOf(MOLECULE_CLASSES))
    visibility = _Text(validate=ma.validate.OneOf(VISIBILITIES))
    team_id = ma.fields.UUID(allow_none=True)


class PropertySchema(ma.Schema):
    property_name = _Text(required=True)
    value = ma.fields.Float(allow_none=True)
    text_value = _Text(allow_none=True)
    unit = _Text(allow_none=True)
    method = _Text(required=True, metadata={"description": "How the value was obtained"})
    provenance = _Text(
        required=True, metadata={"description": "measured, fitted, estimated or computed"}
    )
    source = _Text(allow_none=True)


class PropertyCreateSchema(StrictSchema):
    property_name = _Text(required=True, validate=_Len(min=1, max=100))
    value = ma.fields.Float(required=True, allow_nan=False)
    unit = _Text(load_default=None, allow_none=True, validate=_Len(max=50))
    method = _Text(required=True, validate=_Len(min=1, max=200))
    provenance = _Text(
        required=True, validate=ma.validate.OneOf(("measured", "fitted", "estimated"))
    )
    source = _Text(required=True, validate=_Len(min=1, max=2000))


class ScoreComponentSchema(ma.Schema):
    name = _Text(required=True)
    value = ma.fields.Float(required=True)
    unit = _Text(allow_none=True)
    weight = ma.fields.Float(required=True)
    contribution = ma.fields.Float(required=True)
    rationale = _Text(required=True)
    citation = _Text(required=True)


class CpaScoreSchema(ma.Schema):
    score = ma.fields.Float(required=True)
    method = _Text(required=True)
    components = ma.fields.List(ma.fields.Nested(ScoreComponentSchema), required=True)


class MoleculeSchema(ma.Schema):
    id = ma.fields.UUID(required=True)
    kind = _Text(required=True)
    name = _Text(allow_none=True)
    synonyms = ma.fields.List(_Text(), required=True)
    smiles = _Text(
        allow_none=True,
        metadata={"description": "Canonical isomeric SMILES of the standardised parent"},
    )
    inchi = _Text(allow_none=True)
    inchikey = _Text(allow_none=True)
    formula = _Text(allow_none=True)
    molecular_weight = ma.fields.Float(allow_none=True, metadata={"description": "g/mol"})
    average_molar_mass = ma.fields.Float(
        allow_none=True, metadata={"description": "g/mol (polymers)"}
    )
    pubchem_cid = ma.fields.Integer(allow_none=True)
    molecule_class = _Text(allow_none=True)
    sources = ma.fields.List(ma.fields.Dict(), required=True)
    standardization = ma.fields.Dict(required=True)
    visibility = _Text(required=True)
    team_id = ma.fields.UUID(allow_none=True)
    created_by = ma.fields.UUID(required=True)
    created_at = ma.fields.DateTime(required=True)
    updated_at = ma.fields.DateTime(required=True)
    identifiers_method = _Text(
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
        "q": _Text(
            load_default=None,
            validate=_Len(max=300),
            metadata={"description": "Name, synonym, formula, InChIKey or PubChem CID"},
        ),
        "visibility": _Text(load_default=None, validate=ma.validate.OneOf(VISIBILITIES)),
        "molecule_class": _Text(load_default=None, validate=ma.validate.OneOf(MOLECULE_CLASSES)),
        "kind": _Text(load_default=None, validate=ma.validate.OneOf(MOLECULE_KINDS)),
        "sort": _Text(
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
    structure = _Text(required=True, validate=_Len(min=1, max=200_000))


class HitSchema(ma.Schema):
    id = ma.fields.UUID(required=True)
    name = _Text(allow_none=True)
    smiles = _Text(allow_none=True)
    inchikey = _Text(allow_none=True)
    formula = _Text(allow_none=True)
    molecular_weight = ma.fields.Float(allow_none=True)
    visibility = _Text(required=True)
    similarity = ma.fields.Float(metadata={"description": "Tanimoto coefficient, 0–1"})


class SimilarityResultSchema(ma.Schema):
    method = _Text(required=True)
    items = ma.fields.List(ma.fields.Nested(HitSchema), required=True)


class SubstructureQuerySchema(StrictSchema):
    query = _Text(
        required=True, validate=_Len(min=1, max=2000), metadata={"description": "SMARTS or SMILES"}
    )
    max_hits = ma.fields.Integer(load_default=100, validate=ma.validate.Range(min=1, max=1000))


class SubstructureCountSchema(StrictSchema):
    query = _Text(required=True, validate=_Len(min=1, max=2000))


class SubstructureResultSchema(ma.Schema):
    query = _Text(required=True)
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
    truncated_reason = _Text(
        required=True, allow_none=True, metadata={"description": "Why, when truncated"}
    )


class StructureCheckSchema(StrictSchema):
    structure = _Text(
        required=True,
        validate=_Len(min=1, max=200_000),
        metadata={"description": "SMILES, InChI or a MOL/SDF block, as it would be registered"},
    )
    structure_format = _Text(
        load_default=None, validate=ma.validate.OneOf(("smiles", "inchi", "molblock"))
    )
    width = ma.fields.Integer(load_default=300, validate=ma.validate.Range(min=50, max=2000))
    height = ma.fields.Integer(load_default=220, validate=ma.validate.Range(min=50, max=2000))


class ExistingMatchSchema(ma.Schema):
    id = ma.fields.UUID(required=True)
    name = _Text(allow_none=True)
    visibility = _Text(required=True)


class StructureCheckResultSchema(ma.Schema):
    smiles = _Text(
        required=True, metadata={"description": "Canonical isomeric SMILES of the parent"}
    )
    inchi = _Text(required=True)
    inchikey = _Text(required=True)
    formula = _Text(required=True)
    molecular_weight = ma.fields.Float(required=True, metadata={"description": "g/mol"})
    changes = ma.fields.List(
        _Text(), required=True, metadata={"description": "Standardisation steps applied"}
    )
    method = _Text(required=True, metadata={"description": "How the structure was standardised"})
    svg = _Text(required=True, metadata={"description": "RDKit SVG drawing of the parent"})
    existing = ma.fields.List(
        ma.fields.Nested(ExistingMatchSchema),
        required=True,
        metadata={"description": "Visible molecules with the same InChIKey"},
    )


class DescriptorInfoSchema(ma.Schema):
    name = _Text(required=True, metadata={"description": "property_name of stored values"})
    label = _Text(required=True)
    unit = _Text(required=True)
    description = _Text(required=True)
    method = _Text(required=True)


class JobSchema(ma.Schema):
    id = ma.fields.UUID(required=True)
    kind = _Text(required=True)
    status = _Text(required=True)
    result = ma.fields.Raw(allow_none=True)
    error = _Text(allow_none=True)
    created_at = ma.fields.DateTime(required=True)
    finished_at = ma.fields.DateTime(allow_none=True)
    cancel_requested_at = ma.fields.DateTime(
        allow_none=True, metadata={"description": "When a stop was asked for (POST …/cancel)"}
    )
    progress = ma.fields.Float(
        allow_none=True, metadata={"description": "How far a running job is (0-1), if it says"}
    )


class DepictionArgsSchema(InputSchema):
    highlight = _Text(
        load_default=None,
        validate=_Len(min=1, max=2000),
        metadata={"description": "SMARTS/SMILES whose matches are highlighted"},
    )
    width = ma.fields.Integer(load_default=300, validate=ma.validate.Range(min=50, max=2000))
    height = ma.fields.Integer(load_default=220, validate=ma.validate.Range(min=50, max=2000))


class ImportFormSchema(InputSchema):
    format = _Text(load_default=None, validate=ma.validate.OneOf(FORMATS))
    smiles_column = _Text(load_default=None, validate=_Len(min=1, max=200))
    name_column = _Text(load_default=None, validate=_Len(min=1, max=200))
    visibility = _Text(load_default="private", validate=ma.validate.OneOf(VISIBILITIES))
    team_id = ma.fields.UUID(load_default=None)


class ImportFileSchema(ma.Schema):
    file = Upload(required=True)


class RejectedRowSchema(ma.Schema):
    row = ma.fields.Integer(required=True)
    input = _Text(required=True)
    reason = _Text(allow_none=True)


class ImportReportSchema(ma.Schema):
    total = ma.fields.Integer(required=True)
    created = ma.fields.Integer(required=True)
    duplicates = ma.fields.Integer(required=True)
    rejected_count = ma.fields.Integer(required=True)
    rejected = ma.fields.List(ma.fields.Nested(RejectedRowSchema), required=True)


class ExportArgsSchema(InputSchema):
    format = _Text(load_default="csv", validate=ma.validate.OneOf(EXPORT_FORMATS))
    q = _Text(load_default=None, validate=_Len(max=300))
    ids = ma.fields.List(ma.fields.UUID(), load_default=None, validate=_Len(max=10_000))
