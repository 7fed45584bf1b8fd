// The molecule library page: text search with filters, sorting and pages; similarity and
// substructure search (matches highlighted in the drawings); export of the rows shown.
import { apiRequest, currentUser, guarded, reportUnexpected, showError, showFieldErrors } from "./api.js";
import { $, h, replace } from "./dom.js";
import { pageInfo } from "./format.js";
import {
  activeFilterCount,
  API,
  ariaSort,
  defaultListState,
  exportFilename,
  exportPath,
  exportSelection,
  listQuery,
  massText,
  parseListState,
  parseSearchMode,
  RANGE_FILTERS,
  rangeProblems,
  searchModeQuery,
  similarityRows,
} from "./molecules_lib.js";
import { alertsCellText } from "./alerts_lib.js";
import { download, drawing, visibilityBadge } from "./molecules_ui.js";
import { formulaEl } from "./precision_ui.js";
import { attachStructureEditor } from "./structure_editor.js";

const error = $("error");
const loading = $("loading");
const forms = {
  text: $("text-form"),
  similarity: $("similarity-form"),
  substructure: $("substructure-form"),
};
const table = $("results-table");

let listState = parseListState(window.location.search);
let mode = "text";
let shownIds = [];
const checked = new Set();
let lastSubstructure = "";

// ------------------------------------------------------------------ table rendering
function selectAllCell() {
  const box = h("input", { type: "checkbox", id: "select-all" });
  box.addEventListener("change", () => {
    for (const input of table.querySelectorAll("tbody input[type=checkbox]")) {
      input.checked = box.checked;
      if (box.checked) checked.add(input.value);
      else checked.delete(input.value);
    }
  });
  return h("label", { class: "check" }, box, h("span", { class: "sr-only" }, "Select every row shown"));
}

function sortHeader(title, key) {
  return h(
    "button",
    {
      type: "button",
      class: "sort-button",
      title: `Sort by ${title.toLowerCase()}`,
      onclick: guarded(async () => {
        listState = { ...listState, sort: key, page: 1 };
        await runText();
      }),
    },
    title,
    listState.sort === key ? " ▲" : "",
  );
}

function columns(kind, highlight) {
  const sortable = (key) => (kind === "text" ? key : null);
  const cols = [
    { title: selectAllCell(), cell: (m) => rowCheckbox(m), align: "center" },
    { title: "Drawing", cell: (m) => drawing(m, { highlight, width: 160, height: 120 }), align: "center" },
    { title: "Name", sortKey: sortable("name"), cell: nameCell, align: "text" },
    { title: "Formula", cell: (m) => formulaEl(m.formula), align: "text" },
    { title: "Molecular weight (g/mol)", sortKey: sortable("molecular_weight"), cell: (m) => mwCell(m), align: "num" },
  ];
  if (kind === "similarity") {
    cols.push({ title: "Tanimoto similarity (0–1)", cell: (m) => h("strong", { class: "tanimoto" }, m.similarityText), align: "num" });
  }
  cols.push({ title: "InChIKey", cell: (m) => (m.inchikey ? h("code", {}, m.inchikey) : "—"), align: "text" });
  if (kind === "text") cols.push({ title: "Class", cell: (m) => m.molecule_class || "—", align: "text" });
  cols.push({ title: "Structural alerts", cell: alertsCell, align: "text" });
  cols.push({ title: "Visibility", cell: (m) => visibilityBadge(m.visibility), align: "center" });
  return cols;
}

function mwCell(m) {
  const value = m.molecular_weight ?? m.average_molar_mass;
  const text = massText(value).replace(" g/mol", "");
  return m.molecular_weight == null && m.average_molar_mass != null ? `${text} (average)` : text;
}

// Count and catalogues of the API's `alerts` report, linking to the molecule page's section.
function alertsCell(m) {
  const { text, title } = alertsCellText(m.alerts);
  if (!m.alerts) return h("span", { class: "hint", title }, text);
  return h("a", { href: `/molecules/${m.id}#alerts-section`, class: "alerts-cell", title }, text);
}

function nameCell(m) {
  const synonyms = (m.synonyms || []).slice(0, 2);
  return [
    h("a", { href: `/molecules/${m.id}` }, m.name || m.formula || "(unnamed)"),
    synonyms.length ? h("div", { class: "hint" }, synonyms.join(", ")) : null,
  ];
}

function rowCheckbox(m) {
  const box = h("input", { type: "checkbox", value: m.id, checked: checked.has(m.id) });
  box.addEventListener("change", () => (box.checked ? checked.add(m.id) : checked.delete(m.id)));
  return h("label", { class: "check" }, box, h("span", { class: "sr-only" }, `Select ${m.name || m.formula || m.id}`));
}

function renderRows(rows, kind, { highlight = "", caption, empty }) {
  shownIds = rows.map((m) => m.id);
  for (const id of [...checked]) if (!shownIds.includes(id)) checked.delete(id);
  const cols = columns(kind, highlight);
  const headRow = table.querySelector("thead tr");
  replace(
    headRow,
    cols.map((c) =>
      h(
        "th",
        { scope: "col", class: c.align, "aria-sort": c.sortKey ? ariaSort(listState, c.sortKey) : null },
        c.sortKey ? sortHeader(c.title, c.sortKey) : c.title,
      ),
    ),
  );
  replace(
    table.querySelector("tbody"),
    rows.map((m) => h("tr", {}, cols.map((c) => h("td", { class: c.align }, c.cell(m))))),
  );
  $("results-caption").textContent = caption;
  table.hidden = rows.length === 0;
  $("export-bar").hidden = rows.length === 0;
  const emptyEl = $("empty");
  emptyEl.hidden = rows.length > 0;
  if (!rows.length) replace(emptyEl, empty);
}

function clearResults(summary = "") {
  renderRows([], "text", { caption: "", empty: "" });
  $("empty").hidden = true;
  $("pager").hidden = true;
  $("result-summary").textContent = summary;
}

// ------------------------------------------------------------------ text search
function readTextForm() {
  const form = forms.text;
  const state = { ...defaultListState(), page: 1 };
  state.q = form.elements.q.value.trim();
  state.sort = form.elements.sort.value;
  state.per_page = Number(form.elements.per_page.value);
  for (const key of ["visibility", "molecule_class", "kind"]) state[key] = form.elements[key].value;
  for (const f of RANGE_FILTERS) {
    for (const end of ["min", "max"]) state[`${f.key}_${end}`] = form.elements[`${f.key}_${end}`].value.trim();
  }
  return state;
}

function writeTextForm(state) {
  const form = forms.text;
  form.elements.q.value = state.q;
  form.elements.sort.value = state.sort;
  form.elements.per_page.value = String(state.per_page);
  for (const key of ["visibility", "molecule_class", "kind"]) form.elements[key].value = state[key];
  for (const f of RANGE_FILTERS) {
    for (const end of ["min", "max"]) form.elements[`${f.key}_${end}`].value = state[`${f.key}_${end}`];
  }
  const count = activeFilterCount(state);
  const badge = $("filter-count");
  badge.hidden = count === 0;
  badge.textContent = `${count} active`;
  if (count) $("filters").open = true;
}

function buildRangeInputs() {
  replace(
    $("range-filters"),
    RANGE_FILTERS.map((f) =>
      h(
        "fieldset",
        { class: "range" },
        h("legend", {}, `${f.label} (${f.unit})`),
        ["min", "max"].map((end) =>
          h(
            "label",
            {},
            end === "min" ? "at least" : "at most",
            h("input", { name: `${f.key}_${end}`, type: "number", step: "any", inputmode: "decimal" }),
            h("span", { class: "field-error", "data-error-for": `${f.key}_${end}`, hidden: true }),
          ),
        ),
      ),
    ),
  );
}

async function runText() {
  const form = forms.text;
  writeTextForm(listState);
  history.replaceState(null, "", `/molecules${listQuery(listState, { forUrl: true })}`);
  const problems = rangeProblems(listState);
  if (Object.keys(problems).length) {
    showFieldErrors(form, problems);
    showError(error, "Fix the highlighted filter bounds.");
    return;
  }
  const body = await apiRequest(`${API}${listQuery(listState)}`, { loading, error, form });
  const info = pageInfo(body);
  const filtered = listState.q || activeFilterCount(listState);
  renderRows(body.items, "text", {
    caption: listState.q ? `Molecules matching “${listState.q}”` : "Molecules",
    empty: filtered
      ? ["No molecule matches this search. Try fewer words or clear the filters, or ", h("a", { href: "/molecules/register" }, "register the molecule"), "."]
      : ["The library is empty. ", h("a", { href: "/molecules/register" }, "Register a molecule"), " or ", h("a", { href: "/molecules/import" }, "import a file"), "."],
  });
  $("result-summary").textContent = body.total
    ? `Showing ${info.first}–${info.last} of ${body.total} molecules, sorted by ${form.elements.sort.selectedOptions[0].textContent.toLowerCase()}.`
    : "";
  $("pager").hidden = info.pages <= 1;
  $("prev-page").disabled = !info.hasPrev;
  $("next-page").disabled = !info.hasNext;
  $("page-status").textContent = `Page ${info.page} of ${info.pages}`;
}

// ------------------------------------------------------------------ structure searches
async function runSimilarity() {
  const form = forms.similarity;
  const values = {
    structure: form.elements.structure.value.trim(),
    threshold: form.elements.threshold.value,
    k: form.elements.k.value,
  };
  history.replaceState(null, "", `/molecules${searchModeQuery("similarity", values)}`);
  const body = await apiRequest(`${API}/search/similarity`, {
    method: "POST",
    json: { structure: values.structure, threshold: Number(values.threshold), k: Number(values.k) },
    loading,
    error,
    form,
  });
  const rows = similarityRows(body);
  $("similarity-method").textContent = `${body.method}.`;
  renderRows(rows, "similarity", {
    caption: `Molecules similar to ${values.structure}`,
    empty: `No visible molecule reaches a Tanimoto similarity of ${values.threshold} to ${values.structure}. Lower the minimum similarity to see more distant neighbours.`,
  });
  $("pager").hidden = true;
  $("result-summary").textContent = rows.length
    ? `${rows.length} molecules with Tanimoto similarity ≥ ${values.threshold}, most similar first (${body.method}).`
    : "";
}

async function runSubstructure() {
  const form = forms.substructure;
  const values = { query: form.elements.query.value.trim(), max_hits: form.elements.max_hits.value };
  history.replaceState(null, "", `/molecules${searchModeQuery("substructure", values)}`);
  $("count-status").textContent = "";
  const body = await apiRequest(`${API}/search/substructure`, {
    method: "POST",
    json: { query: values.query, max_hits: Number(values.max_hits) },
    loading,
    error,
    form,
  });
  lastSubstructure = body.query;
  renderRows(body.items, "substructure", {
    highlight: body.query,
    caption: `Molecules containing ${body.query}`,
    empty: `No visible molecule contains ${body.query}.`,
  });
  $("pager").hidden = true;
  const found = body.items.length
    ? `${body.items.length} molecules contain ${body.query}${body.complete ? " (all matches)" : " (first hits only: more exist; count them all below the form)"}. Matched atoms are highlighted.`
    : "";
  // Matching stopped at the server's deadline: say so, with the server's reason.
  $("result-summary").textContent = body.truncated ? `${found} ${body.truncated_reason}`.trim() : found;
}

async function countMatches() {
  const status = $("count-status");
  const pattern = forms.substructure.elements.query.value.trim() || lastSubstructure;
  status.textContent = "Counting…";
  const job = await apiRequest(`${API}/search/substructure/count`, {
    method: "POST",
    json: { query: pattern },
    error,
    form: forms.substructure,
  }).catch((exc) => {
    status.textContent = "";
    throw exc;
  });
  for (let attempt = 0; attempt < 600; attempt += 1) {
    const state = await apiRequest(`/api/v1/jobs/${job.id}`, { error });
    if (state.status === "done") {
      status.textContent = state.result.truncated
        ? `At least ${state.result.count} visible molecules contain ${pattern}. ${state.result.truncated_reason}`
        : `${state.result.count} visible molecules contain ${pattern}.`;
      return;
    }
    if (state.status === "failed") {
      status.textContent = "";
      showError(error, `Counting failed: ${state.error || "no reason given"}`);
      return;
    }
    await new Promise((resolve) => {
      setTimeout(resolve, 1000);
    });
  }
  status.textContent = "Still counting after 10 minutes; try again later.";
}

// ------------------------------------------------------------------ wiring
function setMode(next) {
  mode = next;
  for (const [name, form] of Object.entries(forms)) form.hidden = name !== next;
  for (const radio of document.querySelectorAll("input[name=mode]")) radio.checked = radio.value === next;
}

async function run() {
  if (mode === "text") return runText();
  const form = forms[mode];
  const field = mode === "similarity" ? form.elements.structure : form.elements.query;
  if (!field.value.trim()) {
    clearResults(mode === "similarity" ? "Enter a structure to compare with." : "Enter a SMARTS or SMILES pattern.");
    history.replaceState(null, "", `/molecules?mode=${mode}`);
    return;
  }
  return mode === "similarity" ? runSimilarity() : runSubstructure();
}

async function exportRows(format) {
  const selection = exportSelection([...checked], shownIds);
  const status = $("export-status");
  await download(exportPath(format, { ids: selection.ids }), exportFilename(format, selection.ids.length), { error });
  status.textContent = `Downloaded ${selection.ids.length} ${selection.scope === "selected" ? "ticked" : "shown"} molecules as ${format.toUpperCase()}.`;
}

async function main() {
  buildRangeInputs();
  const initial = parseSearchMode(window.location.search);
  forms.similarity.elements.structure.value = initial.similarity.structure;
  forms.similarity.elements.threshold.value = initial.similarity.threshold;
  forms.similarity.elements.k.value = initial.similarity.k;
  forms.substructure.elements.query.value = initial.substructure.query;
  forms.substructure.elements.max_hits.value = initial.substructure.max_hits;
  writeTextForm(listState);
  setMode(initial.mode);

  for (const radio of document.querySelectorAll("input[name=mode]")) {
    radio.addEventListener(
      "change",
      guarded(async () => {
        setMode(radio.value);
        await run();
      }),
    );
  }
  forms.text.addEventListener(
    "submit",
    guarded(async (event) => {
      event.preventDefault();
      listState = readTextForm();
      await runText();
    }),
  );
  $("clear-filters").addEventListener(
    "click",
    guarded(async () => {
      listState = { ...defaultListState(), q: listState.q, sort: listState.sort, per_page: listState.per_page };
      await runText();
    }),
  );
  for (const form of [forms.similarity, forms.substructure]) {
    form.addEventListener(
      "submit",
      guarded(async (event) => {
        event.preventDefault();
        await run();
      }),
    );
  }
  $("prev-page").addEventListener("click", guarded(async () => {
    listState = { ...listState, page: Math.max(1, listState.page - 1) };
    await runText();
  }));
  $("next-page").addEventListener("click", guarded(async () => {
    listState = { ...listState, page: listState.page + 1 };
    await runText();
  }));
  for (const button of document.querySelectorAll("[data-export]")) {
    button.addEventListener("click", guarded(() => exportRows(button.dataset.export)));
  }
  $("count-matches").addEventListener("click", guarded(countMatches));
  attachStructureEditor($("draw-similarity"), forms.similarity.elements.structure, "smiles");
  attachStructureEditor($("draw-substructure"), forms.substructure.elements.query, "smarts");
  const user = await currentUser();
  $("count-matches").hidden = !user;
  await run();
}

main().catch((exc) => reportUnexpected(exc));
