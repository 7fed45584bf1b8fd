// The saved-protocol list: search and cell-type filter (kept in the URL), toxicity cost and
// volume range per protocol, pagination, and ticking protocols to compare them side by side
// (POST /protocols/compare; ?compare=id1,id2 links to a comparison).
import { apiRequest, currentUser, guarded, onSubmit, pageStatus, reportUnexpected, showError } from "./api.js";
import { fieldColumns, fillTable, h, headerRow, replace } from "./dom.js";
import { pageInfo, query } from "./format.js";
import { chartLayout, compareRows, parseCompareIds, PROTOCOL_COLORS, savedProtocolRow } from "./protocols_lib.js";

const PER_PAGE = 25;
const { error, loading } = pageStatus();
const filters = document.getElementById("filters");
const table = document.getElementById("protocols-table");
const compareForm = document.getElementById("compare-form");

let cellNames = {};
let signedIn = false;

function stateFromUrl() {
  const p = new URLSearchParams(window.location.search);
  return {
    q: p.get("q") || "",
    cell_type_id: p.get("cell_type_id") || "",
    page: Math.max(1, Number(p.get("page")) || 1),
    compare: parseCompareIds(p.get("compare")),
  };
}

let state = stateFromUrl();

function pushState() {
  const { page, compare: compareIds, ...rest } = state;
  const search = query({ ...rest, page: page > 1 ? page : "", compare: compareIds.join(",") });
  window.history.replaceState(null, "", `/protocols${search}`);
}

function updateCompareBar() {
  const n = state.compare.length;
  document.getElementById("compare-button").disabled = n < 2 || n > 10;
  document.getElementById("compare-count").textContent =
    n === 0 ? "Tick two to ten protocols." : n === 1 ? "1 selected: tick at least one more." : n > 10 ? `${n} selected: at most 10.` : `${n} selected.`;
}

function toggle(id, checked) {
  state.compare = checked ? [...new Set([...state.compare, id])] : state.compare.filter((x) => x !== id);
  updateCompareBar();
  pushState();
}

async function loadCells() {
  const body = await apiRequest("/api/v1/cell-types?per_page=100", { error });
  const cells = body.items || [];
  cellNames = Object.fromEntries(cells.map((c) => [c.id, c.name]));
  replace(filters.elements.cell_type_id, h("option", { value: "" }, "any"), cells.map((c) => h("option", { value: c.id }, c.name)));
}

async function load() {
  const { compare: _ignored, ...listState } = state;
  const body = await apiRequest(`/api/v1/protocols${query({ ...listState, per_page: PER_PAGE })}`, { loading, error, form: filters });
  const items = body.items || [];
  const info = pageInfo(body);
  const filtered = state.q || state.cell_type_id;
  document.getElementById("empty").hidden = items.length > 0;
  document.getElementById("empty-text").textContent = filtered
    ? "No saved protocol matches these filters."
    : signedIn
      ? "No saved protocols yet."
      : "No public protocols yet. Sign in to see yours and your teams'.";
  table.hidden = items.length === 0;
  document.getElementById("compare-bar").hidden = items.length === 0;
  document.getElementById("protocols-caption").textContent = `Protocols ${info.first}–${info.last} of ${info.total}`;
  fillTable(table.querySelector("tbody"), items.map((p) => savedProtocolRow(p, cellNames)), [
    {
      cell: (r) =>
        h("input", {
          type: "checkbox",
          name: "ids",
          value: r.id,
          checked: state.compare.includes(r.id),
          "aria-label": `Compare ${r.name}`,
          onchange: (event) => toggle(r.id, event.target.checked),
        }),
    },
    { header: true, cell: (r) => h("a", { href: `/protocols/${r.id}` }, r.name) },
    ...fieldColumns("cell", "temperature", "cost", "volume"),
    { cell: (r) => h("span", { class: r.within === "yes" ? "badge verified" : r.within === "no" ? "badge rejected" : "badge" }, r.within) },
    ...fieldColumns("duration", "steps"),
    { cell: (r) => [r.saved, h("br"), r.visibility] },
  ]);
  for (const td of table.querySelectorAll("tbody tr td:first-child")) td.className = "select-cell";
  const pager = document.getElementById("pager");
  pager.hidden = info.pages <= 1;
  document.getElementById("page-info").textContent = `Page ${info.page} of ${info.pages}`;
  document.getElementById("prev").disabled = !info.hasPrev;
  document.getElementById("next").disabled = !info.hasNext;
  updateCompareBar();
}

function drawCompareChart(protocols) {
  const chart = document.getElementById("chart-compare");
  const units = new Set(protocols.map((p) => p.summary?.toxicity?.unit || ""));
  if (typeof Plotly === "undefined") {
    showError(error, "The charting library (Plotly.js) did not load; the table holds every number.");
    return;
  }
  if (units.size !== 1) {
    replace(chart, h("p", { class: "note" }, "The costs have different units (different CPAs and exponents), so they are not charted together."));
    return;
  }
  const [unit] = units;
  const trace = {
    type: "bar",
    x: protocols.map((p) => p.name),
    y: protocols.map((p) => p.toxicity_cost),
    marker: {
      color: PROTOCOL_COLORS.designed,
      line: { color: protocols.map((p) => (p.summary?.within_limits ? "#1b7f3a" : "#b00020")), width: 3 },
    },
    hovertemplate: `%{x}: %{y:.4g} ${unit}<extra></extra>`,
  };
  Plotly.react(chart, [trace], { ...chartLayout("Protocol", `Toxicity cost J (${unit})`), showlegend: false }, { responsive: true, displaylogo: false });
}

async function compare() {
  const section = document.getElementById("comparison");
  const protocols = await apiRequest("/api/v1/protocols/compare", {
    method: "POST",
    json: { ids: state.compare },
    form: compareForm,
    error,
    loading: document.getElementById("comparing"),
  });
  const ctable = document.getElementById("comparison-table");
  replace(
    ctable.querySelector("thead"),
    headerRow(["Protocol", ...protocols.map((p) => h("a", { href: `/protocols/${p.id}` }, p.name))]),
  );
  fillTable(ctable.querySelector("tbody"), compareRows(protocols, cellNames), [
    { header: true, cell: (r) => r.label },
    ...protocols.map((_, i) => ({ cell: (r) => r.values[i] })),
  ]);
  section.hidden = false;
  Object.assign(document.getElementById("full-compare-link"), { href: `/protocols/compare${query({ ids: state.compare.join(",") })}`, hidden: state.compare.length > 4 });
  drawCompareChart(protocols);
  section.scrollIntoView({ block: "start" });
}

async function main() {
  const [user] = await Promise.all([currentUser(), loadCells()]);
  signedIn = Boolean(user);
  filters.elements.q.value = state.q;
  filters.elements.cell_type_id.value = state.cell_type_id;
  onSubmit(filters, async () => {
    state = { ...state, q: filters.elements.q.value.trim(), cell_type_id: filters.elements.cell_type_id.value, page: 1 };
    pushState();
    await load();
  });
  document.getElementById("clear-filters").addEventListener(
    "click",
    guarded(async () => {
      filters.reset();
      state = { ...state, q: "", cell_type_id: "", page: 1 };
      pushState();
      await load();
    }),
  );
  for (const [id, delta] of [["prev", -1], ["next", 1]]) {
    document.getElementById(id).addEventListener(
      "click",
      guarded(async () => {
        state = { ...state, page: Math.max(1, state.page + delta) };
        pushState();
        await load();
      }),
    );
  }
  onSubmit(compareForm, async () => {
    await compare();
  });
  await load();
  if (state.compare.length >= 2) await compare();
}

main().catch((exc) => reportUnexpected(exc));
