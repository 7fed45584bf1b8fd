// Draws a protocol design (POST /protocols/design, or a saved protocol's ``design``): the
// summary, the toxicity-cost comparison (table and bar chart), the step table of a chosen
// protocol, cell volume and intracellular CPA vs time with the limits, and the method and
// sources. Shared by the design page and the saved-protocol page; the numbers and texts come
// from protocols_lib.js.
import { definitionList, fillTable, h, headedTable, headerRow, replace } from "./dom.js";
import { formatQuantity } from "./format.js";
import {
  chartLayout,
  comparisonRows,
  concentrationTraces,
  costBars,
  designSummary,
  MOLALITY_UNIT,
  PROTOCOL_KEYS,
  PROTOCOL_LABELS,
  provenancePairs,
  sensitivityRows,
  stepTable,
  targetText,
  volumeTraces,
} from "./protocols_lib.js";
import { carrierComparisonNote } from "./recipe_ui.js";

const CONFIG = { responsive: true, displaylogo: false };

function plotlyReady() {
  return typeof Plotly !== "undefined";
}

function sensitivitySection(design) {
  const band = sensitivityRows(design);
  const table = headedTable(
    { class: "data", id: "sensitivity-table" },
    "The designed steps re-simulated at each end of each published parameter range (the others as shipped)",
    ["Parameter", "Published range", "Shipped", "Volume at low end (× V_iso)", "Limits hold", "Volume at high end (× V_iso)", "Limits hold", "Provenance", "Sources"],
  );
  fillTable(
    table.querySelector("tbody"),
    band.rows,
    ["name", "range", "shipped", "low", "lowHolds", "high", "highHolds", "provenance", "sources"].map((key) => ({ cell: (r) => r[key] })),
  );
  return h(
    "section",
    { "aria-labelledby": "sensitivity-h", id: "sensitivity" },
    h("h3", { id: "sensitivity-h" }, "Sensitivity to the published cell parameters"),
    h("p", { id: "sensitivity-summary", class: "summary" }, band.summary),
    band.rows.length ? h("div", { class: "table-wrap" }, table) : null,
    band.notVaried.length
      ? h("p", { class: "hint" }, `Published without a spread (not varied): ${band.notVaried.join(", ")}.`)
      : null,
  );
}

function comparisonSection(design) {
  const rows = comparisonRows(design);
  const unit = design.comparison?.[0]?.toxicity_unit || "";
  const table = headedTable({ class: "data", id: "comparison-table" }, "Toxicity cost and osmotic excursion of the three protocols", [
    "Protocol",
    `Toxicity cost J (${unit})`,
    "Relative to one step",
    "Cell volume range (× V_iso)",
    "Within limits",
    "Violations",
    "Duration",
    "Steps",
  ]);
  fillTable(table.querySelector("tbody"), rows, [
    { header: true, cell: (r) => r.label },
    { cell: (r) => r.costText },
    { cell: (r) => r.relativeText },
    { cell: (r) => r.volumeText },
    { cell: (r) => h("span", { class: r.withinLimits ? "badge verified" : "badge rejected" }, r.withinText) },
    { cell: (r) => (r.violations.length ? h("ul", { class: "violations" }, r.violations.map((v) => h("li", {}, v))) : "none") },
    { cell: (r) => r.durationText },
    { cell: (r) => String(r.steps ?? "—") },
  ]);
  return { rows, unit, node: h("div", { class: "table-wrap" }, table) };
}

function fillSteps(table, design, key) {
  const protocol = design.protocols?.[key] || {};
  const { headers, rows } = stepTable(protocol.steps || [], design.settings || {});
  replace(table.querySelector("caption"), `Steps of the ${(PROTOCOL_LABELS[key] || key).toLowerCase()} protocol (extracellular molality, mol/kg)`);
  replace(table.querySelector("thead"), headerRow(headers));
  fillTable(
    table.querySelector("tbody"),
    rows,
    headers.map((_, i) => ({ header: i === 0, cell: (r) => r[i] })),
  );
}

function drawCharts(design, keys, volumeEl, concentrationEl) {
  if (!plotlyReady()) return false;
  Plotly.react(volumeEl, volumeTraces(design, keys), chartLayout("Time (min)", "Cell volume V/V_iso (× isotonic)"), CONFIG);
  Plotly.react(concentrationEl, concentrationTraces(design, keys), chartLayout("Time (min)", `Intracellular CPA (${MOLALITY_UNIT})`), CONFIG);
  return true;
}

/**
 * Render ``design`` into ``root`` (emptied first).
 * @param {HTMLElement} root
 * @param {object} design - the API's design object
 * @param {{showError: (message: string) => void}} ui
 */
export function renderDesign(root, design, { showError } = {}) {
  const settings = design.settings || {};
  const comparison = comparisonSection(design);
  const costChart = h("div", { id: "chart-cost", class: "chart chart-small", role: "img", "aria-label": "Toxicity cost of each protocol, bar chart" });
  const stepsSelect = h(
    "select",
    { id: "steps-of", name: "steps_of" },
    PROTOCOL_KEYS.filter((k) => design.protocols?.[k]).map((k) => h("option", { value: k }, PROTOCOL_LABELS[k])),
  );
  const stepsTable = h("table", { class: "data", id: "steps-table" }, h("caption"), h("thead"), h("tbody"));
  const volumeEl = h("div", { id: "chart-volume", class: "chart", role: "img", "aria-label": "Cell volume versus time with the osmotic tolerance limits" });
  const concentrationEl = h("div", { id: "chart-concentration", class: "chart", role: "img", "aria-label": "Intracellular CPA molality versus time" });
  const shown = new Set(PROTOCOL_KEYS);
  const toggles = PROTOCOL_KEYS.filter((k) => design.protocols?.[k]).map((k) =>
    h(
      "label",
      { class: "check" },
      h("input", {
        type: "checkbox",
        name: `show_${k}`,
        checked: true,
        onchange: (event) => {
          if (event.target.checked) shown.add(k);
          else shown.delete(k);
          drawCharts(design, PROTOCOL_KEYS.filter((x) => shown.has(x)), volumeEl, concentrationEl);
        },
      }),
      PROTOCOL_LABELS[k],
    ),
  );
  replace(
    root,
    h("h2", { id: "results-h" }, "Designed protocol"),
    h("p", { id: "design-summary", class: "summary" }, designSummary(design)),
    carrierComparisonNote(settings),
    h(
      "p",
      { class: "note" },
      `${design.cell_name || design.cell_type_name || "Cell"}; target ${targetText(design.target)} (intracellular goal, molality in the isotonic carrier); ` +
        `loading at ${formatQuantity("temperature", settings.addition_temperature_c ?? design.temperature_c)}, unloading at ${formatQuantity("temperature", settings.removal_temperature_c ?? design.temperature_c)}; ` +
        `at most ${settings.max_steps ?? "?"} steps per phase.`,
    ),
    h(
      "section",
      { "aria-labelledby": "cost-h" },
      h("h3", { id: "cost-h" }, "Toxicity cost: designed vs one step vs equal steps"),
      h("p", { class: "hint" }, "J accumulates the intracellular CPA concentration over time (Benson et al. 2012): lower is less toxic. One step = straight into the target and straight back; equal steps = the target in equal increments with one hold time per phase."),
      comparison.node,
      costChart,
    ),
    sensitivitySection(design),
    h(
      "section",
      { "aria-labelledby": "steps-h" },
      h("h3", { id: "steps-h" }, "Steps"),
      h("label", { class: "inline" }, "Show the steps of ", stepsSelect),
      h("div", { class: "table-wrap" }, stepsTable),
    ),
    h(
      "section",
      { "aria-labelledby": "charts-h" },
      h("h3", { id: "charts-h" }, "Cell response"),
      h("fieldset", { class: "row toggles" }, h("legend", {}, "Protocols on the charts"), toggles),
      h(
        "div",
        { class: "charts" },
        h("figure", {}, h("figcaption", {}, "Cell volume vs time; dashed lines: the osmotic tolerance limits"), volumeEl),
        h("figure", {}, h("figcaption", {}, "Intracellular CPA vs time; dashed line: the target"), concentrationEl),
      ),
    ),
    h(
      "section",
      { "aria-labelledby": "method-h" },
      h("h3", { id: "method-h" }, "Method and sources"),
      definitionList(provenancePairs(design), { class: "provenance wrap", id: "design-provenance" }),
    ),
  );
  fillSteps(stepsTable, design, stepsSelect.value);
  stepsSelect.addEventListener("change", () => fillSteps(stepsTable, design, stepsSelect.value));
  if (!plotlyReady()) {
    showError?.("The charting library (Plotly.js) did not load; the tables above still hold every number.");
    return;
  }
  const bars = costBars(comparison.rows, comparison.unit);
  Plotly.react(costChart, bars.traces, bars.layout, CONFIG);
  drawCharts(design, PROTOCOL_KEYS, volumeEl, concentrationEl);
}
