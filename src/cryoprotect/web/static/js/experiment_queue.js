// The verification queue (GET /experiments?awaiting_me=true) and the prediction-error
// summary by model version for a team's experiments (GET /experiments/prediction-summary).
import { apiRequest, currentTeam, currentUser, guarded, onSubmit, pageStatus, reportUnexpected, showError } from "./api.js";
import { myTeams } from "./scope_ui.js";
import { fieldColumns, fillTable, h } from "./dom.js";
import { pageInfo, query } from "./format.js";
import { timeEl } from "./precision_ui.js";
import {
  describeBiologicalSystem,
  describeMixture,
  measureIndex,
  resultSummary,
  summaryAxisTitle,
  summaryRows,
  summaryTraces,
} from "./experiments_lib.js";

const PER_PAGE = 25;
const { error, loading } = pageStatus();
let measures = new Map();
let teams = [];
let page = 1;

async function loadQueue() {
  const body = await apiRequest(`/api/v1/experiments${query({ awaiting_me: "true", page, per_page: PER_PAGE })}`, { loading, error });
  const items = body.items || [];
  const info = pageInfo(body);
  const table = document.getElementById("queue-table");
  table.hidden = items.length === 0;
  document.getElementById("queue-empty").hidden = items.length > 0;
  document.getElementById("queue-caption").textContent = `${info.total} experiment${info.total === 1 ? "" : "s"} waiting for your decision`;
  fillTable(table.querySelector("tbody"), items, [
    { header: true, cell: (e) => h("a", { href: `/experiments/${e.id}` }, e.title) },
    {
      cell: (e) => {
        const team = teams.find((t) => t.id === e.team_id);
        return team ? h("a", { href: `/teams/${team.id}` }, team.name) : "—";
      },
    },
    { cell: (e) => (e.mixture_id ? h("a", { href: `/mixtures/${e.mixture_id}` }, describeMixture(e)) : "—") },
    { cell: (e) => describeBiologicalSystem(e) },
    { cell: (e) => resultSummary(e.results, measures, 2) || "—" },
    { cell: (e) => e.performed_on || "—" },
    { cell: (e) => timeEl(e.updated_at) },
  ]);
  document.getElementById("pager").hidden = info.pages <= 1;
  document.getElementById("page-info").textContent = `Page ${info.page} of ${info.pages}`;
  document.getElementById("prev").disabled = !info.hasPrev;
  document.getElementById("next").disabled = !info.hasNext;
}

async function loadSummary(form) {
  const params = { team_id: form.elements.team_id.value, verified_only: form.elements.verified_only.checked ? "true" : "" };
  const body = await apiRequest(`/api/v1/experiments/prediction-summary${query(params)}`, {
    loading: document.getElementById("summary-loading"),
    error,
    form,
  });
  document.getElementById("summary-method").textContent = `${body.experiments} experiment${body.experiments === 1 ? "" : "s"} with a mixture in this scope. Method: ${body.method}.`;
  const rows = summaryRows(body.models);
  const table = document.getElementById("summary-table");
  const chart = document.getElementById("summary-chart");
  table.hidden = rows.length === 0;
  chart.hidden = rows.length === 0;
  document.getElementById("summary-empty").hidden = rows.length > 0;
  fillTable(table.querySelector("tbody"), rows, [
    { header: true, cell: (r) => h("a", { href: `/models/${r.model_id}` }, r.model) },
    ...fieldColumns("measure", "n", "experiments", "mae", "rmse", "bias", "coverage"),
  ]);
  if (!rows.length) return;
  if (typeof Plotly === "undefined") {
    showError(error, "The charting library (Plotly.js) did not load; the table has the same numbers.");
    return;
  }
  Plotly.newPlot(
    chart,
    summaryTraces(body.models),
    {
      barmode: "group",
      margin: { l: 70, r: 20, t: 20, b: 90 },
      xaxis: { title: { text: "Model version" }, type: "category", automargin: true },
      yaxis: { title: { text: summaryAxisTitle(body.models) }, rangemode: "tozero" },
      legend: { orientation: "h", y: -0.35 },
    },
    { responsive: true, displaylogo: false },
  );
}

async function main() {
  const user = await currentUser();
  if (!user) {
    window.location.assign("/signin?next=/experiments/queue");
    return;
  }
  const [vocabulary, teamList] = await Promise.all([
    apiRequest("/api/v1/experiments/vocabulary", { error }),
    myTeams(error),
  ]);
  measures = measureIndex(vocabulary);
  teams = teamList;
  const form = document.getElementById("summary-form");
  form.elements.team_id.append(...teams.map((t) => h("option", { value: t.id }, t.name)));
  // the URL wins (a link, or the form sent before this script was ready), then the header's team
  const url = new URLSearchParams(window.location.search);
  const chosen = url.get("team_id") ?? currentTeam();
  if (teams.some((t) => t.id === chosen)) form.elements.team_id.value = chosen;
  form.elements.verified_only.checked = url.get("verified_only") === "true" || url.get("verified_only") === "on";
  document.addEventListener(
    "cryoprotect:team",
    guarded(async (event) => {
      form.elements.team_id.value = event.detail || "";
      await loadSummary(form);
    }),
  );
  onSubmit(form, async () => {
    await loadSummary(form);
  });
  for (const [id, step] of [["prev", -1], ["next", 1]]) {
    document.getElementById(id).addEventListener(
      "click",
      guarded(async () => {
        page += step;
        await loadQueue();
      }),
    );
  }
  await Promise.all([loadQueue(), loadSummary(form)]);
}

main().catch((exc) => reportUnexpected(exc));
