// The toxicity-model page: the paginated list of visible models (GET /toxicity-models), the
// exposure CSV import (POST /toxicity-models/exposure-import; a 422 lists every bad row with
// its column and nothing is written) and the fit form (POST /toxicity-models answers 202 with
// a background job, polled until the model is ready, then linked).
import { ApiError, apiRequest, clearFieldErrors, currentUser, fieldErrors, guarded, mapErrorPaths, pageStatus, reportUnexpected, showError, showFieldErrors } from "./api.js";
import { fieldColumns, fillTable, h, replace } from "./dom.js";
import { pageInfo, query } from "./format.js";
import { myTeams, scopeControls } from "./scope_ui.js";
import { fitErrorPath, fitRequest, importErrorSummary, importRowErrors, importSummary, isExposureExperiment, modelRow, statusText } from "./toxicity_lib.js";

const POLL_MS = 1000;
const PER_PAGE = 20;
const { error, loading } = pageStatus();
const importForm = document.getElementById("import-form");
const fitForm = document.getElementById("fit-form");
let page = 1;

// ------------------------------------------------------------------ list
async function loadList() {
  const body = await apiRequest(`/api/v1/toxicity-models${query({ page, per_page: PER_PAGE })}`, { error, loading });
  const info = pageInfo(body);
  const items = body.items || [];
  const table = document.getElementById("models-table");
  table.hidden = items.length === 0;
  document.getElementById("empty").hidden = items.length > 0;
  document.getElementById("models-caption").textContent = `Toxicity model versions ${info.first}–${info.last} of ${info.total}`;
  fillTable(
    table.querySelector("tbody"),
    items.map(modelRow),
    [
      { header: true, cell: (r) => h("a", { href: `/toxicity-models/${r.id}` }, r.name) },
      { cell: (r) => h("span", { class: r.ready ? "badge verified" : "badge pending" }, r.status) },
      ...fieldColumns("cpas", "terms", "rows", "aic", "bic", "heldOut", "verified", "created"),
    ],
  );
  document.getElementById("pager").hidden = info.pages <= 1;
  document.getElementById("page-info").textContent = `Page ${info.page} of ${info.pages}`;
  document.getElementById("prev").disabled = !info.hasPrev;
  document.getElementById("next").disabled = !info.hasNext;
}

// ------------------------------------------------------------------ experiments to fit
async function loadExperiments(preselect = null) {
  const body = await apiRequest("/api/v1/experiments?per_page=100", { error });
  const exposures = (body.items || []).filter(isExposureExperiment);
  const list = document.getElementById("experiment-choices");
  replace(
    list,
    exposures.map((e) =>
      h(
        "li",
        {},
        h(
          "label",
          { class: "check" },
          h("input", { type: "checkbox", name: "experiment_ids", value: e.id, checked: e.id === preselect }),
          `${e.title} (${(e.results || []).length} rows)`,
        ),
      ),
    ),
  );
  document.getElementById("no-experiments").hidden = exposures.length > 0;
}

// ------------------------------------------------------------------ import
function showRejected(errors) {
  const box = document.getElementById("import-rejected");
  document.getElementById("import-rejected-summary").textContent = importErrorSummary(errors);
  fillTable(document.querySelector("#row-errors tbody"), errors, [
    { header: true, cell: (e) => String(e.row) },
    { cell: (e) => h("code", {}, e.field) },
    { cell: (e) => e.reason },
  ]);
  box.hidden = false;
}

async function importCsv(event, scope) {
  event.preventDefault();
  const done = document.getElementById("import-done");
  done.hidden = true;
  document.getElementById("import-rejected").hidden = true;
  const data = new FormData();
  data.append("title", importForm.elements.title.value.trim());
  const file = importForm.elements.file.files[0];
  if (file) data.append("file", file, file.name);
  const { visibility, team_id: teamId } = scope.value();
  data.append("visibility", visibility);
  if (teamId) data.append("team_id", teamId);
  const button = document.getElementById("import-button");
  button.disabled = true;
  try {
    const report = await apiRequest("/api/v1/toxicity-models/exposure-import", {
      method: "POST",
      formData: data,
      form: importForm,
      error,
      loading: document.getElementById("importing"),
    });
    replace(done, importSummary(report), " ", h("a", { href: `/experiments/${report.experiment_id}` }, "Open the experiment"), ".");
    done.hidden = false;
    await loadExperiments(report.experiment_id);
  } catch (exc) {
    if (!(exc instanceof ApiError)) throw exc;
    const rows = importRowErrors(exc.details);
    if (rows.length) showRejected(rows);
  } finally {
    button.disabled = false;
  }
}

// ------------------------------------------------------------------ fit
function wait(ms) {
  return new Promise((resolve) => {
    setTimeout(resolve, ms);
  });
}

async function follow(jobId, model) {
  const bar = document.getElementById("fit-bar");
  const text = document.getElementById("fit-text");
  for (;;) {
    const [job, latest] = await Promise.all([
      apiRequest(`/api/v1/jobs/${encodeURIComponent(jobId)}`, { error }),
      apiRequest(`/api/v1/toxicity-models/${encodeURIComponent(model.id)}`, { error }),
    ]);
    const fraction = typeof job.progress === "number" ? job.progress : typeof latest.progress === "number" ? latest.progress : 0;
    bar.value = job.status === "done" ? 1 : fraction;
    text.textContent = `Job ${job.status}; model ${statusText(latest)}.`;
    if (job.status === "failed" || job.status === "cancelled" || latest.status === "failed") {
      showError(error, `The fit did not finish: ${latest.error || job.error || job.status}`);
      return false;
    }
    if (job.status === "done" && latest.status === "ready") return true;
    await wait(POLL_MS);
  }
}

async function fit(event, scope) {
  event.preventDefault();
  clearFieldErrors(fitForm);
  showError(error, "");
  const chosen = fitForm.elements.data_scope.value === "chosen";
  const ids = [...fitForm.querySelectorAll('input[name="experiment_ids"]:checked')].map((el) => el.value);
  const { visibility, team_id: teamId } = scope.value();
  const body = fitRequest({
    name: fitForm.elements.name.value,
    experimentIds: chosen ? ids : null,
    verifiedOnly: fitForm.elements.verified_only.checked,
    nonspecific: fitForm.elements.nonspecific.checked,
    interactions: fitForm.elements.interactions.checked,
    temperature: fitForm.elements.temperature.checked,
    nBootstrap: fitForm.elements.n_bootstrap.value,
    visibility,
    teamId,
  });
  const button = document.getElementById("fit-button");
  button.disabled = true;
  let started;
  try {
    started = await apiRequest("/api/v1/toxicity-models", { method: "POST", json: body, quiet: true });
  } catch (exc) {
    if (!(exc instanceof ApiError)) throw exc;
    const errors = mapErrorPaths(fieldErrors(exc.details, exc.message), fitErrorPath);
    const unplaced = showFieldErrors(fitForm, errors);
    showError(error, unplaced.length ? `${exc.message} (${unplaced.join(", ")})` : exc.message);
    button.disabled = false;
    return;
  }
  const progress = document.getElementById("fit-progress");
  document.getElementById("fit-name").textContent = `${started.model.name} v${started.model.version}`;
  document.getElementById("fit-done").hidden = true;
  progress.hidden = false;
  try {
    await loadList();
    if (await follow(started.job_id, started.model)) {
      const link = document.getElementById("fit-link");
      link.href = `/toxicity-models/${started.model.id}`;
      document.getElementById("fit-done").hidden = false;
      link.focus();
    }
    await loadList();
  } finally {
    button.disabled = false;
  }
}

// ------------------------------------------------------------------ start
async function main() {
  const user = await currentUser();
  document.getElementById("prev").addEventListener("click", guarded(() => ((page = Math.max(1, page - 1)), loadList())));
  document.getElementById("next").addEventListener("click", guarded(() => ((page += 1), loadList())));
  await loadList();
  if (!user) {
    document.getElementById("signin-needed").hidden = false;
    return;
  }
  const teams = await myTeams(error);
  const importScope = scopeControls(importForm, teams);
  const fitScope = scopeControls(fitForm, teams);
  await loadExperiments();
  document.getElementById("import-section").hidden = false;
  document.getElementById("fit-section").hidden = false;
  importForm.addEventListener("submit", guarded((event) => importCsv(event, importScope)));
  fitForm.addEventListener("submit", guarded((event) => fit(event, fitScope)));
}

main().catch((exc) => reportUnexpected(exc));
