// One toxicity model version (GET /toxicity-models/<id>): the fit summary and its warnings,
// the fitted curves over the measured points per condition (viability vs time), the parameter
// table with 90 % intervals and sloppy-parameter flags, the residuals, the held-out error per
// group, the equations with their citations and the data table. A model still fitting is
// re-read until it is ready; its owner may delete it.
import { apiRequest, currentUser, fetchResourceFromApi, guarded, pageStatus, reportUnexpected, showError } from "./api.js";
import { definitionList, fieldColumns, fillTable, h, replace } from "./dom.js";
import { uniqueWarnings } from "./format.js";
import { curveTraces, fitSummaryPairs, heldOutRows, parameterRows, pointRows, residualTraces, statusText } from "./toxicity_lib.js";

const POLL_MS = 1500;
const CONFIG = { responsive: true, displaylogo: false };
const root = document.getElementById("toxicity-model-page");
const modelId = root.dataset.modelId;
const { error, loading } = pageStatus();

function layout(xTitle, yTitle) {
  return {
    margin: { l: 70, r: 20, t: 20, b: 60 },
    xaxis: { title: { text: xTitle }, zeroline: false },
    yaxis: { title: { text: yTitle }, zeroline: false },
    legend: { orientation: "h", y: -0.3 },
  };
}

const show = (id) => {
  document.getElementById(id).hidden = false;
};

function renderHeader(model) {
  const title = `${model.name} v${model.version}`;
  document.getElementById("model-title").textContent = title;
  document.getElementById("crumb").textContent = title;
  document.title = `${title} · CryoProtect`;
  replace(document.getElementById("fit-summary"), ...definitionList(fitSummaryPairs(model)).childNodes);
  replace(
    document.getElementById("warnings"),
    uniqueWarnings(model.warnings).map((w) => h("li", { class: "warning" }, w)),
  );
}

function renderParameters(model) {
  document.getElementById("interval-note").textContent =
    `Intervals: ${model.interval_method || "bootstrap"}, ${model.n_draws} draws. An end the bootstrap could not bound is shown as “unbounded”.`;
  fillTable(document.querySelector("#parameters-table tbody"), parameterRows(model), [
    { header: true, cell: (r) => h("code", {}, r.name) },
    ...fieldColumns("estimate", "interval", "wald", "unit"),
    { cell: (r) => (r.sloppy ? h("span", { class: "badge rejected", title: r.reasons }, `sloppy: ${r.reasons || "poorly identified"}`) : h("span", { class: "badge verified" }, "identified")) },
  ]);
  show("parameters-section");
}

function renderData(model) {
  const points = model.points || [];
  document.getElementById("data-summary").textContent = `Measured points with the fitted values (${points.length} rows)`;
  const rows = pointRows(points);
  fillTable(document.querySelector("#data-table tbody"), rows, rows[0] ? rows[0].map((_, i) => ({ header: i === 0, cell: (r) => r[i] })) : []);
  fillTable(document.querySelector("#held-out-table tbody"), heldOutRows(model), [
    { header: true, cell: (r) => r.group },
    ...fieldColumns("n", "rmse", "bias"),
  ]);
  document.getElementById("equations").textContent = model.equations || "";
  document.getElementById("citations").textContent = model.citations || "";
  for (const id of ["data-section", "held-out-section", "equations-section"]) show(id);
}

function renderCharts(model) {
  show("curves-section");
  show("residuals-section");
  if (typeof Plotly === "undefined") {
    showError(error, "The charting library (Plotly.js) did not load; the tables hold the same numbers.");
    return;
  }
  Plotly.newPlot("chart-curves", curveTraces(model.points), layout("Exposure time (min)", "Viability (% of control)"), CONFIG);
  const residuals = residualTraces(model.points);
  Plotly.newPlot("chart-residuals", residuals, { ...layout("Fitted viability (%)", "Residual: measured − fitted (% points)"), shapes: [{ type: "line", xref: "paper", x0: 0, x1: 1, y0: 0, y1: 0, line: { dash: "dash", color: "#777" } }] }, CONFIG);
}

function wait(ms) {
  return new Promise((resolve) => {
    setTimeout(resolve, ms);
  });
}

async function loadReady() {
  const note = document.getElementById("not-ready");
  for (;;) {
    const model = await fetchResourceFromApi(`/api/v1/toxicity-models/${encodeURIComponent(modelId)}`, { loading, error });
    renderHeader(model);
    if (model.status !== "queued" && model.status !== "training") {
      note.hidden = model.status === "ready";
      note.textContent = model.status === "ready" ? "" : `This model is ${statusText(model)}: there is nothing fitted to show.`;
      return model;
    }
    note.hidden = false;
    note.textContent = `This model is ${statusText(model)}; the page updates when it is ready.`;
    await wait(POLL_MS);
  }
}

async function main() {
  const [user, model] = await Promise.all([currentUser(), loadReady()]);
  const actions = document.getElementById("model-actions");
  actions.hidden = false;
  const design = document.getElementById("design-link");
  design.hidden = model.status !== "ready";
  design.href = `/cocktails/design?model=${encodeURIComponent(model.id)}`;
  const del = document.getElementById("delete-button");
  del.hidden = !(user && user.id === model.created_by);
  del.addEventListener(
    "click",
    guarded(async () => {
      if (!window.confirm(`Delete ${model.name} v${model.version}? Designs already run keep their results.`)) return;
      del.disabled = true;
      await apiRequest(`/api/v1/toxicity-models/${encodeURIComponent(model.id)}`, { method: "DELETE", error });
      window.location.assign("/toxicity-models");
    }),
  );
  if (model.status !== "ready") return;
  renderParameters(model);
  renderData(model);
  renderCharts(model);
}

main().catch((exc) => reportUnexpected(exc));
