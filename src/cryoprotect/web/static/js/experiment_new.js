// Record (or, with ?edit=<id>, edit) an experiment: mixture by version, biological system,
// protocol, conditions with units, result rows from the API's vocabulary, attachment
// metadata, visibility/team and "submit for verification". ?mixture_id=<id> preselects a
// mixture. API errors are shown next to the field they name.
import { apiRequest, currentUser, guarded, onSubmit, pageStatus, reportUnexpected } from "./api.js";
import { h, replace } from "./dom.js";
import { query } from "./format.js";
import {
  buildAttachments,
  buildBiologicalSystem,
  buildConditions,
  buildResults,
  conditionFields,
  isBlankResult,
  measureIndex,
  numberOrRaw,
  STATUS_TEXT,
  TEXT_CONDITIONS,
  unitChoice,
} from "./experiments_lib.js";
import { myTeams, scopeControls } from "./scope_ui.js";

const { error, loading } = pageStatus();
const form = document.getElementById("experiment-form");
const params = new URLSearchParams(window.location.search);
const editId = params.get("edit") || "";
const HASH_LIMIT_BYTES = 512 * 1024 * 1024; // larger files are described without a checksum

let vocabulary = { measures: [], conditions: {}, biological_kinds: [] };
let measures = new Map();
let numericConditions = [];
let scope = null;
const resultRows = [];
const attachmentRows = [];
const mixtures = new Map();

const field = (name) => form.elements.namedItem(name);
const errorSlot = (path) => h("span", { class: "field-error", "data-error-for": path, hidden: true });

/** A labelled cell of a result or attachment row: caption, control, hint, error slot. */
function rowCell(path, key, caption, control, hint = "") {
  return h("label", { class: `cell cell-${key}` }, caption, control, hint ? h("span", { class: "hint" }, hint) : null, errorSlot(path));
}

/** The "Remove" button of row ``i`` of ``rows``: drops it, redraws, focuses the add button. */
function removeButton(what, rows, i, render, addId) {
  return h(
    "button",
    {
      type: "button",
      class: "secondary remove",
      "aria-label": `Remove ${what} ${i + 1}`,
      onclick: () => {
        rows.splice(i, 1);
        render();
        document.getElementById(addId).focus();
      },
    },
    "Remove",
  );
}

// ------------------------------------------------------------------ results
function emptyResult() {
  const first = vocabulary.measures[0];
  return { measure: first ? first.key : "", value: "", unit: "", replicates: "1", sd: "", assay: "", time_point_h: "", notes: "" };
}

function input(row, key, name, attrs = {}) {
  return h("input", {
    name,
    value: row[key] ?? "",
    oninput: (e) => {
      row[key] = e.target.value;
    },
    ...attrs,
  });
}

function valueControl(row, i, measure) {
  const name = `results[${i}].value`;
  if (measure && measure.kind === "boolean") {
    return h(
      "select",
      { name, onchange: (e) => (row.value = e.target.value) },
      h("option", { value: "" }, "—"),
      h("option", { value: "yes", selected: row.value === "yes" }, "yes"),
      h("option", { value: "no", selected: row.value === "no" }, "no"),
    );
  }
  const range = measure && measure.minimum !== null && measure.maximum !== null;
  return input(row, "value", name, {
    type: "number",
    step: "any",
    inputmode: "decimal",
    min: range ? measure.minimum : undefined,
    max: range ? measure.maximum : undefined,
  });
}

function unitControl(row, i, choice) {
  const name = `results[${i}].unit`;
  if (choice.kind === "none") return h("output", { name }, "no unit");
  if (choice.kind === "fixed") {
    if (!choice.units.includes(row.unit)) row.unit = choice.units[0];
    return h(
      "select",
      { name, onchange: (e) => (row.unit = e.target.value) },
      choice.units.map((u) => h("option", { value: u, selected: u === row.unit }, u)),
    );
  }
  return input(row, "unit", name, { type: "text", maxlength: 50, placeholder: "e.g. U/mL", size: 8 });
}

function resultRowElement(row, i) {
  const measure = measures.get(row.measure);
  const choice = unitChoice(measure);
  const unit = choice.kind === "fixed" ? row.unit || choice.units[0] : "";
  const p = (key) => `results[${i}].${key}`;
  const cell = (caption, control, key, hint) => rowCell(p(key), key, caption, control, hint);
  const range =
    measure && measure.minimum !== null && measure.maximum !== null ? `${measure.minimum}–${measure.maximum} ${unit}` : "";
  return h(
    "div",
    { class: "result-row", role: "group", "aria-label": `Result ${i + 1}` },
    cell(
      "Measure",
      h(
        "select",
        {
          name: p("measure"),
          onchange: (e) => {
            row.measure = e.target.value;
            row.unit = "";
            if (measures.get(row.measure)?.kind === "boolean") row.value = "";
            renderResults(i, "measure");
          },
        },
        vocabulary.measures.map((m) => h("option", { value: m.key, selected: m.key === row.measure }, m.label)),
      ),
      "measure",
    ),
    cell(unit ? `Value (${unit})` : "Value", valueControl(row, i, measure), "value", range),
    cell("Unit", unitControl(row, i, choice), "unit"),
    cell("Replicates (n)", input(row, "replicates", p("replicates"), { type: "number", min: 1, step: 1, inputmode: "numeric" }), "replicates"),
    choice.kind === "none"
      ? null
      : cell(unit ? `SD (${unit})` : "SD", input(row, "sd", p("sd"), { type: "number", min: 0, step: "any", inputmode: "decimal" }), "sd"),
    cell(
      measure?.needs_assay ? "Assay (required)" : "Assay",
      input(row, "assay", p("assay"), { type: "text", maxlength: 300, placeholder: "e.g. trypan blue" }),
      "assay",
    ),
    cell("Time after thaw (h)", input(row, "time_point_h", p("time_point_h"), { type: "number", min: 0, step: "any" }), "time_point_h"),
    cell("Notes", input(row, "notes", p("notes"), { type: "text", maxlength: 2000 }), "notes"),
    removeButton("result", resultRows, i, renderResults, "add-result"),
  );
}

function renderResults(focusRow = null, focusKey = null) {
  const box = document.getElementById("results");
  if (!resultRows.length) {
    replace(box, h("p", { class: "note empty" }, "No results yet: add one for each measurement (viability, recovery, ice observed, …)."));
    return;
  }
  replace(box, resultRows.map((row, i) => resultRowElement(row, i)));
  if (focusRow !== null) field(`results[${focusRow}].${focusKey}`)?.focus();
}

/**
 * Leave out the result rows nothing was typed into (the form starts with one): an
 * experiment without results is saved as such. Done on the rows themselves, so row i of
 * the form is results[i] of the request and the API's messages land on the right row.
 */
function dropBlankResults() {
  const kept = resultRows.filter((row) => !isBlankResult(row, measures.get(row.measure)));
  if (kept.length === resultRows.length) return;
  resultRows.splice(0, resultRows.length, ...kept);
  renderResults();
}

// -------------------------------------------------------------- attachments
function attachmentRowElement(row, i) {
  const p = (key) => `attachments[${i}].${key}`;
  const textCell = (key, caption, attrs = {}) => rowCell(p(key), key, caption, input(row, key, p(key), { type: "text", ...attrs }));
  return h(
    "div",
    { class: "attachment-row", role: "group", "aria-label": `Attachment ${i + 1}` },
    textCell("filename", "File name", { maxlength: 300 }),
    textCell("content_type", "Type", { maxlength: 200, placeholder: "e.g. text/csv" }),
    rowCell(p("size_bytes"), "size_bytes", "Size (bytes)", input(row, "size_bytes", p("size_bytes"), { type: "number", min: 0, step: 1 })),
    textCell("sha256", "SHA-256", { maxlength: 64, pattern: "[0-9a-f]{64}", spellcheck: "false" }),
    textCell("url", "Where it is stored (URL or path)", { maxlength: 1000 }),
    textCell("description", "Description", { maxlength: 2000 }),
    removeButton("attachment", attachmentRows, i, renderAttachments, "add-attachment"),
  );
}

function renderAttachments() {
  replace(document.getElementById("attachments"), attachmentRows.map((row, i) => attachmentRowElement(row, i)));
}

async function sha256Hex(file) {
  if (!globalThis.crypto?.subtle || file.size > HASH_LIMIT_BYTES) return "";
  const digest = await crypto.subtle.digest("SHA-256", await file.arrayBuffer());
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, "0")).join("");
}

async function describeFiles(event) {
  for (const file of event.target.files) {
    attachmentRows.push({
      filename: file.name,
      content_type: file.type || "",
      size_bytes: String(file.size),
      sha256: await sha256Hex(file),
      url: "",
      description: "",
    });
  }
  event.target.value = "";
  renderAttachments();
}

// ------------------------------------------------------------ reference lists
function mixtureOption(m) {
  return h("option", { value: m.id }, `${m.name} (v${m.version}, ${m.visibility})`);
}

async function loadMixtures(q = "") {
  const select = field("mixture_id");
  const chosen = select.value;
  const page = await apiRequest(`/api/v1/mixtures${query({ per_page: 100, q })}`, { error });
  for (const m of page.items) mixtures.set(m.id, m);
  const shown = page.items.map((m) => m.id);
  if (chosen && !shown.includes(chosen) && mixtures.has(chosen)) shown.unshift(chosen);
  replace(
    select,
    h("option", { value: "" }, page.total ? "— no mixture —" : "— no mixture matches —"),
    shown.map((id) => mixtureOption(mixtures.get(id))),
  );
  select.value = chosen;
}

async function ensureMixture(id) {
  if (!mixtures.has(id)) {
    const m = await apiRequest(`/api/v1/mixtures/${encodeURIComponent(id)}`, { error, form });
    mixtures.set(m.id, m);
    field("mixture_id").append(mixtureOption(m));
  }
  field("mixture_id").value = id;
}

function mixtureChanged(keepVersion = false) {
  const m = mixtures.get(field("mixture_id").value);
  const hint = document.getElementById("mixture-hint");
  const version = field("mixture_version");
  if (!m) {
    version.value = "";
    version.disabled = true;
    return;
  }
  version.disabled = false;
  version.max = m.version;
  if (!keepVersion || !version.value) version.value = m.version;
  replace(
    hint,
    `Current version of ${m.name}: v${m.version}. The version you record stays with this experiment when the mixture changes later. `,
    h("a", { href: `/mixtures/${m.id}` }, "Open the mixture"),
    " · ",
    h("a", { href: `/experiments${query({ mixture_id: m.id })}` }, "its experiments"),
  );
}

/** Fill a select from a paginated list; a failure is said next to the field, not hidden. */
async function loadOptional(path, selectName, hintId, describe, what) {
  const select = field(selectName);
  const hint = document.getElementById(hintId);
  try {
    const page = await apiRequest(path, { quiet: true });
    select.append(...page.items.map((item) => h("option", { value: item.id }, describe(item))));
    if (!page.items.length) hint.textContent = `No ${what} are visible to you yet.`;
  } catch (exc) {
    hint.textContent = `Could not load the ${what} (${exc.message}); describe it in words below instead.`;
    hint.classList.add("field-error");
  }
}

// ------------------------------------------------------------------ the form
function renderStatic() {
  replace(
    document.getElementById("conditions-numeric"),
    numericConditions.map((c) =>
      h(
        "label",
        {},
        `${c.label} (${c.unit})`,
        h("input", { name: `conditions.${c.key}`, type: "number", step: "any", inputmode: "decimal", min: c.min, max: c.max }),
        errorSlot(`conditions.${c.key}`),
      ),
    ),
  );
  field("biological_system.kind").append(...vocabulary.biological_kinds.map((k) => h("option", { value: k }, k)));
}

function text(name) {
  return (field(name)?.value || "").trim();
}

function payload() {
  const mixtureId = field("mixture_id").value || null;
  const conditionValues = {};
  for (const c of numericConditions) conditionValues[c.key] = field(`conditions.${c.key}`).value;
  conditionValues.step_temperatures_c = field("conditions.step_temperatures_c").value;
  for (const key of TEXT_CONDITIONS) conditionValues[key] = field(`conditions.${key}`).value;
  const system = {};
  for (const key of ["kind", "name", "species", "source", "passage", "details"]) system[key] = field(`biological_system.${key}`).value;
  const body = {
    title: text("title"),
    mixture_id: mixtureId,
    mixture_version: mixtureId ? numberOrRaw(field("mixture_version").value) : null,
    cell_type_id: field("cell_type_id").value || null,
    protocol_id: field("protocol_id").value || null,
    protocol_text: text("protocol_text") || null,
    biological_system: buildBiologicalSystem(system),
    conditions: buildConditions(conditionValues, numericConditions.map((c) => c.key)),
    results: buildResults(resultRows, measures),
    performed_on: field("performed_on").value || null,
    operator: text("operator") || null,
    notes: text("notes") || null,
    attachments: buildAttachments(attachmentRows),
    ...scope.value(),
  };
  if (!editId) body.submit = field("submit_now").checked;
  return body;
}

function fill(e) {
  field("title").value = e.title || "";
  field("protocol_text").value = e.protocol_text || "";
  field("performed_on").value = e.performed_on || "";
  field("operator").value = e.operator || "";
  field("notes").value = e.notes || "";
  for (const [key, value] of Object.entries(e.biological_system || {})) {
    const el = field(`biological_system.${key}`);
    if (el) el.value = value;
  }
  for (const [key, value] of Object.entries(e.conditions || {})) {
    const el = field(`conditions.${key}`);
    if (el) el.value = Array.isArray(value) ? value.join(", ") : value;
  }
  for (const [name, id, label] of [
    ["cell_type_id", e.cell_type_id, e.cell_type_name],
    ["protocol_id", e.protocol_id, e.protocol_name],
  ]) {
    if (!id) continue;
    const select = field(name);
    if (![...select.options].some((o) => o.value === id)) select.append(h("option", { value: id }, label || id));
    select.value = id;
  }
  resultRows.splice(
    0,
    resultRows.length,
    ...(e.results || []).map((r) => ({
      measure: r.measure,
      value: typeof r.value === "boolean" ? (r.value ? "yes" : "no") : String(r.value ?? ""),
      unit: r.unit || "",
      replicates: String(r.replicates ?? 1),
      sd: r.sd ?? "",
      assay: r.assay || "",
      method: r.method || "",
      time_point_h: r.time_point_h ?? "",
      notes: r.notes || "",
    })),
  );
  attachmentRows.splice(
    0,
    attachmentRows.length,
    ...(e.attachments || []).map((a) => ({
      filename: a.filename || "",
      content_type: a.content_type || "",
      size_bytes: a.size_bytes ?? "",
      sha256: a.sha256 || "",
      url: a.url || "",
      description: a.description || "",
    })),
  );
  scope.set({ visibility: e.visibility, team_id: e.team_id });
}

function explainEdit(e) {
  document.getElementById("page-title").textContent = `Edit: ${e.title}`;
  document.title = `Edit ${e.title} · CryoProtect`;
  replace(document.getElementById("crumb"), h("a", { href: `/experiments/${e.id}` }, e.title), " › Edit");
  document.getElementById("cancel").href = `/experiments/${e.id}`;
  document.getElementById("submit-label").hidden = true;
  document.getElementById("save").textContent = "Save changes";
  const note = document.getElementById("reopen-note");
  const status = e.verification_status;
  if (status === "verified" || status === "rejected") {
    note.textContent = `This experiment is ${STATUS_TEXT[status].toLowerCase()}. Saving a change to what was recorded sends it back to pending verification: a verifier of the team checks it again.`;
    note.hidden = false;
  } else if (status === "pending") {
    note.textContent = "This experiment is waiting for verification; the verifier will see your changes (the history keeps the old values).";
    note.hidden = false;
  }
}

async function main() {
  const user = await currentUser();
  if (!user) {
    window.location.assign(`/signin?next=${encodeURIComponent(window.location.pathname + window.location.search)}`);
    return;
  }
  loading.hidden = false;
  try {
    const [vocab, teams] = await Promise.all([
      apiRequest("/api/v1/experiments/vocabulary", { error }),
      myTeams(error),
      loadMixtures(),
      loadOptional("/api/v1/cell-types?per_page=100", "cell_type_id", "cell-type-hint", (c) => (c.species ? `${c.name} (${c.species})` : c.name), "cell types"),
      loadOptional("/api/v1/protocols?per_page=100", "protocol_id", "protocol-hint", (p) => p.name, "saved protocols"),
    ]);
    vocabulary = vocab;
    measures = measureIndex(vocab);
    numericConditions = conditionFields(vocab.conditions);
    renderStatic();
    scope = scopeControls(form, teams);
    if (editId) {
      const experiment = await apiRequest(`/api/v1/experiments/${encodeURIComponent(editId)}`, { error });
      if (experiment.mixture_id) await ensureMixture(experiment.mixture_id);
      fill(experiment);
      field("mixture_version").value = experiment.mixture_version ?? "";
      mixtureChanged(true);
      explainEdit(experiment);
    } else {
      resultRows.push(emptyResult());
      field("performed_on").value = new Date().toISOString().slice(0, 10);
      field("operator").value = user.display_name || "";
      const prefill = params.get("mixture_id");
      if (prefill) await ensureMixture(prefill);
      const protocol = params.get("protocol_id");
      if (protocol && [...field("protocol_id").options].some((o) => o.value === protocol)) {
        field("protocol_id").value = protocol;
      }
      mixtureChanged();
    }
  } finally {
    loading.hidden = true;
  }
  renderResults();
  renderAttachments();
  form.hidden = false;

  field("mixture_id").addEventListener("change", () => mixtureChanged());
  let timer = null;
  field("mixture_q").addEventListener("input", () => {
    clearTimeout(timer);
    timer = setTimeout(guarded(() => loadMixtures(text("mixture_q"))), 250);
  });
  field("cell_type_id").addEventListener("change", () => {
    if (field("cell_type_id").value && !field("biological_system.kind").value) field("biological_system.kind").value = "cell";
  });
  document.getElementById("add-result").addEventListener("click", () => {
    resultRows.push(emptyResult());
    renderResults(resultRows.length - 1, "measure");
  });
  document.getElementById("add-attachment").addEventListener("click", () => {
    attachmentRows.push({ filename: "", content_type: "", size_bytes: "", sha256: "", url: "", description: "" });
    renderAttachments();
    field(`attachments[${attachmentRows.length - 1}].filename`)?.focus();
  });
  document.getElementById("attachment-files").addEventListener("change", guarded(describeFiles));
  onSubmit(form, async () => {
    const save = document.getElementById("save");
    save.disabled = true;
    try {
      dropBlankResults();
      const body = payload();
      const saved = editId
        ? await apiRequest(`/api/v1/experiments/${encodeURIComponent(editId)}`, { method: "PATCH", json: body, form, error, loading })
        : await apiRequest("/api/v1/experiments", { method: "POST", json: body, form, error, loading });
      window.location.assign(`/experiments/${saved.id}`);
    } finally {
      save.disabled = false;
    }
  });
}

main().catch((exc) => reportUnexpected(exc));
