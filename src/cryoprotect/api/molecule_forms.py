"""Material forms of a molecule (issue 18, "Hydrates and salts"): the hydrate or salt a
scientist weighs, beside the parent that stays the molecule's identity."""

from __future__ import annotations

import uuid
from typing import Any

import marshmallow as ma
from flask.views import MethodView
from flask_smorest import Blueprint

from cryoprotect.api.common import (
    NOT_CREATABLE,
    StrictSchema,
    answers,
    answers_signed_in,
    current_actor,
    deletes,
    scoped,
    services,
)
from cryoprotect.api.fields import Len, Text, record_schema
from cryoprotect.db.models import FORM_KINDS
from cryoprotect.services.molecules.forms import MaterialFormRecord, MaterialFormService

blp = Blueprint(
    "molecule-forms",
    __name__,
    url_prefix="/api/v1/molecules",
    description="Material forms (hydrates, salts) of a molecule, for weighing and concentration",
)

_NO_MOLECULE = {404: "No such molecule visible to the caller"}


class FormComponentSchema(StrictSchema):
    smiles = Text(
        required=True,
        validate=Len(min=1, max=500),
        metadata={"description": "A counter-ion or solvent, e.g. O (water), [Na+], [Cl-], Cl"},
    )
    count = ma.fields.Integer(
        required=True,
        validate=ma.validate.Range(min=1, max=20),
        metadata={"description": "How many per parent (water × 2 for a dihydrate)"},
    )


@scoped
class MaterialFormCreateSchema(StrictSchema):
    components = ma.fields.List(
        ma.fields.Nested(FormComponentSchema), required=True, validate=Len(max=6)
    )
    label = Text(
        load_default=None,
        allow_none=True,
        validate=Len(max=100),
        metadata={"description": "e.g. dihydrate (named from the components when omitted)"},
    )
    kind = Text(
        load_default=None,
        allow_none=True,
        validate=ma.validate.OneOf(FORM_KINDS),
        metadata={"description": "Inferred from the components when omitted"},
    )
    supplier = Text(load_default=None, allow_none=True, validate=Len(max=200))
    cas = Text(load_default=None, allow_none=True, validate=Len(max=20))


MaterialFormSchema = record_schema(
    MaterialFormRecord,
    "MaterialForm",
    components=ma.fields.List(
        ma.fields.Dict(),
        required=True,
        metadata={"description": "Counter-ions/solvent per parent: [{smiles, count}]"},
    ),
    formula="Hill formula of the whole form (parent plus components)",
    molar_mass="g/mol of the form as weighed",
    molar_mass_method="How the molar mass was obtained",
    water_per_parent="Molecules of water of crystallisation per parent",
)


def _forms() -> MaterialFormService:
    return MaterialFormService(services().molecules.db)


@blp.route("/<uuid:molecule_id>/forms")
class MoleculeForms(MethodView):
    @answers(blp, MaterialFormSchema(many=True), errors=_NO_MOLECULE)
    def get(self, molecule_id: uuid.UUID) -> Any:
        """The material forms (hydrates, salts) of a molecule visible to the caller"""
        return _forms().list_for(current_actor(), molecule_id)

    @answers_signed_in(
        blp,
        MaterialFormSchema,
        body=MaterialFormCreateSchema,
        status=201,
        errors={
            400: "A component SMILES RDKit cannot read",
            403: NOT_CREATABLE,
            409: "The same form exists in that scope (existing id in details)",
            **_NO_MOLECULE,
        },
    )
    def post(self, body: dict[str, Any], molecule_id: uuid.UUID) -> Any:
        """Record a material form of a molecule; formula and molar mass computed by RDKit"""
        return _forms().add(current_actor(), molecule_id, **body)


@blp.route("/<uuid:molecule_id>/forms/<uuid:form_id>")
class MoleculeForm(MethodView):
    @deletes(blp, "material form")
    @blp.alt_response(409, description="A mixture was weighed with this form")
    def delete(self, molecule_id: uuid.UUID, form_id: uuid.UUID) -> Any:
        """Delete a material form (not one a mixture was weighed with)"""
        _forms().remove(current_actor(), molecule_id, form_id)
        return None
