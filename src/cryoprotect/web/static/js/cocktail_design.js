// The cocktail design page: cell type, ready toxicity model, 1–5 candidate CPAs (the ones the
// cell and the model both know are offered and prefilled), vitrification target, conditions,
// osmotic limits, total time, steps and search resolution; POST /cocktails/design answers 202
// with a job, polled (GET /jobs/<id>) with its progress; the result draws the Pareto front,
// the chosen composition, its binding constraints, steps and volume/concentration charts, and
// each candidate alone. A request the API refuses, or a job that ends infeasible, names the
// field or constraint next to it. ?model=<toxicity model id>&cell_type=<key or id> preselect.
import { ApiError, apiRequest, clearFieldErrors, fieldErrors, guarded, mapErrorPaths, pageStatus, reportUnexpected, showError, showFieldErrors, signedInUser } from "./api.js";
import { definitionList, fieldColumns, fillTable, h, replace } from "./dom.js";
import { uniqueWarnings } from "./format.js";
import { cellKey, cellOptionLabel, chartLayout, concentrationTraces, MOLALITY_UNIT, permeatingSolutes, stepTable, volumeTraces } from "./protocols_lib.js";
import {
  bindingRows,
  compositionRows,
  designErrorPath,
  designFacts,
  designRequest,
  infeasibleConstraint,
  jobErrorMessage,
  jobProgress,
  marginText,
  MAX_CANDIDATES,
  oneCpaRows,
  paretoChart,
  paretoRows,
  predictionText,
  protocolView,
  usableCandidates,
  VITRIFICATION_FIELDS,
} from "./cocktail_lib.js";

const POLL_MS = 1000;
const DEFAULT_CELL = "generic_mammalian";
const CONFIG = { responsive: true, displaylogo: false };
const { error, loading } = pageStatus();
const form = document.getElementById("cocktail-form");
const results = document.getElementById("results");
const params = new URLSearchParams(window.location.search);
const field = (name) => form.elements.namedItem(name);

let cells = [];
let models = [];
let candidatesEdited = false;

const currentCell = () => cells.find((c) => c.id === field("cell_type").value) || null;
const currentModel = () => models.find((m) => m.id === field("toxicity_model_id").value) || null;

function syncCandidates() {
  const usable = usableCandidates(permeatingSolutes(currentCell()), currentModel()?.cpas);
  replace(document.getElementById("candidate-options"), usable.map((s) => h("option", { value: s })));
  document.getElementById("usable-hint").textContent = usable.length
    ? `Both the cell type (a membrane permeability) and the model (toxicity parameters) know: ${usable.join(", ")}.`
    : "The cell type and the model share no CPA: pick another cell type or model.";
  if (candidatesEdited) return;
  for (let i = 0; i < MAX_CANDIDATES; i += 1) field(`candidates[${i}]`).value = usable[i] && i < 3 ? usable[i] : "";
}

async function loadChoices() {
  const [cellBody, modelBody] = await Promise.all([
    apiRequest("/api/v1/cell-types?per_page=100", { error }),
    apiRequest("/api/v1/toxicity-models?status=ready&per_page=100", { error }),
  ]);
  cells = cellBody.items || [];
  models = modelBody.items || [];
  replace(field("cell_type"), cells.map((c) => h("option", { value: c.id, disabled: !permeatingSolutes(c).length }, cellOptionLabel(c))));
  replace(field("toxicity_model_id"), models.map((m) => h("option", { value: m.id }, `${m.name} v${m.version} — ${(m.cpas || []).join(", ")}`)));
  const wantedCell = String(params.get("cell_type") || DEFAULT_CELL).toLowerCase();
  const cell = cells.find((c) => c.id === wantedCell || cellKey(c) === wantedCell) || cells.find((c) => cellKey(c) === DEFAULT_CELL);
  if (cell) field("cell_type").value = cell.id;
  const model = models.find((m) => m.id === params.get("model"));
  if (model) field("toxicity_model_id").value = model.id;
}

function requestFromForm() {
  const value = (name) => field(name)?.value ?? "";
  const vitrification = {};
  for (const [key] of VITRIFICATION_FIELDS) vitrification[key] = value(`vitrification.${key}`);
  return designRequest({
    candidates: Array.from({ length: MAX_CANDIDATES }, (_, i) => value(`candidates[${i}]`)),
    cellType: value("cell_type"),
    toxicityModelId: value("toxicity_model_id"),
    temperatureC: value("temperature_c"),
    removalTemperatureC: value("removal_temperature_c"),
    vitrification,
    minVolume: value("osmotic_limits.min_volume_fraction"),
    maxVolume: value("osmotic_limits.max_volume_fraction"),
    maxTotalTimeMin: value("max_total_time_min"),
    maxSteps: value("max_steps"),
    compositionStep: value("composition_step"),
    paretoLevels: value("pareto_levels"),
  });
}

function showErrors(message, errors) {
  const unplaced = showFieldErrors(form, errors);
  showError(error, unplaced.length ? `${message} (${unplaced.join(", ")})` : message);
  form.querySelector('[aria-invalid="true"]')?.focus();
}

// ------------------------------------------------------------------ result
function renderProtocol(result) {
  const view = protocolView(result);
  const { headers, rows } = stepTable(result.best?.steps || [], view.settings);
  const table = document.getElementById("steps-table");
  replace(table.querySelector("thead"), h("tr", {}, headers.map((t) => h("th", { scope: "col" }, t))));
  fillTable(table.querySelector("tbody"), rows, headers.map((_, i) => ({ header: i === 0, cell: (r) => r[i] })));
  return view;
}

function renderResult(result, job) {
  const best = result.best || {};
  document.getElementById("best-summary").textContent =
    `Chosen: ${compositionRows(best).slice(0, -1).map((r) => `${r.cpa} ${r.molality}`).join(" + ")} — predicted ${predictionText(best.prediction)}; vitrification margin ${marginText(best.vitrification)}.`;
  replace(document.getElementById("design-facts"), ...definitionList(designFacts(result, job)).childNodes);
  replace(document.getElementById("design-warnings"), uniqueWarnings(result.warnings).map((w) => h("li", { class: "warning" }, w)));

  const chart = paretoChart(result);
  document.getElementById("pareto-note").textContent =
    `${chart.shown} point${chart.shown === 1 ? "" : "s"} on the front; error bars: the band propagated from the toxicity model's parameter draws where it has them.` +
    (chart.omitted.length ? ` Not drawn (margin or survival unknown): ${chart.omitted.join(", ")}.` : "");
  fillTable(document.querySelector("#pareto-table tbody"), paretoRows(result), [
    { header: true, cell: (r) => (r.chosen ? h("strong", {}, `${r.label} (chosen)`) : r.label) },
    ...fieldColumns("composition", "total", "margin", "prediction", "binding", "duration"),
  ]);
  fillTable(document.querySelector("#composition-table tbody"), compositionRows(best), [
    { header: true, cell: (r) => r.cpa },
    ...fieldColumns("molality", "mass"),
  ]);
  document.getElementById("best-vitrification").textContent = `Vitrification: ${best.vitrification?.reason || "—"} (margin ${marginText(best.vitrification)}).`;
  fillTable(document.querySelector("#binding-table tbody"), bindingRows(best), [
    { header: true, cell: (r) => h("code", {}, r.constraint) },
    ...fieldColumns("value", "limit", "note"),
  ]);
  const view = renderProtocol(result);

  const singles = oneCpaRows(result);
  const none = document.getElementById("single-none");
  none.hidden = singles.available && singles.rows.length > 0;
  none.textContent = !singles.available
    ? "The API sent no one-CPA comparison with this result."
    : "The design has one candidate: it is itself the one-CPA solution.";
  fillTable(document.querySelector("#single-table tbody"), singles.rows, [
    { header: true, cell: (r) => r.cpa },
    { cell: (r) => r.composition },
    { cell: (r) => (r.sameMargin === false ? `${r.margin} (differs from the chosen design's)` : r.margin) },
    ...fieldColumns("prediction", "ratio", "duration"),
  ]);
  document.getElementById("method").textContent = result.method || "";
  document.getElementById("band-method").textContent = best.prediction?.band_method ? `Band: ${best.prediction.band_method}` : "";
  results.hidden = false;

  if (typeof Plotly === "undefined") {
    showError(error, "The charting library (Plotly.js) did not load; the tables hold every number.");
    return;
  }
  Plotly.react("chart-pareto", chart.traces, chart.layout, CONFIG);
  Plotly.react("chart-volume", volumeTraces(view, ["designed"]), chartLayout("Time (min)", "Cell volume V/V_iso (× isotonic)"), CONFIG);
  Plotly.react("chart-concentration", concentrationTraces(view, ["designed"]), chartLayout("Time (min)", `Intracellular CPA (${MOLALITY_UNIT})`), CONFIG);
}

// ------------------------------------------------------------------ design
function wait(ms) {
  return new Promise((resolve) => {
    setTimeout(resolve, ms);
  });
}

async function follow(jobId) {
  const bar = document.getElementById("progress-bar");
  const text = document.getElementById("progress-text");
  for (;;) {
    const job = await apiRequest(`/api/v1/jobs/${encodeURIComponent(jobId)}`, { error });
    const progress = jobProgress(job);
    bar.value = progress.fraction;
    text.textContent = progress.text;
    if (progress.done) return job;
    await wait(POLL_MS);
  }
}

async function design(event) {
  event.preventDefault();
  clearFieldErrors(form);
  showError(error, "");
  results.hidden = true;
  const button = document.getElementById("design-button");
  button.disabled = true;
  try {
    let started;
    try {
      started = await apiRequest("/api/v1/cocktails/design", { method: "POST", json: requestFromForm(), loading, quiet: true });
    } catch (exc) {
      if (!(exc instanceof ApiError)) throw exc;
      showErrors(exc.message, mapErrorPaths(fieldErrors(exc.details, exc.message), designErrorPath));
      return;
    }
    const section = document.getElementById("progress-section");
    section.hidden = false;
    const job = await follow(started.job_id);
    if (job.status !== "done") {
      const constraint = infeasibleConstraint(job.error);
      const message = `No design: ${jobErrorMessage(job.error)}`;
      showErrors(message, constraint ? { [designErrorPath(constraint)]: message } : {});
      return;
    }
    renderResult(job.result, started);
    document.getElementById("results-h").scrollIntoView({ block: "start" });
  } finally {
    button.disabled = false;
  }
}

async function main() {
  if (!(await signedInUser())) return;
  loading.hidden = false;
  try {
    await loadChoices();
  } finally {
    loading.hidden = true;
  }
  if (!models.length) {
    document.getElementById("no-models").hidden = false;
    return;
  }
  syncCandidates();
  form.hidden = false;
  field("cell_type").addEventListener("change", syncCandidates);
  field("toxicity_model_id").addEventListener("change", syncCandidates);
  for (let i = 0; i < MAX_CANDIDATES; i += 1) {
    field(`candidates[${i}]`).addEventListener("input", () => {
      candidatesEdited = true;
    });
  }
  form.addEventListener("submit", guarded(design));
}

main().catch((exc) => reportUnexpected(exc));
