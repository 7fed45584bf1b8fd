// Side-by-side comparison of 2–10 mixtures (POST /api/v1/mixtures/compare).
import { ApiError, apiRequest, pageStatus, reportUnexpected, showError } from "./api.js";
import { bodyRow, fillTable, h, headerRow, replace } from "./dom.js";
import { compareUrl, parseIds } from "./mixtures_lib.js";
import { toggle } from "./mixtures_selection_ui.js";
import { compareRows, measuredRows } from "./mixtures_compare_lib.js";

const { error, loading } = pageStatus();
const form = document.getElementById("compare-form");
const table = document.getElementById("compare-table");

let results = [];

function removeButton(p) {
  return h(
    "button",
    {
      type: "button",
      class: "secondary small",
      "aria-label": `Remove ${p.name} from the comparison`,
      onclick: () => {
        toggle(p.mixture_id, p.name, false);
        const ids = results.filter((x) => x.mixture_id !== p.mixture_id).map((x) => x.mixture_id);
        window.location.assign(ids.length ? compareUrl(ids) : "/mixtures/compare");
      },
    },
    "Remove",
  );
}

function render() {
  const unit = form.elements.unit.value;
  const onlyDiff = form.elements.only_differences.checked;
  const { rows } = compareRows(results, unit);
  replace(
    table.querySelector("thead"),
    headerRow([
      "Property",
      ...results.map((p, i) => [
        h("a", { href: `/mixtures/${p.mixture_id}` }, `${p.name} v${p.version}`),
        i === 0 ? h("span", { class: "hint" }, " (baseline)") : "",
        " ",
        removeButton(p),
      ]),
    ]),
  );
  const shown = onlyDiff ? rows.filter((r) => r.cells.some((c) => c.differs)) : rows;
  replace(
    table.querySelector("tbody"),
    shown.map((r) =>
      bodyRow(
        { class: r.group === "composition" ? "composition-row" : "" },
        r.label,
        r.cells.map((c) =>
          h("td", { class: c.differs ? "differs" : "" }, c.text, c.delta ? h("span", { class: "delta" }, ` (${c.delta})`) : ""),
        ),
      ),
    ),
  );
  if (shown.length === 0) {
    table.querySelector("tbody").append(h("tr", {}, h("td", { colspan: String(results.length + 1) }, "These mixtures do not differ.")));
  }
}

function renderMeasured() {
  const rows = measuredRows(results);
  const measured = document.getElementById("measured-table");
  document.getElementById("measured-empty").hidden = rows.length > 0;
  measured.hidden = rows.length === 0;
  const block = (cell, extra) => [h("span", { class: "value" }, cell.text), cell.detail ? h("span", { class: "hint block" }, cell.detail) : "", extra || ""];
  fillTable(measured.querySelector("tbody"), rows, [
    { header: true, cell: (r) => h("a", { href: `/mixtures/${r.mixtureId}` }, r.mixture) },
    { cell: (r) => r.property },
    { cell: (r) => block(r.model, r.model.method ? h("span", { class: "hint block" }, `How: ${r.model.method}`) : ""), class: "model" },
    { cell: (r) => block(r.measured, r.measured.source ? h("span", { class: "hint block source" }, r.measured.source) : ""), class: "measured" },
    { cell: (r) => r.difference, class: "difference" },
    { cell: (r) => r.verdict, class: "verdict" },
  ]);
  rows.forEach((r, i) => measured.querySelector("tbody").children[i].classList.toggle("disagrees", r.disagrees));
}

function drawChart() {
  if (typeof Plotly === "undefined") {
    showError(error, "The charting library (Plotly.js) did not load.");
    return;
  }
  const names = results.map((p) => `${p.name} v${p.version}`);
  const traces = [
    { type: "bar", name: "Melting point (°C)", x: names, y: results.map((p) => p.melting_point?.value_c ?? null), marker: { color: "#1f77b4" } },
    { type: "bar", name: "Glass transition Tg, model (°C)", x: names, y: results.map((p) => p.glass_transition?.value_c ?? null), marker: { color: "#d62728" } },
  ];
  const layout = {
    barmode: "group",
    margin: { l: 70, r: 20, t: 20, b: 80 },
    yaxis: { title: { text: "Temperature (°C)" } },
    xaxis: { title: { text: "Mixture" }, automargin: true },
    legend: { orientation: "h", y: -0.35 },
  };
  Plotly.react("chart-compare", traces, layout, { responsive: true, displaylogo: false });
}

async function main() {
  const ids = parseIds(window.location.search);
  if (ids.length < 2) {
    document.getElementById("empty").hidden = false;
    if (ids.length === 1) showError(error, "Only one mixture is named in the address; a comparison needs at least two.");
    return;
  }
  try {
    results = await apiRequest("/api/v1/mixtures/compare", { method: "POST", json: { ids }, loading, error, quiet: true });
  } catch (exc) {
    if (exc instanceof ApiError && exc.status === 404) {
      showError(error, "One of these mixtures was not found or is not visible to you; remove it from the address (or pick the mixtures again on the list).");
    } else {
      showError(error, `Could not compare these mixtures: ${exc.message}`);
    }
    throw exc;
  }
  const units = Object.keys(results[0]?.composition?.amounts || {});
  replace(form.elements.unit, units.map((u) => h("option", { value: u }, u)));
  form.elements.unit.value = units.includes("mol/L") ? "mol/L" : units[0];
  document.title = `Compare ${results.map((p) => p.name).join(", ")} · CryoProtect`;
  document.getElementById("compare-content").hidden = false;
  render();
  renderMeasured();
  drawChart();
  form.addEventListener("change", render);
}

main().catch((exc) => reportUnexpected(exc));
