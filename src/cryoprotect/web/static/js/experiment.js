// One experiment: everything recorded, the verification status and its history, submit /
// verify / reject, edit and delete, and the stored predictions for its mixture against the
// measured values (table and chart).
import { apiRequest, confirmDelete, currentUser, fetchResourceFromApi, onSubmit, pageStatus, reportUnexpected, showError } from "./api.js";
import { myTeams } from "./scope_ui.js";
import { definitionList, fieldColumns, fillTable, h, replace, showSuccess } from "./dom.js";
import { formatQuantity, formatRecorded, label, query } from "./format.js";
import { timeEl } from "./precision_ui.js";
import {
  comparisonAxisTitle,
  comparisonRows,
  comparisonTraces,
  conditionRows,
  describeBiologicalSystem,
  describeMixture,
  describeValue,
  historyTimeline,
  measureIndex,
  permissions,
  STATUS_TEXT,
  statusBadge,
} from "./experiments_lib.js";

const root = document.getElementById("experiment-page");
const id = root.dataset.experimentId;
const api = `/api/v1/experiments/${id}`;
const { error, loading } = pageStatus();

let measures = new Map();
let user = null;
let teams = [];

function teamName(teamId) {
  return teams.find((t) => t.id === teamId)?.name || null;
}

function renderSummary(e) {
  document.getElementById("experiment-title").textContent = e.title;
  document.getElementById("crumb").textContent = e.title;
  document.title = `${e.title} · CryoProtect`;
  const badge = statusBadge(e.verification_status);
  const el = document.getElementById("status-badge");
  el.className = badge.className;
  el.textContent = badge.text;
  el.hidden = false;
  const scope =
    e.visibility === "team" || e.team_id
      ? [
          `${e.visibility} · `,
          e.team_id
            ? h("a", { href: `/teams/${e.team_id}` }, teamName(e.team_id) || "team")
            : "no team",
        ]
      : e.visibility;
  const mixture = e.mixture_id
    ? [
        h("a", { href: `/mixtures/${e.mixture_id}` }, describeMixture(e)),
        " · ",
        h("a", { href: `/experiments${query({ mixture_id: e.mixture_id })}` }, "all experiments with this mixture"),
      ]
    : "—";
  const system = e.cell_type_id
    ? [describeBiologicalSystem(e), " · ", h("a", { href: `/experiments${query({ cell_type_id: e.cell_type_id })}` }, "experiments on this cell type")]
    : describeBiologicalSystem(e);
  const protocol = e.protocol_id ? h("a", { href: `/protocols/${e.protocol_id}` }, e.protocol_name || "saved protocol") : e.protocol_text ? "described in words (below)" : "—";
  const pairs = [
    ["Mixture (version used)", mixture],
    ["Biological system", system],
    ["Protocol", protocol],
    ["Performed on", e.performed_on || "—"],
    ["Operator", e.operator || "—"],
    ["Visibility", scope],
    ["Recorded", [timeEl(e.created_at), e.created_by === user?.id ? " by you" : ""]],
    ["Last changed", timeEl(e.updated_at)],
  ];
  replace(document.getElementById("summary"), ...definitionList(pairs).childNodes);
  if (e.mixture_id) document.getElementById("again-link").href = `/experiments/new${query({ mixture_id: e.mixture_id })}`;
}

function renderResults(e) {
  const results = e.results || [];
  const table = document.getElementById("results-table");
  document.getElementById("results-empty").hidden = results.length > 0;
  table.hidden = results.length === 0;
  fillTable(table.querySelector("tbody"), results, [
    { header: true, cell: (r) => measures.get(r.measure)?.label || label(r.measure) },
    { cell: (r) => describeValue(r, measures.get(r.measure)) },
    { cell: (r) => String(r.replicates ?? 1) },
    { cell: (r) => (typeof r.sd === "number" ? formatRecorded(r.sd, r.unit || "") : "—") },
    { cell: (r) => [r.assay, r.method].filter(Boolean).join(" / ") || "—" },
    { cell: (r) => (typeof r.time_point_h === "number" ? formatRecorded(r.time_point_h, "h") : "—") },
    { cell: (r) => r.notes || "" },
  ]);
}

function renderDetails(e) {
  const conditions = conditionRows(e.conditions);
  document.getElementById("conditions-empty").hidden = conditions.length > 0;
  replace(document.getElementById("conditions"), ...definitionList(conditions).childNodes);
  const system = e.biological_system || {};
  const protocolPairs = [
    ["Protocol in words", e.protocol_text || "—"],
    ["Cells / tissue details", [system.source && `source: ${system.source}`, system.passage && `passage: ${system.passage}`, system.details].filter(Boolean).join(" · ") || "—"],
    ["Notes", e.notes || "—"],
  ];
  replace(document.getElementById("protocol"), ...definitionList(protocolPairs).childNodes);
  const attachments = e.attachments || [];
  const table = document.getElementById("attachments-table");
  document.getElementById("attachments-empty").hidden = attachments.length > 0;
  table.hidden = attachments.length === 0;
  fillTable(table.querySelector("tbody"), attachments, [
    { header: true, cell: (a) => a.filename },
    { cell: (a) => a.content_type || "—" },
    { cell: (a) => (typeof a.size_bytes === "number" ? formatQuantity("bytes", a.size_bytes) : "—") },
    { cell: (a) => (a.sha256 ? h("code", { class: "hash", title: a.sha256 }, `${a.sha256.slice(0, 12)}…`) : "—") },
    { cell: (a) => (a.url && /^https?:\/\//.test(a.url) ? h("a", { href: a.url, rel: "noopener noreferrer" }, a.url) : a.url || "—") },
    { cell: (a) => a.description || "" },
  ]);
}

function renderActions(e) {
  const can = permissions(e, user, teams);
  const edit = document.getElementById("edit-link");
  edit.href = `/experiments/new?edit=${e.id}`;
  edit.hidden = !can.canEdit;
  document.getElementById("edit-hint").hidden = !can.canEdit;
  document.getElementById("delete-button").hidden = !can.canDelete;
  document.getElementById("submit-form").hidden = !can.canSubmit;
  document.getElementById("verify-form").hidden = !can.canVerify;
  const team = teamName(e.team_id) || "the team";
  const status = e.verification_status;
  let text = `${STATUS_TEXT[status] || status}.`;
  if (e.visibility === "private" || !e.team_id) {
    text += " Only experiments shared with a team can be verified: edit it, set “Who can see it” to your team, then submit it.";
  } else if (status === "pending" && can.author) {
    text += ` Waiting for a verifier of ${team}; you cannot verify your own experiment.`;
  } else if (status === "pending" && can.canVerify) {
    text += ` You are a ${can.role} of ${team}: check it and verify or reject it below.`;
  } else if (status === "pending") {
    text += ` Only a verifier or admin of ${team} other than the author can decide.`;
  } else if (status === "unverified" && can.canSubmit) {
    text += ` Submit it and a verifier of ${team} will check it.`;
  } else if (status === "rejected" && can.canSubmit) {
    text += " See the reason in the history below; correct the record and submit it again.";
  }
  document.getElementById("verification-text").textContent = text;
}

function render(e) {
  renderSummary(e);
  renderResults(e);
  renderDetails(e);
  renderActions(e);
}

async function loadHistory() {
  const history = await fetchResourceFromApi(`${api}/history`, { error });
  const entries = historyTimeline(history);
  fillTable(document.querySelector("#history-table tbody"), entries, [
    { cell: (x) => timeEl(x.at) },
    { cell: (x) => x.who },
    { cell: (x) => (x.kind === "verification" ? h("span", { class: statusBadge(x.status).className }, x.what) : x.what) },
    { cell: (x) => x.detail || "" },
  ]);
}

function drawComparison(comparisons) {
  const chart = document.getElementById("pvm-chart");
  if (typeof Plotly === "undefined") {
    showError(error, "The charting library (Plotly.js) did not load; the table above has the same numbers.");
    return;
  }
  chart.hidden = false;
  Plotly.newPlot(
    chart,
    comparisonTraces(comparisons),
    {
      margin: { l: 70, r: 20, t: 20, b: 90 },
      xaxis: { title: { text: "Model version" }, type: "category", automargin: true },
      yaxis: { title: { text: comparisonAxisTitle(comparisons) }, zeroline: false },
      legend: { orientation: "h", y: -0.35 },
    },
    { responsive: true, displaylogo: false },
  );
}

async function loadComparison(e) {
  const body = await fetchResourceFromApi(`${api}/predicted-vs-measured`, { error });
  document.getElementById("pvm-method").textContent = body.method ? `Method: ${body.method}.` : "";
  const empty = document.getElementById("pvm-empty");
  const table = document.getElementById("pvm-table");
  const rows = comparisonRows(body.comparisons);
  if (!rows.length) {
    table.hidden = true;
    document.getElementById("pvm-chart").hidden = true;
    empty.hidden = false;
    replace(
      empty,
      e.mixture_id
        ? ["No stored prediction matches yet: predict this mixture with a ", h("a", { href: "/models" }, "model"), " (viability or another percent measure), then come back."]
        : "Record the mixture used to compare with model predictions.",
    );
    return;
  }
  empty.hidden = true;
  table.hidden = false;
  fillTable(table.querySelector("tbody"), rows, [
    { header: true, cell: (r) => h("a", { href: `/models/${r.model_id}` }, r.model) },
    ...fieldColumns("measure", "measured", "replicates", "predicted", "interval", "error", "inside", "predicted_at"),
  ]);
  drawComparison(body.comparisons);
}

function flash(message) {
  showSuccess(document.getElementById("flash"), message);
}

function wireForms() {
  const submitForm = document.getElementById("submit-form");
  onSubmit(submitForm, async () => {
    const notes = submitForm.elements.notes.value.trim() || null;
    const e = await apiRequest(`${api}/submit`, { method: "POST", json: { notes }, form: submitForm, error, loading });
    submitForm.reset();
    render(e);
    flash("Submitted: the team's verifiers will see it in their queue.");
    await loadHistory();
  });
  const verifyForm = document.getElementById("verify-form");
  onSubmit(verifyForm, async (event) => {
    const status = event.submitter?.value || "verified";
    const body = {
      status,
      notes: verifyForm.elements.notes.value.trim() || null,
      equipment: verifyForm.elements.equipment.value.trim() || null,
    };
    const e = await apiRequest(`${api}/verification`, { method: "POST", json: body, form: verifyForm, error, loading });
    verifyForm.reset();
    render(e);
    flash(status === "verified" ? "Marked verified." : "Marked rejected; the author sees your reason in the history.");
    await loadHistory();
  });
  confirmDelete("delete-button", async () => {
    await apiRequest(api, { method: "DELETE", error, loading });
    window.location.assign("/experiments?deleted=1");
  });
}

async function main() {
  user = await currentUser();
  const [experiment, vocabulary, teamList] = await Promise.all([
    fetchResourceFromApi(api, { loading, error }),
    fetchResourceFromApi("/api/v1/experiments/vocabulary", { error }),
    user ? myTeams(error) : Promise.resolve([]),
  ]);
  measures = measureIndex(vocabulary);
  teams = teamList;
  render(experiment);
  document.getElementById("content").hidden = false;
  wireForms();
  await Promise.all([loadHistory(), loadComparison(experiment)]);
}

main().catch((exc) => reportUnexpected(exc));
