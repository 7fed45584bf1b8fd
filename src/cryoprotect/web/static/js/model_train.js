// Train a predictive model: dataset (GET /datasets), target (the dataset's target_names),
// algorithm, interval level, optional name and scope; POST /predictive-models answers 202
// with a background job, which this page polls (GET /jobs/<id>, and the model's own progress)
// until it is done, then links to the model's page; "Cancel training" stops the job
// (POST /jobs/<id>/cancel). ?dataset=<name or id>&target= preselect.
import {
  ApiError,
  apiRequest,
  clearFieldErrors,
  fieldErrors,
  guarded,
  pageStatus,
  reportUnexpected,
  showError,
  showFieldErrors,
  signedInUser,
} from "./api.js";
import { h, replace } from "./dom.js";
import { formatTime } from "./format.js";
import { myTeams, scopeControls } from "./scope_ui.js";
import {
  ALGORITHM_DESCRIPTIONS,
  algorithmOptions,
  targetOptions,
  trainFieldErrors,
  trainingProgress,
  trainRequest,
} from "./models_lib.js";

const POLL_MS = 1000;
const { error, loading } = pageStatus();
const form = document.getElementById("train-form");
const params = new URLSearchParams(window.location.search);

let datasets = [];

function currentDataset() {
  return datasets.find((d) => d.id === form.elements.dataset.value) || null;
}

function renderTargets() {
  const dataset = currentDataset();
  const options = targetOptions(dataset);
  const wanted = params.get("target");
  replace(
    form.elements.target,
    options.length ? options.map((o) => h("option", { value: o.value, selected: o.value === wanted }, o.label)) : h("option", { value: "" }, "— this dataset has no target —"),
  );
  const sources = (dataset?.sources || []).map((s) => s.citation).filter(Boolean);
  document.getElementById("dataset-hint").textContent = dataset
    ? `${dataset.description || ""} ${dataset.row_count} rows.${sources.length ? ` Source: ${sources.join("; ")}` : ""}`.trim()
    : "";
}

function values() {
  const out = {};
  for (const el of form.elements) if (el.name) out[el.name] = el.value;
  return out;
}

function showTrainError(exc) {
  if (!(exc instanceof ApiError)) throw exc;
  const errors = trainFieldErrors(fieldErrors(exc.details, exc.message));
  const unplaced = showFieldErrors(form, errors);
  showError(error, unplaced.length ? `${exc.message} (${unplaced.join(", ")})` : exc.message);
  form.querySelector('[aria-invalid="true"]')?.focus();
}

function wait(ms) {
  return new Promise((resolve) => {
    setTimeout(resolve, ms);
  });
}

async function cancelTraining(jobId, button) {
  button.disabled = true;
  try {
    await apiRequest(`/api/v1/jobs/${encodeURIComponent(jobId)}/cancel`, { method: "POST", error });
  } catch (exc) {
    if (!(exc instanceof ApiError)) throw exc;
    button.disabled = false; // shown by apiRequest (409: it had already ended)
  }
}

async function follow(jobId, model) {
  const cancel = document.getElementById("cancel-training");
  const stop = guarded(() => cancelTraining(jobId, cancel));
  cancel.disabled = false;
  cancel.hidden = false;
  cancel.addEventListener("click", stop);
  try {
    return await poll(jobId, model);
  } finally {
    cancel.removeEventListener("click", stop);
    cancel.hidden = true;
  }
}

async function poll(jobId, model) {
  const bar = document.getElementById("progress-bar");
  const text = document.getElementById("progress-text");
  const elapsed = document.getElementById("progress-elapsed");
  const started = Date.now();
  let job = null;
  let latest = model;
  for (;;) {
    [job, latest] = await Promise.all([
      apiRequest(`/api/v1/jobs/${encodeURIComponent(jobId)}`, { error }),
      apiRequest(`/api/v1/predictive-models/${encodeURIComponent(model.id)}`, { error }),
    ]);
    const progress = trainingProgress(job, latest);
    bar.value = progress.fraction;
    text.textContent = progress.text;
    elapsed.textContent = `Elapsed: ${formatTime((Date.now() - started) / 1000)}`;
    if (progress.done) {
      if (progress.failed) showError(error, progress.text);
      return progress;
    }
    await wait(POLL_MS);
  }
}

async function train(event) {
  event.preventDefault();
  clearFieldErrors(form);
  showError(error, "");
  const button = document.getElementById("train-button");
  button.disabled = true;
  let started;
  try {
    started = await apiRequest("/api/v1/predictive-models", { method: "POST", json: trainRequest(values()), loading, quiet: true });
  } catch (exc) {
    showTrainError(exc);
    return;
  } finally {
    button.disabled = false;
  }
  const { model, job_id: jobId } = started;
  form.hidden = true;
  document.getElementById("progress-section").hidden = false;
  document.getElementById("progress-name").textContent = `${model.name} v${model.version} (${model.algorithm})`;
  document.getElementById("progress-done").hidden = true;
  document.getElementById("train-another").hidden = true;
  const progress = await follow(jobId, model);
  if (!progress.failed) {
    const link = document.getElementById("model-link");
    link.href = `/models/${model.id}`;
    document.getElementById("progress-done").hidden = false;
    link.focus();
  }
  document.getElementById("train-another").hidden = false;
}

async function main() {
  if (!(await signedInUser())) return;
  loading.hidden = false;
  let teams = [];
  try {
    const [list, teamList] = await Promise.all([apiRequest("/api/v1/datasets?per_page=100", { error }), myTeams(error)]);
    datasets = list.items || [];
    teams = teamList;
  } finally {
    loading.hidden = true;
  }
  const wanted = params.get("dataset");
  replace(
    form.elements.dataset,
    datasets.length
      ? datasets.map((d) => h("option", { value: d.id, selected: d.id === wanted || d.name === wanted }, `${d.name} (${d.row_count} rows)`))
      : h("option", { value: "" }, "— no dataset is visible to you —"),
  );
  replace(
    form.elements.algorithm,
    algorithmOptions(Object.keys(ALGORITHM_DESCRIPTIONS)).map((o) => h("option", { value: o.value, selected: o.value === (params.get("algorithm") || "ridge") }, o.label)),
  );
  renderTargets();
  scopeControls(form, teams);
  form.hidden = false;
  form.elements.dataset.addEventListener("change", renderTargets);
  form.addEventListener("submit", guarded(train));
  document.getElementById("train-another").addEventListener("click", () => {
    document.getElementById("progress-section").hidden = true;
    form.hidden = false;
    form.elements.dataset.focus();
  });
}

main().catch((exc) => reportUnexpected(exc));
