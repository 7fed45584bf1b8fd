// The molecule page's material forms (issue 18): the hydrates and salts that are weighed,
// with their formula (subscripted) and molar mass (RDKit average molecular weight from the
// formula); signed-in users add and delete forms.
import { apiRequest, currentUser, fetchResourceFromApi, guarded, onSubmit } from "./api.js";
import { $, formValues, h, replace, showSuccess } from "./dom.js";
import { formatQuantity } from "./format.js";
import { componentsText, formBody } from "./molecule_forms_lib.js";
import { formulaEl } from "./precision_ui.js";

const root = $("molecule-page");
const moleculeId = root && root.dataset.moleculeId;
const url = `/api/v1/molecules/${moleculeId}/forms`;
const errorEl = $("forms-error");

function row(form, signedIn) {
  const remove = signedIn
    ? h("button", { type: "button", class: "secondary", onclick: guarded(() => removeForm(form), errorEl) }, "Delete")
    : "";
  return h(
    "tr",
    { "data-form-id": form.id },
    h("th", { scope: "row" }, form.label),
    h("td", {}, form.kind),
    h("td", {}, formulaEl(form.formula)),
    h("td", { class: "num", title: form.molar_mass_method }, formatQuantity("molar_mass", form.molar_mass, "")),
    h("td", { class: "text" }, componentsText(form.components)),
    h("td", { class: "text" }, [form.supplier, form.cas].filter(Boolean).join(", ") || "—"),
    h("td", {}, remove),
  );
}

async function load() {
  const [forms, me] = await Promise.all([fetchResourceFromApi(url, { error: errorEl }), currentUser()]);
  const table = $("forms-table");
  replace(table.querySelector("tbody"), forms.map((f) => row(f, Boolean(me))));
  table.hidden = forms.length === 0;
  $("forms-empty").hidden = forms.length > 0;
  $("add-form").hidden = !me;
}

async function removeForm(form) {
  await apiRequest(`${url}/${form.id}`, { method: "DELETE", error: errorEl });
  showSuccess($("form-status"), `Deleted the ${form.label} form.`);
  await load();
}

if (root) {
  const formEl = $("form-form");
  onSubmit(
    formEl,
    async () => {
      const created = await apiRequest(url, {
        method: "POST",
        json: formBody(formValues(formEl)),
        error: errorEl,
        form: formEl,
      });
      await load();
      showSuccess(
        $("form-status"),
        `Added ${created.label}: ${created.formula}, ${formatQuantity("molar_mass", created.molar_mass)}.`,
      );
    },
    errorEl,
  );
  guarded(load, errorEl)();
}
