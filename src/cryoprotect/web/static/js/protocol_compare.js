// The protocol comparison page (/protocols/compare?ids=a,b, two to four saved protocols; POST
// /api/v1/protocols/compare): conditions table, overlaid cell-volume and intracellular-CPA
// curves on the same axes, and each protocol's step table (side by side, stacked on phones).
import { ApiError, apiRequest, pageStatus, reportUnexpected, showError } from "./api.js";
import { bodyRow, fillTable, h, headerRow, replace } from "./dom.js";
import {
  COMPARE_COLORS,
  concentrationOverlay,
  conditionsRows,
  MAX_COMPARED,
  overlayLayout,
  parseIds,
  stepTables,
  volumeOverlay,
} from "./protocols_compare_lib.js";

const { error, loading } = pageStatus();
const CONFIG = { responsive: true, displaylogo: false };

function protocolHeader(p, i) {
  return [h("span", { class: "swatch", style: `background:${COMPARE_COLORS[i % COMPARE_COLORS.length]}`, "aria-hidden": "true" }), h("a", { href: `/protocols/${p.id}` }, p.name)];
}

function renderConditions(protocols) {
  const table = document.getElementById("conditions-table");
  replace(table.querySelector("thead"), headerRow(["Condition", ...protocols.map(protocolHeader)]));
  replace(
    table.querySelector("tbody"),
    conditionsRows(protocols).map((r) => bodyRow({ class: r.differs ? "differs" : null }, r.label, r.values.map((v) => h("td", {}, v)))),
  );
}

function renderSteps(protocols) {
  const sections = stepTables(protocols).map((t, i) => {
    const table = h("table", { class: "data", id: `steps-${i}` }, h("caption", {}, `Steps of ${t.name} (extracellular molality, mol/kg)`), h("thead", {}, headerRow(t.headers)), h("tbody"));
    fillTable(table.querySelector("tbody"), t.rows, t.headers.map((_, j) => ({ header: j === 0, cell: (r) => r[j] })));
    return h("section", { "aria-label": `Steps of ${t.name}` }, h("h3", {}, protocolHeader(protocols[i], i)), h("div", { class: "table-wrap" }, table));
  });
  replace(document.getElementById("step-tables"), sections);
}

function drawCurves(protocols) {
  const volume = volumeOverlay(protocols);
  document.getElementById("limits-note").textContent = volume.sharedLimits
    ? "All compared protocols share their osmotic tolerance limits (the green band)."
    : "The protocols have different tolerance limits: each band has its protocol's colour.";
  if (typeof Plotly === "undefined") {
    showError(error, "The charting library (Plotly.js) did not load; the tables hold every number.");
    return;
  }
  Plotly.react("chart-volume", volume.traces, overlayLayout("Cell volume V/V_iso (× isotonic)", volume.shapes), CONFIG);
  Plotly.react("chart-concentration", concentrationOverlay(protocols), overlayLayout("Intracellular CPA (mol/kg)"), CONFIG);
}

async function main() {
  const ids = parseIds(window.location.search);
  if (ids.length < 2) {
    document.getElementById("empty").hidden = false;
    if (ids.length === 1) showError(error, "Only one protocol is named in the address; a comparison needs at least two.");
    return;
  }
  if (ids.length > MAX_COMPARED) {
    document.getElementById("empty").hidden = false;
    showError(error, `Compare at most ${MAX_COMPARED} protocols at once (${ids.length} are named in the address).`);
    return;
  }
  let protocols;
  try {
    protocols = await apiRequest("/api/v1/protocols/compare", { method: "POST", json: { ids }, loading, error, quiet: true });
  } catch (exc) {
    const text = exc instanceof ApiError && exc.status === 404
      ? "One of these protocols was not found or is not visible to you; pick the protocols again on the list."
      : `Could not compare these protocols: ${exc.message}`;
    showError(error, text);
    return;
  }
  document.title = `Compare ${protocols.map((p) => p.name).join(", ")} · CryoProtect`;
  document.getElementById("compare-content").hidden = false;
  renderConditions(protocols);
  renderSteps(protocols);
  drawCurves(protocols);
}

main().catch((exc) => reportUnexpected(exc));
