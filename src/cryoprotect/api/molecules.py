"""The molecule library: register, list/search, read, edit and delete."""

from __future__ import annotations

import uuid
from typing import Any

import marshmallow as ma
from flask.views import MethodView
from flask_smorest import Blueprint

from cryoprotect.api.common import (
    BEARER,
    OPTIONAL_BEARER,
    PageArgsSchema,
    StrictSchema,
    current_actor,
    page_envelope,
    paged_schema,
    services,
)
from cryoprotect.db.models import VISIBILITIES

blp = Blueprint(
    "molecules", __name__, url_prefix="/api/v1/molecules", description="Molecule library"
)


class MoleculeCreateSchema(StrictSchema):
    smiles = ma.fields.String(required=True, validate=ma.validate.Length(min=1, max=2000))
    name = ma.fields.String(
        load_default=None, allow_none=True, validate=ma.validate.Length(max=300)
    )
    synonyms = ma.fields.List(
        ma.fields.String(validate=ma.validate.Length(min=1, max=300)),
        load_default=list,
        validate=ma.validate.Length(max=100),
    )
    pubchem_cid = ma.fields.Integer(
        load_default=None, allow_none=True, validate=ma.validate.Range(min=1, max=2**53)
    )
    visibility = ma.fields.String(load_default="private", validate=ma.validate.OneOf(VISIBILITIES))
    team_id = ma.fields.UUID(load_default=None, allow_none=True)


class MoleculeUpdateSchema(StrictSchema):
    name = ma.fields.String(allow_none=True, validate=ma.validate.Length(max=300))
    synonyms = ma.fields.List(
        ma.fields.String(validate=ma.validate.Length(min=1, max=300)),
        validate=ma.validate.Length(max=100),
    )
    pubchem_cid = ma.fields.Integer(allow_none=True, validate=ma.validate.Range(min=1, max=2**53))
    visibility = ma.fields.String(validate=ma.validate.OneOf(VISIBILITIES))
    team_id = ma.fields.UUID(allow_none=True)


class MoleculeSchema(ma.Schema):
    id = ma.fields.UUID(required=True)
    name = ma.fields.String(allow_none=True)
    synonyms = ma.fields.List(ma.fields.String(), required=True)
    smiles = ma.fields.String(
        allow_none=True, metadata={"description": "RDKit canonical isomeric SMILES"}
    )
    inchi = ma.fields.String(allow_none=True)
    inchikey = ma.fields.String(allow_none=True)
    formula = ma.fields.String(allow_none=True)
    molecular_weight = ma.fields.Float(allow_none=True, metadata={"description": "g/mol"})
    pubchem_cid = ma.fields.Integer(allow_none=True)
    molecule_class = ma.fields.String(allow_none=True)
    visibility = ma.fields.String(required=True)
    team_id = ma.fields.UUID(allow_none=True)
    created_by = ma.fields.UUID(required=True)
    created_at = ma.fields.DateTime(required=True)
    updated_at = ma.fields.DateTime(required=True)
    identifiers_method = ma.fields.String(
        required=True, metadata={"description": "How identifiers were computed"}
    )


class MoleculeListArgsSchema(PageArgsSchema):
    q = ma.fields.String(
        load_default=None,
        validate=ma.validate.Length(max=300),
        metadata={"description": "Name, synonym, formula or InChIKey"},
    )
    visibility = ma.fields.String(load_default=None, validate=ma.validate.OneOf(VISIBILITIES))
    sort = ma.fields.String(
        load_default="name", validate=ma.validate.OneOf(("name", "molecular_weight", "created_at"))
    )


MoleculePageSchema = paged_schema(MoleculeSchema, "MoleculePageSchema")


@blp.route("")
class Molecules(MethodView):
    @blp.arguments(MoleculeListArgsSchema, location="query")
    @blp.response(200, MoleculePageSchema)
    @blp.doc(security=OPTIONAL_BEARER)
    def get(self, args: dict[str, Any]) -> Any:
        """Molecules visible to the caller (public ones without signing in), paginated"""
        page = services().molecules.list(current_actor(), **args)
        return page_envelope(page), {"X-Total-Count": str(page.total)}

    @blp.arguments(MoleculeCreateSchema)
    @blp.response(201, MoleculeSchema)
    @blp.alt_response(400, description="Invalid structure (RDKit's reason in the message)")
    @blp.alt_response(401, description="Not signed in")
    @blp.alt_response(403, description="No permission to create in that team")
    @blp.alt_response(409, description="Already registered in that scope (existing id in details)")
    @blp.doc(security=BEARER)
    def post(self, body: dict[str, Any]) -> Any:
        """Register a molecule from SMILES"""
        return services().molecules.create(current_actor(), **body)


@blp.route("/<uuid:molecule_id>")
class MoleculeItem(MethodView):
    @blp.response(200, MoleculeSchema)
    @blp.alt_response(404, description="No such molecule visible to the caller")
    @blp.doc(security=OPTIONAL_BEARER)
    def get(self, molecule_id: uuid.UUID) -> Any:
        """One molecule"""
        return services().molecules.get(current_actor(), molecule_id)

    @blp.arguments(MoleculeUpdateSchema)
    @blp.response(200, MoleculeSchema)
    @blp.alt_response(401, description="Not signed in")
    @blp.alt_response(403, description="Visible but not editable by the caller")
    @blp.alt_response(404, description="No such molecule visible to the caller")
    @blp.doc(security=BEARER)
    def patch(self, body: dict[str, Any], molecule_id: uuid.UUID) -> Any:
        """Edit a molecule's names, synonyms, CID or visibility"""
        return services().molecules.update(current_actor(), molecule_id, body)

    @blp.response(204)
    @blp.alt_response(401, description="Not signed in")
    @blp.alt_response(403, description="Visible but not deletable by the caller")
    @blp.alt_response(404, description="No such molecule visible to the caller")
    @blp.doc(security=BEARER)
    def delete(self, molecule_id: uuid.UUID) -> None:
        """Delete a molecule"""
        services().molecules.delete(current_actor(), molecule_id)
