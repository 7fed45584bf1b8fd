// One model version: metrics against the baselines, the validation plots, and a form that
// predicts for a saved mixture or a typed composition (value with its unit, the interval at
// the model's level, the applicability-domain check and the nearest training rows).
import {
  ApiError,
  apiRequest,
  clearFieldErrors,
  fetchResourceFromApi,
  fieldErrors,
  guarded,
  mapErrorPaths,
  showError,
  showFieldErrors,
} from "./api.js";
import { fillTable, h, replace } from "./dom.js";
import {
  baselineVerdict,
  nearestRows,
  overrideSentence,
  predictErrorPath,
  predictionState,
  predictionView,
  predictRequest,
  targetUnit,
  trainingComponents,
} from "./models_lib.js";
import { COMPOSITION_UNITS, formatQuantity, formatTimestamp } from "./format.js";

const PREDICTOR_LABELS = {
  model: "Model",
  baseline_mean: "Baseline: training mean",
  baseline_one_feature: "Baseline: one feature",
};

// Numbers through the precision policy (precision.js): errors to 3 significant figures, r² and ρ to 3 decimals.

function withUnit(label, unit) {
  return unit ? `${label} (${unit})` : label;
}

function layout(xTitle, yTitle, extra = {}) {
  return {
    margin: { l: 70, r: 20, t: 20, b: 60 },
    xaxis: { title: { text: xTitle }, zeroline: false },
    yaxis: { title: { text: yTitle }, zeroline: false },
    legend: { orientation: "h", y: -0.25 },
    ...extra,
  };
}

const CONFIG = { responsive: true, displaylogo: false };

function addRow(dl, term, value) {
  const dt = document.createElement("dt");
  dt.textContent = term;
  const dd = document.createElement("dd");
  dd.textContent = value;
  dl.append(dt, dd);
}

function renderProvenance(model, plots) {
  document.getElementById("model-title").textContent = `${model.name} v${model.version}`;
  document.title = `${model.name} v${model.version} · CryoProtect`;
  const dl = document.getElementById("provenance");
  addRow(dl, "Algorithm", model.algorithm);
  addRow(dl, "Target", withUnit(model.target, plots?.unit || ""));
  addRow(dl, "Status", model.status);
  addRow(dl, "Interval level", `${formatQuantity("confidence", (model.level ?? 0) * 100)} (CV+)`);
  addRow(dl, "Validation", `${model.metrics?.validation || "—"} (${model.metrics?.outer_folds ?? "?"} outer × ${model.metrics?.inner_folds ?? "?"} inner folds, ${model.metrics?.n_rows ?? "?"} rows, ${model.metrics?.n_groups ?? "?"} groups)`);
  addRow(dl, "Fitted on", model.target_transform || "—");
  addRow(dl, "Dataset hash", model.dataset_hash || "—");
  addRow(dl, "Artifact SHA-256", model.artifact_sha256 || "—");
  addRow(dl, "Created", formatTimestamp(model.created_at));
  const libs = Object.entries(model.library_versions || {}).map(([k, v]) => `${k} ${v}`).join(", ");
  addRow(dl, "Libraries", libs || "—");
}

function renderVerdict(model) {
  const box = document.getElementById("baseline-verdict");
  if (model.status !== "ready") return;
  const verdict = baselineVerdict(model);
  box.className = verdict.className;
  box.dataset.state = verdict.state;
  document.getElementById("baseline-sentence").textContent = verdict.sentence;
  const override = overrideSentence(model);
  const overrideEl = document.getElementById("override-sentence");
  overrideEl.textContent = override;
  overrideEl.hidden = !override;
  box.hidden = false;
}

function renderMetrics(pooled, unit) {
  const table = document.getElementById("metrics-table");
  const head = table.querySelectorAll("thead th");
  head[1].textContent = withUnit("MAE", unit);
  head[2].textContent = withUnit("RMSE", unit);
  const tbody = table.querySelector("tbody");
  tbody.replaceChildren();
  for (const key of Object.keys(PREDICTOR_LABELS)) {
    const m = pooled[key];
    if (!m) continue;
    const tr = document.createElement("tr");
    for (const text of [PREDICTOR_LABELS[key], formatQuantity("metric", m.mae), formatQuantity("metric", m.rmse), formatQuantity("correlation", m.r2), formatQuantity("correlation", m.spearman)]) {
      const td = document.createElement("td");
      td.textContent = text;
      tr.append(td);
    }
    tbody.append(tr);
  }
  table.hidden = false;
}

function drawPredVsMeasured(rows, unit) {
  const x = rows.map((r) => r.measured);
  const y = rows.map((r) => r.predicted);
  const all = [...x, ...rows.map((r) => r.lower), ...rows.map((r) => r.upper)].filter(Number.isFinite);
  const lo = Math.min(...all);
  const hi = Math.max(...all);
  const traces = [
    {
      type: "scatter", mode: "markers", name: "Model (out-of-fold)", x, y,
      text: rows.map((r) => `${r.row_id} (fold ${r.fold + 1})`),
      error_y: {
        type: "data", symmetric: false,
        array: rows.map((r) => r.upper - r.predicted),
        arrayminus: rows.map((r) => r.predicted - r.lower),
        thickness: 1, width: 0, color: "rgba(31,119,180,0.35)",
      },
      marker: { size: 6, color: "#1f77b4" },
    },
    {
      type: "scatter", mode: "markers", name: "Baseline: training mean", x,
      y: rows.map((r) => r.baseline_mean), marker: { size: 4, color: "#999", symbol: "x" },
    },
    { type: "scatter", mode: "lines", name: "Identity (y = x)", x: [lo, hi], y: [lo, hi],
      line: { dash: "dash", color: "#333" } },
  ];
  Plotly.newPlot("chart-pred-vs-measured", traces,
    layout(withUnit("Measured", unit), withUnit("Predicted", unit)), CONFIG);
}

function drawResiduals(rows, unit) {
  const x = rows.map((r) => r.predicted);
  const traces = [
    { type: "scatter", mode: "markers", name: "Residual (measured − predicted)", x,
      y: rows.map((r) => r.measured - r.predicted), text: rows.map((r) => r.row_id),
      marker: { size: 6, color: "#d62728" } },
    { type: "scatter", mode: "lines", name: "Zero", x: [Math.min(...x), Math.max(...x)], y: [0, 0],
      line: { dash: "dash", color: "#333" } },
  ];
  Plotly.newPlot("chart-residuals", traces,
    layout(withUnit("Predicted", unit), withUnit("Residual, measured − predicted", unit)), CONFIG);
}

function drawImportance(importance, unit) {
  const features = [...(importance.features || [])].reverse(); // largest at the top
  document.getElementById("importance-note").textContent = importance.method || "";
  const trace = {
    type: "bar", orientation: "h", name: "Increase in MAE",
    x: features.map((f) => f.mean), y: features.map((f) => f.feature),
    error_x: { type: "data", array: features.map((f) => f.std), visible: true },
    marker: { color: "#2ca02c" },
  };
  Plotly.newPlot("chart-importance", [trace],
    layout(withUnit("Increase in MAE when permuted", unit), "Feature",
      { margin: { l: 200, r: 20, t: 20, b: 60 }, height: Math.max(380, 22 * features.length + 100),
        yaxis: { title: { text: "Feature" }, automargin: true } }), CONFIG);
}

function drawCoverage(coverage) {
  document.getElementById("coverage-note").textContent = coverage.method || "";
  const levels = coverage.levels || [];
  const traces = [
    { type: "scatter", mode: "lines+markers", name: "Empirical coverage (held-out groups)",
      x: levels.map((c) => c.nominal * 100), y: levels.map((c) => c.empirical * 100),
      text: levels.map((c) => `mean width ${formatQuantity("metric", c.mean_width)}`), marker: { color: "#9467bd" } },
    { type: "scatter", mode: "lines", name: "Ideal (empirical = nominal)", x: [50, 100], y: [50, 100],
      line: { dash: "dash", color: "#333" } },
  ];
  Plotly.newPlot("chart-coverage", traces,
    layout("Nominal coverage level (%)", "Empirical coverage (%)",
      { xaxis: { title: { text: "Nominal coverage level (%)" }, range: [45, 100] },
        yaxis: { title: { text: "Empirical coverage (%)" }, range: [0, 100] } }), CONFIG);
}

// ------------------------------------------------------------------ predict for a mixture
const predictForm = document.getElementById("predict-form");
const predictError = document.getElementById("predict-error");
let predictComponents = [{ name: "", amount: "", unit: "% v/v" }];

function syncPredictComponents() {
  predictComponents = predictComponents.map((c, i) => ({
    name: predictForm.elements.namedItem(`components[${i}].name`)?.value ?? c.name,
    amount: predictForm.elements.namedItem(`components[${i}].amount`)?.value ?? c.amount,
    unit: predictForm.elements.namedItem(`components[${i}].unit`)?.value ?? c.unit,
  }));
}

function predictRow(c, i) {
  const path = `components[${i}]`;
  const slot = (suffix) => h("span", { class: "field-error", "data-error-for": `${path}${suffix}`, hidden: true });
  return h(
    "li",
    { class: "component-row" },
    h("label", { class: "cell-name" }, `Component ${i + 1}`,
      h("input", { name: `${path}.name`, type: "text", list: "training-components", value: c.name, autocomplete: "off", placeholder: "e.g. Dimethyl sulfoxide" }),
      slot(".name")),
    h("label", {}, "Amount",
      h("input", { name: `${path}.amount`, type: "number", step: "any", min: "0", value: c.amount, inputmode: "decimal" }),
      slot(".amount")),
    h("label", {}, "Unit",
      h("select", { name: `${path}.unit` }, COMPOSITION_UNITS.map((u) => h("option", { value: u, selected: u === c.unit }, u))),
      slot(".unit")),
    h("button", {
      type: "button", class: "secondary remove", "aria-label": `Remove component ${i + 1}`, disabled: predictComponents.length <= 1,
      onclick: () => {
        syncPredictComponents();
        predictComponents.splice(i, 1);
        renderPredictRows();
      },
    }, "Remove"),
    slot(""),
  );
}

function renderPredictRows() {
  replace(document.getElementById("predict-rows"), predictComponents.map(predictRow));
}

function showPrediction(prediction, model) {
  const view = predictionView(prediction, model);
  const state = predictionState(prediction);
  document.getElementById("prediction-title").textContent = `${view.target} predicted by ${view.model}`;
  // Outside the applicability domain there is no number: a warning with the reason instead.
  const status = document.getElementById("prediction-status");
  status.hidden = state.kind === "value";
  status.dataset.kind = state.kind;
  document.getElementById("prediction-status-headline").textContent = state.headline;
  document.getElementById("prediction-status-detail").textContent = state.detail;
  const value = document.getElementById("prediction-value");
  const interval = document.getElementById("prediction-interval");
  value.textContent = state.kind === "value" ? view.value : "";
  value.hidden = state.kind !== "value";
  interval.textContent = state.kind === "no_value" ? "" : `Interval: ${view.intervalText}`;
  interval.hidden = state.kind === "no_value";
  document.getElementById("prediction-transform").textContent = [state.transform, state.clipped].filter(Boolean).join(" ");
  const baseline = document.getElementById("prediction-baseline");
  baseline.textContent = state.baseline;
  baseline.hidden = !state.baseline;
  replace(
    document.getElementById("prediction-domain"),
    h("span", { class: view.inDomain ? "badge verified" : "badge rejected" }, view.inDomain ? "in domain" : "out of domain"),
    " ",
    view.domainText,
  );
  const notes = document.getElementById("prediction-notes");
  replace(notes, view.notes.map((n) => h("p", {}, n)));
  notes.hidden = view.notes.length === 0;
  const unit = targetUnit(model);
  document.getElementById("nearest-measured-h").textContent = unit ? `Measured value (${unit})` : "Measured value";
  const fromAnswer = new Map(state.nearest.map((n) => [n.rowId, n]));
  fillTable(document.querySelector("#nearest-table tbody"), nearestRows(prediction, model), [
    { header: true, cell: (r) => r.rowId },
    { cell: (r) => r.distance },
    { cell: (r) => (r.measured !== "—" ? r.measured : fromAnswer.get(r.rowId)?.measured ?? "—") },
    { cell: (r) => fromAnswer.get(r.rowId)?.group ?? "—" },
  ]);
  document.getElementById("prediction-stored").textContent = prediction.prediction_id
    ? `Stored as prediction ${prediction.prediction_id}.`
    : state.kind === "no_value"
      ? "Not stored: there is no value to keep."
      : "Not stored (sign in to keep your predictions).";
  document.getElementById("prediction").hidden = false;
}

async function predict(event, model) {
  event.preventDefault();
  syncPredictComponents();
  clearFieldErrors(predictForm);
  showError(predictError, "");
  const body = predictRequest({ mixtureId: predictForm.elements.mixture_id.value, components: predictComponents });
  const button = document.getElementById("predict-button");
  button.disabled = true;
  try {
    const prediction = await apiRequest(`/api/v1/predictive-models/${encodeURIComponent(model.id)}/predict`, {
      method: "POST", json: body, loading: document.getElementById("predicting"), quiet: true,
    });
    showPrediction(prediction, model);
  } catch (exc) {
    if (!(exc instanceof ApiError)) throw exc;
    document.getElementById("prediction").hidden = true;
    const errors = mapErrorPaths(fieldErrors(exc.details, exc.message), predictErrorPath);
    const unplaced = showFieldErrors(predictForm, errors);
    showError(predictError, unplaced.length ? `${exc.message} (${unplaced.join(", ")})` : exc.message);
  } finally {
    button.disabled = false;
  }
}

async function setUpPrediction(model) {
  const seen = trainingComponents(model.feature_names);
  replace(document.getElementById("training-components"), seen.map((n) => h("option", { value: n })));
  if (seen.length) {
    document.getElementById("predict-components-hint").textContent =
      `Component names from the molecule library. The model was trained on: ${seen.join(", ")}; others make the prediction out of domain.`;
  }
  renderPredictRows();
  document.getElementById("predict-section").hidden = false;
  document.getElementById("add-predict-component").addEventListener("click", () => {
    syncPredictComponents();
    predictComponents.push({ name: "", amount: "", unit: predictComponents[predictComponents.length - 1]?.unit || "% v/v" });
    renderPredictRows();
  });
  predictForm.addEventListener("submit", guarded((event) => predict(event, model), predictError));
  const mixtures = await apiRequest("/api/v1/mixtures?per_page=100", { error: predictError });
  replace(
    predictForm.elements.mixture_id,
    h("option", { value: "" }, "— none: use the composition below —"),
    (mixtures.items || []).map((m) => h("option", { value: m.id }, m.name)),
  );
}

function drawValidationPlots(plots, unit, error) {
  if (!plots) {
    showError(error, "This model has no validation plot data (trained without nested cross-validation, or before plots were recorded).");
    return;
  }
  if (typeof Plotly === "undefined") {
    showError(error, "The charting library (Plotly.js) did not load.");
    return;
  }
  const rows = plots.out_of_fold?.rows || [];
  drawPredVsMeasured(rows, unit);
  drawResiduals(rows, unit);
  drawImportance(plots.permutation_importance || {}, unit);
  drawCoverage(plots.coverage || {});
}

async function main() {
  const root = document.getElementById("model-page");
  const loading = document.getElementById("loading");
  const error = document.getElementById("error");
  const model = await fetchResourceFromApi(root.dataset.api, { loading, error });
  const plots = model.metrics?.validation_plots;
  renderProvenance(model, plots);
  renderVerdict(model);
  if (model.status !== "ready") {
    showError(error, `This model is ${model.status}${model.error ? `: ${model.error}` : ""}; its plots appear once training is done.`);
    return;
  }
  const unit = plots?.unit || "";
  if (model.metrics?.pooled) renderMetrics(model.metrics.pooled, unit);
  drawValidationPlots(plots, unit, error);
  // The prediction form comes last, so the charts are drawn as early as before it existed.
  try {
    await setUpPrediction(model);
  } catch (exc) {
    if (exc instanceof ApiError) return; // already shown above the prediction form
    showError(predictError, `The prediction form could not be set up: ${exc.message}`);
    console.error(exc);
  }
}

main().catch((exc) => {
  if (exc instanceof ApiError) return; // already shown to the user by fetchResourceFromApi
  const error = document.getElementById("error");
  if (error && error.hidden) showError(error, `Could not draw this page: ${exc.message}`);
  console.error(exc);
});
