// CSV import of experiment results: the template download, the upload with visibility/team
// and the per-row report the API returns.
import { apiRequest, currentUser, onSubmit, pageStatus, reportUnexpected } from "./api.js";
import { fillTable, h } from "./dom.js";
import { reportOf } from "./jobs_ui.js";
import { IMPORT_COLUMNS, importSummary, templateCsv } from "./experiments_lib.js";
import { myTeams, scopeControls, scopedUpload } from "./scope_ui.js";

const { error, loading } = pageStatus();
const form = document.getElementById("import-form");

function renderColumns() {
  fillTable(document.querySelector("#columns-table tbody"), IMPORT_COLUMNS, [
    { header: true, cell: ([name]) => h("code", {}, name) },
    { cell: ([, help]) => help },
  ]);
  const link = document.getElementById("template-link");
  link.href = URL.createObjectURL(new Blob([templateCsv()], { type: "text/csv" }));
}

function renderReport(report) {
  const section = document.getElementById("report");
  document.getElementById("report-summary").textContent = importSummary(report);
  fillTable(document.querySelector("#report-table tbody"), report.rows, [
    { header: true, cell: (r) => String(r.row) },
    { cell: (r) => h("span", { class: r.status === "added" ? "badge verified" : "badge rejected" }, r.status) },
    { cell: (r) => (r.experiment_id ? h("a", { href: `/experiments/${r.experiment_id}` }, "open experiment") : r.title || "—") },
    { cell: (r) => (r.field ? h("code", {}, r.field) : "") },
    { cell: (r) => r.reason || "" },
  ]);
  section.hidden = false;
  section.scrollIntoView({ block: "start" });
}

async function main() {
  renderColumns();
  const user = await currentUser();
  if (!user) {
    window.location.assign("/signin?next=/experiments/import");
    return;
  }
  const scope = scopeControls(form, await myTeams(error));
  onSubmit(form, async () => {
    const data = scopedUpload(form, scope);
    data.append("atomic", form.elements.atomic.checked ? "true" : "false");
    const button = document.getElementById("import-button");
    button.disabled = true;
    try {
      // A large file is imported by a background job: reportOf waits for its report.
      const answer = await apiRequest("/api/v1/experiments/import", { method: "POST", formData: data, form, error, loading });
      const report = await reportOf(answer, { error, loading });
      if (report) renderReport(report);
    } finally {
      button.disabled = false;
    }
  });
  document.getElementById("import-button").disabled = false;
}

main().catch((exc) => reportUnexpected(exc));
