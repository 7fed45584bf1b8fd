// The protocol design page: cell type (parameters with provenance and sources), target
// solution (CPAs with amounts and units, or a saved mixture), temperatures, osmotic limits
// (the cell's own as defaults), steps and buffer; POST /protocols/design and draw the result;
// an infeasible request names its binding constraint next to the limit fields; save
// (POST /protocols) and go to the saved protocol. ?from=<protocol id> starts from a saved
// protocol's request; ?cell_type=<key or id> preselects a cell type.
import {
  ApiError,
  apiRequest,
  clearFieldErrors,
  currentUser,
  fieldErrors,
  guarded,
  mapErrorPaths,
  pageStatus,
  reportUnexpected,
  showError,
  showFieldErrors,
} from "./api.js";
import { fillTable, h, replace } from "./dom.js";
import { COMPOSITION_UNITS, formatQuantity } from "./format.js";
import { renderDesign } from "./protocols_ui.js";
import {
  cellKey,
  cellLimits,
  cellOptionLabel,
  cellParameterRows,
  designErrorPath,
  designRequest,
  estimatedNote,
  formFromRequest,
  infeasibleErrors,
  permeatingSolutes,
} from "./protocols_lib.js";
import { myTeams, scopeControls } from "./scope_ui.js";
import { scopePayload } from "./scope_lib.js";

const { error, loading } = pageStatus();
const form = document.getElementById("design-form");
const results = document.getElementById("results");
const saveSection = document.getElementById("save-section");
const saveForm = document.getElementById("save-form");
const rowsEl = document.getElementById("component-rows");
const params = new URLSearchParams(window.location.search);

const DEFAULT_CELL = "rhesus_mii_oocyte"; // the shipped cell with published DMSO, EG and PG permeabilities

let cells = [];
let components = [];
let lastRequest = null;

const field = (name) => form.elements.namedItem(name);

function currentCell() {
  return cells.find((c) => c.id === field("cell_type").value) || null;
}

// ------------------------------------------------------------------ target components
function syncComponentsFromInputs() {
  components = components.map((c, i) => ({
    name: field(`target.components[${i}].name`)?.value ?? c.name,
    amount: field(`target.components[${i}].amount`)?.value ?? c.amount,
    unit: field(`target.components[${i}].unit`)?.value ?? c.unit,
  }));
}

const usingMixture = () => Boolean(field("target.mixture_id").value);

function componentRow(c, i) {
  const path = `target.components[${i}]`;
  const off = usingMixture();
  const slot = (suffix) => h("span", { class: "field-error", "data-error-for": `${path}${suffix}`, hidden: true });
  return h(
    "li",
    { class: "component-row" },
    h(
      "label",
      { class: "cell-name" },
      `CPA ${i + 1}`,
      h("input", { name: `${path}.name`, type: "text", list: "cpa-options", value: c.name || "", autocomplete: "off", placeholder: "e.g. Dimethyl sulfoxide", disabled: off }),
      slot(".name"),
    ),
    h(
      "label",
      {},
      "Amount",
      h("input", { name: `${path}.amount`, type: "number", step: "any", min: "0", value: c.amount ?? "", inputmode: "decimal", disabled: off }),
      slot(".amount"),
    ),
    h(
      "label",
      {},
      "Unit",
      h("select", { name: `${path}.unit`, disabled: off }, COMPOSITION_UNITS.map((u) => h("option", { value: u, selected: u === (c.unit || "mol/L") }, u))),
      slot(".unit"),
    ),
    h(
      "button",
      {
        type: "button",
        class: "secondary remove",
        "aria-label": `Remove CPA ${i + 1}`,
        disabled: off || components.length <= 1,
        onclick: () => {
          syncComponentsFromInputs();
          components.splice(i, 1);
          renderComponents();
        },
      },
      "Remove",
    ),
    slot(""),
  );
}

function renderComponents() {
  replace(rowsEl, components.map(componentRow));
  document.getElementById("add-component").disabled = usingMixture();
}

// ------------------------------------------------------------------ cell type
function renderCell() {
  const cell = currentCell();
  const rows = cell ? cellParameterRows(cell) : [];
  fillTable(document.querySelector("#cell-table tbody"), rows, [
    { header: true, cell: (r) => r.label },
    { cell: (r) => r.value },
    { cell: (r) => h("span", { class: r.estimated ? "badge pending" : "badge" }, r.provenance) },
    { cell: (r) => (r.verified ? "yes" : "no") },
    { cell: (r) => h("span", { class: "source" }, r.source || "—") },
  ]);
  document.getElementById("cell-estimated").textContent = cell ? estimatedNote(rows) : "";
  const solutes = permeatingSolutes(cell);
  document.getElementById("cell-summary").textContent = cell
    ? `Parameters of ${cell.name}: ${solutes.length ? `permeable to ${solutes.join(", ")}` : "no CPA permeability recorded, so no protocol can be designed"} — ${estimatedNote(rows)}`
    : "Parameters of this cell type";
  replace(document.getElementById("cpa-options"), solutes.map((s) => h("option", { value: s })));
  const limits = cellLimits(cell);
  const provenance = cell?.parameters?.provenance || {};
  const note = (value, key) => (value === null ? "" : `empty = ${formatQuantity("volume_fraction", value)}, the cell type's (${provenance[key] || "unknown provenance"})`);
  document.getElementById("min-default").textContent = note(limits.min, "min_volume_fraction");
  document.getElementById("max-default").textContent = note(limits.max, "max_volume_fraction");
  field("osmotic_limits.min_volume_fraction").placeholder = limits.min ?? "";
  field("osmotic_limits.max_volume_fraction").placeholder = limits.max ?? "";
  if (solutes.length && components.length === 1 && !components[0].name) {
    components[0] = { ...components[0], name: solutes[0] };
    renderComponents();
  }
}

function chooseCell(ref) {
  const wanted = String(ref || "").toLowerCase();
  const found =
    cells.find((c) => c.id === ref) ||
    cells.find((c) => cellKey(c) === wanted || c.name.toLowerCase() === wanted) ||
    cells.find((c) => cellKey(c) === DEFAULT_CELL) ||
    cells.find((c) => permeatingSolutes(c).length);
  if (found) field("cell_type").value = found.id;
}

async function loadCells() {
  const body = await apiRequest("/api/v1/cell-types?per_page=100", { error });
  cells = body.items || [];
  replace(
    field("cell_type"),
    cells.map((c) => h("option", { value: c.id, disabled: !permeatingSolutes(c).length }, cellOptionLabel(c))),
  );
}

async function loadMixtures() {
  const body = await apiRequest("/api/v1/mixtures?per_page=100", { error });
  const select = field("target.mixture_id");
  replace(
    select,
    h("option", { value: "" }, "— none: use the CPAs above —"),
    (body.items || []).map((m) => h("option", { value: m.id }, m.name)),
  );
}

// ------------------------------------------------------------------ design
function requestFromForm() {
  syncComponentsFromInputs();
  return designRequest({
    cellType: field("cell_type").value,
    components,
    mixtureId: field("target.mixture_id").value,
    temperatureC: field("temperature_c").value,
    removalTemperatureC: field("removal_temperature_c").value,
    minVolume: field("osmotic_limits.min_volume_fraction").value,
    maxVolume: field("osmotic_limits.max_volume_fraction").value,
    maxSteps: field("max_steps").value,
    allowBuffer: field("allow_osmotic_buffer").checked,
    keepCarrier: field("keep_carrier").checked,
  });
}

function showDesignError(exc) {
  if (!(exc instanceof ApiError)) throw exc;
  let errors = mapErrorPaths(fieldErrors(exc.details, exc.message), designErrorPath);
  let message = exc.message;
  if (exc.code === "infeasible_protocol") {
    errors = { ...errors, ...infeasibleErrors(exc.details) };
    message = `No protocol meets these limits: ${exc.message}`;
  }
  const unplaced = showFieldErrors(form, errors);
  showError(error, unplaced.length ? `${message} (${unplaced.join(", ")})` : message);
  const first = form.querySelector('[aria-invalid="true"]');
  if (first) first.focus();
}

async function design(event) {
  event.preventDefault();
  const button = document.getElementById("design-button");
  const busy = document.getElementById("designing");
  const request = requestFromForm();
  clearFieldErrors(form);
  showError(error, "");
  button.disabled = true;
  try {
    const result = await apiRequest("/api/v1/protocols/design", { method: "POST", json: request, loading: busy, quiet: true });
    lastRequest = request;
    results.hidden = false;
    renderDesign(results, result, { showError: (m) => showError(error, m) });
    saveSection.hidden = false;
    document.getElementById("results-h").scrollIntoView({ block: "start" });
  } catch (exc) {
    results.hidden = true;
    saveSection.hidden = true;
    lastRequest = null;
    showDesignError(exc);
  } finally {
    button.disabled = false;
  }
}

// ------------------------------------------------------------------ save
async function save(event) {
  event.preventDefault();
  if (!lastRequest) {
    showError(error, "Design a protocol first; the saved one is designed from the same request.");
    return;
  }
  const button = document.getElementById("save-button");
  button.disabled = true;
  try {
    const values = saveForm.elements;
    const body = {
      name: values.name.value.trim(),
      design_request: lastRequest,
      ...scopePayload(values.visibility.value, values.team_id.value),
    };
    const description = values.description.value.trim();
    if (description) body.description = description;
    const saved = await apiRequest("/api/v1/protocols", {
      method: "POST",
      json: body,
      form: saveForm,
      error,
      loading: document.getElementById("saving"),
    });
    window.location.assign(`/protocols/${saved.id}`);
  } finally {
    button.disabled = false;
  }
}

// ------------------------------------------------------------------ start
async function prefill() {
  const from = params.get("from");
  if (!from) return null;
  const saved = await apiRequest(`/api/v1/protocols/${encodeURIComponent(from)}`, { error });
  const values = formFromRequest(saved.design?.request);
  return { values, name: saved.name };
}

function applyValues(values) {
  chooseCell(values.cellType);
  if (values.components.length) components = values.components;
  if (values.mixtureId) field("target.mixture_id").value = values.mixtureId;
  field("temperature_c").value = values.temperatureC;
  field("removal_temperature_c").value = values.removalTemperatureC;
  field("osmotic_limits.min_volume_fraction").value = values.minVolume;
  field("osmotic_limits.max_volume_fraction").value = values.maxVolume;
  field("max_steps").value = values.maxSteps;
  field("allow_osmotic_buffer").checked = values.allowBuffer !== false;
  field("keep_carrier").checked = values.keepCarrier === true;
}

async function main() {
  loading.hidden = false;
  let user = null;
  let teams = [];
  let from = null;
  try {
    [user] = await Promise.all([currentUser(), loadCells(), loadMixtures()]);
    if (user) {
      teams = await myTeams(error);
    }
    from = await prefill();
  } finally {
    loading.hidden = true;
  }
  components = [{ name: "", amount: "", unit: "mol/L" }];
  if (from) {
    applyValues(from.values);
    document.querySelector("#design-page h1").textContent = `Design a variant of “${from.name}”`;
  } else {
    chooseCell(params.get("cell_type"));
  }
  renderComponents();
  renderCell();
  form.hidden = false;

  field("target.mixture_id").addEventListener("change", () => {
    syncComponentsFromInputs();
    renderComponents();
  });
  field("cell_type").addEventListener("change", () => {
    syncComponentsFromInputs();
    renderCell();
  });
  document.getElementById("add-component").addEventListener("click", () => {
    syncComponentsFromInputs();
    components.push({ name: "", amount: "", unit: components[components.length - 1]?.unit || "mol/L" });
    renderComponents();
    field(`target.components[${components.length - 1}].name`)?.focus();
  });
  form.addEventListener("submit", guarded(design));

  scopeControls(saveForm, teams);
  document.getElementById("signin-needed").hidden = Boolean(user);
  saveForm.hidden = !user;
  saveForm.addEventListener("submit", guarded(save));
}

main().catch((exc) => reportUnexpected(exc));
