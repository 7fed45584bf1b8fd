// Unit tests of the material-form helpers (issue 18): the molecule page's
// (static/js/molecule_forms_lib.js) and the mixture builder's (mixtures_lib.js).
// The fixture is a trimmed copy of GET /api/v1/molecules/{id}/forms for trehalose dihydrate.
import assert from "node:assert/strict";
import { test } from "node:test";

import { componentsText, formBody } from "../../src/cryoprotect/web/static/js/molecule_forms_lib.js";
import { formulaParts } from "../../src/cryoprotect/web/static/js/precision.js";
import { componentsPayload, formChoiceLabel } from "../../src/cryoprotect/web/static/js/mixtures_lib.js";

const DIHYDRATE = {
  label: "dihydrate",
  formula: "C12H26O13",
  molar_mass: 378.327,
  components: [{ smiles: "O", count: 2 }],
};

test("formula counts become subscripts, elements stay text (precision.js formulaParts, the one splitter)", () => {
  assert.deepEqual(formulaParts("C12H26O13"), [
    { text: "C", kind: "" },
    { text: "12", kind: "sub" },
    { text: "H", kind: "" },
    { text: "26", kind: "sub" },
    { text: "O", kind: "" },
    { text: "13", kind: "sub" },
  ]);
  assert.deepEqual(
    formulaParts("C6H9Na3O9").filter((p) => p.kind !== "sub").map((p) => p.text),
    ["C", "H", "Na", "O"],
  );
  assert.deepEqual(formulaParts(""), []);
});

test("components read as SMILES × count", () => {
  assert.equal(componentsText(DIHYDRATE.components), "O × 2");
  assert.equal(componentsText([{ smiles: "[Na+]", count: 3 }, { smiles: "O", count: 2 }]), "[Na+] × 3, O × 2");
  assert.equal(componentsText([]), "none (free form)");
});

test("the Add form body keeps filled components and optional fields only", () => {
  assert.deepEqual(formBody({ smiles: " O ", count: 2 }), { components: [{ smiles: "O", count: 2 }] });
  assert.deepEqual(formBody({ smiles: "[Na+]", count: 3, smiles2: "O", count2: 2, label: "trisodium dihydrate", cas: "6132-04-3" }), {
    components: [
      { smiles: "[Na+]", count: 3 },
      { smiles: "O", count: 2 },
    ],
    label: "trisodium dihydrate",
    cas: "6132-04-3",
  });
});

test("the builder names a form with formula and molar mass, and sends its id", () => {
  assert.equal(formChoiceLabel(DIHYDRATE), "dihydrate (C12H26O13, 378.33 g/mol)");
  const rows = [
    { molecule_id: "m1", amount: "10", unit: "% w/w", role: "", material_form_id: "f1" },
    { molecule_id: "m2", amount: "5", unit: "mol/kg", role: "cpa", material_form_id: "" },
  ];
  assert.deepEqual(componentsPayload(rows), [
    { molecule_id: "m1", amount: 10, unit: "% w/w", role: null, material_form_id: "f1" },
    { molecule_id: "m2", amount: 5, unit: "mol/kg", role: "cpa" },
  ]);
});
