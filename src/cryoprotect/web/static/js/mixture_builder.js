// The mixture builder: components picked from the molecule library (search as you type),
// amounts and units from the API's vocabulary, a carrier; live properties of the unsaved
// solution (POST /api/v1/solutions/properties, debounced); save as a new mixture, or, with
// ?from=<id>, as the next version of an existing one.
import {
  ApiError,
  apiRequest,
  currentTeam,
  currentUser,
  fetchResourceFromApi,
  guarded,
  pageStatus,
  reportUnexpected,
  showError,
} from "./api.js";
import { h, replace } from "./dom.js";
import { formatQuantity, isUuid } from "./format.js";
import { densityParagraph, renderCompositionTable, renderPropertyCards } from "./mixtures_ui.js";
import {
  componentsPayload,
  componentVocabulary,
  convertedAmount,
  exactMatch,
  formChoiceLabel,
  fmtAmount,
  isReference,
  mixtureBody,
  moleculeLabel,
  previewBlocker,
} from "./mixtures_lib.js";
import { debounce } from "./timing_lib.js";
import { defaultScope } from "./scope_lib.js";
import { myTeams } from "./scope_ui.js";

const { error, loading } = pageStatus();
const form = document.getElementById("mixture-form");
const rowsEl = document.getElementById("component-rows");
const live = {
  status: document.getElementById("live-status"),
  loading: document.getElementById("live-loading"),
  error: document.getElementById("live-error"),
  cards: document.getElementById("live-cards"),
  table: document.getElementById("live-composition"),
  density: document.getElementById("live-density"),
};

let vocabulary = { units: [], roles: [] };
/** Builder rows: {el, inputs, molecule_id, moleculeName}. */
const rows = [];
/** The last successful live result: {components, carrier, props}. */
let lastPreview = null;
let previewSeq = 0;
/** The mixture being edited (?from=<id>), or null for a new one. */
let editing = null;
let scopeTouched = false;

// ------------------------------------------------------------------ rows

function rowState(row) {
  return {
    molecule_id: row.molecule_id,
    amount: row.inputs.amount.value,
    unit: row.inputs.unit.value,
    role: row.inputs.role.value,
    material_form_id: row.inputs.form.value,
  };
}

const readRows = () => rows.map(rowState);
const carrierValue = () => form.elements.carrier.value.trim() || null;

/** Names and labels follow the row's position, so API errors land on the right row. */
function renumber() {
  rows.forEach((row, i) => {
    const path = `components[${i}]`;
    row.heading.textContent = `Component ${i + 1}`;
    row.inputs.search.name = `${path}.molecule`;
    row.inputs.id.name = `${path}.molecule_id`;
    row.inputs.amount.name = `${path}.amount`;
    row.inputs.unit.name = `${path}.unit`;
    row.inputs.role.name = `${path}.role`;
    row.inputs.form.name = `${path}.material_form_id`;
    for (const [field, slot] of Object.entries(row.errors)) slot.dataset.errorFor = `${path}.${field}`;
    row.remove.setAttribute("aria-label", `Remove component ${i + 1}`);
    row.remove.disabled = rows.length === 1;
  });
}

function choose(row, molecule, labelText) {
  row.molecule_id = molecule.id;
  row.moleculeName = molecule.name || molecule.smiles || "";
  row.inputs.id.value = molecule.id;
  row.inputs.search.value = row.moleculeName;
  row.picked.textContent = `✓ ${labelText || moleculeLabel(molecule)}`;
  row.picked.hidden = false;
  row.suggestions.hidden = true;
  loadForms(row, molecule.id, row.formWanted).catch((exc) => reportUnexpected(exc, live.error));
  schedulePreview();
}

/** The weighed forms (hydrates, salts) of the chosen molecule, as the row's "Weighed as" choices. */
async function loadForms(row, moleculeId, selected = "") {
  const forms = await apiRequest(`/api/v1/molecules/${moleculeId}/forms`, { quiet: true });
  if (row.molecule_id !== moleculeId) return;
  replace(row.inputs.form, h("option", { value: "" }, "the molecule itself"), forms.map((f) => h("option", { value: f.id }, formChoiceLabel(f))));
  row.inputs.form.value = forms.some((f) => f.id === selected) ? selected : "";
  row.formLabel.hidden = forms.length === 0;
}

function unchoose(row) {
  if (!row.molecule_id) return;
  row.molecule_id = "";
  row.moleculeName = "";
  row.inputs.id.value = "";
  row.picked.textContent = "";
  row.picked.hidden = true;
  replace(row.inputs.form, h("option", { value: "" }, "the molecule itself"));
  row.formLabel.hidden = true;
}

function showSuggestions(row, molecules, text) {
  const items = molecules.map((m) =>
    h(
      "li",
      {},
      h(
        "button",
        {
          type: "button",
          class: "suggestion",
          // keep the focus in the field on a mouse click (browsers that do not focus buttons)
          onmousedown: (event) => event.preventDefault(),
          onclick: () => {
            choose(row, m);
            row.inputs.amount.focus();
          },
          onkeydown: (event) => moveInList(event, row),
        },
        moleculeLabel(m),
      ),
    ),
  );
  if (items.length === 0) {
    items.push(h("li", { class: "none" }, `No molecule you can see matches “${text}”. `, h("a", { href: "/molecules/register" }, "Register it"), " first."));
  }
  replace(row.suggestions, items);
  row.suggestions.hidden = false;
}

function moveInList(event, row) {
  const buttons = [...row.suggestions.querySelectorAll("button")];
  const i = buttons.indexOf(document.activeElement);
  if (event.key === "ArrowDown" && i < buttons.length - 1) {
    event.preventDefault();
    buttons[i + 1].focus();
  } else if (event.key === "ArrowUp") {
    event.preventDefault();
    if (i > 0) buttons[i - 1].focus();
    else row.inputs.search.focus();
  } else if (event.key === "Escape") {
    row.suggestions.hidden = true;
    row.inputs.search.focus();
  }
}

async function searchMolecules(row) {
  const text = row.inputs.search.value.trim();
  const seq = ++row.searchSeq;
  if (text.length < 2) {
    row.suggestions.hidden = true;
    return;
  }
  const page = await apiRequest(`/api/v1/molecules?q=${encodeURIComponent(text)}&per_page=10`, { error });
  if (seq !== row.searchSeq) return; // a newer search is on its way
  const molecules = page.items || [];
  const match = exactMatch(text, molecules);
  if (match && !row.molecule_id) {
    choose(row, match);
    return;
  }
  if (!row.molecule_id) showSuggestions(row, molecules, text);
}

function addRow(init = {}) {
  const inputs = {
    search: h("input", { type: "search", autocomplete: "off", maxlength: "300", placeholder: "name or synonym", spellcheck: "false" }),
    id: h("input", { type: "hidden" }),
    amount: h("input", { type: "number", min: "0", step: "any", inputmode: "decimal", placeholder: "e.g. 10" }),
    unit: h("select", {}, vocabulary.units.map((u) => h("option", { value: u }, u))),
    role: h("select", {}, h("option", { value: "" }, "(none)"), vocabulary.roles.map((r) => h("option", { value: r }, r))),
    form: h("select", {}, h("option", { value: "" }, "the molecule itself")),
  };
  const errors = {
    molecule_id: h("span", { class: "field-error", hidden: true }),
    amount: h("span", { class: "field-error", hidden: true }),
    unit: h("span", { class: "field-error", hidden: true }),
    role: h("span", { class: "field-error", hidden: true }),
    material_form_id: h("span", { class: "field-error", hidden: true }),
  };
  const row = {
    inputs,
    errors,
    molecule_id: "",
    moleculeName: "",
    searchSeq: 0,
    heading: h("span", { class: "row-heading" }),
    picked: h("span", { class: "picked note", hidden: true }),
    suggestions: h("ul", { class: "suggestions", hidden: true }),
    remove: h("button", { type: "button", class: "secondary remove" }, "Remove"),
    formWanted: init.material_form_id || "",
  };
  row.formLabel = h("label", { class: "form", hidden: true, title: "Amounts by mass are of this form; converted to the molecule with its molar mass" }, "Weighed as", inputs.form, errors.material_form_id);
  row.el = h(
    "li",
    { class: "component-row" },
    row.heading,
    h(
      "div",
      { class: "picker" },
      h("label", {}, "Molecule", inputs.search),
      inputs.id,
      row.picked,
      row.suggestions,
      errors.molecule_id,
    ),
    h("label", { class: "amount" }, "Amount", inputs.amount, errors.amount),
    h("label", { class: "unit" }, "Unit", inputs.unit, errors.unit),
    h("label", { class: "role" }, "Role", inputs.role, errors.role),
    row.formLabel,
    row.remove,
  );
  inputs.unit.value = init.unit && vocabulary.units.includes(init.unit) ? init.unit : vocabulary.units[0];
  row.unit = inputs.unit.value;
  inputs.role.value = init.role || "";
  if (init.amount !== undefined && init.amount !== null) inputs.amount.value = String(init.amount);

  const search = debounce(() => searchMolecules(row).catch(reportUnexpected), 250);
  inputs.search.addEventListener("input", () => {
    if (inputs.search.value.trim() !== row.moleculeName) unchoose(row);
    search();
    schedulePreview();
  });
  inputs.search.addEventListener("keydown", (event) => {
    if (event.key === "ArrowDown" && !row.suggestions.hidden) {
      event.preventDefault();
      row.suggestions.querySelector("button")?.focus();
    } else if (event.key === "Escape") {
      row.suggestions.hidden = true;
    }
  });
  row.el.querySelector(".picker").addEventListener("focusout", (event) => {
    if (!event.currentTarget.contains(event.relatedTarget)) row.suggestions.hidden = true;
  });
  inputs.amount.addEventListener("input", schedulePreview);
  inputs.role.addEventListener("change", schedulePreview);
  inputs.form.addEventListener("change", schedulePreview);
  inputs.unit.addEventListener("change", () => convertUnit(row));
  row.remove.addEventListener("click", () => {
    rows.splice(rows.indexOf(row), 1);
    row.el.remove();
    renumber();
    rows[0]?.inputs.search.focus();
    schedulePreview();
  });

  rows.push(row);
  rowsEl.append(row.el);
  if (init.molecule) choose(row, init.molecule, init.label);
  renumber();
  return row;
}

/** A new unit keeps the same solution: the amount is converted by the last live result. */
function convertUnit(row) {
  const index = rows.indexOf(row);
  const oldUnit = row.unit;
  const newUnit = row.inputs.unit.value;
  row.unit = newUnit;
  const value = convertedAmount(lastPreview, readRows(), index, oldUnit, newUnit, carrierValue());
  if (value !== null) {
    const before = fmtAmount(Number(row.inputs.amount.value), oldUnit);
    row.inputs.amount.value = String(value);
    live.status.textContent = `Component ${index + 1}: ${before} converted to ${fmtAmount(value, newUnit)}.`;
  }
  schedulePreview();
}

// ------------------------------------------------------------ live preview

function clearLive() {
  replace(live.cards);
  live.table.hidden = true;
  replace(live.density);
}

async function runPreview() {
  const state = readRows();
  const blocker = previewBlocker(state);
  if (blocker) {
    previewSeq += 1;
    showError(live.error, "");
    live.status.textContent = blocker;
    clearLive();
    return;
  }
  const json = { components: componentsPayload(state), carrier: carrierValue() };
  const seq = ++previewSeq;
  live.status.textContent = "Computing the properties of the solution as entered…";
  let props;
  try {
    props = await apiRequest("/api/v1/solutions/properties", { method: "POST", json, loading: live.loading, error: live.error, form });
  } catch (exc) {
    if (seq !== previewSeq) return;
    if (exc instanceof ApiError) {
      live.status.textContent = "This composition cannot be evaluated as entered (see the message and the field marked in the form).";
      clearLive();
      lastPreview = null;
      return;
    }
    throw exc;
  }
  if (seq !== previewSeq) return; // the form changed while this was computed
  lastPreview = { components: json.components, carrier: json.carrier, props };
  renderPropertyCards(live.cards, props);
  renderCompositionTable(live.table, props, state.length);
  densityParagraph(live.density, props.composition);
  live.status.textContent = `Up to date: ${state.length} component${state.length > 1 ? "s" : ""}${json.carrier ? ` in ${json.carrier}` : " in water"}.`;
}

const schedulePreview = debounce(() => runPreview().catch((exc) => reportUnexpected(exc, live.error)), 400);

// ------------------------------------------------------------------ scope

async function loadTeams(user) {
  const select = form.elements.team_id;
  if (!user) return;
  const list = await myTeams(error);
  replace(select, h("option", { value: "" }, list.length ? "— choose a team —" : "— you are in no team —"), list.map((t) => h("option", { value: t.id }, t.name)));
}

function applyScope(scope) {
  form.elements.visibility.value = scope.visibility;
  form.elements.team_id.value = scope.team_id || "";
  syncTeamField();
}

function syncTeamField() {
  form.elements.team_id.disabled = form.elements.visibility.value !== "team";
}

// ------------------------------------------------------------------- edit

async function loadForEdit(id) {
  let mixture;
  try {
    mixture = await apiRequest(`/api/v1/mixtures/${id}`, { loading, error, quiet: true });
  } catch (exc) {
    if (exc instanceof ApiError && exc.status === 404) {
      showError(error, "The mixture to edit was not found or is not visible to you. You can build a new one below.");
      return null;
    }
    showError(error, `Could not load the mixture to edit: ${exc.message}`);
    throw exc;
  }
  const reference = isReference(mixture);
  document.getElementById("crumb").replaceChildren(h("a", { href: `/mixtures/${mixture.id}` }, mixture.name), " › edit");
  document.getElementById("builder-title").textContent = reference
    ? `New mixture from ${mixture.name}`
    : `Edit ${mixture.name} (saving makes version ${mixture.version + 1})`;
  document.title = `Edit ${mixture.name} · CryoProtect`;
  document.getElementById("builder-intro").textContent = reference
    ? `${mixture.name} is a reference solution and cannot be changed; your edits are saved as a new mixture of your own.`
    : `Every edit is a new version; version ${mixture.version} stays readable in the history. “Save as a new mixture” leaves ${mixture.name} untouched instead.`;
  form.elements.name.value = reference ? `${mixture.name} (modified)` : mixture.name;
  form.elements.description.value = mixture.description || "";
  form.elements.carrier.value = mixture.carrier || "";
  for (const c of mixture.components) {
    addRow({
      molecule: { id: c.molecule_id, name: c.name || c.smiles },
      label: `${c.name || c.smiles} · ${c.molar_mass ? formatQuantity("molar_mass", c.molar_mass) : "no molar mass"}`,
      amount: c.amount,
      unit: c.unit,
      role: c.role,
      material_form_id: c.material_form_id,
    });
  }
  // A reference solution becomes the user's own (default scope); an edit keeps the scope.
  if (reference) applyScope(defaultScope(currentTeam()));
  else applyScope({ visibility: mixture.visibility, team_id: mixture.team_id });
  const saveButton = document.getElementById("save");
  const saveNew = document.getElementById("save-new");
  if (reference) {
    saveButton.value = "new";
    saveButton.textContent = "Save as a new mixture";
  } else {
    saveButton.textContent = `Save as version ${mixture.version + 1}`;
    saveNew.hidden = false;
  }
  document.getElementById("cancel").href = `/mixtures/${mixture.id}`;
  return mixture;
}

// ------------------------------------------------------------------- save

async function save(event) {
  event.preventDefault();
  const user = await currentUser();
  if (!user) {
    document.getElementById("signin-needed").hidden = false;
    showError(error, "Sign in to save this mixture (the properties on the right need no account).");
    return;
  }
  const mode = event.submitter?.value || "save";
  const values = {
    name: form.elements.name.value,
    description: form.elements.description.value,
    carrier: form.elements.carrier.value,
    citation: form.elements.citation.value,
    visibility: form.elements.visibility.value,
    team_id: form.elements.team_id.value,
  };
  const asVersion = Boolean(editing) && mode === "save";
  const body = mixtureBody(values, readRows(), {
    edit: asVersion,
    existingSources: editing ? editing.sources || [] : [],
    derivedFrom: editing && !asVersion ? { id: editing.id, version: editing.version } : null,
  });
  const buttons = form.querySelectorAll("button[type=submit]");
  for (const b of buttons) b.disabled = true;
  try {
    const saved = await apiRequest(asVersion ? `/api/v1/mixtures/${editing.id}` : "/api/v1/mixtures", {
      method: asVersion ? "PATCH" : "POST",
      json: body,
      form,
      error,
      loading: document.getElementById("saving"),
    });
    window.location.assign(`/mixtures/${saved.id}`);
  } finally {
    for (const b of buttons) b.disabled = false;
  }
}

// ------------------------------------------------------------------- main

async function main() {
  vocabulary = componentVocabulary(await fetchResourceFromApi("/api/v1/openapi.json", { loading, error }));
  const user = await currentUser();
  document.getElementById("signin-needed").hidden = Boolean(user);
  await loadTeams(user);
  applyScope(defaultScope(user ? currentTeam() : ""));

  const params = new URLSearchParams(window.location.search);
  const fromId = params.get("from");
  if (fromId && isUuid(fromId)) editing = await loadForEdit(fromId);
  else if (fromId) showError(error, `“${fromId}” is not a mixture id; building a new mixture.`);
  const moleculeId = params.get("molecule_id");
  if (!editing && moleculeId && isUuid(moleculeId)) {
    // Opened from a molecule's page: start with that molecule as the first component.
    const m = await fetchResourceFromApi(`/api/v1/molecules/${moleculeId}`, { error });
    const mass = m.molecular_weight ?? m.average_molar_mass;
    addRow({
      molecule: { id: m.id, name: m.name || m.smiles },
      label: `${m.name || m.smiles} · ${mass ? formatQuantity("molar_mass", mass) : "no molar mass"}`,
    });
  }
  if (rows.length === 0) addRow();

  document.getElementById("add-component").addEventListener("click", () => {
    const row = addRow();
    row.inputs.search.focus();
  });
  form.elements.carrier.addEventListener("input", schedulePreview);
  loadCarriers().catch((exc) => reportUnexpected(exc));
  form.elements.visibility.addEventListener("change", () => {
    scopeTouched = true;
    syncTeamField();
  });
  form.elements.team_id.addEventListener("change", () => {
    scopeTouched = true;
  });
  document.addEventListener("cryoprotect:team", (event) => {
    if (!scopeTouched && !editing) applyScope(defaultScope(event.detail));
  });
  form.addEventListener("submit", guarded(save));
}

main().catch((exc) => reportUnexpected(exc));

/** The carriers the API knows, as suggestions for the carrier field. */
async function loadCarriers() {
  const list = await apiRequest("/api/v1/solutions/carriers", { quiet: true });
  const datalist = document.getElementById("carrier-options");
  replace(
    datalist,
    list.flatMap((c) => [c.name, ...c.synonyms]).map((name) => h("option", { value: name })),
    h("option", { value: "water" }),
  );
}
